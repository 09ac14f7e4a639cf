// Table rows of the policy kinds (table_cells.h): HorizontalPodAutoscaler and ResourceQuota, as
// upstream's printers show them.
#include <map>
#include <string>
#include <vector>

#include "core/apiserver/table_cells.h"

namespace capstan::apiserver::table_cells {
namespace {

// Upstream prints at most two metrics and then "+ N more...".
constexpr size_t kShownMetrics = 2;

std::string Percent(const json& v) { return v.is_number_integer() ? Str(v) + "%" : ""; }

// One metric of an HPA: target from the spec, current from the status entry at the same index.
std::string MetricText(const json& spec, const json& status) {
  std::string type = Str(At(spec, {"type"}));
  if (type == "Resource" || type == "ContainerResource") {
    const char* field = type == "Resource" ? "resource" : "containerResource";
    const json& target = At(spec, {field, "target"});
    const json& current = At(status, {field, "current"});
    if (At(target, {"averageValue"}).is_string()) {
      std::string now = Str(At(current, {"averageValue"}), "<unknown>");
      return now + "/" + Str(At(target, {"averageValue"}));
    }
    std::string now = Percent(At(current, {"averageUtilization"}));
    std::string want = Percent(At(target, {"averageUtilization"}));
    return Str(At(spec, {field, "name"})) + ": " + (now.empty() ? "<unknown>" : now) + "/" +
           (want.empty() ? "<auto>" : want);
  }
  const char* field = type == "Pods" ? "pods" : type == "Object" ? "object" : "external";
  const json& target = At(spec, {field, "target"});
  const json& current = At(status, {field, "current"});
  const char* kind = At(target, {"averageValue"}).is_string() ? "averageValue" : "value";
  std::string now = Str(At(current, {kind}), "<unknown>");
  std::string text = now + "/" + Str(At(target, {kind}), "<unknown>");
  return kind == std::string("averageValue") && type != "Pods" ? text + " (avg)" : text;
}

std::string HpaTargets(const json& hpa) {
  const json& metrics = At(hpa, {"spec", "metrics"});
  // autoscaling/v1 objects carry the CPU target as a field of their own.
  if (!metrics.is_array() || metrics.empty()) {
    const json& v1 = At(hpa, {"spec", "targetCPUUtilizationPercentage"});
    if (!v1.is_number_integer()) return "<none>";
    std::string now = Percent(At(hpa, {"status", "currentCPUUtilizationPercentage"}));
    const json& current = At(hpa, {"status", "currentMetrics"});
    for (size_t i = 0; now.empty() && current.is_array() && i < current.size(); ++i) {
      if (Str(At(current[i], {"resource", "name"})) != "cpu") continue;  // written as v2
      now = Percent(At(current[i], {"resource", "current", "averageUtilization"}));
    }
    return "cpu: " + (now.empty() ? "<unknown>" : now) + "/" + Percent(v1);
  }
  const json& statuses = At(hpa, {"status", "currentMetrics"});
  std::vector<std::string> list;
  for (size_t i = 0; i < metrics.size() && i < kShownMetrics; ++i) {
    const json& status =
        statuses.is_array() && i < statuses.size() ? statuses[i] : At(hpa, {"none"});
    list.push_back(MetricText(metrics[i], status));
  }
  std::string out;
  for (const std::string& s : list) out += (out.empty() ? "" : ", ") + s;
  if (metrics.size() > kShownMetrics) {
    out += " + " + std::to_string(metrics.size() - kShownMetrics) + " more...";
  }
  return out;
}

}  // namespace

void HpaCells(const json& hpa, int64_t now_ms, json* cells) {
  const json& ref = At(hpa, {"spec", "scaleTargetRef"});
  const json& min = At(hpa, {"spec", "minReplicas"});
  *cells = {Name(hpa),
            Str(At(ref, {"kind"})) + "/" + Str(At(ref, {"name"})),
            HpaTargets(hpa),
            min.is_number_integer() ? Int(min) : 1,
            Int(At(hpa, {"spec", "maxReplicas"})),
            Int(At(hpa, {"status", "currentReplicas"})),
            Age(hpa, now_ms)};
}

void ResourceQuotaCells(const json& quota, int64_t now_ms, json* cells) {
  const json& hard = At(quota, {"status", "hard"});
  const json& used = At(quota, {"status", "used"});
  std::string request;
  std::string limit;
  if (hard.is_object()) {  // nlohmann objects iterate in key order, as upstream sorts names
    for (const auto& [name, value] : hard.items()) {
      std::string text = name + ": " + Str(At(used, {name.c_str()}), "0") + "/" + Str(value);
      std::string& column = name.starts_with("limits.") ? limit : request;
      column += (column.empty() ? "" : ", ") + text;
    }
  }
  *cells = {Name(quota), Age(quota, now_ms), request, limit};
}

}  // namespace capstan::apiserver::table_cells
