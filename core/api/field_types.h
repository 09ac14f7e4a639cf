// Type checking of built-in objects against their OpenAPI field trees (field_schema.h), as
// kube-apiserver's typed JSON decoding does: a value of the wrong JSON type is a BadRequest with
// Go's decoder message, so such objects are never stored. Used by core/apiserver/api_writes.cc;
// tests in tests/core/api/field_types_test.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/api/field_schema.h"
#include "core/common/status.h"

namespace capstan::api {

// Checks `obj` (an object of kind `kind`, e.g. "ConfigMap") against `root`, depth first in
// document order. null is accepted anywhere; integers may be written as integral floats. The
// first mismatch is kBadRequest with Go's message, e.g. `json: cannot unmarshal array into Go
// struct field ConfigMap.data of type string` (struct = the field's owner, then the dotted
// path from the root without list indices or map keys). Fields unknown to the schema are not
// this function's concern (PruneUnknownFields). Thread-safe; no allocation unless it fails.
Status CheckFieldTypes(const nlohmann::json& obj, const FieldNode& root, std::string_view kind);

}  // namespace capstan::api
