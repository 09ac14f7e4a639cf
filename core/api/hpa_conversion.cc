// HorizontalPodAutoscaler v1 <-> v2 (hpa_conversion.h).
#include "core/api/hpa_conversion.h"

#include <string>
#include <string_view>
#include <utility>

namespace capstan::api {
namespace {

constexpr const char* kMetrics = "autoscaling.alpha.kubernetes.io/metrics";
constexpr const char* kCurrentMetrics = "autoscaling.alpha.kubernetes.io/current-metrics";
constexpr const char* kConditions = "autoscaling.alpha.kubernetes.io/conditions";
constexpr const char* kBehavior = "autoscaling.alpha.kubernetes.io/behavior";
constexpr int kDefaultCpuUtilization = 80;

nlohmann::json CpuMetric(const nlohmann::json& utilization, const char* part) {
  nlohmann::json value = {{"averageUtilization", utilization}};
  if (std::string_view(part) == "target") value["type"] = "Utilization";
  return {{"type", "Resource"}, {"resource", {{"name", "cpu"}, {part, std::move(value)}}}};
}

// The averageUtilization of a CPU Resource metric in `part` ("target" or "current"), or null.
const nlohmann::json* CpuUtilization(const nlohmann::json& metric, const char* part) {
  if (!metric.is_object() || metric.value("type", "") != "Resource") return nullptr;
  auto r = metric.find("resource");
  if (r == metric.end() || !r->is_object() || r->value("name", "") != "cpu") return nullptr;
  auto p = r->find(part);
  if (p == r->end() || !p->is_object()) return nullptr;
  if (std::string_view(part) == "target" && p->value("type", "") != "Utilization") return nullptr;
  auto u = p->find("averageUtilization");
  return u == p->end() || !u->is_number_integer() ? nullptr : &*u;
}

// Moves annotation `key` out of `meta`, parsed. Null when absent; error when not JSON.
Result<nlohmann::json> TakeAnnotation(nlohmann::json& meta, const char* key) {
  auto annotations = meta.find("annotations");
  if (annotations == meta.end() || !annotations->is_object()) return nlohmann::json();
  auto it = annotations->find(key);
  if (it == annotations->end()) return nlohmann::json();
  nlohmann::json parsed = it->is_string()
                              ? nlohmann::json::parse(it->get<std::string>(), nullptr, false)
                              : nlohmann::json(nlohmann::json::value_t::discarded);
  annotations->erase(it);
  if (annotations->empty()) meta.erase("annotations");
  if (parsed.is_discarded()) {
    return InvalidError(std::string("metadata.annotations[") + key +
                        "]: Invalid value: must be JSON written by the v2 API");
  }
  return parsed;
}

void PutAnnotation(nlohmann::json& meta, const char* key, const nlohmann::json& value) {
  meta["annotations"][key] = value.dump();
}

// Splits a v2 metrics list into the CPU utilization v1 can hold and the rest.
std::pair<nlohmann::json, nlohmann::json> SplitCpu(const nlohmann::json& metrics,
                                                   const char* part) {
  nlohmann::json cpu, others = nlohmann::json::array();
  if (!metrics.is_array()) return {cpu, others};
  for (const nlohmann::json& m : metrics) {
    const nlohmann::json* u = cpu.is_null() ? CpuUtilization(m, part) : nullptr;
    if (u != nullptr) {
      cpu = *u;
    } else {
      others.push_back(m);
    }
  }
  return {cpu, others};
}

}  // namespace

Status HpaV1ToV2(nlohmann::json* obj) {
  nlohmann::json& o = *obj;
  nlohmann::json& meta = o["metadata"];
  if (!meta.is_object()) meta = nlohmann::json::object();
  Result<nlohmann::json> others = TakeAnnotation(meta, kMetrics);
  if (!others.ok()) return others.status();
  Result<nlohmann::json> behavior = TakeAnnotation(meta, kBehavior);
  if (!behavior.ok()) return behavior.status();
  Result<nlohmann::json> current_others = TakeAnnotation(meta, kCurrentMetrics);
  if (!current_others.ok()) return current_others.status();
  Result<nlohmann::json> conditions = TakeAnnotation(meta, kConditions);
  if (!conditions.ok()) return conditions.status();

  if (o.contains("spec") && o["spec"].is_object()) {
    nlohmann::json& spec = o["spec"];
    nlohmann::json metrics = nlohmann::json::array();
    if (auto t = spec.find("targetCPUUtilizationPercentage"); t != spec.end()) {
      if (!t->is_null()) metrics.push_back(CpuMetric(*t, "target"));
      spec.erase(t);
    }
    if (others->is_array()) {
      for (const nlohmann::json& m : *others) metrics.push_back(m);
    }
    if (metrics.empty()) metrics.push_back(CpuMetric(kDefaultCpuUtilization, "target"));
    spec["metrics"] = std::move(metrics);
    if (!behavior->is_null()) spec["behavior"] = std::move(*behavior);
  }
  if (o.contains("status") && o["status"].is_object()) {
    nlohmann::json& status = o["status"];
    nlohmann::json current = nlohmann::json::array();
    if (auto c = status.find("currentCPUUtilizationPercentage"); c != status.end()) {
      if (!c->is_null()) current.push_back(CpuMetric(*c, "current"));
      status.erase(c);
    }
    if (current_others->is_array()) {
      for (const nlohmann::json& m : *current_others) current.push_back(m);
    }
    if (!current.empty()) status["currentMetrics"] = std::move(current);
    if (conditions->is_array()) status["conditions"] = std::move(*conditions);
  }
  o["apiVersion"] = "autoscaling/v2";
  return Status::Ok();
}

void HpaV2ToV1(nlohmann::json* obj) {
  nlohmann::json& o = *obj;
  nlohmann::json& meta = o["metadata"];
  if (!meta.is_object()) meta = nlohmann::json::object();
  if (o.contains("spec") && o["spec"].is_object()) {
    nlohmann::json& spec = o["spec"];
    auto [cpu, others] = SplitCpu(spec.value("metrics", nlohmann::json()), "target");
    spec.erase("metrics");
    if (!cpu.is_null()) spec["targetCPUUtilizationPercentage"] = cpu;
    if (!others.empty()) PutAnnotation(meta, kMetrics, others);
    if (auto b = spec.find("behavior"); b != spec.end()) {
      if (!b->is_null()) PutAnnotation(meta, kBehavior, *b);
      spec.erase(b);
    }
  }
  if (o.contains("status") && o["status"].is_object()) {
    nlohmann::json& status = o["status"];
    auto [cpu, others] = SplitCpu(status.value("currentMetrics", nlohmann::json()), "current");
    status.erase("currentMetrics");
    if (!cpu.is_null()) status["currentCPUUtilizationPercentage"] = cpu;
    if (!others.empty()) PutAnnotation(meta, kCurrentMetrics, others);
    if (auto c = status.find("conditions"); c != status.end()) {
      if (c->is_array() && !c->empty()) PutAnnotation(meta, kConditions, *c);
      status.erase(c);
    }
    for (const char* field : {"currentReplicas", "desiredReplicas"}) {
      if (!status.contains(field)) status[field] = 0;
    }
  }
  o["apiVersion"] = "autoscaling/v1";
}

}  // namespace capstan::api
