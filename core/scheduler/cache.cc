// Node cache and incremental snapshots (cache.h, snapshot.h).
#include "core/scheduler/cache.h"

#include <algorithm>
#include <atomic>
#include <set>

namespace capstan::scheduler {
namespace {

// Snapshot change tokens come from one process-wide sequence, so a token handed out by one
// snapshot is never mistaken for a state of another.
uint64_t NextChangeToken() {
  static std::atomic<uint64_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed) + 1;
}

// The change log keeps at least this many node indices, and about two snapshots' worth.
constexpr size_t kMinLoggedIndices = 4096;

std::set<std::string_view> DistinctImages(const NodeInfo* node) {
  std::set<std::string_view> out;
  if (node != nullptr) {
    for (const NodeImage& i : node->data().images) out.insert(i.name);
  }
  return out;
}

}  // namespace

Snapshot::Snapshot() : log_base_(NextChangeToken()), token_(log_base_) {}

void Snapshot::LogChanges(std::vector<uint32_t> indices) {
  if (indices.empty()) return;  // nothing re-copied: the token still describes the contents
  token_ = NextChangeToken();
  logged_indices_ += indices.size();
  changes_.push_back(Change{token_, std::move(indices)});
  size_t limit = std::max(kMinLoggedIndices, 2 * nodes_.size());
  while (logged_indices_ > limit && changes_.size() > 1) {
    logged_indices_ -= changes_.front().indices.size();
    log_base_ = changes_.front().token;
    changes_.pop_front();
  }
}

void Snapshot::ResetChangeLog() {
  changes_.clear();
  logged_indices_ = 0;
  token_ = NextChangeToken();
  log_base_ = token_;
}

bool Snapshot::ChangedSince(uint64_t since, std::vector<uint32_t>* out) const {
  out->clear();
  if (since == 0) return false;
  if (since == token_) return true;
  auto first = changes_.begin();  // the first change after `since`
  if (since != log_base_) {
    auto it = std::lower_bound(changes_.begin(), changes_.end(), since,
                               [](const Change& c, uint64_t t) { return c.token < t; });
    if (it == changes_.end() || it->token != since) return false;
    first = std::next(it);
  }
  for (auto it = first; it != changes_.end(); ++it) {
    out->insert(out->end(), it->indices.begin(), it->indices.end());
  }
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
  return true;
}

int64_t Snapshot::Find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? -1 : static_cast<int64_t>(it->second);
}

void Cache::Touch(const std::string& node, NodeEntry& entry) {
  entry.generation = ++generation_;
  dirty_.insert(node);
}

void Cache::AddNode(std::shared_ptr<const NodeInfo> node) {
  std::lock_guard lock(mu_);
  std::string name = node->name();
  NodeEntry& entry = nodes_[name];
  for (std::string_view img : DistinctImages(entry.info.get())) {
    auto it = image_nodes_.find(std::string(img));
    if (it != image_nodes_.end() && --it->second <= 0) image_nodes_.erase(it);
  }
  for (std::string_view img : DistinctImages(node.get())) ++image_nodes_[std::string(img)];
  if (entry.info == nullptr) structure_changed_ = true;
  entry.info = std::move(node);
  Touch(name, entry);
}

void Cache::RemoveNode(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(name);
  if (it == nodes_.end() || it->second.info == nullptr) return;
  for (std::string_view img : DistinctImages(it->second.info.get())) {
    auto i = image_nodes_.find(std::string(img));
    if (i != image_nodes_.end() && --i->second <= 0) image_nodes_.erase(i);
  }
  structure_changed_ = true;
  ++generation_;
  // Pods still bound there keep their accounting until they are deleted (upstream does the
  // same: the node may come back).
  if (it->second.pods.empty()) {
    nodes_.erase(it);
  } else {
    it->second.info = nullptr;
  }
}

void Cache::AddPodLocked(std::shared_ptr<const PodInfo> pod, bool assumed) {
  const std::string& node = pod->data().node_name;
  NodeEntry& entry = nodes_[node];
  entry.requested.Add(pod->data().requests);
  entry.pods[pod->key()] = pod;
  Touch(node, entry);
  std::string key = pod->key();
  pods_[key] = PodState{std::move(pod), assumed};
}

void Cache::RemovePodLocked(const std::string& key) {
  auto it = pods_.find(key);
  if (it == pods_.end()) return;
  const std::string& node = it->second.pod->data().node_name;
  auto n = nodes_.find(node);
  if (n != nodes_.end()) {
    n->second.requested.Sub(it->second.pod->data().requests);
    n->second.pods.erase(key);
    Touch(node, n->second);
    if (n->second.info == nullptr && n->second.pods.empty()) nodes_.erase(n);
  }
  pods_.erase(it);
}

Status Cache::AssumePod(std::shared_ptr<const PodInfo> pod) {
  if (pod->data().node_name.empty())
    return InvalidError("assumed pod " + pod->key() + " has no node");
  std::lock_guard lock(mu_);
  if (pods_.count(pod->key()) != 0) {
    return AlreadyExistsError("pod " + pod->key() + " is already in the scheduler cache");
  }
  AddPodLocked(std::move(pod), /*assumed=*/true);
  return Status::Ok();
}

void Cache::ForgetPod(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = pods_.find(key);
  if (it == pods_.end() || !it->second.assumed) return;
  RemovePodLocked(key);
}

void Cache::AddOrUpdatePod(std::shared_ptr<const PodInfo> pod) {
  std::lock_guard lock(mu_);
  RemovePodLocked(pod->key());
  if (pod->terminal() || !pod->bound()) return;
  AddPodLocked(std::move(pod), /*assumed=*/false);
}

void Cache::RemovePod(const std::string& key) {
  std::lock_guard lock(mu_);
  RemovePodLocked(key);
}

bool Cache::HasPod(const std::string& key) const {
  std::lock_guard lock(mu_);
  return pods_.count(key) != 0;
}

bool Cache::IsAssumed(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = pods_.find(key);
  return it != pods_.end() && it->second.assumed;
}

size_t Cache::NodeCount() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [name, e] : nodes_) n += e.info != nullptr ? 1 : 0;
  return n;
}

size_t Cache::PodCount() const {
  std::lock_guard lock(mu_);
  return pods_.size();
}

void Cache::CopyNode(const NodeEntry& entry, uint32_t index, SnapshotNode& out) const {
  out.info = entry.info;
  out.generation = entry.generation;
  out.requested = entry.requested;
  out.pods.clear();
  out.pod_views.clear();
  out.pod_flags = 0;
  out.used_ports.clear();
  for (const auto& [key, pod] : entry.pods) {
    out.pods.push_back(pod);
    out.pod_views.push_back(*pod->view());
    const capstan_sched_pod_view* v = pod->view();
    out.pod_flags |= v->flags;
    out.used_ports.insert(out.used_ports.end(), v->host_ports, v->host_ports + v->host_port_count);
  }
  out.images.clear();
  const std::vector<NodeImage>& images = entry.info->data().images;
  for (size_t i = 0; i < images.size(); ++i) {
    const NodeImage& img = images[i];
    auto it = image_nodes_.find(img.name);
    capstan_sched_image abi{};
    abi.name = entry.info->abi_image_names()[i];
    abi.size_bytes = img.size_bytes;
    abi.node_count = it == image_nodes_.end() ? 0 : it->second;
    out.images.push_back(abi);
  }
  const NodeInfo& info = *entry.info;
  capstan_sched_node_view& v = out.view;
  v = capstan_sched_node_view{};
  v.struct_size = sizeof(v);
  v.unschedulable = info.data().unschedulable ? 1 : 0;
  v.name = HostStr(info.name());
  v.labels = info.abi_labels().empty() ? nullptr : info.abi_labels().data();
  v.label_count = static_cast<uint32_t>(info.abi_labels().size());
  v.taints = info.abi_taints().empty() ? nullptr : info.abi_taints().data();
  v.taint_count = static_cast<uint32_t>(info.abi_taints().size());
  v.allocatable = info.abi_allocatable();
  FillAbiResources(out.requested, &out.requested_scalars, &v.requested);
  v.used_host_ports = out.used_ports.empty() ? nullptr : out.used_ports.data();
  v.used_host_port_count = static_cast<uint32_t>(out.used_ports.size());
  v.images = out.images.empty() ? nullptr : out.images.data();
  v.image_count = static_cast<uint32_t>(out.images.size());
  v.index = index;
  v.pod_count = static_cast<uint32_t>(out.pods.size());
  v.object = info.data().object ? info.data().object->handle() : nullptr;
}

void Cache::UpdateSnapshot(Snapshot* snapshot) {
  std::lock_guard lock(mu_);
  if (structure_changed_) {
    std::vector<const std::string*> names;
    for (const auto& [name, e] : nodes_) {
      if (e.info != nullptr) names.push_back(&name);
    }
    std::sort(names.begin(), names.end(), [](auto* a, auto* b) { return *a < *b; });
    std::unordered_map<std::string, std::unique_ptr<SnapshotNode>> old;
    for (auto& n : snapshot->nodes_) {
      std::string name = n->info->name();
      old.emplace(std::move(name), std::move(n));
    }
    snapshot->nodes_.clear();
    snapshot->index_.clear();
    for (const std::string* name : names) {
      const NodeEntry& entry = nodes_.at(*name);
      auto it = old.find(*name);
      std::unique_ptr<SnapshotNode> node =
          it != old.end() ? std::move(it->second) : std::make_unique<SnapshotNode>();
      uint32_t index = static_cast<uint32_t>(snapshot->nodes_.size());
      if (node->generation != entry.generation || node->info != entry.info) {
        CopyNode(entry, index, *node);
      }
      node->view.index = index;
      snapshot->index_.emplace(*name, index);
      snapshot->nodes_.push_back(std::move(node));
    }
    structure_changed_ = false;
    dirty_.clear();
    snapshot->IndexPodFlags();
    snapshot->ResetChangeLog();
    ++snapshot->generation_;
    return;
  }
  if (dirty_.empty()) return;
  bool flags_changed = false;
  std::vector<uint32_t> copied;
  for (const std::string& name : dirty_) {
    auto e = nodes_.find(name);
    auto idx = snapshot->index_.find(name);
    if (e == nodes_.end() || e->second.info == nullptr || idx == snapshot->index_.end()) continue;
    SnapshotNode& node = *snapshot->nodes_[idx->second];
    if (node.generation == e->second.generation) continue;
    uint32_t old_flags = node.pod_flags;
    CopyNode(e->second, idx->second, node);
    copied.push_back(idx->second);
    flags_changed = flags_changed || node.pod_flags != old_flags;
  }
  dirty_.clear();
  if (flags_changed) snapshot->IndexPodFlags();
  snapshot->LogChanges(std::move(copied));
  ++snapshot->generation_;
}

const std::vector<uint32_t>* Snapshot::NodesWithPodFlag(uint32_t flag) const {
  if (flag == CAPSTAN_SCHED_POD_HAS_AFFINITY) return &affinity_nodes_;
  if (flag == CAPSTAN_SCHED_POD_HAS_REQUIRED_ANTI_AFFINITY) return &anti_affinity_nodes_;
  return nullptr;
}

void Snapshot::IndexPodFlags() {
  affinity_nodes_.clear();
  anti_affinity_nodes_.clear();
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    uint32_t flags = nodes_[i]->pod_flags;
    if ((flags & CAPSTAN_SCHED_POD_HAS_AFFINITY) != 0) affinity_nodes_.push_back(i);
    if ((flags & CAPSTAN_SCHED_POD_HAS_REQUIRED_ANTI_AFFINITY) != 0) {
      anti_affinity_nodes_.push_back(i);
    }
  }
}

}  // namespace capstan::scheduler
