// RFC 6902 JSON Patch (`application/json-patch+json`), RFC 6901 JSON Pointers and RFC 7386 JSON
// Merge Patch (`application/merge-patch+json`) over nlohmann::json, never throwing.
// Implementation in json_patch.cc; tests in tests/core/patch/json_patch_test.cc and
// merge_patch_test.cc. Strategic merge patch: strategic_merge_patch.h; apply: field_manager.h.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace capstan::patch {

// Upstream's limit on operations in one JSON patch.
inline constexpr size_t kMaxJsonPatchOperations = 10000;

// Splits an RFC 6901 pointer ("" or "/a/b~1c") into unescaped tokens ({"a", "b/c"}). Errors:
// kInvalid when it does not start with '/' or has a '~' not followed by '0' or '1'.
Result<std::vector<std::string>> ParseJsonPointer(std::string_view pointer);
// The pointer text for `tokens` (escaping '~' and '/').
std::string JsonPointerString(const std::vector<std::string>& tokens);

// Applies the operations of `patch` (an array of {op, path, from?, value?}) to a copy of
// `document`, in order, all or nothing. Supports add, remove, replace, move, copy and test;
// "-" appends to an array; array indexes may be negative (counted from the end, as the library
// Kubernetes uses allows). Errors:
//   kBadRequest  `patch` is not an array of objects;
//   kRequestEntityTooLarge  more than kMaxJsonPatchOperations operations;
//   kInvalid     an operation fails (bad op, missing path, failed test, bad index), as upstream
//                answers 422; the message names the operation's index, e.g.
//                `json patch operation 1: testing value /spec/replicas failed: test failed`.
Result<nlohmann::json> ApplyJsonPatch(const nlohmann::json& document, const nlohmann::json& patch);

// Applies an RFC 7386 merge patch: objects merge recursively, `null` deletes a member, anything
// else (including arrays) replaces. A non-object patch replaces the whole document. Never fails.
nlohmann::json ApplyMergePatch(const nlohmann::json& document, const nlohmann::json& patch);

}  // namespace capstan::patch
