// Example scheduler plugin `example-zone`: Filter keeps pods on nodes whose zone label is in an
// allowed list; Score prefers one zone. Exported by plugin.cc; tested in
// tests/sdk/examples/example_zone_test.cc.
#ifndef CAPSTAN_EXAMPLES_ZONE_SCHED_H_
#define CAPSTAN_EXAMPLES_ZONE_SCHED_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/host.h"
#include "capstan/sdk/sched.h"
#include "capstan/sdk/status.h"

namespace capstan::examples {

inline constexpr char kZoneSchedName[] = "example-zone";
inline constexpr char kZoneSchedVersion[] = "0.1.0";
inline constexpr char kZoneSchedDescription[] = "Filters nodes by zone label and prefers one zone";
inline constexpr char kZoneSchedSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "labelKey": {"type": "string", "minLength": 1},
    "allowedZones": {"type": "array", "items": {"type": "string"}},
    "preferredZone": {"type": "string"}
  }
})";

// Only Filter and Score are overridden, so every other extension point is NULL in the vtable
// and the host never calls this plugin there. Thread-safe: configuration is immutable after
// Init, and both entries only read the views.
class ZoneSched final : public sdk::SchedPlugin {
 public:
  static constexpr char kDefaultLabelKey[] = "topology.kubernetes.io/zone";

  // INVALID when the config is not a JSON object.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  // OK when no zones are configured or the node's zone is allowed; UNRESOLVABLE otherwise
  // (evicting pods cannot change a node's labels, so preemption would not help).
  sdk::Status Filter(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                     const sdk::NodeView& node) override;
  // 100 on nodes in `preferredZone`, else 0.
  sdk::Status Score(sdk::Call& call, sdk::Cycle& cycle, const sdk::PodView& pod,
                    const sdk::NodeView& node, int64_t* score) override;

 private:
  std::string label_key_ = kDefaultLabelKey;
  std::vector<std::string> allowed_;
  std::string preferred_;
};

}  // namespace capstan::examples

#endif  // CAPSTAN_EXAMPLES_ZONE_SCHED_H_
