// Where a DaemonSet's pods belong, as upstream v1.32's daemon controller decides it
// (NodeShouldRunDaemonPod, AddOrUpdateDaemonPodTolerations,
// ReplaceDaemonSetPodNodeNameNodeAffinity, GetTargetNodeName): the template's nodeName,
// nodeSelector, required node affinity (matched with the scheduler's own selector code,
// plugins/sched/common/selector.h) and taints against the template's tolerations plus the DaemonSet
// defaults. Pure; tests in tests/plugins/controllers/daemonset/daemon_placement_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_DAEMONSET_DAEMON_PLACEMENT_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_DAEMONSET_DAEMON_PLACEMENT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "plugins/controllers/kit/object_util.h"
#include "plugins/sched/common/selector.h"

namespace capstan::controllers {

// Upstream's verdict for one node.
struct Placement {
  bool should_run = false;               // a daemon pod should be created here
  bool should_continue_running = false;  // an existing daemon pod may stay (tolerates NoExecute)
};

// Adds upstream's DaemonSet tolerations to a pod spec (replacing a toleration of the same key
// and effect): not-ready and unreachable NoExecute; disk-, memory-, pid-pressure and
// unschedulable NoSchedule; network-unavailable NoSchedule for hostNetwork pods.
void AddDaemonTolerations(Json& pod_spec);

// Upstream CreatePodTemplate: the DaemonSet's template with the default tolerations and the
// labels `controller-revision-hash` = `hash` and `pod-template-generation` =
// `template_generation` (when set).
Json DaemonPodTemplate(const Json& daemon_set, const std::string& hash,
                       std::optional<int64_t> template_generation);

// Pins a pod spec to `node`: its required node affinity becomes the single term
// `matchFields metadata.name In [node]` (preferred terms kept), so the scheduler binds it there.
void PinToNode(Json& pod_spec, const std::string& node);

// The node a daemon pod is for: spec.nodeName, else the value of the first `matchFields
// metadata.name In [x]` requirement of its required node affinity; nullopt when neither.
std::optional<std::string> TargetNodeName(const Json& pod);

// A DaemonSet's scheduling constraints, parsed once per sync. Immutable; thread-compatible.
class DaemonPlacement {
 public:
  explicit DaemonPlacement(const Json& daemon_set);
  Placement Evaluate(const Json& node) const;

 private:
  struct Toleration {
    std::string key, value, op, effect;
  };
  bool Tolerated(const std::string& key, const std::string& value, const std::string& effect) const;

  std::string node_name_;
  std::vector<std::pair<std::string, std::string>> node_selector_;
  bool has_required_affinity_ = false;
  std::vector<sched::NodeSelectorTerm> required_terms_;
  std::vector<Toleration> tolerations_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_DAEMONSET_DAEMON_PLACEMENT_H_
