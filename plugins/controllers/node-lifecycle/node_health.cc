// Node heartbeat decisions (see node_health.h).
#include "plugins/controllers/node-lifecycle/node_health.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace capstan::controllers {
namespace {

constexpr std::array<const char*, 4> kMonitoredConditions = {"Ready", "MemoryPressure",
                                                             "DiskPressure", "PIDPressure"};

const Json* Conditions(const Json& node) {
  const Json* c = sdk::json::FindPath(node, {"status", "conditions"});
  return c != nullptr && c->is_array() ? c : nullptr;
}

const Json* ReadyCondition(const Json& node) {
  const Json* conditions = Conditions(node);
  if (conditions == nullptr) return nullptr;
  int i = FindCondition(*conditions, "Ready");
  return i < 0 ? nullptr : &(*conditions)[static_cast<size_t>(i)];
}

bool IsLifecycleTaint(const Json& taint) {
  std::string key = GetStr(taint, {"key"});
  std::string effect = GetStr(taint, {"effect"});
  return (key == kTaintNotReady || key == kTaintUnreachable) &&
         (effect == "NoSchedule" || effect == "NoExecute");
}

}  // namespace

NodeHealth AssessNode(const Json& node, const Json* lease, int64_t now, const GracePeriods& grace) {
  std::optional<int64_t> beat;
  auto later = [&beat](std::optional<int64_t> t) {
    if (t && (!beat || *t > *beat)) beat = t;
  };
  if (lease != nullptr) later(ParseTime(GetStr(*lease, {"spec", "renewTime"})));
  if (const Json* ready = ReadyCondition(node)) {
    later(ParseTime(GetStr(*ready, {"lastHeartbeatTime"})));
  }
  NodeHealth h;
  h.startup = !beat.has_value();
  h.last_heartbeat =
      beat ? *beat : ParseTime(GetStr(node, {"metadata", "creationTimestamp"})).value_or(now);
  h.stale_at = h.last_heartbeat + (h.startup ? grace.startup_seconds : grace.monitor_seconds);
  h.stale = now >= h.stale_at;
  return h;
}

std::optional<Json> UnknownConditions(const Json& node, int64_t now) {
  const Json* current = Conditions(node);
  Json conditions = current != nullptr ? *current : Json::array();
  const bool never = ReadyCondition(node) == nullptr;
  bool changed = false;
  for (const char* type : kMonitoredConditions) {
    int i = FindCondition(conditions, type);
    if (i < 0) {
      conditions.push_back(Json{{"type", type}});
      i = static_cast<int>(conditions.size()) - 1;
    }
    Json& c = conditions[static_cast<size_t>(i)];
    if (GetStr(c, {"status"}) == "Unknown") continue;
    c["status"] = "Unknown";
    c["reason"] = never ? "NodeStatusNeverUpdated" : "NodeStatusUnknown";
    c["message"] =
        never ? "Kubelet never posted node status." : "Kubelet stopped posting node status.";
    c["lastTransitionTime"] = FormatTime(now);
    if (!c.contains("lastHeartbeatTime")) c["lastHeartbeatTime"] = FormatTime(now);
    changed = true;
  }
  if (!changed) return std::nullopt;
  return conditions;
}

std::string ReadyStatus(const Json& node) {
  const Json* ready = ReadyCondition(node);
  return ready == nullptr ? std::string() : GetStr(*ready, {"status"}, "Unknown");
}

std::optional<Json> DesiredTaints(const Json& node, const std::string& ready_status, int64_t now) {
  const Json* current = sdk::json::FindPath(node, {"spec", "taints"});
  Json old = current != nullptr && current->is_array() ? *current : Json::array();
  std::string_view want_key;
  if (ready_status == "False") want_key = kTaintNotReady;
  if (ready_status == "Unknown") want_key = kTaintUnreachable;
  Json out = Json::array();
  bool changed = false;
  bool have_no_schedule = false;
  bool have_no_execute = false;
  for (const Json& t : old) {
    if (!IsLifecycleTaint(t)) {
      out.push_back(t);
      continue;
    }
    bool no_execute = GetStr(t, {"effect"}) == "NoExecute";
    bool& have = no_execute ? have_no_execute : have_no_schedule;
    if (GetStr(t, {"key"}) != want_key || have) {
      changed = true;
      continue;
    }
    have = true;
    out.push_back(t);
  }
  if (!want_key.empty() && !have_no_schedule) {
    out.push_back(Json{{"key", want_key}, {"effect", "NoSchedule"}});
    changed = true;
  }
  if (!want_key.empty() && !have_no_execute) {
    out.push_back(Json{{"key", want_key}, {"effect", "NoExecute"}, {"timeAdded", FormatTime(now)}});
    changed = true;
  }
  if (!changed) return std::nullopt;
  return out;
}

}  // namespace capstan::controllers
