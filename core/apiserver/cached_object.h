// `CachedObject`: one API object as the watch cache keeps it — the exact bytes it is served as
// (with metadata.resourceVersion set) plus what lists and watches filter on, extracted once per
// write. Partners: watch_cache.h (owner), DecodeStoredObject (the default decoder).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/status.h"

namespace capstan::apiserver {

using StringPairs = std::vector<std::pair<std::string, std::string>>;

// Immutable once built; shared between the cache, lists and watchers by `CachedObjectPtr`.
struct CachedObject {
  std::string key;  // store key
  std::string namespace_name;
  std::string name;
  std::string uid;
  int64_t revision = 0;
  std::string json;    // served bytes
  StringPairs labels;  // sorted by key
  // Selectable fields other than metadata.name/namespace (e.g. "spec.nodeName"), sorted by path.
  StringPairs fields;
  // Where the resourceVersion digits are in `json` (npos: unknown), so another revision of the
  // same bytes (a delete event) is a splice, not a re-serialization.
  size_t rv_pos = std::string::npos;
  size_t rv_len = 0;

  // Label value or null when absent.
  const std::string* Label(std::string_view label_key) const;
  // Field value for a field-selector path; metadata.name/namespace included. Null when the
  // resource does not expose the field; "" when exposed but unset.
  const std::string* Field(std::string_view path) const;
};

using CachedObjectPtr = std::shared_ptr<const CachedObject>;

// Builds a CachedObject from stored bytes at `revision`.
using ObjectDecoder = std::function<Result<CachedObject>(
    std::string_view key, std::string_view stored, int64_t revision)>;

// Fills `out` with (field-selector name, value) pairs read from a parsed object.
using FieldExtractor = std::function<void(const nlohmann::json& object, StringPairs* out)>;

// The default decoder: parses the JSON, reads metadata, sets metadata.resourceVersion to
// `revision`, and records the fields `extract` yields (may be empty). Errors: kInternal naming
// the key when the bytes are not a JSON object.
Result<CachedObject> DecodeStoredObject(std::string_view key, std::string_view stored,
                                        int64_t revision, const FieldExtractor& extract);

// Reads a dotted path ("spec.nodeName") from an object; "" when missing or not a scalar.
std::string ReadFieldPath(const nlohmann::json& object, std::string_view dotted_path);

}  // namespace capstan::apiserver
