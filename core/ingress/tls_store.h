// `TlsStore`: the certificates of the ingress HTTPS listener — a generated self-signed default
// and one OpenSSL context per kubernetes.io/tls Secret that an Ingress names — chosen per
// connection by SNI through the current `RouteTable` (route_table.h). Contexts come from
// core/apiserver's MakeServerTlsContext (http_tls.h). Fed by ingress_controller.cc, used by
// proxy_server.cc. Tests: tests/core/ingress/tls_store_test.cc.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "core/common/status.h"
#include "core/ingress/route_table.h"

namespace capstan::ingress {

// Builds a server context from a Secret's `data["tls.crt"]` and `data["tls.key"]` (base64 PEM).
// Errors: kInvalid when a key is missing or not base64; those of MakeServerTlsContext for bad
// PEM or a key that does not match.
Result<std::shared_ptr<SSL_CTX>> ContextFromSecret(const nlohmann::json& secret);

// Thread-safety: every method may be called from any thread; the SNI callback (run by OpenSSL
// on the proxy's io threads during handshakes) reads the snapshot under a short mutex.
class TlsStore {
 public:
  using ContextMap = std::map<std::string, std::shared_ptr<SSL_CTX>, std::less<>>;

  // Generates the default self-signed certificate (CN "capstan-ingress-default").
  // Errors: kInternal when OpenSSL fails.
  static Result<std::unique_ptr<TlsStore>> Create();
  TlsStore(const TlsStore&) = delete;
  TlsStore& operator=(const TlsStore&) = delete;

  // The context new connections start with; it serves the default certificate and switches to
  // a Secret's context in its SNI callback. Owned by the store, which must outlive the
  // listener.
  SSL_CTX* default_context() const { return default_ctx_.get(); }
  const std::string& default_cert_pem() const { return default_cert_pem_; }

  // Replaces what SNI selects from: `routes` maps a server name to a Secret key and `contexts`
  // maps that key ("namespace/name") to its context. A name whose Secret has no context
  // (missing or invalid Secret) gets the default certificate.
  void Update(std::shared_ptr<const RouteTable> routes, ContextMap contexts);

  // The context SNI `server_name` selects; null for the default certificate.
  std::shared_ptr<SSL_CTX> Select(std::string_view server_name) const;

 private:
  TlsStore() = default;
  static int OnServerName(SSL* ssl, int* alert, void* arg);

  std::shared_ptr<SSL_CTX> default_ctx_;
  std::string default_cert_pem_;
  mutable std::mutex mu_;
  std::shared_ptr<const RouteTable> routes_;    // guarded by mu_
  std::shared_ptr<const ContextMap> contexts_;  // guarded by mu_
};

}  // namespace capstan::ingress
