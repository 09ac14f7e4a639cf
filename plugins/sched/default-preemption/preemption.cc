// Preemption; see preemption.h.
#include "plugins/sched/default-preemption/preemption.h"

#include <algorithm>
#include <map>
#include <string>

#include "capstan/sdk/text.h"
#include "plugins/sched/common/object_json.h"
#include "plugins/sched/common/snapshot_nodes.h"
#include "plugins/sched/common/string_maps.h"

namespace capstan::sched {
namespace {

constexpr char kPortsReason[] = "node(s) didn't have free ports for the requested pod ports";

std::string PodPath(std::string_view ns, std::string_view name) {
  std::string path = "/api/v1/namespaces/";
  path.append(ns).append("/pods/").append(name);
  return path;
}

// "0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not
// helpful for scheduling." as upstream's FitError (counts per reason, sorted).
std::string FitMessage(size_t nodes, const std::map<std::string, size_t>& reasons) {
  std::vector<std::string> parts;
  parts.reserve(reasons.size());
  for (const auto& [reason, n] : reasons) parts.push_back(std::to_string(n) + " " + reason);
  std::sort(parts.begin(), parts.end());
  std::string out = "preemption: 0/" + std::to_string(nodes) + " nodes are available: ";
  for (size_t i = 0; i < parts.size(); ++i) out.append(i == 0 ? "" : ", ").append(parts[i]);
  return out + ".";
}

}  // namespace

bool PreemptionMayHelp(capstan_rc code, std::string_view reason) {
  if (code != CAPSTAN_RC_UNSCHEDULABLE || reason.empty()) return false;
  // Reasons of one status are joined with ", " (sched_util.h AppendReason).
  while (!reason.empty()) {
    size_t comma = reason.find(", ");
    std::string_view one = reason.substr(0, comma);
    if (one.rfind("Insufficient ", 0) != 0 && one != "Too many pods" && one != kPortsReason) {
      return false;
    }
    reason = comma == std::string_view::npos ? std::string_view() : reason.substr(comma + 2);
  }
  return true;
}

sdk::Status DefaultPreemption::Init(const sdk::Host& host, std::string_view config_json) {
  (void)config_json;
  host_ = &host;
  return sdk::Status::Ok();
}

sdk::Status DefaultPreemption::PostFilter(sdk::Call& call, sdk::Cycle& cycle,
                                          const sdk::PodView& pod,
                                          const sdk::NodeStatuses& statuses,
                                          std::string* nominated_node) {
  if (!host_->has_api()) return sdk::Status::Unavailable("host has no API client service");
  sdk::json::Json pod_json;
  sdk::Status s = ObjectJson(cycle, pod.object(), &pod_json);
  if (!s.ok()) return s;
  if (sdk::json::FindPath(pod_json, {"spec", "preemptionPolicy"}) != nullptr &&
      *sdk::json::FindPath(pod_json, {"spec", "preemptionPolicy"}) == "Never") {
    return sdk::Status::Unschedulable(kNeverReason);
  }
  NameSet helpful;
  std::map<std::string, size_t> reasons;
  for (size_t i = 0; i < statuses.size(); ++i) {
    if (PreemptionMayHelp(statuses.code(i), statuses.reason(i))) {
      helpful.emplace(statuses.node_name(i));
    } else {
      ++reasons[kNotHelpfulReason];
    }
  }
  std::vector<Candidate> candidates;
  if (!helpful.empty()) {
    s = ForEachSnapshotNode(*host_, cycle,
                            [&](const sdk::NodeView& node, sdk::Span<capstan_sched_pod_view> pods) {
                              if (helpful.count(node.name()) == 0) return;
                              Candidate c;
                              if (SelectVictims(pod, node, pods, &c.victims)) {
                                c.node = std::string(node.name());
                                candidates.push_back(std::move(c));
                              } else {
                                ++reasons[kNoVictimsReason];
                              }
                            });
    if (!s.ok()) return s;
  }
  if (candidates.empty()) {
    return sdk::Status::Unschedulable(FitMessage(statuses.size(), reasons));
  }
  const Candidate& best = candidates[PickCandidate(candidates)];
  s = Evict(call, pod, best);
  if (!s.ok()) return s;
  // The pod keeps its claim on the node while the victims terminate.
  std::string patch = R"({"status":{"nominatedNodeName":)";
  sdk::AppendJsonString(&patch, best.node);
  patch.append("}}");
  int32_t status = 0;
  std::string body;
  s = host_->ApiRequest(call.raw(), "PATCH", PodPath(pod.namespace_name(), pod.name()) + "/status",
                        "application/merge-patch+json", patch, &status, &body);
  if (!s.ok() || status < 200 || status >= 300) {
    host_->Warn("preemption: setting nominatedNodeName of " + std::string(pod.name()) +
                " failed: HTTP " + std::to_string(status));
  }
  *nominated_node = best.node;
  return sdk::Status::Ok();
}

sdk::Status DefaultPreemption::Evict(sdk::Call& call, const sdk::PodView& pod, const Candidate& c) {
  for (const capstan_sched_pod_view* raw : c.victims) {
    sdk::PodView victim(raw);
    std::string path = PodPath(victim.namespace_name(), victim.name());
    // Mark the victim as a disruption target first (server-side apply, forced), as upstream.
    std::string apply = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":)";
    sdk::AppendJsonString(&apply, victim.name());
    apply.append(R"(,"namespace":)");
    sdk::AppendJsonString(&apply, victim.namespace_name());
    apply.append(R"(},"status":{"conditions":[{"type":"DisruptionTarget","status":"True",)"
                 R"("reason":"PreemptionByScheduler","message":)");
    std::string scheduler(pod.scheduler_name().empty() ? "default-scheduler"
                                                       : pod.scheduler_name());
    sdk::AppendJsonString(&apply, scheduler + ": preempting to accommodate a higher priority pod");
    apply.append("}]}}");
    int32_t status = 0;
    std::string body;
    sdk::Status s = host_->ApiRequest(call.raw(), "PATCH",
                                      path + "/status?fieldManager=KubeScheduler&force=true",
                                      "application/apply-patch+yaml", apply, &status, &body);
    if (!s.ok() || status < 200 || status >= 300) {
      host_->Warn("preemption: marking " + path + " as disruption target: HTTP " +
                  std::to_string(status));
    }
    // Default delete options: the victim's own termination grace period applies.
    s = host_->ApiRequest(call.raw(), "DELETE", path, {}, {}, &status, &body);
    if (!s.ok()) return s;
    if ((status < 200 || status >= 300) && status != 404) {
      return sdk::Status::Error("preemption: deleting victim " + path + ": HTTP " +
                                std::to_string(status) + ": " + body.substr(0, 256));
    }
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::sched
