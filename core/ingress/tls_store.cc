// Ingress certificates and SNI selection (tls_store.h).
#include "core/ingress/tls_store.h"

#include <openssl/evp.h>

#include <chrono>

#include "core/apiserver/http_tls.h"
#include "core/pki/certificate.h"

namespace capstan::ingress {
namespace {

// Standard base64 (Kubernetes `data` values), padding required, whitespace not allowed.
Result<std::string> DecodeBase64(const std::string& text, const std::string& what) {
  if (text.size() % 4 != 0) return InvalidError(what + " is not base64");
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return InvalidError(what + " is not base64");
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace

Result<std::shared_ptr<SSL_CTX>> ContextFromSecret(const nlohmann::json& secret) {
  auto data = secret.is_object() ? secret.find("data") : secret.end();
  if (!secret.is_object() || data == secret.end() || !data->is_object()) {
    return InvalidError("Secret has no data");
  }
  apiserver::HttpTlsConfig config;
  for (const auto& [key, out] :
       {std::pair<const char*, std::string*>{"tls.crt", &config.cert_chain_pem},
        {"tls.key", &config.key_pem}}) {
    auto it = data->find(key);
    if (it == data->end() || !it->is_string()) {
      return InvalidError(std::string("Secret has no data[\"") + key + "\"]");
    }
    Result<std::string> pem = DecodeBase64(it->get<std::string>(), key);
    if (!pem.ok()) return pem.status();
    *out = std::move(*pem);
  }
  return apiserver::MakeServerTlsContext(config);
}

Result<std::unique_ptr<TlsStore>> TlsStore::Create() {
  Result<pki::CertKeyPair> ca =
      pki::CreateCa("capstan-ingress-default-ca", std::chrono::hours(24 * 3650));
  if (!ca.ok()) return ca.status();
  pki::CertSpec spec;
  spec.common_name = "capstan-ingress-default";
  spec.dns_names = {"capstan-ingress-default"};
  spec.validity = std::chrono::hours(24 * 3650);
  Result<pki::CertKeyPair> leaf = pki::IssueCert(*ca, spec);
  if (!leaf.ok()) return leaf.status();
  apiserver::HttpTlsConfig config;
  config.cert_chain_pem = leaf->cert_pem;
  config.key_pem = leaf->key_pem;
  Result<std::shared_ptr<SSL_CTX>> ctx = apiserver::MakeServerTlsContext(config);
  if (!ctx.ok()) return ctx.status();
  std::unique_ptr<TlsStore> store(new TlsStore());
  store->default_ctx_ = std::move(*ctx);
  store->default_cert_pem_ = leaf->cert_pem;
  store->contexts_ = std::make_shared<const ContextMap>();
  SSL_CTX_set_tlsext_servername_callback(store->default_ctx_.get(), &TlsStore::OnServerName);
  SSL_CTX_set_tlsext_servername_arg(store->default_ctx_.get(), store.get());
  return store;
}

void TlsStore::Update(std::shared_ptr<const RouteTable> routes, ContextMap contexts) {
  auto shared = std::make_shared<const ContextMap>(std::move(contexts));
  std::lock_guard<std::mutex> lock(mu_);
  routes_ = std::move(routes);
  contexts_ = std::move(shared);
}

std::shared_ptr<SSL_CTX> TlsStore::Select(std::string_view server_name) const {
  std::shared_ptr<const RouteTable> routes;
  std::shared_ptr<const ContextMap> contexts;
  {
    std::lock_guard<std::mutex> lock(mu_);
    routes = routes_;
    contexts = contexts_;
  }
  if (!routes || server_name.empty()) return nullptr;
  std::string secret = routes->TlsSecretFor(server_name);
  if (secret.empty()) return nullptr;
  auto it = contexts->find(secret);
  return it == contexts->end() ? nullptr : it->second;
}

int TlsStore::OnServerName(SSL* ssl, int* /*alert*/, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_NOACK;
  std::shared_ptr<SSL_CTX> ctx = static_cast<const TlsStore*>(arg)->Select(name);
  // SSL_set_SSL_CTX takes its own reference, so the context outlives a later Update.
  if (ctx) SSL_set_SSL_CTX(ssl, ctx.get());
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace capstan::ingress
