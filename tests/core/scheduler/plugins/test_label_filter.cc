// Test sched plugin `test-label-filter`: PreFilter stores the pod name in the cycle state;
// Filter checks it is readable, then admits nodes carrying label `label` (and, when the pod has
// a nodeSelector, matching it). The rejection text is `reason` (or "node(s) lacked label <l>");
// `unresolvable` selects the code. Config: {"label", "reason", "unresolvable", "restrictTo"}.
// `restrictTo` (a node name list) makes PreFilter restrict the nodes.
#include <string>
#include <vector>

#include "capstan/sdk/json.h"
#include "capstan/sdk/plugin.h"

namespace {

using capstan::sdk::Call;
using capstan::sdk::Cycle;
using capstan::sdk::NodeView;
using capstan::sdk::PodView;
using capstan::sdk::Status;

class TestLabelFilter final : public capstan::sdk::SchedPlugin {
 public:
  Status Init(const capstan::sdk::Host&, std::string_view config_json) {
    auto config = capstan::sdk::json::Parse(config_json);
    if (!config) return Status::Invalid("bad config");
    label_ = capstan::sdk::json::GetString(*config, "label").value_or("");
    reason_ = capstan::sdk::json::GetString(*config, "reason").value_or("");
    if (reason_.empty()) reason_ = "node(s) lacked label " + label_;
    unresolvable_ = capstan::sdk::json::GetBool(*config, "unresolvable").value_or(false);
    if (const auto* names = capstan::sdk::json::GetArray(*config, "restrictTo")) {
      restrict_ = capstan::sdk::json::Dump(*names);
    }
    return Status::Ok();
  }

  Status PreFilter(Call&, Cycle& cycle, const PodView& pod, std::string* node_names) override {
    Status s = cycle.Write("test-label-filter", pod.name());
    if (!s.ok()) return Status::Error("cycle write failed");
    if (!restrict_.empty()) *node_names = restrict_;
    return Status::Ok();
  }

  Status Filter(Call&, Cycle& cycle, const PodView& pod, const NodeView& node) override {
    std::string_view stored;
    if (!cycle.Read("test-label-filter", &stored).ok() || stored != pod.name()) {
      return Status::Error("cycle state lost");
    }
    auto fail = [&] {
      return unresolvable_ ? Status::Unresolvable(reason_) : Status::Unschedulable(reason_);
    };
    if (!label_.empty() && !node.labels().Contains(label_)) return fail();
    capstan::sdk::Labels selector = pod.node_selector();
    for (size_t i = 0; i < selector.size(); ++i) {
      if (node.labels().Get(selector.key(i)) != selector.value(i)) {
        return Status::Unresolvable("node(s) didn't match Pod's node affinity/selector");
      }
    }
    return Status::Ok();
  }

 private:
  std::string label_;
  std::string reason_;
  std::string restrict_;
  bool unresolvable_ = false;
};

}  // namespace

CAPSTAN_PLUGIN(TestLabelFilter, "test-label-filter", "0.1.0", "test filter by label", nullptr,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
