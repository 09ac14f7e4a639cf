// Binding through the API server; see default_binder.h.
#include "plugins/sched/default-binder/default_binder.h"

#include <cstdint>

#include "capstan/sdk/text.h"

namespace capstan::sched {

std::string BindingJson(const sdk::PodView& pod, std::string_view node_name) {
  std::string out = R"({"apiVersion":"v1","kind":"Binding","metadata":{"namespace":)";
  sdk::AppendJsonString(&out, pod.namespace_name());
  out.append(R"(,"name":)");
  sdk::AppendJsonString(&out, pod.name());
  if (!pod.uid().empty()) {
    out.append(R"(,"uid":)");
    sdk::AppendJsonString(&out, pod.uid());
  }
  out.append(R"(},"target":{"kind":"Node","name":)");
  sdk::AppendJsonString(&out, node_name);
  out.append("}}");
  return out;
}

sdk::Status DefaultBinder::Init(const sdk::Host& host, std::string_view config_json) {
  (void)config_json;
  // Hosts without scheduler services (`capstan plugin chains`) still load the plugin; Bind then
  // reports UNAVAILABLE.
  host_ = &host;
  return sdk::Status::Ok();
}

sdk::Status DefaultBinder::Bind(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                                std::string_view node_name) {
  (void)cycle;
  if (!host_->has_api()) return sdk::Status::Unavailable("host has no API client service");
  std::string path = "/api/v1/namespaces/";
  path.append(pod.namespace_name()).append("/pods/").append(pod.name()).append("/binding");
  int32_t status = 0;
  std::string body;
  sdk::Status s = host_->ApiRequest(call.raw(), "POST", path, "application/json",
                                    BindingJson(pod, node_name), &status, &body);
  if (!s.ok()) return s;
  if (status >= 200 && status < 300) return sdk::Status::Ok();
  return sdk::Status::Error("binding " + std::string(pod.namespace_name()) + "/" +
                            std::string(pod.name()) + " to " + std::string(node_name) + ": HTTP " +
                            std::to_string(status) + ": " + body.substr(0, 512));
}

}  // namespace capstan::sched
