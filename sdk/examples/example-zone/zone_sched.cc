// Example scheduler plugin `example-zone`: zone filtering and scoring (see zone_sched.h).
#include "zone_sched.h"

#include <algorithm>
#include <optional>

#include "capstan/sdk/json.h"

namespace capstan::examples {

sdk::Status ZoneSched::Init(const sdk::Host& host, std::string_view config_json) {
  (void)host;
  std::optional<sdk::json::Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  label_key_ = sdk::json::GetString(*config, "labelKey").value_or(kDefaultLabelKey);
  preferred_ = sdk::json::GetString(*config, "preferredZone").value_or("");
  if (const sdk::json::Json* zones = sdk::json::GetArray(*config, "allowedZones")) {
    for (const sdk::json::Json& z : *zones) {
      if (auto s = sdk::json::AsString(z)) allowed_.push_back(*s);
    }
  }
  return sdk::Status::Ok();
}

sdk::Status ZoneSched::Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                              const sdk::NodeView& node) {
  (void)call, (void)cycle, (void)pod;
  if (allowed_.empty()) return sdk::Status::Ok();
  std::optional<std::string_view> zone = node.labels().Get(label_key_);
  if (!zone) return sdk::Status::Unresolvable("node(s) had no " + label_key_ + " label");
  if (std::find(allowed_.begin(), allowed_.end(), *zone) == allowed_.end()) {
    return sdk::Status::Unresolvable("node(s) were in zone " + std::string(*zone) +
                                     ", which is not allowed");
  }
  return sdk::Status::Ok();
}

sdk::Status ZoneSched::Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                             const sdk::NodeView& node, int64_t* score) {
  (void)call, (void)cycle, (void)pod;
  std::optional<std::string_view> zone = node.labels().Get(label_key_);
  *score = !preferred_.empty() && zone == std::string_view(preferred_) ? 100 : 0;
  return sdk::Status::Ok();
}

}  // namespace capstan::examples
