// `FakeCluster`: nodes and existing pods that change between scheduling cycles, served to the
// inter-pod-affinity plugin as a host does: node views ("capstan_host_sched_node_view_v1"), node
// pods (the FakeHost), pod flags ("..._affinity_nodes_v1") and, optionally, the change log of
// "capstan_host_sched_changed_nodes_v1" (sched 1.2). One live instance per process at a time.
// Used by inter_pod_affinity_index_test.cc. Header-only.
#ifndef CAPSTAN_TESTS_PLUGINS_SCHED_INTER_POD_AFFINITY_FAKE_CLUSTER_H_
#define CAPSTAN_TESTS_PLUGINS_SCHED_INTER_POD_AFFINITY_FAKE_CLUSTER_H_

#include <algorithm>
#include <cstddef>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "plugins/sched/common/snapshot_nodes.h"
#include "plugins/sched/inter-pod-affinity/affinity_index.h"
#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched::testing {

class FakeCluster {
 public:
  // With `changes`, serves the change log; without it the plugin sees a sched 1.1 host.
  FakeCluster(sdk::testing::FakeHost& host, bool changes) : host_(&host) {
    Current() = this;
    SetNodeViewService(&NodeView);
    SetAffinityNodesService(&AffinityNodes);
    SetChangedNodesService(changes ? &ChangedNodes : nullptr);
  }
  ~FakeCluster() {
    Current() = nullptr;
    SetNodeViewService(nullptr);
    SetAffinityNodesService(nullptr);
    SetChangedNodesService(nullptr);
  }
  FakeCluster(const FakeCluster&) = delete;
  FakeCluster& operator=(const FakeCluster&) = delete;

  // A node at the next index, labelled kubernetes.io/hostname=<name> plus `labels`. Moves no
  // index, but the log starts over (as a host does when nodes come or go).
  void AddNode(const std::string& name,
               std::vector<std::pair<std::string, std::string>> labels = {}) {
    labels.insert(labels.begin(), {"kubernetes.io/hostname", name});
    nodes_.push_back(NodeSpec{name, std::move(labels), {}});
    structure_changed_ = true;
  }
  // A node inserted at `index` (later nodes move up by one) or node `index` removed with its
  // pods: indices move, so the log starts over.
  void InsertNode(size_t index, const std::string& name,
                  std::vector<std::pair<std::string, std::string>> labels = {}) {
    labels.insert(labels.begin(), {"kubernetes.io/hostname", name});
    nodes_.insert(nodes_.begin() + static_cast<std::ptrdiff_t>(index),
                  NodeSpec{name, std::move(labels), {}});
    structure_changed_ = true;
  }
  void RemoveNode(size_t index) {
    nodes_.erase(nodes_.begin() + static_cast<std::ptrdiff_t>(index));
    structure_changed_ = true;
  }
  // Replaces node `index`'s labels other than the hostname.
  void Relabel(size_t index, std::vector<std::pair<std::string, std::string>> labels) {
    labels.insert(labels.begin(), {"kubernetes.io/hostname", nodes_[index].name});
    nodes_[index].labels = std::move(labels);
    changed_.insert(static_cast<uint32_t>(index));
  }
  // A pod on node `index`, named `name` in namespace default.
  Pod& AddPod(size_t index, const std::string& name) {
    auto pod = std::make_unique<Pod>();
    pod->Name("default", name).Uid("uid-" + name).NodeName(nodes_[index].name);
    nodes_[index].pods.push_back(std::move(pod));
    changed_.insert(static_cast<uint32_t>(index));
    return *nodes_[index].pods.back();
  }
  // Removes pod `name` from node `index` (deleted, or an assumed pod forgotten).
  void RemovePod(size_t index, const std::string& name) {
    auto& pods = nodes_[index].pods;
    pods.erase(std::remove_if(pods.begin(), pods.end(),
                              [&](const std::unique_ptr<Pod>& p) {
                                return std::string(p->get()->name.data, p->get()->name.len) == name;
                              }),
               pods.end());
    changed_.insert(static_cast<uint32_t>(index));
  }
  // Builds every view and logs the changes since the previous Publish under a new token.
  void Publish() {
    views_.clear();
    built_.clear();
    for (size_t i = 0; i < nodes_.size(); ++i) {
      built_.emplace_back(nodes_[i].name);
      Node& n = built_.back();
      for (const auto& [k, v] : nodes_[i].labels) n.Label(k, v);
      std::vector<capstan_sched_pod_view> pods;
      for (auto& p : nodes_[i].pods) pods.push_back(*p->get());
      n.Index(static_cast<uint32_t>(i)).PodCount(static_cast<uint32_t>(pods.size()));
      host_->SetNodePods(static_cast<uint32_t>(i), std::move(pods));
    }
    for (Node& n : built_) views_.push_back(n.get());
    ++token_;
    if (structure_changed_) {
      log_.clear();
      base_ = token_;
    } else {
      log_.push_back({token_, std::vector<uint32_t>(changed_.begin(), changed_.end())});
    }
    structure_changed_ = false;
    changed_.clear();
  }

  const std::vector<const capstan_sched_node_view*>& views() const { return views_; }
  size_t node_visits() const { return node_visits_; }
  size_t full_answers() const { return full_answers_; }

 private:
  struct NodeSpec {
    std::string name;
    std::vector<std::pair<std::string, std::string>> labels;
    std::vector<std::unique_ptr<Pod>> pods;
  };

  static FakeCluster*& Current() {
    static FakeCluster* current = nullptr;
    return current;
  }
  static capstan_rc NodeView(capstan_host_ctx*, capstan_sched_cycle*, uint32_t index,
                             const capstan_sched_node_view** out) {
    FakeCluster* c = Current();
    if (c == nullptr || index >= c->views_.size()) return CAPSTAN_RC_NOT_FOUND;
    *out = c->views_[index];
    ++c->node_visits_;
    return CAPSTAN_RC_OK;
  }
  static capstan_rc AffinityNodes(capstan_host_ctx*, capstan_sched_cycle*, uint32_t flags,
                                  const uint32_t** out, uint32_t* count) {
    FakeCluster* c = Current();
    if (c == nullptr) return CAPSTAN_RC_UNAVAILABLE;
    c->flagged_.clear();
    for (size_t i = 0; i < c->nodes_.size(); ++i) {
      for (auto& p : c->nodes_[i].pods) {
        if ((p->flags() & flags) != 0) {
          c->flagged_.push_back(static_cast<uint32_t>(i));
          break;
        }
      }
    }
    *out = c->flagged_.data();
    *count = static_cast<uint32_t>(c->flagged_.size());
    return CAPSTAN_RC_OK;
  }
  static capstan_rc ChangedNodes(capstan_host_ctx*, capstan_sched_cycle*, uint64_t since,
                                 uint64_t* out_token, int32_t* out_full,
                                 const uint32_t** out_indices, uint32_t* out_count) {
    FakeCluster* c = Current();
    if (c == nullptr) return CAPSTAN_RC_UNAVAILABLE;
    *out_token = c->token_;
    *out_full = 1;
    *out_indices = nullptr;
    *out_count = 0;
    auto first = c->log_.begin();
    if (since != c->base_) {
      first = std::find_if(c->log_.begin(), c->log_.end(),
                           [&](const auto& e) { return e.first == since; });
      if (since == 0 || first == c->log_.end()) {
        ++c->full_answers_;
        return CAPSTAN_RC_OK;
      }
      ++first;
    }
    std::set<uint32_t> all;
    for (auto it = first; it != c->log_.end(); ++it)
      all.insert(it->second.begin(), it->second.end());
    c->answer_.assign(all.begin(), all.end());
    *out_full = 0;
    *out_indices = c->answer_.data();
    *out_count = static_cast<uint32_t>(c->answer_.size());
    return CAPSTAN_RC_OK;
  }

  sdk::testing::FakeHost* host_;
  std::vector<NodeSpec> nodes_;
  std::deque<Node> built_;
  std::vector<const capstan_sched_node_view*> views_;
  std::vector<uint32_t> flagged_, answer_;
  std::set<uint32_t> changed_;
  bool structure_changed_ = true;
  uint64_t token_ = 0, base_ = 0;
  std::vector<std::pair<uint64_t, std::vector<uint32_t>>> log_;
  size_t node_visits_ = 0, full_answers_ = 0;
};

}  // namespace capstan::sched::testing

#endif  // CAPSTAN_TESTS_PLUGINS_SCHED_INTER_POD_AFFINITY_FAKE_CLUSTER_H_
