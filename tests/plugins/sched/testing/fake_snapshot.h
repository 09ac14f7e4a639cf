// `FakeSnapshot`: a cluster of `Node`s with their existing `Pod`s for the plugins that read the
// whole snapshot (pod-topology-spread, inter-pod-affinity, default-preemption). It serves the
// host services "capstan_host_sched_node_view_v1" and, on request, "..._affinity_nodes_v1"
// (plugins/sched/common/snapshot_nodes.h) and fills the FakeHost's node pods. One live instance per
// process at a time. Header-only.
#ifndef CAPSTAN_TESTS_PLUGINS_SCHED_TESTING_FAKE_SNAPSHOT_H_
#define CAPSTAN_TESTS_PLUGINS_SCHED_TESTING_FAKE_SNAPSHOT_H_

#include <deque>
#include <string>
#include <vector>

#include "plugins/sched/common/snapshot_nodes.h"
#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched::testing {

class FakeSnapshot {
 public:
  explicit FakeSnapshot(sdk::testing::FakeHost& host) : host_(&host) {
    Current() = this;
    SetNodeViewService(&NodeView);
  }
  ~FakeSnapshot() {
    Current() = nullptr;
    SetNodeViewService(nullptr);
    SetAffinityNodesService(nullptr);
  }
  // Also serves "capstan_host_sched_affinity_nodes_v1" from the pods' flags, as a sched 1.1
  // host does (without it, plugins see an older host).
  void ServeAffinityNodes() { SetAffinityNodesService(&AffinityNodes); }
  // How many node views plugins fetched so far.
  size_t node_visits() const { return node_visits_; }
  FakeSnapshot(const FakeSnapshot&) = delete;
  FakeSnapshot& operator=(const FakeSnapshot&) = delete;

  // A node at the next index; labelled kubernetes.io/hostname=<name>.
  Node& AddNode(const std::string& name) {
    nodes_.emplace_back(name);
    nodes_.back().Index(static_cast<uint32_t>(nodes_.size() - 1));
    nodes_.back().Label("kubernetes.io/hostname", name);
    pods_.emplace_back();
    return nodes_.back();
  }
  // An existing pod on node `index`.
  Pod& AddPod(size_t index, const std::string& name) {
    pods_[index].emplace_back();
    pods_[index].back().Name("default", name).Uid("uid-" + name).NodeName(nodes_[index].name());
    return pods_[index].back();
  }
  // Builds every view; call after the last change and before running the plugin.
  void Publish() {
    views_.clear();
    for (size_t i = 0; i < nodes_.size(); ++i) {
      std::vector<capstan_sched_pod_view> pods;
      for (Pod& p : pods_[i]) pods.push_back(*p.get());
      nodes_[i].PodCount(static_cast<uint32_t>(pods.size()));
      views_.push_back(nodes_[i].get());
      host_->SetNodePods(static_cast<uint32_t>(i), std::move(pods));
    }
  }
  const std::vector<const capstan_sched_node_view*>& views() const { return views_; }
  const capstan_sched_node_view* view(size_t i) const { return views_[i]; }
  Node& node(size_t i) { return nodes_[i]; }

 private:
  static FakeSnapshot*& Current() {
    static FakeSnapshot* current = nullptr;
    return current;
  }
  static capstan_rc NodeView(capstan_host_ctx*, capstan_sched_cycle*, uint32_t index,
                             const capstan_sched_node_view** out) {
    FakeSnapshot* s = Current();
    if (s == nullptr || index >= s->views_.size()) return CAPSTAN_RC_NOT_FOUND;
    *out = s->views_[index];
    ++s->node_visits_;
    return CAPSTAN_RC_OK;
  }
  static capstan_rc AffinityNodes(capstan_host_ctx*, capstan_sched_cycle*, uint32_t flags,
                                  const uint32_t** out, uint32_t* count) {
    FakeSnapshot* s = Current();
    if (s == nullptr) return CAPSTAN_RC_UNAVAILABLE;
    s->flagged_.clear();
    for (size_t i = 0; i < s->pods_.size(); ++i) {
      for (Pod& p : s->pods_[i]) {
        if ((p.flags() & flags) != 0) {
          s->flagged_.push_back(static_cast<uint32_t>(i));
          break;
        }
      }
    }
    *out = s->flagged_.data();
    *count = static_cast<uint32_t>(s->flagged_.size());
    return CAPSTAN_RC_OK;
  }

  sdk::testing::FakeHost* host_;
  std::deque<Node> nodes_;
  std::deque<std::deque<Pod>> pods_;
  std::vector<const capstan_sched_node_view*> views_;
  std::vector<uint32_t> flagged_;
  size_t node_visits_ = 0;
};

}  // namespace capstan::sched::testing

#endif  // CAPSTAN_TESTS_PLUGINS_SCHED_TESTING_FAKE_SNAPSHOT_H_
