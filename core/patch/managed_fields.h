// `metadata.managedFields` entries: decoding, encoding in upstream's order, manager identity and
// the manager text used in conflict messages. Implementation in managed_fields.cc; tests in
// tests/core/patch/field_manager_test.cc. The ownership logic lives in field_manager.h.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/patch/field_set.h"

namespace capstan::patch {

inline constexpr std::string_view kOperationApply = "Apply";
inline constexpr std::string_view kOperationUpdate = "Update";

// One managedFields entry (metav1.ManagedFieldsEntry with fieldsType "FieldsV1").
struct ManagedFieldsEntry {
  std::string manager;
  std::string operation;    // "Apply" or "Update"
  std::string api_version;  // e.g. "apps/v1"
  std::string time;         // RFC 3339; empty when unknown
  std::string subresource;  // "" for the main resource
  FieldSet fields;

  bool applied() const { return operation == kOperationApply; }
  // Upstream's manager identity: manager, operation and subresource, plus the API version for
  // Update entries (an applier keeps one entry across versions).
  bool SameManager(std::string_view manager_name, std::string_view op, std::string_view version,
                   std::string_view subresource_name) const;
};
using ManagedFields = std::vector<ManagedFieldsEntry>;

// Decodes `metadata.managedFields` (an array, or null/absent for none). Entries with the same
// identity are merged. Errors: kBadRequest for a malformed entry (not an object, unknown
// operation or fieldsType, bad fieldsV1).
Result<ManagedFields> DecodeManagedFields(const nlohmann::json& managed_fields);

// Encodes entries with non-empty sets, sorted as upstream (operation, time, manager, API
// version, subresource). Returns an empty array when nothing is owned.
nlohmann::json EncodeManagedFields(const ManagedFields& entries);

// The manager as conflict messages print it: `"kubectl"` for an applier,
// `"kubectl-edit" using apps/v1` for an updater, with ` with subresource "status"` when set.
std::string DescribeManager(const ManagedFieldsEntry& entry);

}  // namespace capstan::patch
