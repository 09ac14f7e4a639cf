// `ObjectJson`: the parsed Kubernetes JSON of a pod or node from host service
// "capstan_host_sched_object_json_v1", for the plugins that need fields outside the typed views
// (affinity, topology spread constraints). Call it once per pod per cycle, never per node.
// Header-only. Partners: cycle_cache.h (where the parsed result is kept for the cycle).
#ifndef CAPSTAN_PLUGINS_SCHED_COMMON_OBJECT_JSON_H_
#define CAPSTAN_PLUGINS_SCHED_COMMON_OBJECT_JSON_H_

#include <initializer_list>
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

// Like ObjectJson, but leaves `*out` null without parsing when the text has none of `keys` as a
// JSON key (`"key"` with the quotes): the caller reads only fields under those keys, and a
// missing key and a null object parse the same. Most pods set none of them (affinity, spread
// constraints), and the search costs far less than the parse.
inline sdk::Status ObjectJsonWithAnyKey(const sdk::Cycle& cycle, capstan_sched_object* object,
                                        std::initializer_list<std::string_view> keys,
                                        sdk::json::Json* out) {
  *out = sdk::json::Json();
  if (object == nullptr) return sdk::Status::Ok();
  std::string_view text;
  sdk::Status s = cycle.ObjectJson(object, &text);
  if (!s.ok()) return s;
  bool found = false;
  for (std::string_view key : keys) {
    for (size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
      if (at > 0 && text[at - 1] == '"' && at + key.size() < text.size() &&
          text[at + key.size()] == '"') {
        found = true;
        break;
      }
    }
    if (found) break;
  }
  if (!found) return sdk::Status::Ok();
  std::optional<sdk::json::Json> parsed = sdk::json::Parse(text);
  if (!parsed) return sdk::Status::Error("object JSON is not valid JSON");
  *out = std::move(*parsed);
  return sdk::Status::Ok();
}

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_COMMON_OBJECT_JSON_H_
