// Host services "capstan_host_cache_get_v1" and "capstan_host_cache_list_v1" (capstan/abi/
// common.h) for plugins that run inside the API server (admission), answered from the server's
// watch caches without a request round trip. Plugins are loaded before the server exists, so the
// services resolve through a `CacheServiceBinding` that is pointed at the server once it is up.
// Tests: tests/core/apiserver/plugin_cache_services_test.cc.
#pragma once

#include <atomic>
#include <memory>

#include "core/plugin/host_context.h"

namespace capstan::apiserver {

class ApiServer;

// Shared by every plugin context that got the services. Thread-safe.
class CacheServiceBinding {
 public:
  // Until bound (and after Unbind) the services return CAPSTAN_RC_UNAVAILABLE.
  void Bind(ApiServer* server) { server_.store(server, std::memory_order_release); }
  void Unbind() { server_.store(nullptr, std::memory_order_release); }
  ApiServer* server() const { return server_.load(std::memory_order_acquire); }

 private:
  std::atomic<ApiServer*> server_{nullptr};
};

// Registers both services on `ctx`; `binding` must outlive every call of them. Resources are
// "group/version/resource" ("/v1/pods", "scheduling.k8s.io/v1/priorityclasses"); keys
// "namespace/name" or "name". Reads wait for nothing: they see the cache as it is (plugins on
// the write path must not block on the cache catching up).
void RegisterCacheServices(plugin::HostContext& ctx,
                           const std::shared_ptr<CacheServiceBinding>& binding);

}  // namespace capstan::apiserver
