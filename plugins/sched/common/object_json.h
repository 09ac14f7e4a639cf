// `ObjectJson`: the parsed Kubernetes JSON of a pod or node from host service
// "capstan_host_sched_object_json_v1", for the plugins that need fields outside the typed views
// (affinity, topology spread constraints). Call it once per pod per cycle, never per node.
// Header-only. Partners: cycle_cache.h (where the parsed result is kept for the cycle).
#ifndef CAPSTAN_PLUGINS_SCHED_COMMON_OBJECT_JSON_H_
#define CAPSTAN_PLUGINS_SCHED_COMMON_OBJECT_JSON_H_

#include <optional>
#include <string_view>

#include "capstan/sdk/json.h"
#include "capstan/sdk/sched.h"

namespace capstan::sched {

// OK with `*out` the parsed object; OK with `*out` null when `object` is NULL (a view without an
// object handle has no extra fields); the host's error when the service fails; ERROR when the
// text is not JSON.
inline sdk::Status ObjectJson(const sdk::Cycle& cycle, capstan_sched_object* object,
                              sdk::json::Json* out) {
  *out = sdk::json::Json();
  if (object == nullptr) return sdk::Status::Ok();
  std::string_view text;
  sdk::Status s = cycle.ObjectJson(object, &text);
  if (!s.ok()) return s;
  std::optional<sdk::json::Json> parsed = sdk::json::Parse(text);
  if (!parsed) return sdk::Status::Error("object JSON is not valid JSON");
  *out = std::move(*parsed);
  return sdk::Status::Ok();
}

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_COMMON_OBJECT_JSON_H_
