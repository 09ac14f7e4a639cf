// The resource model: what kinds of objects the API serves, under which URLs, with which verbs.
// `Registry` holds the built-in table (resource_table.cc) plus resources registered at run time
// (CRDs). Partners: discovery.h renders it for clients; openapi.h serves the matching schemas.
// Tests: tests/core/api/resource_test.cc (cross-checks the table against upstream swagger.json).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/common/status.h"

namespace capstan::api {

struct GroupVersion {
  std::string group;  // "" for the core (legacy) group
  std::string version;

  // "apps/v1", or "v1" for the core group: the `apiVersion` of objects in this group-version.
  std::string ApiVersion() const;
  // "apis/apps/v1" or "api/v1": the URL path (without the leading '/') and the OpenAPI v3 key.
  std::string Path() const;
  friend bool operator==(const GroupVersion&, const GroupVersion&) = default;
};

struct GroupVersionKind {
  std::string group;
  std::string version;
  std::string kind;
  friend bool operator==(const GroupVersionKind&, const GroupVersionKind&) = default;
};

// A subresource such as `pods/status` or `deployments/scale`.
struct Subresource {
  std::string name;                // "status", "scale", "log", ...
  GroupVersionKind kind;           // what the subresource accepts/returns, fully qualified
  std::vector<std::string> verbs;  // sorted: "create", "get", "patch", "update", ...
};

// One served resource in one group-version.
struct ResourceInfo {
  std::string group;
  std::string version;
  std::string kind;       // "Deployment"
  std::string plural;     // "deployments": the URL segment and the discovery `name`
  std::string singular;   // "deployment"
  std::string list_kind;  // "DeploymentList"
  bool namespaced = false;
  // True when the kind has a top-level `spec`: the server sets `metadata.generation` to 1 on
  // create and bumps it whenever `spec` changes (never for metadata or status changes).
  bool has_spec = false;
  // False for resources registered at run time (custom resources).
  bool builtin = true;
  std::vector<std::string> verbs;         // sorted; discovery verbs, e.g. "deletecollection"
  std::vector<std::string> short_names;   // "deploy"
  std::vector<std::string> categories;    // "all"
  std::vector<Subresource> subresources;  // sorted by name

  GroupVersion group_version() const { return {group, version}; }
  GroupVersionKind gvk() const { return {group, version, kind}; }
  std::string ApiVersion() const { return group_version().ApiVersion(); }
  bool HasVerb(std::string_view verb) const;
  // Null when there is no such subresource. The pointer lives as long as this object.
  const Subresource* FindSubresource(std::string_view name) const;
};

// The upstream-ordered list of built-in resources (what Capstan serves out of the box).
const std::vector<ResourceInfo>& BuiltinResources();

// Orders versions the way Kubernetes does: GA before beta before alpha, then higher numbers
// first ("v2" < "v1" < "v1beta2" < "v1beta1" < "v1alpha1" < "foo"); non-Kubernetes strings last,
// alphabetically. Returns true when `a` is preferred over `b`.
bool KubeVersionLess(std::string_view a, std::string_view b);

// A group and its served versions, preferred first.
struct GroupInfo {
  std::string name;
  std::vector<std::string> versions;
};

// An immutable view of the registry. Everything it returns lives as long as the snapshot.
// Thread-safety: immutable, so any number of threads may read it.
class RegistrySnapshot {
 public:
  RegistrySnapshot(std::vector<ResourceInfo> resources, uint64_t generation);

  // In discovery order: groups as `groups()`, versions preferred first, resources by plural.
  const std::vector<ResourceInfo>& resources() const { return resources_; }
  // Groups in discovery order: the core group "" first, then built-in groups in upstream
  // priority order, then other groups alphabetically.
  const std::vector<GroupInfo>& groups() const { return groups_; }
  // Increases with every change to the registry; equal generations mean equal contents.
  uint64_t generation() const { return generation_; }

  // Null when absent.
  const ResourceInfo* Find(std::string_view group, std::string_view version,
                           std::string_view plural) const;
  const ResourceInfo* FindKind(std::string_view group, std::string_view version,
                               std::string_view kind) const;
  const GroupInfo* FindGroup(std::string_view group) const;
  // Resources of one group-version, in `resources()` order; empty when not served.
  std::vector<const ResourceInfo*> ResourcesOf(std::string_view group,
                                               std::string_view version) const;

 private:
  std::vector<ResourceInfo> resources_;
  std::vector<GroupInfo> groups_;
  uint64_t generation_;
  std::unordered_map<std::string, size_t> by_resource_;  // "group/version/plural"
  std::unordered_map<std::string, size_t> by_kind_;      // "group/version/Kind"
};

// The set of served resources: built-ins plus run-time registrations (CRDs).
// Thread-safety: all methods are thread-safe. Readers take a snapshot (one shared_ptr copy under
// a short lock) and never wait for a writer building a new one; writers are serialized and
// publish a new snapshot copy-on-write.
class Registry {
 public:
  // A registry holding `resources` (e.g. `BuiltinResources()`); each is normalized as by
  // `Register`. Aborts on an invalid or duplicate entry: the table is ours, so that is a bug.
  explicit Registry(const std::vector<ResourceInfo>& resources);
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The current contents. Never null.
  std::shared_ptr<const RegistrySnapshot> Snapshot() const;

  // Shortcuts through the current snapshot; the returned pointer keeps that snapshot alive.
  // Null when absent.
  std::shared_ptr<const ResourceInfo> Find(std::string_view group, std::string_view version,
                                           std::string_view plural) const;
  std::shared_ptr<const ResourceInfo> FindKind(std::string_view group, std::string_view version,
                                               std::string_view kind) const;

  // Adds a resource (a custom resource; `builtin` is forced to false). Sorts verbs and
  // subresources and fills `list_kind` ("<Kind>List") and `singular` (lower-case kind) when
  // empty. Errors: kInvalid when version, kind or plural is missing, plural is not a lower-case
  // DNS label, or a verb is unknown; kAlreadyExists when group/version/plural or
  // group/version/kind is taken.
  Status Register(ResourceInfo resource);
  // Removes a run-time resource. Errors: kNotFound when absent; kForbidden for a built-in.
  Status Unregister(std::string_view group, std::string_view version, std::string_view plural);

 private:
  mutable std::mutex snapshot_mu_;  // guards `snapshot_` (the pointer only)
  std::shared_ptr<const RegistrySnapshot> snapshot_;
  std::mutex write_mu_;  // serializes writers
};

}  // namespace capstan::api
