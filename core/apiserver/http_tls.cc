// Server TLS context and peer-certificate extraction (http_tls.h), on OpenSSL 3.
#include "core/apiserver/http_tls.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cstring>

#include "core/pki/certificate.h"
#include "core/pki/files.h"
#include "core/pki/openssl_util.h"

namespace capstan::apiserver {
namespace {

// Accepts every client certificate at the TLS layer; OpenSSL still records the verification
// outcome, which ReadTlsPeer reads with SSL_get_verify_result.
int AcceptAndRecord(int /*preverified*/, X509_STORE_CTX* /*ctx*/) { return 1; }

int SelectHttp11(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen,
                 const unsigned char* in, unsigned int inlen, void* /*arg*/) {
  static const unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
  for (unsigned int i = 0; i < inlen;) {
    unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == sizeof(kHttp11) && std::memcmp(in + i + 1, kHttp11, len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  // No common protocol (e.g. only "h2"): continue without ALPN; clients fall back to 1.1.
  return SSL_TLSEXT_ERR_NOACK;
}

Status AppendPem(X509* cert, std::string* out) {
  Result<std::string> pem = pki::CertToPem(cert);
  if (!pem.ok()) return pem.status();
  out->append(*pem);
  return Status::Ok();
}

}  // namespace

Result<HttpTlsConfig> HttpTlsConfig::FromFiles(const std::string& cert_file,
                                               const std::string& key_file,
                                               const std::string& client_ca_file) {
  HttpTlsConfig config;
  Result<std::string> cert = pki::ReadFile(cert_file);
  if (!cert.ok()) return cert.status();
  Result<std::string> key = pki::ReadFile(key_file);
  if (!key.ok()) return key.status();
  config.cert_chain_pem = std::move(*cert);
  config.key_pem = std::move(*key);
  if (!client_ca_file.empty()) {
    Result<std::string> ca = pki::ReadFile(client_ca_file);
    if (!ca.ok()) return ca.status();
    config.client_ca_pem = std::move(*ca);
  }
  return config;
}

Result<std::shared_ptr<SSL_CTX>> MakeServerTlsContext(const HttpTlsConfig& config) {
  pki::ClearOpenSslErrors();
  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!context) return pki::OpenSslError("SSL_CTX_new");
  SSL_CTX* ctx = context.get();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return pki::OpenSslError("setting minimum TLS version");
  }
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections (most watches) drop their 16 KiB record buffers between reads; writes
  // behave like socket writes (partial progress, buffer may move between retries).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_alpn_select_cb(ctx, SelectHttp11, nullptr);

  Result<std::vector<pki::CertPtr>> chain =
      pki::ParseCertChainPem(config.cert_chain_pem, "serving certificate");
  if (!chain.ok()) return chain.status();
  Result<pki::KeyPtr> key = pki::ParseKeyPem(config.key_pem, "serving key");
  if (!key.ok()) return key.status();
  if (SSL_CTX_use_certificate(ctx, chain->front().get()) != 1) {
    return pki::OpenSslError("using serving certificate");
  }
  for (size_t i = 1; i < chain->size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, (*chain)[i].get()) != 1) {
      return pki::OpenSslError("adding intermediate certificate");
    }
  }
  if (SSL_CTX_use_PrivateKey(ctx, key->get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    pki::ClearOpenSslErrors();
    return InvalidError("serving key does not match the serving certificate");
  }

  // Needed whenever peers are verified, or session resumption fails the handshake.
  static const unsigned char kSessionContext[] = "capstan-apiserver";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);

  if (!config.client_ca_pem.empty()) {
    Result<std::vector<pki::CertPtr>> cas =
        pki::ParseCertChainPem(config.client_ca_pem, "client CA bundle");
    if (!cas.ok()) return cas.status();
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    for (const pki::CertPtr& ca : *cas) {
      // Go clients only send a certificate issued by a CA named in the CertificateRequest.
      if (X509_STORE_add_cert(store, ca.get()) != 1 || SSL_CTX_add_client_CA(ctx, ca.get()) != 1) {
        return pki::OpenSslError("adding client CA");
      }
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, AcceptAndRecord);
  }
  return context;
}

TlsPeer ReadTlsPeer(SSL* ssl) {
  TlsPeer peer;
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (leaf == nullptr) return peer;
  peer.verified = SSL_get_verify_result(ssl) == X509_V_OK;
  STACK_OF(X509)* verified = peer.verified ? SSL_get0_verified_chain(ssl) : nullptr;
  Status status;
  if (verified != nullptr) {
    for (int i = 0; status.ok() && i < sk_X509_num(verified); ++i) {
      status = AppendPem(sk_X509_value(verified, i), &peer.chain_pem);
    }
  } else {
    peer.verified = false;
    status = AppendPem(leaf, &peer.chain_pem);
    // On the server side the peer chain excludes the leaf.
    STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl);
    for (int i = 0; status.ok() && sent != nullptr && i < sk_X509_num(sent); ++i) {
      status = AppendPem(sk_X509_value(sent, i), &peer.chain_pem);
    }
  }
  if (!status.ok()) return TlsPeer{};
  return peer;
}

}  // namespace capstan::apiserver
