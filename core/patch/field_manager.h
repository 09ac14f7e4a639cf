// Field ownership for every write: server-side apply (`application/apply-patch+yaml`) with
// conflict detection, and managedFields bookkeeping for ordinary creates, updates and patches,
// following upstream's field manager chain (strip metadata, cap update managers at 10,
// "before-first-apply", skip tracking for objects without managedFields). Objects of all API
// versions are compared as they are (no conversion). Implementation in field_manager.cc; tests
// in tests/core/patch/field_manager_test.cc. Thread-safe: stateless functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/patch/field_set.h"
#include "core/patch/managed_fields.h"
#include "core/patch/patch_schema.h"

namespace capstan::patch {

inline constexpr size_t kFieldManagerMaxLength = 128;
inline constexpr size_t kMaxUpdateManagers = 10;

// Who writes and where. All views must outlive the call.
struct WriteOptions {
  std::string_view manager;      // `fieldManager` (see ManagerFromUserAgent for the default)
  std::string_view api_version;  // the request's group/version, e.g. "apps/v1"
  std::string_view subresource;  // "" for the main resource, else "status", "scale", ...
  std::string_view now;          // RFC 3339 time stamped on entries this write changes
  // Fields this endpoint does not track (upstream "reset fields"), e.g. FieldSet::OfFields(
  // {"status"}) for the main resource of a kind with a status subresource. May be null.
  const FieldSet* ignored = nullptr;
};

// One field another manager owns with a different value.
struct FieldConflict {
  std::string manager;              // the other manager's name
  std::string manager_description;  // `"kubectl-client-side-apply" using apps/v1`
  std::string field;                // `.spec.replicas`
};

struct ApplyResult {
  nlohmann::json object;  // the new object, `metadata.managedFields` included
  bool created = false;   // there was no live object
};

// Server-side apply of `config` (the applied configuration, already parsed) onto `live`
// (null when the object does not exist yet). Merges per the schema, records `config`'s field set
// as `options.manager`'s Apply entry, removes fields this manager applied before but no longer
// does when nobody else owns them, and takes fields other managers own only when `force`.
// Errors:
//   kConflict    another manager owns a field this apply changes and `force` is false; the
//                message is upstream's (`Apply failed with 1 conflict: conflict with
//                "kubectl-client-side-apply" using apps/v1: .spec.replicas`) and `conflicts`
//                (when given) receives one entry per field, for the 409's
//                `details.causes[] = {reason: FieldManagerConflict, message: "conflict with
//                <manager_description>", field}`;
//   kBadRequest  `config` is not an object, carries `metadata.managedFields`, or has duplicate
//                or key-less items in keyed lists.
Result<ApplyResult> ServerSideApply(const nlohmann::json& live, const nlohmann::json& config,
                                    const WriteOptions& options, bool force,
                                    const PatchSchema& schema,
                                    std::vector<FieldConflict>* conflicts = nullptr);

// Records a create (`live` null), update or non-apply patch by `options.manager`: the fields it
// added or changed become its own (as an Update entry) and are taken from other managers, and
// removed fields leave every set. `new_object` may carry `metadata.managedFields` to replace
// them (non-empty and different from the live ones; ignored for subresources); `[{}]` clears
// them. An existing object without managedFields stays untracked, as upstream. Returns
// `new_object` with `metadata.managedFields` set (or removed when empty). Errors: kBadRequest for
// key-less items in keyed lists of the objects.
Result<nlohmann::json> UpdateManagedFields(const nlohmann::json& live, nlohmann::json new_object,
                                           const WriteOptions& options, const PatchSchema& schema);

// Upstream's text for a conflict error (see ServerSideApply).
std::string ConflictMessage(const std::vector<FieldConflict>& conflicts);

// The default `fieldManager` when a request names none: the user agent up to the first '/',
// without unprintable characters, at most 128 bytes ("kubectl/v1.32.4 (linux/amd64)" ->
// "kubectl").
std::string ManagerFromUserAgent(std::string_view user_agent);

// Checks a `fieldManager` value. Errors: kInvalid `fieldManager: Required value: is required for
// apply patch` (empty on apply), `fieldManager: Too long: may not be more than 128 bytes`,
// `fieldManager: Invalid value: "...": invalid characters`.
Status ValidateFieldManager(std::string_view manager, bool is_apply);

// Parses an apply patch body: JSON (what kubectl sends) or YAML. Errors: kBadRequest.
Result<nlohmann::json> ParseApplyPatchBody(std::string_view body);

}  // namespace capstan::patch
