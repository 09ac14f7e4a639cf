// The HorizontalPodAutoscaler controller (see hpa_controller.h).
#include "plugins/controllers/horizontal-pod-autoscaler/hpa_controller.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/resourcequota/quota_quantity.h"

namespace capstan::controllers {
namespace {

constexpr char kHpas[] = "autoscaling/v2/horizontalpodautoscalers";
constexpr char kComponent[] = "horizontal-pod-autoscaler";

struct Condition {
  std::string status, reason, message;
};

// One Resource metric of the spec.
struct MetricSpec {
  std::string resource;
  bool utilization = true;
  int32_t target_utilization = 0;
  MilliQuantity target_average;
  std::string Name() const {
    return resource + (utilization ? " resource utilization (percentage of request)" : " resource");
  }
};

// spec.metrics of autoscaling/v2, or v1's targetCPUUtilizationPercentage; without either,
// autoscaling/v2 defaulting's cpu at 80%. Metrics of other types are returned as errors.
std::vector<MetricSpec> MetricSpecs(const Json& hpa, std::vector<std::string>* unsupported) {
  std::vector<MetricSpec> out;
  const Json* metrics = sdk::json::FindPath(hpa, {"spec", "metrics"});
  if (metrics != nullptr && metrics->is_array() && !metrics->empty()) {
    for (const Json& m : *metrics) {
      std::string type = GetStr(m, {"type"});
      if (type != "Resource") {
        unsupported->push_back(type);
        continue;
      }
      MetricSpec s;
      s.resource = GetStr(m, {"resource", "name"});
      s.utilization = GetStr(m, {"resource", "target", "type"}) != "AverageValue";
      s.target_utilization =
          static_cast<int32_t>(GetNum(m, {"resource", "target", "averageUtilization"}));
      const Json* avg = sdk::json::FindPath(m, {"resource", "target", "averageValue"});
      if (avg != nullptr)
        s.target_average = MilliQuantity::FromJson(*avg).value_or(s.target_average);
      out.push_back(s);
    }
    return out;
  }
  MetricSpec cpu;
  cpu.resource = "cpu";
  cpu.target_utilization =
      static_cast<int32_t>(GetNum(hpa, {"spec", "targetCPUUtilizationPercentage"}, 80));
  out.push_back(cpu);
  return out;
}

}  // namespace

struct HorizontalPodAutoscalerController::Outcome {
  std::map<std::string, Condition> conditions;
  Json metrics = Json::array();
  std::string metric_name;  // of the largest proposal
  int32_t cpu_utilization = -1;
};

HorizontalPodAutoscalerController::HorizontalPodAutoscalerController()
    : metrics_(std::make_unique<ApiPodMetricsSource>()), now_([] {
        return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
            .count();
      }) {}

sdk::Status HorizontalPodAutoscalerController::Init(const sdk::Host& host,
                                                    std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  sync_period_seconds_ = sdk::json::GetInt(*config, "syncPeriodSeconds").value_or(15);
  downscale_stabilization_seconds_ = static_cast<int32_t>(
      sdk::json::GetInt(*config, "downscaleStabilizationSeconds").value_or(300));
  if (const Json* t = sdk::json::Find(*config, "tolerance"); t != nullptr && t->is_number()) {
    tolerance_ = t->get<double>();
  }
  cpu_initialization_seconds_ = static_cast<double>(
      sdk::json::GetInt(*config, "cpuInitializationPeriodSeconds").value_or(300));
  initial_readiness_delay_seconds_ =
      static_cast<double>(sdk::json::GetInt(*config, "initialReadinessDelaySeconds").value_or(30));
  return sdk::Status::Ok();
}

sdk::Status HorizontalPodAutoscalerController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(
      Json{{"primary", kHpas},
           {"watches", Json::array({Json{{"resource", "/v1/pods"}, {"map", "plugin"}}})},
           {"workers", workers_}});
  return sdk::Status::Ok();
}

sdk::Status HorizontalPodAutoscalerController::MapEvent(sdk::Call& call, std::string_view resource,
                                                        sdk::EventType type,
                                                        std::string_view object_json,
                                                        std::string* keys_json) {
  (void)call, (void)resource, (void)type, (void)object_json;
  *keys_json = "[]";
  return sdk::Status::Ok();
}

sdk::Status HorizontalPodAutoscalerController::ScalePath(sdk::Call& call, const Json& ref,
                                                         const std::string& ns, std::string* path) {
  std::string api_version = GetStr(ref, {"apiVersion"});
  std::string kind = GetStr(ref, {"kind"});
  std::lock_guard<std::mutex> lock(mu_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!discovered_) {
      std::vector<ApiResource> resources;
      CAPSTAN_SDK_RETURN_IF_ERROR(DiscoverResources(call, &resources));
      discovered_ = std::move(resources);
    }
    if (const ApiResource* r = FindByKind(*discovered_, api_version, kind)) {
      *path = r->Path(ns, GetStr(ref, {"name"})) + "/scale";
      return sdk::Status::Ok();
    }
    discovered_.reset();
  }
  return sdk::Status::NotFound("no matches for kind \"" + kind + "\" in group version \"" +
                               api_version + "\"");
}

int32_t HorizontalPodAutoscalerController::ReplicasForMetrics(sdk::Call& call, const Json& hpa,
                                                              const std::string& selector,
                                                              int32_t current, Outcome* outcome) {
  std::vector<std::string> unsupported;
  std::vector<MetricSpec> specs = MetricSpecs(hpa, &unsupported);
  std::string ns = Namespace(hpa);
  int32_t replicas = -1;
  std::optional<Condition> first_invalid;
  int invalid = 0;
  for (const std::string& type : unsupported) {
    if (!first_invalid) {
      first_invalid = Condition{"False", "InvalidMetricSourceType",
                                "the HPA was unable to compute the replica count: unsupported "
                                "metric source type \"" +
                                    type + "\""};
    }
    ++invalid;
  }
  for (const MetricSpec& spec : specs) {
    auto fail = [&](const std::string& reason, const std::string& err) {
      if (!first_invalid) {
        first_invalid =
            Condition{"False", reason, "the HPA was unable to compute the replica count: " + err};
      }
      ++invalid;
    };
    if (selector.empty()) {
      fail("InvalidSelector", "selector is required");
      continue;
    }
    std::string pods_text;
    sdk::Status s = host_->CacheList("/v1/pods", ns, selector, &pods_text);
    std::optional<Json> pods = s.ok() ? sdk::json::Parse(pods_text) : std::nullopt;
    if (!pods || !pods->is_array()) {
      fail("FailedGetResourceMetric", "unable to list pods: " + s.message());
      continue;
    }
    ReplicaInputs in;
    in.current_replicas = current;
    in.resource = spec.resource;
    in.pods = &*pods;
    in.now = now_();
    in.tolerance = tolerance_;
    in.cpu_initialization_seconds = cpu_initialization_seconds_;
    in.initial_readiness_delay_seconds = initial_readiness_delay_seconds_;
    std::string what = spec.utilization ? "failed to get " + spec.resource + " utilization: "
                                        : "failed to get " + spec.resource + " usage: ";
    s = metrics_->PodUsage(call, ns, selector, spec.resource, &in.metrics);
    ReplicaProposal proposal;
    if (s.ok()) {
      s = spec.utilization ? ResourceUtilizationReplicas(in, spec.target_utilization, &proposal)
                           : ResourceAverageValueReplicas(in, spec.target_average.milli, &proposal);
    }
    if (!s.ok()) {
      fail("FailedGetResourceMetric", what + s.message());
      continue;
    }
    Json current_metric = {{"averageValue", MilliQuantity{proposal.average_milli, false}.String()}};
    if (spec.utilization) current_metric["averageUtilization"] = proposal.utilization;
    if (spec.utilization && spec.resource == "cpu") outcome->cpu_utilization = proposal.utilization;
    outcome->metrics.push_back(
        {{"type", "Resource"},
         {"resource", {{"name", spec.resource}, {"current", current_metric}}}});
    if (replicas < 0 || proposal.replicas > replicas) {
      replicas = proposal.replicas;
      outcome->metric_name = spec.Name();
    }
  }
  int total = static_cast<int>(specs.size() + unsupported.size());
  if (invalid >= total || (invalid > 0 && replicas < current)) {
    outcome->conditions["ScalingActive"] = *first_invalid;
    return -1;
  }
  outcome->conditions["ScalingActive"] = {
      "True", "ValidMetricFound",
      "the HPA was able to successfully calculate a replica count from " + outcome->metric_name};
  return replicas;
}

sdk::Status HorizontalPodAutoscalerController::Reconcile(sdk::Call& call, std::string_view key,
                                                         uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string k(key);
  std::string cached;
  sdk::Status s = host_->CacheGet(kHpas, key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    std::lock_guard<std::mutex> lock(mu_);
    history_.erase(k);
    return sdk::Status::Ok();
  }
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> hpa = sdk::json::Parse(cached);
  if (!hpa || !hpa->is_object()) return sdk::Status::Error("cache returned a non-object");
  if (Deleting(*hpa)) return sdk::Status::Ok();
  *requeue_after_ms = static_cast<uint64_t>(sync_period_seconds_) * 1000;
  const double now = now_();
  const std::string ns = Namespace(*hpa);
  const Json* ref = sdk::json::FindPath(*hpa, {"spec", "scaleTargetRef"});
  const auto min_replicas = static_cast<int32_t>(GetNum(*hpa, {"spec", "minReplicas"}, 1));
  const auto max_replicas = static_cast<int32_t>(GetNum(*hpa, {"spec", "maxReplicas"}, 1));

  Outcome outcome;
  Json scale;
  std::string scale_path;
  s = ref == nullptr ? sdk::Status::Invalid("spec.scaleTargetRef is missing")
                     : ScalePath(call, *ref, ns, &scale_path);
  if (s.ok()) s = Send(call, "GET", scale_path, "", "", &scale);
  int32_t current = static_cast<int32_t>(GetNum(scale, {"spec", "replicas"}));
  int32_t desired = 0;
  bool rescale = false;
  std::string rescale_reason;
  if (!s.ok()) {
    outcome.conditions["AbleToScale"] = {
        "False", "FailedGetScale",
        "the HPA controller was unable to get the target's current scale: " + s.message()};
    current = static_cast<int32_t>(GetNum(*hpa, {"status", "currentReplicas"}));
    desired = static_cast<int32_t>(GetNum(*hpa, {"status", "desiredReplicas"}));
  } else {
    outcome.conditions["AbleToScale"] = {
        "True", "SucceededGetScale",
        "the HPA controller was able to get the target's current scale"};
    rescale = true;
    {
      // Upstream's recordInitialRecommendation: a fresh controller does not scale down at once.
      std::lock_guard<std::mutex> lock(mu_);
      ScalingHistory& h = history_[k];
      if (h.recommendations.empty()) h.recommendations.push_back({current, now});
    }
    if (current == 0 && min_replicas != 0) {
      desired = 0;
      rescale = false;
      outcome.conditions["ScalingActive"] = {
          "False", "ScalingDisabled",
          "scaling is disabled since the replica count of the target is zero"};
    } else if (current > max_replicas) {
      rescale_reason = "Current number of replicas above Spec.MaxReplicas";
      desired = max_replicas;
    } else if (current < min_replicas) {
      rescale_reason = "Current number of replicas below Spec.MinReplicas";
      desired = min_replicas;
    } else {
      std::string selector = GetStr(scale, {"status", "selector"});
      int32_t proposal = ReplicasForMetrics(call, *hpa, selector, current, &outcome);
      if (proposal < 0) {
        desired = current;
        rescale = false;
      } else {
        Behavior behavior = Behavior::FromSpec(sdk::json::FindPath(*hpa, {"spec", "behavior"}),
                                               downscale_stabilization_seconds_);
        Normalized n;
        {
          std::lock_guard<std::mutex> lock(mu_);
          n = NormalizeDesiredReplicas(behavior, &history_[k], current, proposal, min_replicas,
                                       max_replicas, now);
        }
        outcome.conditions["AbleToScale"] = {"True", n.able_reason, n.able_message};
        outcome.conditions["ScalingLimited"] = {n.limited_status, n.limited_reason,
                                                n.limited_message};
        desired = n.replicas;
        rescale = desired != current;
        rescale_reason =
            desired > current ? outcome.metric_name + " above target" : "All metrics below target";
      }
    }
  }
  if (rescale) {
    Json patch = {{"spec", {{"replicas", desired}}}};
    sdk::Status w = Send(call, "PATCH", scale_path, kMergePatch, sdk::json::Dump(patch));
    if (!w.ok()) {
      outcome.conditions["AbleToScale"] = {
          "False", "FailedUpdateScale",
          "the HPA controller was unable to update the target scale: " + w.message()};
      RecordEvent(call, *hpa, "autoscaling/v2", "HorizontalPodAutoscaler", kComponent, "Warning",
                  "FailedRescale",
                  "New size: " + std::to_string(desired) + "; reason: " + rescale_reason +
                      "; error: " + w.message(),
                  static_cast<int64_t>(now));
      rescale = false;
      desired = current;
    } else {
      outcome.conditions["AbleToScale"] = {
          "True", "SucceededRescale",
          "the HPA controller was able to update the target scale to " + std::to_string(desired)};
      RecordEvent(call, *hpa, "autoscaling/v2", "HorizontalPodAutoscaler", kComponent, "Normal",
                  "SuccessfulRescale",
                  "New size: " + std::to_string(desired) + "; reason: " + rescale_reason,
                  static_cast<int64_t>(now));
      Behavior behavior = Behavior::FromSpec(sdk::json::FindPath(*hpa, {"spec", "behavior"}),
                                             downscale_stabilization_seconds_);
      std::lock_guard<std::mutex> lock(mu_);
      RecordScaleEvent(behavior, &history_[k], current, desired, now);
    }
  }

  // Status; conditions keep their transition time while their status holds.
  Json status = Json::object();
  if (const Json* old = sdk::json::Find(*hpa, "status"); old != nullptr && old->is_object()) {
    status = *old;
  }
  status["currentReplicas"] = current;
  status["desiredReplicas"] = desired;
  status["currentMetrics"] = outcome.metrics;
  if (Has(*hpa, {"metadata", "generation"})) {
    status["observedGeneration"] = GetNum(*hpa, {"metadata", "generation"});
  }
  if (rescale) status["lastScaleTime"] = FormatTime(static_cast<int64_t>(now));
  if (Has(*hpa, {"spec", "targetCPUUtilizationPercentage"}) && outcome.cpu_utilization >= 0) {
    status["currentCPUUtilizationPercentage"] = outcome.cpu_utilization;
  }
  Json conditions = Json::array();
  const Json* old_conditions = sdk::json::FindPath(*hpa, {"status", "conditions"});
  for (const char* type : {"AbleToScale", "ScalingActive", "ScalingLimited"}) {
    auto it = outcome.conditions.find(type);
    int i = old_conditions == nullptr ? -1 : FindCondition(*old_conditions, type);
    if (it == outcome.conditions.end()) {
      if (i >= 0) conditions.push_back((*old_conditions)[static_cast<size_t>(i)]);
      continue;
    }
    std::string since = FormatTime(static_cast<int64_t>(now));
    if (i >= 0 &&
        GetStr((*old_conditions)[static_cast<size_t>(i)], {"status"}) == it->second.status) {
      since = GetStr((*old_conditions)[static_cast<size_t>(i)], {"lastTransitionTime"}, since);
    }
    conditions.push_back({{"type", type},
                          {"status", it->second.status},
                          {"lastTransitionTime", since},
                          {"reason", it->second.reason},
                          {"message", it->second.message}});
  }
  status["conditions"] = conditions;
  std::string path =
      ApiPath("autoscaling/v2", "horizontalpodautoscalers", ns, Name(*hpa), "status");
  s = WriteStatusIfChanged(call, path, *hpa, status);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  return s;
}

}  // namespace capstan::controllers
