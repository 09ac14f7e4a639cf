// Registry, snapshots and version ordering; the built-in table is in resource_table.cc.
#include "core/api/resource.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <tuple>
#include <utility>

namespace capstan::api {
namespace {

// Upstream group priority (kube-aggregator's `apiVersionPriorities`, ties by name): /apis lists
// groups in this order and clients show them that way.
constexpr std::array<std::string_view, 23> kGroupOrder = {
    "",
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "resource.k8s.io",
    "storagemigration.k8s.io",
};

constexpr std::array<std::string_view, 8> kKnownVerbs = {
    "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};

size_t GroupRank(std::string_view group) {
  auto it = std::find(kGroupOrder.begin(), kGroupOrder.end(), group);
  return static_cast<size_t>(it - kGroupOrder.begin());  // unknown groups share the last rank
}

bool GroupLess(std::string_view a, std::string_view b) {
  size_t ra = GroupRank(a);
  size_t rb = GroupRank(b);
  if (ra != rb) return ra < rb;
  return a < b;
}

// A parsed Kubernetes version: v<major>[alpha|beta<minor>].
struct KubeVersion {
  int stability;  // 3 GA, 2 beta, 1 alpha
  long major;
  long minor;
};

std::optional<long> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 9 || s[0] == '0') return std::nullopt;
  long n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::optional<KubeVersion> ParseKubeVersion(std::string_view v) {
  if (v.size() < 2 || v[0] != 'v') return std::nullopt;
  v.remove_prefix(1);
  size_t digits = 0;
  while (digits < v.size() && v[digits] >= '0' && v[digits] <= '9') ++digits;
  std::optional<long> major = ParseNumber(v.substr(0, digits));
  if (!major) return std::nullopt;
  std::string_view rest = v.substr(digits);
  if (rest.empty()) return KubeVersion{3, *major, 0};
  int stability = 0;
  if (rest.starts_with("beta")) {
    stability = 2;
    rest.remove_prefix(4);
  } else if (rest.starts_with("alpha")) {
    stability = 1;
    rest.remove_prefix(5);
  } else {
    return std::nullopt;
  }
  std::optional<long> minor = ParseNumber(rest);
  if (!minor) return std::nullopt;
  return KubeVersion{stability, *major, *minor};
}

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

std::string Key(std::string_view a, std::string_view b, std::string_view c) {
  std::string k;
  k.reserve(a.size() + b.size() + c.size() + 2);
  k.append(a).append("/").append(b).append("/").append(c);
  return k;
}

void SortUnique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status CheckVerbs(const std::vector<std::string>& verbs, std::string_view what) {
  for (const std::string& verb : verbs) {
    if (std::find(kKnownVerbs.begin(), kKnownVerbs.end(), verb) == kKnownVerbs.end()) {
      return InvalidError(std::string(what) + ": unknown verb \"" + verb + "\"");
    }
  }
  return Status::Ok();
}

// Fills defaults and sorts; returns kInvalid for an entry that cannot be served.
Status Normalize(ResourceInfo& r) {
  std::string what = "resource \"" + r.plural + "." + r.group + "\"";
  if (r.version.empty() || r.kind.empty())
    return InvalidError(what + ": version and kind required");
  if (!IsDnsLabel(r.plural)) return InvalidError(what + ": plural must be a lower-case DNS label");
  if (r.singular.empty()) r.singular = Lower(r.kind);
  if (r.list_kind.empty()) r.list_kind = r.kind + "List";
  SortUnique(r.verbs);
  CAPSTAN_RETURN_IF_ERROR(CheckVerbs(r.verbs, what));
  for (Subresource& sub : r.subresources) {
    if (sub.name.empty() || sub.name.find('/') != std::string::npos) {
      return InvalidError(what + ": bad subresource name \"" + sub.name + "\"");
    }
    if (sub.kind.kind.empty()) sub.kind = r.gvk();
    SortUnique(sub.verbs);
    CAPSTAN_RETURN_IF_ERROR(CheckVerbs(sub.verbs, what + " subresource " + sub.name));
  }
  std::sort(r.subresources.begin(), r.subresources.end(),
            [](const Subresource& a, const Subresource& b) { return a.name < b.name; });
  return Status::Ok();
}

[[noreturn]] void Die(const Status& status) {
  std::fprintf(stderr, "capstan::api::Registry: built-in table is invalid: %s\n",
               status.ToString().c_str());
  std::abort();
}

}  // namespace

std::string GroupVersion::ApiVersion() const {
  return group.empty() ? version : group + "/" + version;
}

std::string GroupVersion::Path() const {
  return group.empty() ? "api/" + version : "apis/" + group + "/" + version;
}

bool ResourceInfo::HasVerb(std::string_view verb) const {
  return std::binary_search(verbs.begin(), verbs.end(), verb);
}

const Subresource* ResourceInfo::FindSubresource(std::string_view name) const {
  for (const Subresource& sub : subresources) {
    if (sub.name == name) return &sub;
  }
  return nullptr;
}

bool KubeVersionLess(std::string_view a, std::string_view b) {
  std::optional<KubeVersion> va = ParseKubeVersion(a);
  std::optional<KubeVersion> vb = ParseKubeVersion(b);
  if (va && vb) {
    // Higher stability, then higher major, then higher minor come first.
    return std::tie(vb->stability, vb->major, vb->minor) <
           std::tie(va->stability, va->major, va->minor);
  }
  if (va || vb) return va.has_value();
  return a < b;
}

RegistrySnapshot::RegistrySnapshot(std::vector<ResourceInfo> resources, uint64_t generation)
    : resources_(std::move(resources)), generation_(generation) {
  std::stable_sort(resources_.begin(), resources_.end(),
                   [](const ResourceInfo& a, const ResourceInfo& b) {
                     if (a.group != b.group) return GroupLess(a.group, b.group);
                     if (a.version != b.version) return KubeVersionLess(a.version, b.version);
                     return a.plural < b.plural;
                   });
  for (size_t i = 0; i < resources_.size(); ++i) {
    const ResourceInfo& r = resources_[i];
    by_resource_.emplace(Key(r.group, r.version, r.plural), i);
    by_kind_.emplace(Key(r.group, r.version, r.kind), i);
    if (groups_.empty() || groups_.back().name != r.group) groups_.push_back({r.group, {}});
    if (groups_.back().versions.empty() || groups_.back().versions.back() != r.version) {
      groups_.back().versions.push_back(r.version);
    }
  }
}

const ResourceInfo* RegistrySnapshot::Find(std::string_view group, std::string_view version,
                                           std::string_view plural) const {
  auto it = by_resource_.find(Key(group, version, plural));
  return it == by_resource_.end() ? nullptr : &resources_[it->second];
}

const ResourceInfo* RegistrySnapshot::FindKind(std::string_view group, std::string_view version,
                                               std::string_view kind) const {
  auto it = by_kind_.find(Key(group, version, kind));
  return it == by_kind_.end() ? nullptr : &resources_[it->second];
}

const GroupInfo* RegistrySnapshot::FindGroup(std::string_view group) const {
  for (const GroupInfo& g : groups_) {
    if (g.name == group) return &g;
  }
  return nullptr;
}

std::vector<const ResourceInfo*> RegistrySnapshot::ResourcesOf(std::string_view group,
                                                               std::string_view version) const {
  std::vector<const ResourceInfo*> out;
  for (const ResourceInfo& r : resources_) {
    if (r.group == group && r.version == version) out.push_back(&r);
  }
  return out;
}

Registry::Registry(const std::vector<ResourceInfo>& resources) {
  std::vector<ResourceInfo> normalized;
  normalized.reserve(resources.size());
  for (ResourceInfo r : resources) {
    Status status = Normalize(r);
    if (!status.ok()) Die(status);
    normalized.push_back(std::move(r));
  }
  snapshot_ = std::make_shared<const RegistrySnapshot>(std::move(normalized), 1);
  for (const ResourceInfo& r : snapshot_->resources()) {
    if (snapshot_->Find(r.group, r.version, r.plural) != &r ||
        snapshot_->FindKind(r.group, r.version, r.kind) != &r) {
      Die(AlreadyExistsError("duplicate " + Key(r.group, r.version, r.plural)));
    }
  }
}

std::shared_ptr<const RegistrySnapshot> Registry::Snapshot() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return snapshot_;
}

std::shared_ptr<const ResourceInfo> Registry::Find(std::string_view group, std::string_view version,
                                                   std::string_view plural) const {
  std::shared_ptr<const RegistrySnapshot> snap = Snapshot();
  const ResourceInfo* r = snap->Find(group, version, plural);
  return r ? std::shared_ptr<const ResourceInfo>(snap, r) : nullptr;
}

std::shared_ptr<const ResourceInfo> Registry::FindKind(std::string_view group,
                                                       std::string_view version,
                                                       std::string_view kind) const {
  std::shared_ptr<const RegistrySnapshot> snap = Snapshot();
  const ResourceInfo* r = snap->FindKind(group, version, kind);
  return r ? std::shared_ptr<const ResourceInfo>(snap, r) : nullptr;
}

Status Registry::Register(ResourceInfo resource) {
  resource.builtin = false;
  CAPSTAN_RETURN_IF_ERROR(Normalize(resource));
  std::lock_guard<std::mutex> write_lock(write_mu_);
  std::shared_ptr<const RegistrySnapshot> old = Snapshot();
  if (old->Find(resource.group, resource.version, resource.plural) != nullptr) {
    return AlreadyExistsError("resource " + Key(resource.group, resource.version, resource.plural) +
                              " is already registered");
  }
  if (old->FindKind(resource.group, resource.version, resource.kind) != nullptr) {
    return AlreadyExistsError("kind " + Key(resource.group, resource.version, resource.kind) +
                              " is already registered");
  }
  std::vector<ResourceInfo> next = old->resources();
  next.push_back(std::move(resource));
  auto snap = std::make_shared<const RegistrySnapshot>(std::move(next), old->generation() + 1);
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  snapshot_ = std::move(snap);
  return Status::Ok();
}

Status Registry::Unregister(std::string_view group, std::string_view version,
                            std::string_view plural) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  std::shared_ptr<const RegistrySnapshot> old = Snapshot();
  const ResourceInfo* found = old->Find(group, version, plural);
  if (found == nullptr) {
    return NotFoundError("resource " + Key(group, version, plural) + " is not registered");
  }
  if (found->builtin) {
    return ForbiddenError("resource " + Key(group, version, plural) + " is built in");
  }
  std::vector<ResourceInfo> next;
  next.reserve(old->resources().size() - 1);
  for (const ResourceInfo& r : old->resources()) {
    if (&r != found) next.push_back(r);
  }
  auto snap = std::make_shared<const RegistrySnapshot>(std::move(next), old->generation() + 1);
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  snapshot_ = std::move(snap);
  return Status::Ok();
}

}  // namespace capstan::api
