// ControllerRevision history shared by the DaemonSet and StatefulSet controller plugins, with
// upstream v1.32 semantics (pkg/controller/history and the daemon controller's snapshot):
// template and revision hashes, the revision `data` patch kubectl's `rollout history/undo` read,
// revision objects, adoption, creation with hash-collision probing, and history-limit pruning.
// Partners: object_util.h, api.h. Tests: tests/plugins/controllers/kit/history_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_KIT_HISTORY_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_KIT_HISTORY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/call.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"
#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// The label a revision (and the pods made from it) carries: apps/v1
// ControllerRevisionHashLabelKey / DefaultDaemonSetUniqueLabelKey.
inline constexpr char kControllerRevisionHashLabel[] = "controller-revision-hash";
// The host's resource name of ControllerRevisions; a controller that reads revisions must list it
// in its `Describe` watches (e.g. with "map": "owner").
inline constexpr char kControllerRevisionResource[] = "apps/v1/controllerrevisions";

// ---- Hashes (pure; thread-safe) ----

// Upstream rand.SafeEncodeString: every byte mapped onto "bcdfghjklmnpqrstvwxz2456789", so a
// hash never spells words and is a valid label value.
std::string SafeEncodeString(std::string_view s);
// Upstream controller.ComputeHash (DaemonSet revisions, Deployment pod-template-hash): FNV-32a
// over the template's canonical JSON (nulls and empty maps/lists dropped, keys sorted), then the
// collision count as 8 little-endian bytes when set; decimal, SafeEncodeString'd.
std::string ComputeTemplateHash(const Json& pod_template, std::optional<int64_t> collision_count);
// Upstream history.HashControllerRevision (StatefulSet): FNV-32 (FNV-1) over the canonical JSON
// of a revision's `data`, then the probe in decimal when set; decimal, SafeEncodeString'd.
std::string HashRevisionData(const Json& data, std::optional<int64_t> probe);
// Upstream ControllerRevisionName: "<owner>-<hash>" with the owner name cut to 223 characters.
std::string RevisionName(std::string_view owner_name, std::string_view hash);

// ---- Revision objects (pure) ----

// The `data` of a DaemonSet or StatefulSet revision (upstream getPatch): a strategic merge
// patch that replaces the owner's pod template, {"spec":{"template":{..., "$patch":"replace"}}}.
// `kubectl rollout undo` sends it back as-is, and `rollout history --revision` applies it.
Json TemplatePatch(const Json& owner);
// Revision data equality, ignoring nulls and empty maps/lists (the server's serialisation may
// differ from ours where upstream compares bytes).
bool RevisionDataEqual(const Json& a, const Json& b);
// Upstream history.EqualRevision: equal `data`, and equal hash labels when both carry one.
bool EqualRevision(const Json& a, const Json& b);
// A ControllerRevision to create: name RevisionName(owner, hash), the owner's namespace,
// `labels` plus kControllerRevisionHashLabel=hash, `annotations` when not null/empty, a
// controller ownerReference to `owner` (`api_version`, `kind`), `data` and `revision`.
Json NewControllerRevision(const Json& owner, std::string_view api_version, std::string_view kind,
                           const Json& labels, const Json& annotations, const Json& data,
                           int64_t revision, std::string_view hash);
// `revision` of a ControllerRevision (0 when absent).
int64_t RevisionNumber(const Json& revision);
// The largest revision number + 1 (1 for none): the number of a new current revision.
int64_t NextRevision(const std::vector<Json>& revisions);
// Oldest first: by revision, then creationTimestamp, then name (upstream byRevision).
void SortByRevision(std::vector<Json>& revisions);

// ---- Cache and API (thread-safe as the host's calls are) ----

// The ControllerRevisions of namespace `ns` in the host cache. RETRY_LATER when the cache cannot
// answer (not synced, or kControllerRevisionResource not watched); ERROR on malformed output.
sdk::Status ListRevisions(const sdk::Host& host, std::string_view ns, std::vector<Json>* out);

// Upstream's ControllerRefManager claim, for any namespaced kind (`group_version`/`plural` of
// `objects`, e.g. "apps/v1"/"controllerrevisions" or "v1"/"pods"): objects controlled by `owner`
// (by uid) that match `selector` are kept; matching orphans are adopted and owned objects that
// stopped matching are released, each by a merge patch of ownerReferences conditioned on the
// object's resourceVersion. While `owner` is being deleted nothing is adopted or released.
// `*owned` receives the owner's objects afterwards (adopted ones as the server returned them).
// Objects that vanish meanwhile are skipped; other API failures return as api.h's `Send`.
sdk::Status ClaimObjects(sdk::Call& call, const Json& owner, std::string_view owner_api_version,
                         std::string_view owner_kind, const Selector& selector,
                         const std::vector<Json>& objects, std::string_view group_version,
                         std::string_view plural, std::vector<Json>* owned);

// POSTs `revision`. OK with the server's object in `*created`; ALREADY_EXISTS when the name is
// taken; otherwise as `Send`.
sdk::Status CreateRevision(sdk::Call& call, const Json& revision, Json* created);
// Upstream realHistory.CreateControllerRevision (StatefulSet): creates `revision` named
// RevisionName(owner, HashRevisionData(data, *collision_count)); when that name is taken by a
// revision with other data, increments `*collision_count` and tries the next name (the caller
// persists the count in its status). An existing revision with equal data is returned as is.
sdk::Status CreateRevisionProbing(sdk::Call& call, const Json& owner, const Json& revision,
                                  int64_t* collision_count, Json* created);
// PUTs `revision` with its `revision` number set to `number` (upstream UpdateControllerRevision).
sdk::Status UpdateRevisionNumber(sdk::Call& call, const Json& revision, int64_t number,
                                 Json* updated);
// DELETEs `revision`; OK when already gone.
sdk::Status DeleteRevision(sdk::Call& call, const Json& revision);

// ---- History limit (pure) ----

// How revisions still in use count against revisionHistoryLimit.
enum class LiveRevisions {
  // DaemonSet cleanupHistory: len(old) - limit revisions are due, live ones are skipped (so
  // fewer may go).
  kCounted,
  // StatefulSet truncateHistory: only non-live revisions count; all beyond `limit` go.
  kExcluded,
};
// Which of `old` (revisions other than the current one, any order) to delete, oldest first, to
// honour `limit` (negative reads as 0); `is_live(revision)` is true for revisions pods still use.
std::vector<Json> RevisionsToPrune(std::vector<Json> old, int64_t limit,
                                   const std::function<bool(const Json&)>& is_live,
                                   LiveRevisions mode);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_KIT_HISTORY_H_
