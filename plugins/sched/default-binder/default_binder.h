// `DefaultBinder` (Bind): binds the pod by POSTing a v1 Binding to
// /api/v1/namespaces/{ns}/pods/{name}/binding through host service
// "capstan_host_api_request_v1". Exported by plugin.cc; tested in
// tests/plugins/sched/default-binder/.
#ifndef CAPSTAN_PLUGINS_SCHED_DEFAULT_BINDER_DEFAULT_BINDER_H_
#define CAPSTAN_PLUGINS_SCHED_DEFAULT_BINDER_DEFAULT_BINDER_H_

#include <string>
#include <string_view>

#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"

namespace capstan::sched {

inline constexpr char kDefaultBinderName[] = "default-binder";

// The body of the Binding POST for `pod` onto `node_name`.
std::string BindingJson(const sdk::PodView& pod, std::string_view node_name);

// Keeps only the host pointer; thread-safe (binding threads call Bind concurrently).
class DefaultBinder final : public sdk::SchedPlugin {
 public:
  // Always OK (a host without an API client makes Bind UNAVAILABLE).
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);
  // OK on HTTP 2xx; ERROR with the API's status and message otherwise (the framework requeues);
  // UNAVAILABLE/DEADLINE_EXCEEDED when no response arrived or the host has no API client.
  sdk::Status Bind(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                   std::string_view node_name) override;

 private:
  const sdk::Host* host_ = nullptr;
};

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_DEFAULT_BINDER_DEFAULT_BINDER_H_
