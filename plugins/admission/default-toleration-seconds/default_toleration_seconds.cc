// The DefaultTolerationSeconds admission plugin (default_toleration_seconds.h).
#include "default_toleration_seconds.h"

#include <optional>

#include "capstan/sdk/json.h"

namespace capstan::plugins {
namespace {

using sdk::json::Json;
constexpr char kNotReady[] = "node.kubernetes.io/not-ready";
constexpr char kUnreachable[] = "node.kubernetes.io/unreachable";

// Whether `tolerations` already tolerate `key` with effect NoExecute (an empty key with Exists
// tolerates every taint, an empty effect every effect), as upstream decides.
bool Tolerates(const Json* tolerations, std::string_view key) {
  if (tolerations == nullptr || !tolerations->is_array()) return false;
  for (const Json& t : *tolerations) {
    std::string effect = sdk::json::GetString(t, "effect").value_or("");
    if (!effect.empty() && effect != "NoExecute") continue;
    std::string k = sdk::json::GetString(t, "key").value_or("");
    std::string op = sdk::json::GetString(t, "operator").value_or("Equal");
    if (k.empty() && op == "Exists") return true;
    if (k == key) return true;
  }
  return false;
}

}  // namespace

sdk::Status DefaultTolerationSeconds::Init(const sdk::Host& host, std::string_view config_json) {
  (void)host;
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  not_ready_seconds_ =
      sdk::json::GetInt(*config, "notReadyTolerationSeconds").value_or(not_ready_seconds_);
  unreachable_seconds_ =
      sdk::json::GetInt(*config, "unreachableTolerationSeconds").value_or(unreachable_seconds_);
  return sdk::Status::Ok();
}

sdk::Status DefaultTolerationSeconds::Mutate(sdk::Call& call, const sdk::AdmissionRequest& request,
                                             std::string* patch_json) {
  (void)call;
  if (request.operation() != sdk::AdmissionOperation::kCreate || !request.group().empty() ||
      request.resource() != "pods" || !request.subresource().empty()) {
    return sdk::Status::Skip();
  }
  std::optional<Json> pod = sdk::json::Parse(request.object_json());
  const Json* spec = pod ? sdk::json::GetObject(*pod, "spec") : nullptr;
  if (spec == nullptr) return sdk::Status::Skip();
  const Json* tolerations = sdk::json::Find(*spec, "tolerations");
  Json added = Json::array();
  for (auto [key, seconds] :
       {std::pair<const char*, int64_t>{kNotReady, not_ready_seconds_},
        std::pair<const char*, int64_t>{kUnreachable, unreachable_seconds_}}) {
    if (Tolerates(tolerations, key)) continue;
    added.push_back({{"key", key},
                     {"operator", "Exists"},
                     {"effect", "NoExecute"},
                     {"tolerationSeconds", seconds}});
  }
  if (added.empty()) return sdk::Status::Ok();
  Json patch = Json::array();
  if (tolerations == nullptr || !tolerations->is_array()) {
    patch.push_back({{"op", "add"}, {"path", "/spec/tolerations"}, {"value", added}});
  } else {
    for (const Json& t : added) {
      patch.push_back({{"op", "add"}, {"path", "/spec/tolerations/-"}, {"value", t}});
    }
  }
  *patch_json = sdk::json::Dump(patch);
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins
