// The index of existing pods for inter-pod affinity; see affinity_index.h.
#include "plugins/sched/inter-pod-affinity/affinity_index.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <optional>

#include "capstan/sdk/json.h"
#include "plugins/sched/common/object_json.h"
#include "plugins/sched/common/snapshot_nodes.h"

namespace capstan::sched {
namespace {

// Combinations of `Matching` not asked for during this many syncs are dropped (checked every
// kSweepEvery syncs); at most kMaxCounters are kept (the least recently used goes first).
constexpr uint64_t kSweepEvery = 1024;
constexpr uint64_t kIdleSyncs = 8192;
constexpr size_t kMaxCounters = 4096;

std::atomic<capstan_host_sched_changed_nodes_v1_fn>& ChangedService() {
  static std::atomic<capstan_host_sched_changed_nodes_v1_fn> fn{nullptr};
  return fn;
}

std::optional<std::string_view> Value(const std::vector<std::pair<std::string, std::string>>& l,
                                      std::string_view key) {
  for (const auto& [k, v] : l) {
    if (sdk::SameBytes(k, key)) return std::string_view(v);
  }
  return std::nullopt;
}

bool SameLabels(const std::vector<std::pair<std::string, std::string>>& stored,
                const sdk::Labels& labels) {
  if (stored.size() != labels.size()) return false;
  for (size_t i = 0; i < stored.size(); ++i) {
    if (!sdk::SameBytes(stored[i].first, labels.key(i)) ||
        !sdk::SameBytes(stored[i].second, labels.value(i))) {
      return false;
    }
  }
  return true;
}

// What `Matching` terms read of a pod (its namespace and labels), as one comparable string.
void Signature(const sdk::PodView& pod, std::string* out) {
  out->clear();
  auto put = [out](std::string_view s) {
    uint32_t n = static_cast<uint32_t>(s.size());  // length-prefixed: no ambiguity
    out->append(reinterpret_cast<const char*>(&n), sizeof(n));
    out->append(s);
  };
  put(pod.namespace_name());
  sdk::Labels labels = pod.labels();
  for (size_t i = 0; i < labels.size(); ++i) {
    put(labels.key(i));
    put(labels.value(i));
  }
}

bool MatchesAll(const std::vector<AffinityTerm>& terms, const sdk::PodView& pod) {
  for (const AffinityTerm& t : terms) {
    if (!t.Matches(pod)) return false;
  }
  return true;
}

}  // namespace

void SetChangedNodesService(capstan_host_sched_changed_nodes_v1_fn fn) {
  ChangedService().store(fn, std::memory_order_release);
}

capstan_host_sched_changed_nodes_v1_fn ChangedNodesService() {
  return ChangedService().load(std::memory_order_acquire);
}

void CaptureChangedNodesService(const capstan_host* host) {
  if (host == nullptr || host->struct_size < offsetof(capstan_host, get_proc) + sizeof(void*) ||
      host->get_proc == nullptr) {
    return;
  }
  SetChangedNodesService(reinterpret_cast<capstan_host_sched_changed_nodes_v1_fn>(
      host->get_proc(host->ctx, kChangedNodesService)));
}

size_t AffinityIndex::parsed_pods() const {
  size_t n = 0;
  for (const NodeRecord& node : nodes_) {
    for (const PodRecord& p : node.pods) n += p.affinity != nullptr ? 1 : 0;
  }
  return n;
}

void AffinityIndex::RememberIncoming(const sdk::PodView& pod,
                                     std::shared_ptr<const PodAffinity> affinity) {
  if (pod.object() == nullptr || pod.uid().empty()) return;
  Remembered& slot = remembered_[next_remembered_++ % remembered_.size()];
  slot.object = pod.object();
  slot.uid.assign(pod.uid());
  slot.affinity = std::move(affinity);
}

std::shared_ptr<const PodAffinity> AffinityIndex::Recall(const sdk::PodView& pod) const {
  for (const Remembered& r : remembered_) {
    if (r.object == pod.object() && r.object != nullptr && sdk::SameBytes(r.uid, pod.uid())) {
      return r.affinity;
    }
  }
  return nullptr;
}

sdk::Status AffinityIndex::Sync(const sdk::Host& host, const sdk::Cycle& cycle, bool gated) {
  capstan_host_sched_node_view_v1_fn get = NodeViewService();
  if (get == nullptr) {
    return sdk::Status::Unavailable("host lacks service capstan_host_sched_node_view_v1");
  }
  if (++syncs_ % kSweepEvery == 0) SweepCounters();
  capstan_host_sched_changed_nodes_v1_fn changed = ChangedNodesService();
  if (changed == nullptr) return SyncAll(host, cycle, gated);
  uint64_t token = 0;
  int32_t full = 1;
  const uint32_t* indices = nullptr;
  uint32_t count = 0;
  capstan_rc rc = changed(host.ctx(), cycle.raw(), token_, &token, &full, &indices, &count);
  if (rc != CAPSTAN_RC_OK) return sdk::Status(rc, "listing changed snapshot nodes");
  if (full != 0) {
    token_ = 0;  // stays 0 if the pass fails half-way: the next Sync is a full one again
    sdk::Status s = SyncAll(host, cycle, gated);
    if (s.ok()) token_ = token;
    return s;
  }
  std::vector<uint32_t> visit(indices, indices + count);
  visit.insert(visit.end(), retry_.begin(), retry_.end());
  retry_.clear();
  std::sort(visit.begin(), visit.end());
  visit.erase(std::unique(visit.begin(), visit.end()), visit.end());
  sdk::Status err = sdk::Status::Ok();
  for (uint32_t index : visit) {
    auto fn = [&](const sdk::NodeView& node, sdk::Span<capstan_sched_pod_view> pods) {
      UpdateNode(cycle, index, node, pods, gated);
    };
    rc = VisitSnapshotNode(get, host, cycle, index, fn, &err);
    if (rc == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Error("changed node index out of range");
    if (rc != CAPSTAN_RC_OK) return err;
  }
  token_ = token;
  return sdk::Status::Ok();
}

sdk::Status AffinityIndex::SyncAll(const sdk::Host& host, const sdk::Cycle& cycle, bool gated) {
  capstan_host_sched_node_view_v1_fn get = NodeViewService();
  retry_.clear();
  std::vector<NodeRecord> old = std::move(nodes_);
  nodes_.clear();
  std::vector<bool> taken(old.size(), false);
  std::unordered_map<std::string, size_t> by_name;  // built at the first node that moved
  // Whatever happens, records not adopted leave the index with their contributions.
  auto drop_rest = [&] {
    for (size_t j = 0; j < old.size(); ++j) {
      if (!taken[j]) DropNode(old[j]);
    }
  };
  sdk::Status err = sdk::Status::Ok();
  for (uint32_t i = 0;; ++i) {
    auto fn = [&](const sdk::NodeView& node, sdk::Span<capstan_sched_pod_view> pods) {
      std::string_view name = node.name();
      std::optional<size_t> j;
      if (i < old.size() && !taken[i] && old[i].name == name) {
        j = i;
      } else {
        if (by_name.empty()) {
          for (size_t k = 0; k < old.size(); ++k) by_name.emplace(old[k].name, k);
        }
        auto it = by_name.find(std::string(name));
        if (it != by_name.end() && !taken[it->second]) j = it->second;
      }
      nodes_.resize(i + 1);
      if (j) {
        taken[*j] = true;
        nodes_[i] = std::move(old[*j]);
      }
      UpdateNode(cycle, i, node, pods, gated);
    };
    capstan_rc rc = VisitSnapshotNode(get, host, cycle, i, fn, &err);
    if (rc == CAPSTAN_RC_NOT_FOUND) break;
    if (rc != CAPSTAN_RC_OK) {
      drop_rest();
      return err;
    }
  }
  drop_rest();
  return sdk::Status::Ok();
}

void AffinityIndex::UpdateNode(const sdk::Cycle& cycle, uint32_t index, const sdk::NodeView& node,
                               sdk::Span<capstan_sched_pod_view> pods, bool gated) {
  if (index >= nodes_.size()) nodes_.resize(index + 1);
  NodeRecord& rec = nodes_[index];
  if (!sdk::SameBytes(rec.name, node.name())) rec.name.assign(node.name());
  sdk::Labels labels = node.labels();
  if (!SameLabels(rec.labels, labels)) {
    // Everything the node's pods count moves to the new topology values.
    for (PodRecord& p : rec.pods) Apply(p, rec, -1);
    rec.labels.clear();
    for (size_t i = 0; i < labels.size(); ++i) {
      rec.labels.emplace_back(std::string(labels.key(i)), std::string(labels.value(i)));
    }
    for (PodRecord& p : rec.pods) Apply(p, rec, 1);
  }
  std::string& sig = scratch_;
  auto same = [&sig](const PodRecord& r, const sdk::PodView& pod) {
    return !r.unread && r.object == pod.object() && r.signature == sig &&
           sdk::SameBytes(r.uid, pod.uid());
  };
  // Most visited nodes (every node on hosts without the change log) hold the same pods.
  bool unchanged = pods.size() == rec.pods.size();
  for (size_t j = 0; unchanged && j < pods.size(); ++j) {
    sdk::PodView pod(&pods[j]);
    Signature(pod, &sig);
    unchanged = same(rec.pods[j], pod);
  }
  if (unchanged) return;
  // Match the pods with the records by identity, expecting the same order; unmatched records
  // are pods that left (deleted, forgotten, moved, or updated with other labels).
  std::vector<PodRecord> next;
  next.reserve(pods.size());
  std::vector<bool> taken(rec.pods.size(), false);
  size_t k = 0;
  bool unread = false;
  for (const capstan_sched_pod_view& raw : pods) {
    sdk::PodView pod(&raw);
    Signature(pod, &sig);
    std::optional<size_t> found;
    if (k < rec.pods.size() && !taken[k] && same(rec.pods[k], pod)) found = k;
    for (size_t j = 0; !found && j < rec.pods.size(); ++j) {
      if (!taken[j] && same(rec.pods[j], pod)) found = j;
    }
    if (found) {
      taken[*found] = true;
      next.push_back(std::move(rec.pods[*found]));
      k = *found + 1;
    } else {
      next.push_back(NewPod(cycle, pod, rec, gated));
      unread = unread || next.back().unread;
    }
  }
  for (size_t j = 0; j < rec.pods.size(); ++j) {
    if (!taken[j]) DropPod(rec.pods[j], rec);
  }
  rec.pods = std::move(next);
  if (unread) retry_.push_back(index);
}

AffinityIndex::PodRecord AffinityIndex::NewPod(const sdk::Cycle& cycle, const sdk::PodView& pod,
                                               const NodeRecord& node, bool gated) {
  PodRecord r;
  r.object = pod.object();
  r.uid = std::string(pod.uid());
  Signature(pod, &r.signature);
  bool has_terms = (pod.flags() & CAPSTAN_SCHED_POD_HAS_AFFINITY) != 0;
  bool parse = pod.object() != nullptr && !pod.uid().empty() && (!gated || has_terms);
  // A pod this plugin just scheduled comes back assumed: its terms are known already.
  if (parse) r.affinity = Recall(pod);
  if (parse && r.affinity == nullptr) {
    sdk::json::Json json;
    if (!ObjectJsonWithAnyKey(cycle, pod.object(), {"podAffinity", "podAntiAffinity"}, &json)
             .ok()) {
      r.unread = true;  // counts as having no terms until the next Sync reads it
    } else {
      PodAffinity a = PodAffinity::Parse(json, pod);
      if (!a.empty()) r.affinity = std::make_shared<const PodAffinity>(std::move(a));
    }
  }
  if (r.affinity != nullptr) {
    AddTerms(r, TermKind::kRequiredAnti, r.affinity->required_anti);
    AddTerms(r, TermKind::kRequiredAffinity, r.affinity->required_affinity);
    AddTerms(r, TermKind::kPreferredAffinity, r.affinity->preferred_affinity);
    AddTerms(r, TermKind::kPreferredAnti, r.affinity->preferred_anti);
  }
  counter_gates_.ForEachCandidate(pod.labels(), [&](uint64_t id) {
    if (MatchesAll(counters_.at(id)->terms, pod)) r.counters.push_back(id);
  });
  Apply(r, node, 1);
  return r;
}

void AffinityIndex::AddTerms(PodRecord& rec, TermKind kind,
                             const std::vector<AffinityTerm>& terms) {
  bool preferred = kind == TermKind::kPreferredAffinity || kind == TermKind::kPreferredAnti;
  for (const AffinityTerm& t : terms) {
    std::string key = std::to_string(static_cast<int>(kind)) + '|' + TermKey(t);
    auto it = group_ids_.find(key);
    uint32_t id = 0;
    if (it != group_ids_.end()) {
      id = it->second;
    } else {
      if (free_groups_.empty()) {
        id = static_cast<uint32_t>(groups_.size());
        groups_.emplace_back();
      } else {
        id = free_groups_.back();
        free_groups_.pop_back();
      }
      auto g = std::make_unique<Group>();
      g->term = t;
      g->term.weight = 0;
      g->kind = kind;
      g->gate = GateOf({&t});
      gates_[static_cast<size_t>(kind)].Add(id, g->gate);
      g->key = key;
      groups_[id] = std::move(g);
      group_ids_.emplace(std::move(key), id);
    }
    ++groups_[id]->members;
    rec.groups.push_back(Contribution{id, preferred ? t.weight : 1});
  }
}

void AffinityIndex::Apply(PodRecord& rec, const NodeRecord& node, int64_t sign) {
  for (const Contribution& c : rec.groups) {
    Group& g = *groups_[c.group];
    std::optional<std::string_view> value = Value(node.labels, g.term.topology_key);
    if (!value) continue;
    auto it = g.sums.find(*value);
    if (it == g.sums.end()) it = g.sums.emplace(std::string(*value), 0).first;
    it->second += sign * c.weight;
    if (it->second == 0) g.sums.erase(it);
  }
  // Ids of dropped combinations are pruned on the way.
  auto live_end = std::remove_if(rec.counters.begin(), rec.counters.end(), [&](uint64_t id) {
    auto it = counters_.find(id);
    if (it == counters_.end()) return true;
    ApplyCounter(*it->second, node, sign);
    return false;
  });
  rec.counters.erase(live_end, rec.counters.end());
}

void AffinityIndex::ApplyCounter(Counter& c, const NodeRecord& node, int64_t n) {
  for (const AffinityTerm& t : c.terms) {
    std::optional<std::string_view> value = Value(node.labels, t.topology_key);
    if (value) c.counts.Add(t.topology_key, *value, n);
  }
}

void AffinityIndex::DropPod(PodRecord& rec, const NodeRecord& node) {
  Apply(rec, node, -1);
  for (const Contribution& c : rec.groups) {
    if (--groups_[c.group]->members == 0) FreeGroup(c.group);
  }
  rec.groups.clear();
  rec.counters.clear();
}

void AffinityIndex::DropNode(NodeRecord& rec) {
  for (PodRecord& p : rec.pods) DropPod(p, rec);
  rec.pods.clear();
}

void AffinityIndex::FreeGroup(uint32_t id) {
  Group& g = *groups_[id];
  gates_[static_cast<size_t>(g.kind)].Remove(id, g.gate);
  group_ids_.erase(g.key);
  groups_[id].reset();
  free_groups_.push_back(id);
}

void AffinityIndex::SweepCounters() {
  std::vector<uint64_t> idle;
  for (const auto& [id, c] : counters_) {
    if (syncs_ - c->last_used > kIdleSyncs) idle.push_back(id);
  }
  for (uint64_t id : idle) EraseCounter(id);
}

void AffinityIndex::EraseCounter(uint64_t id) {
  auto it = counters_.find(id);
  if (it == counters_.end()) return;
  counter_gates_.Remove(id, it->second->gate);
  counter_ids_.erase(it->second->key);
  counters_.erase(it);
}

sdk::Status AffinityIndex::Matching(const sdk::Host& host, const sdk::Cycle& cycle,
                                    const std::vector<const AffinityTerm*>& terms,
                                    const TopologyCounts** out) {
  *out = nullptr;
  std::string key;
  for (const AffinityTerm* t : terms) {
    std::string k = TermKey(*t);
    key += std::to_string(k.size()) + ':' + k;
  }
  if (auto it = counter_ids_.find(key); it != counter_ids_.end()) {
    Counter& c = *counters_.at(it->second);
    c.last_used = syncs_;
    *out = &c.counts;
    return sdk::Status::Ok();
  }
  capstan_host_sched_node_view_v1_fn get = NodeViewService();
  if (get == nullptr) {
    return sdk::Status::Unavailable("host lacks service capstan_host_sched_node_view_v1");
  }
  if (counters_.size() >= kMaxCounters) {
    auto oldest = std::min_element(counters_.begin(), counters_.end(), [](auto& a, auto& b) {
      return a.second->last_used < b.second->last_used;
    });
    // Counts handed out since the last Sync stay valid: those are never evicted.
    if (oldest->second->last_used != syncs_) EraseCounter(oldest->first);
  }
  auto c = std::make_unique<Counter>();
  for (const AffinityTerm* t : terms) c->terms.push_back(*t);
  c->last_used = syncs_;
  c->key = key;
  c->gate = GateOf(terms);
  uint64_t id = ++next_counter_;
  // One walk over the nodes holding pods: the records were synced with this very snapshot, so
  // the pods appear in record order.
  sdk::Status err = sdk::Status::Ok();
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    NodeRecord& rec = nodes_[i];
    if (rec.pods.empty()) continue;
    auto fn = [&](const sdk::NodeView&, sdk::Span<capstan_sched_pod_view> pods) {
      for (size_t j = 0; j < pods.size() && j < rec.pods.size(); ++j) {
        sdk::PodView pod(&pods[j]);
        PodRecord& r = rec.pods[j];
        if (r.object != pod.object() || !sdk::SameBytes(r.uid, pod.uid())) continue;
        if (!MatchesAll(c->terms, pod)) continue;
        r.counters.push_back(id);
        ApplyCounter(*c, rec, 1);
      }
    };
    capstan_rc rc = VisitSnapshotNode(get, host, cycle, i, fn, &err);
    if (rc != CAPSTAN_RC_OK) {
      // Pods already tagged with `id` are pruned later (the id is never registered).
      return rc == CAPSTAN_RC_NOT_FOUND ? sdk::Status::Error("snapshot node index out of range")
                                        : err;
    }
  }
  *out = &c->counts;
  counter_gates_.Add(id, c->gate);
  counter_ids_.emplace(std::move(key), id);
  counters_.emplace(id, std::move(c));
  return sdk::Status::Ok();
}

}  // namespace capstan::sched
