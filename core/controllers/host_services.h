// The object-access host services of controller plugins (capstan/abi/common.h):
// "capstan_host_cache_get_v1" and "capstan_host_cache_list_v1" served from the shared informers,
// and "capstan_host_api_request_v1" through the host's `client::ApiClient`. Their outputs follow
// the host_out rule: one thread-local buffer, valid until the next object-access call on the
// same thread. Partners: informer_set.h, controller_host.h. Exercised by
// tests/core/controllers/controller_host_test.cc (integration).
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "core/client/api_client.h"
#include "core/controllers/informer_set.h"
#include "core/plugin/host_context.h"

namespace capstan::controllers {

// What the services of one plugin instance reach. Owned by the controller host; must outlive
// the instance. `Allow` is called after `on_describe`; before that every cache read is
// UNAVAILABLE (the ABI's "kind not cached for this plugin"). Thread-safe.
class ServiceBinding {
 public:
  ServiceBinding(client::ApiClient* client, const InformerSet* informers)
      : client_(client), informers_(informers) {}

  // Lets the instance read `resource` from the cache.
  void Allow(const std::string& resource);
  bool Allowed(std::string_view resource) const;

  client::ApiClient* client() const { return client_; }
  const InformerSet& informers() const { return *informers_; }

 private:
  client::ApiClient* client_;
  const InformerSet* informers_;
  mutable std::mutex mu_;
  std::set<std::string, std::less<>> allowed_;
};

// Registers the three services on `ctx` with `binding` as their user data. Call from
// RegistryOptions::configure_host, before on_init.
void RegisterHostServices(plugin::HostContext& ctx, ServiceBinding* binding);

}  // namespace capstan::controllers
