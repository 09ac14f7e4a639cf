// The garbage collector's dependency graph (see dependency_graph.h).
#include "plugins/controllers/garbage-collector/dependency_graph.h"

#include <algorithm>

namespace capstan::controllers {
namespace {

bool HasFinalizer(const Json& object, std::string_view finalizer) {
  const Json* list = sdk::json::FindPath(object, {"metadata", "finalizers"});
  if (list == nullptr || !list->is_array()) return false;
  return std::any_of(list->begin(), list->end(), [&](const Json& f) {
    return f.is_string() && f.get_ref<const std::string&>() == finalizer;
  });
}

bool SameOwners(const GraphNode& a, const GraphNode& b) {
  if (a.owners.size() != b.owners.size()) return false;
  for (size_t i = 0; i < a.owners.size(); ++i) {
    if (a.owners[i].uid != b.owners[i].uid ||
        a.owners[i].block_owner_deletion != b.owners[i].block_owner_deletion) {
      return false;
    }
  }
  return true;
}

}  // namespace

const OwnerLink* GraphNode::OwnerWithUid(const std::string& owner_uid) const {
  for (const OwnerLink& o : owners) {
    if (o.uid == owner_uid) return &o;
  }
  return nullptr;
}

std::optional<GraphNode> NodeOf(const std::string& resource, const Json& object) {
  GraphNode n;
  n.uid = Uid(object);
  if (n.uid.empty()) return std::nullopt;
  n.resource = resource;
  n.api_version = GetStr(object, {"apiVersion"});
  n.kind = GetStr(object, {"kind"});
  n.ns = Namespace(object);
  n.name = Name(object);
  n.deleting = Deleting(object);
  n.foreground = HasFinalizer(object, kForegroundFinalizer);
  n.orphan = HasFinalizer(object, kOrphanFinalizer);
  const Json* refs = sdk::json::FindPath(object, {"metadata", "ownerReferences"});
  if (refs != nullptr && refs->is_array()) {
    for (const Json& r : *refs) {
      OwnerLink link{GetStr(r, {"apiVersion"}), GetStr(r, {"kind"}), GetStr(r, {"name"}),
                     GetStr(r, {"uid"}), false};
      const Json* block = sdk::json::Find(r, "blockOwnerDeletion");
      link.block_owner_deletion = block != nullptr && block->is_boolean() && block->get<bool>();
      if (!link.uid.empty()) n.owners.push_back(std::move(link));
    }
  }
  return n;
}

void DependencyGraph::Unlink(const GraphNode& node) {
  for (const OwnerLink& o : node.owners) {
    auto it = dependents_.find(o.uid);
    if (it == dependents_.end()) continue;
    it->second.erase(node.uid);
    if (it->second.empty()) dependents_.erase(it);
  }
}

void DependencyGraph::Link(const GraphNode& node) {
  for (const OwnerLink& o : node.owners) dependents_[o.uid].insert(node.uid);
}

std::vector<std::string> DependencyGraph::Observe(const std::string& resource, sdk::EventType type,
                                                  const Json& object) {
  std::vector<std::string> out;
  std::optional<GraphNode> node = NodeOf(resource, object);
  if (!node) return out;
  std::lock_guard<std::mutex> lock(mu_);
  auto waiting_owners = [&](const GraphNode& n) {
    for (const OwnerLink& o : n.owners) {
      auto owner = nodes_.find(o.uid);
      if (owner != nodes_.end() && owner->second.WaitingForDependents()) out.push_back(o.uid);
    }
  };
  auto existing = nodes_.find(node->uid);
  if (type == sdk::EventType::kDeleted) {
    if (existing == nodes_.end()) return out;
    GraphNode gone = std::move(existing->second);
    nodes_.erase(existing);
    Unlink(gone);
    waiting_owners(gone);
    if (auto deps = dependents_.find(gone.uid); deps != dependents_.end()) {
      out.insert(out.end(), deps->second.begin(), deps->second.end());
    }
    return out;
  }
  bool is_new = existing == nodes_.end();
  bool owners_changed = is_new || !SameOwners(existing->second, *node);
  bool state_changed = is_new || existing->second.deleting != node->deleting ||
                       existing->second.foreground != node->foreground ||
                       existing->second.orphan != node->orphan;
  if (!is_new) {
    if (owners_changed) waiting_owners(existing->second);  // a dropped ref may unblock
    Unlink(existing->second);
  }
  Link(*node);
  const bool finalizing = node->deleting && (node->foreground || node->orphan) && state_changed;
  if (finalizing || (!node->owners.empty() && owners_changed)) out.push_back(node->uid);
  if (state_changed || owners_changed) waiting_owners(*node);
  nodes_[node->uid] = std::move(*node);
  return out;
}

std::optional<GraphNode> DependencyGraph::Get(const std::string& uid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(uid);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

std::vector<GraphNode> DependencyGraph::Dependents(const std::string& owner_uid) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<GraphNode> out;
  auto it = dependents_.find(owner_uid);
  if (it == dependents_.end()) return out;
  for (const std::string& uid : it->second) {
    auto n = nodes_.find(uid);
    if (n != nodes_.end()) out.push_back(n->second);
  }
  return out;
}

size_t DependencyGraph::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return nodes_.size();
}

}  // namespace capstan::controllers
