// HPA replica arithmetic (replica_calculator.h).
#include "plugins/controllers/horizontal-pod-autoscaler/replica_calculator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <optional>
#include <set>
#include <vector>

#include "plugins/controllers/kit/object_util.h"
#include "plugins/controllers/resourcequota/quota_quantity.h"

namespace capstan::controllers {
namespace {

struct Groups {
  int ready = 0;
  std::set<std::string> unready, missing, ignored;
};

// RFC 3339 with fractions, as unix seconds (whole seconds suffice for the comparisons here).
std::optional<double> Time(const Json& j, std::initializer_list<std::string_view> path) {
  std::optional<int64_t> t = ParseTime(GetStr(j, path));
  if (!t) return std::nullopt;
  return static_cast<double>(*t);
}

// Upstream's groupPods.
Groups GroupPods(const ReplicaInputs& in) {
  Groups g;
  for (const Json& pod : *in.pods) {
    std::string name = Name(pod);
    std::string phase = GetStr(pod, {"status", "phase"});
    if (Deleting(pod) || phase == "Failed") {
      g.ignored.insert(name);
      continue;
    }
    if (phase == "Pending") {
      g.unready.insert(name);
      continue;
    }
    auto metric = in.metrics.find(name);
    if (metric == in.metrics.end()) {
      g.missing.insert(name);
      continue;
    }
    if (in.resource == "cpu") {
      const Json* conditions = sdk::json::FindPath(pod, {"status", "conditions"});
      int i = conditions == nullptr ? -1 : FindCondition(*conditions, "Ready");
      std::optional<double> start = Time(pod, {"status", "startTime"});
      bool unready = true;
      if (i >= 0 && start) {
        const Json& ready = (*conditions)[static_cast<size_t>(i)];
        bool is_false = GetStr(ready, {"status"}) == "False";
        double transition = Time(ready, {"lastTransitionTime"}).value_or(0);
        if (*start + in.cpu_initialization_seconds > in.now) {
          // Within initialization: only a full window sampled since becoming ready counts.
          unready = is_false || metric->second.timestamp < transition + metric->second.window;
        } else {
          // Unready and never ready since start.
          unready = is_false && *start + in.initial_readiness_delay_seconds > transition;
        }
      }
      if (unready) {
        g.unready.insert(name);
        continue;
      }
    }
    ++g.ready;
  }
  return g;
}

// Upstream's calculatePodRequests (regular and restartable init containers).
sdk::Status PodRequests(const ReplicaInputs& in, std::map<std::string, int64_t>* out) {
  for (const Json& pod : *in.pods) {
    int64_t sum = 0;
    std::vector<const Json*> containers;
    for (const char* kind : {"containers", "initContainers"}) {
      const Json* list = sdk::json::FindPath(pod, {"spec", kind});
      if (list == nullptr || !list->is_array()) continue;
      for (const Json& c : *list) {
        if (std::string(kind) == "initContainers" && GetStr(c, {"restartPolicy"}) != "Always") {
          continue;
        }
        containers.push_back(&c);
      }
    }
    for (const Json* c : containers) {
      const Json* request = sdk::json::FindPath(*c, {"resources", "requests", in.resource});
      std::optional<MilliQuantity> q =
          request == nullptr ? std::nullopt : MilliQuantity::FromJson(*request);
      if (!q) {
        return sdk::Status::Error("missing request for " + in.resource + " in container " +
                                  GetStr(*c, {"name"}) + " of Pod " + Name(pod));
      }
      sum += q->milli;
    }
    (*out)[Name(pod)] = sum;
  }
  return sdk::Status::Ok();
}

// The usage ratio of `metrics` against the target, and what to report.
using RatioFn = std::function<sdk::Status(const PodMetrics&, double*, ReplicaProposal*)>;

// The shared tail of upstream's GetResourceReplicas / calcPlainMetricReplicas. `fill_missing`
// is the usage assumed for a missing pod when scaling down.
sdk::Status Replicas(const ReplicaInputs& in, const RatioFn& ratio_of,
                     const std::function<int64_t(const std::string&)>& fill_missing,
                     bool count_ready_only, ReplicaProposal* out) {
  if (in.pods->empty()) {
    return sdk::Status::Error("no pods returned by selector while calculating replica count");
  }
  Groups g = GroupPods(in);
  PodMetrics metrics = in.metrics;
  for (const std::string& name : g.ignored) metrics.erase(name);
  for (const std::string& name : g.unready) metrics.erase(name);
  // Metrics of pods that are not the target's do not count either.
  std::set<std::string> known;
  for (const Json& pod : *in.pods) known.insert(Name(pod));
  for (auto it = metrics.begin(); it != metrics.end();) {
    it = known.count(it->first) > 0 ? std::next(it) : metrics.erase(it);
  }
  if (metrics.empty()) return sdk::Status::Error("did not receive metrics for any ready pods");
  double ratio = 0;
  CAPSTAN_SDK_RETURN_IF_ERROR(ratio_of(metrics, &ratio, out));
  const int32_t current = in.current_replicas;
  bool scale_up_with_unready = !g.unready.empty() && ratio > 1.0;
  if (!scale_up_with_unready && g.missing.empty()) {
    if (std::fabs(1.0 - ratio) <= in.tolerance) {
      out->replicas = current;
      return sdk::Status::Ok();
    }
    double pods = count_ready_only ? g.ready : static_cast<double>(metrics.size());
    out->replicas = static_cast<int32_t>(std::ceil(ratio * pods));
    return sdk::Status::Ok();
  }
  for (const std::string& name : g.missing) {
    // Scale down: missing pods at the target; scale up: missing pods idle.
    metrics[name] = PodMetric{ratio < 1.0 ? fill_missing(name) : 0, 0, 0};
  }
  if (scale_up_with_unready) {
    for (const std::string& name : g.unready) metrics[name] = PodMetric{};
  }
  double new_ratio = 0;
  ReplicaProposal ignored;
  CAPSTAN_SDK_RETURN_IF_ERROR(ratio_of(metrics, &new_ratio, &ignored));
  if (std::fabs(1.0 - new_ratio) <= in.tolerance || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    out->replicas = current;  // the adjustment would reverse the direction: do nothing
    return sdk::Status::Ok();
  }
  auto replicas = static_cast<int32_t>(std::ceil(new_ratio * static_cast<double>(metrics.size())));
  if ((new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current)) {
    replicas = current;
  }
  out->replicas = replicas;
  return sdk::Status::Ok();
}

}  // namespace

sdk::Status ResourceUtilizationReplicas(const ReplicaInputs& in, int32_t target_utilization,
                                        ReplicaProposal* out) {
  if (target_utilization <= 0) return sdk::Status::Invalid("target averageUtilization must be > 0");
  std::map<std::string, int64_t> requests;
  if (in.pods->empty()) {
    return sdk::Status::Error("no pods returned by selector while calculating replica count");
  }
  CAPSTAN_SDK_RETURN_IF_ERROR(PodRequests(in, &requests));
  RatioFn ratio = [&](const PodMetrics& metrics, double* r, ReplicaProposal* p) {
    int64_t usage = 0;
    int64_t requested = 0;
    int64_t n = 0;
    for (const auto& [name, m] : metrics) {
      auto it = requests.find(name);
      if (it == requests.end()) continue;
      usage += m.milli;
      requested += it->second;
      ++n;
    }
    if (requested == 0) return sdk::Status::Error("no metrics returned matched known pods");
    p->utilization = static_cast<int32_t>(usage * 100 / requested);
    p->average_milli = usage / n;
    *r = static_cast<double>(p->utilization) / target_utilization;
    return sdk::Status::Ok();
  };
  int64_t fallback = std::max<int64_t>(100, target_utilization);
  return Replicas(
      in, ratio, [&](const std::string& pod) { return requests[pod] * fallback / 100; }, true, out);
}

sdk::Status ResourceAverageValueReplicas(const ReplicaInputs& in, int64_t target_average_milli,
                                         ReplicaProposal* out) {
  if (target_average_milli <= 0) return sdk::Status::Invalid("target averageValue must be > 0");
  RatioFn ratio = [&](const PodMetrics& metrics, double* r, ReplicaProposal* p) {
    int64_t usage = 0;
    for (const auto& [name, m] : metrics) usage += m.milli;
    p->average_milli = usage / static_cast<int64_t>(metrics.size());
    *r = static_cast<double>(p->average_milli) / static_cast<double>(target_average_milli);
    return sdk::Status::Ok();
  };
  return Replicas(
      in, ratio, [&](const std::string&) { return target_average_milli; }, false, out);
}

}  // namespace capstan::controllers
