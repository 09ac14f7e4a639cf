// TLS setup for the HTTPS server: the server certificate and key, the optional client-CA
// bundle, and reading the client's certificate after the handshake. Used by http_server.cc and
// http_connection.cc; PEM material comes from core/pki (server_pki.h). Tests run through
// tests/core/apiserver/http_server_test.cc.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "core/common/status.h"

namespace capstan::apiserver {

struct HttpTlsConfig {
  std::string cert_chain_pem;  // serving certificate, then any intermediates
  std::string key_pem;
  // When non-empty, clients are asked for a certificate, verified against these CAs. As in
  // Kubernetes, a client without a certificate (or with one that fails verification) is
  // still served; authentication decides later from `HttpRequest::client_cert_verified`.
  std::string client_ca_pem;

  // Reads the three files (client_ca_file may be empty). Errors: those of pki::ReadFile.
  static Result<HttpTlsConfig> FromFiles(const std::string& cert_file, const std::string& key_file,
                                         const std::string& client_ca_file);
};

// Builds a server context: TLS 1.2+, ALPN "http/1.1" only (no h2), the given certificate and
// key, the client-CA request described above, and the modes `TlsSocket` (http_tls_socket.h)
// relies on (partial writes, released idle buffers). Errors: kBadRequest for unparseable PEM,
// kInvalid when the key does not match the certificate, kInternal for OpenSSL failures.
// The context is immutable afterwards and shared by all connections (OpenSSL allows that).
Result<std::shared_ptr<SSL_CTX>> MakeServerTlsContext(const HttpTlsConfig& config);

// The client certificate of a finished handshake.
struct TlsPeer {
  std::string chain_pem;  // leaf first; empty when the client sent none
  bool verified = false;
};

// Reads the peer certificate chain from `ssl` after a successful server handshake.
TlsPeer ReadTlsPeer(SSL* ssl);

}  // namespace capstan::apiserver
