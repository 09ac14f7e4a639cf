// The garbage collector's view of the cluster: one node per object (by UID) with its
// ownerReferences and deletion state, and the reverse index owner UID -> dependents, fed by the
// host's informer events (`Observe`). Upstream's GraphBuilder (pkg/controller/garbagecollector)
// in miniature. Partners: garbage_collector.h (acts on it). Tests in
// tests/plugins/controllers/garbage-collector/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_GARBAGE_COLLECTOR_DEPENDENCY_GRAPH_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_GARBAGE_COLLECTOR_DEPENDENCY_GRAPH_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "capstan/sdk/controller.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

inline constexpr char kForegroundFinalizer[] = "foregroundDeletion";
inline constexpr char kOrphanFinalizer[] = "orphan";

struct OwnerLink {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool block_owner_deletion = false;
};

struct GraphNode {
  std::string resource;  // the host's resource name, "apps/v1/replicasets"
  std::string api_version;
  std::string kind;
  std::string ns;
  std::string name;
  std::string uid;
  std::vector<OwnerLink> owners;
  bool deleting = false;    // metadata.deletionTimestamp is set
  bool foreground = false;  // finalizer foregroundDeletion
  bool orphan = false;      // finalizer orphan

  // Being deleted in the foreground: dependents go first.
  bool WaitingForDependents() const { return deleting && foreground; }
  const OwnerLink* OwnerWithUid(const std::string& uid) const;
};

// Builds a node from an object; nullopt without metadata.uid.
std::optional<GraphNode> NodeOf(const std::string& resource, const Json& object);

// Thread-safe (one mutex). Copies out: callers never hold references into the graph.
class DependencyGraph {
 public:
  // Applies one informer event and returns the UIDs the collector should look at: the object
  // itself when it has owners (on add or when they changed) or is being deleted with the
  // foreground/orphan finalizer; its dependents when it went away; and owners waiting for their
  // dependents when a dependent changed or went away.
  std::vector<std::string> Observe(const std::string& resource, sdk::EventType type,
                                   const Json& object);

  std::optional<GraphNode> Get(const std::string& uid) const;
  // The nodes whose ownerReferences name `owner_uid`.
  std::vector<GraphNode> Dependents(const std::string& owner_uid) const;
  size_t size() const;

 private:
  void Unlink(const GraphNode& node);  // requires mu_
  void Link(const GraphNode& node);    // requires mu_

  mutable std::mutex mu_;
  std::map<std::string, GraphNode> nodes_;
  std::map<std::string, std::set<std::string>> dependents_;
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_GARBAGE_COLLECTOR_DEPENDENCY_GRAPH_H_
