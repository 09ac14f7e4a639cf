// Taint-based eviction decisions (see taint_eviction.h).
#include "plugins/controllers/node-lifecycle/taint_eviction.h"

#include <algorithm>
#include <string>

namespace capstan::controllers {

bool ToleratesTaint(const Json& toleration, const Json& taint) {
  std::string effect = GetStr(toleration, {"effect"});
  if (!effect.empty() && effect != GetStr(taint, {"effect"})) return false;
  std::string key = GetStr(toleration, {"key"});
  if (!key.empty() && key != GetStr(taint, {"key"})) return false;
  std::string op = GetStr(toleration, {"operator"}, "Equal");
  if (op == "Exists") return true;
  return op == "Equal" && GetStr(toleration, {"value"}) == GetStr(taint, {"value"});
}

int64_t EvictionTime(const Json& pod, const Json& taints, int64_t now) {
  if (!taints.is_array()) return kNever;
  const Json* tolerations = sdk::json::FindPath(pod, {"spec", "tolerations"});
  int64_t at = kNever;
  for (const Json& taint : taints) {
    if (GetStr(taint, {"effect"}) != "NoExecute") continue;
    const Json* match = nullptr;
    if (tolerations != nullptr && tolerations->is_array()) {
      for (const Json& t : *tolerations) {
        if (ToleratesTaint(t, taint)) {
          match = &t;
          break;
        }
      }
    }
    if (match == nullptr) return now;
    const Json* seconds = sdk::json::Find(*match, "tolerationSeconds");
    if (seconds == nullptr || !seconds->is_number_integer()) continue;
    int64_t added = ParseTime(GetStr(taint, {"timeAdded"})).value_or(now);
    at = std::min(at, added + std::max<int64_t>(0, seconds->get<int64_t>()));
  }
  return at;
}

}  // namespace capstan::controllers
