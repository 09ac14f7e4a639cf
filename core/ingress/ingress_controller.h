// `IngressController`: the built-in ingress as `capstan server` runs it — informers (core/client)
// on Ingresses, IngressClasses, Services, EndpointSlices and Secrets; a rebuild thread that turns
// every change into a fresh `RouteTable` snapshot and TLS context set, swapped into the running
// `ProxyServer` (proxy_server.h) without a restart; and `status.loadBalancer` of our Ingresses.
// Start(options, client) is the whole API; server_cmd.cc wires it to flags.
// Tests: tests/core/ingress/ingress_controller_test.cc, tests/e2e/ingress_e2e_test.py.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/client/api_client.h"
#include "core/client/informer.h"
#include "core/common/status.h"
#include "core/ingress/proxy_server.h"
#include "core/ingress/tls_store.h"

namespace capstan::ingress {

// The IngressClass created at start when the cluster has none (see `create_default_class`).
inline constexpr char kDefaultClassName[] = "capstan";

struct IngressOptions {
  ProxyOptions proxy;
  // Written to `status.loadBalancer.ingress[0].ip` of every Ingress we serve; empty: no status.
  std::string status_address;
  // When the cluster has no IngressClass at all after the first sync, create `capstan`
  // (controller capstan.io/ingress) marked default, as k3s ships traefik's class as default.
  // An existing class of any controller is left alone, so an operator's choice wins.
  bool create_default_class = true;
  std::chrono::milliseconds sync_timeout{30'000};
};

// Thread-safety: accessors may be called from any thread; Stop from any thread but its own.
class IngressController {
 public:
  // Binds the listeners first (so a port conflict fails fast and starts nothing), then starts
  // the informers, waits up to `sync_timeout` for their first lists, builds the first routing
  // snapshot and returns. `client` is borrowed and must outlive the controller. Errors: those of
  // TlsStore::Create and ProxyServer::Start; kUnavailable when the informers do not sync.
  static Result<std::unique_ptr<IngressController>> Start(const IngressOptions& options,
                                                          client::ApiClient* client);
  ~IngressController();  // Stop()s
  IngressController(const IngressController&) = delete;
  IngressController& operator=(const IngressController&) = delete;

  uint16_t http_port() const { return proxy_->http_port(); }
  uint16_t https_port() const { return proxy_->https_port(); }
  const ProxyServer& proxy() const { return *proxy_; }
  // The PEM of the self-signed certificate served when no Secret matches the SNI name.
  const std::string& default_cert_pem() const { return tls_->default_cert_pem(); }
  // Snapshots built so far (each informer change, coalesced, makes one).
  uint64_t rebuilds() const;

  // Stops the rebuild thread, the informers, then the proxy. Idempotent.
  void Stop();

 private:
  IngressController() = default;
  void MarkDirty();
  void RebuildLoop();
  void Rebuild();
  TlsStore::ContextMap BuildContexts(const RouteTable& table);
  // Patches `status.loadBalancer` of `ingress` when it does not already say status_address.
  void UpdateStatus(const nlohmann::json& ingress);
  void EnsureDefaultClass();

  IngressOptions options_;
  client::ApiClient* client_ = nullptr;
  std::unique_ptr<TlsStore> tls_;
  std::unique_ptr<ProxyServer> proxy_;
  std::unique_ptr<client::Informer> ingresses_;
  std::unique_ptr<client::Informer> classes_;
  std::unique_ptr<client::Informer> services_;
  std::unique_ptr<client::Informer> slices_;
  std::unique_ptr<client::Informer> secrets_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = false;     // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  uint64_t rebuilds_ = 0;  // guarded by mu_
  std::thread rebuilder_;

  // Rebuild-thread state.
  struct CachedContext {
    std::string resource_version;
    std::shared_ptr<SSL_CTX> context;  // null when the Secret was invalid at that version
  };
  std::map<std::string, CachedContext> contexts_;
  std::map<std::string, std::string> status_patched_;  // ingress key -> resourceVersion patched
};

}  // namespace capstan::ingress
