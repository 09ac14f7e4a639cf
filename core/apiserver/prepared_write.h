// Serializing an object once per write. A writer turns the object it is about to store into the
// stored bytes (no resourceVersion: that is the store's revision) plus a `PreparedWrite` that
// says where resourceVersion goes and what lists and watches filter on, so the watch cache can
// index the write's event by splicing in the revision instead of parsing and re-serializing the
// bytes on its single ingest thread. Partners: watch_cache.h (consumer), rest_storage.cc.
// Tests: tests/core/apiserver/prepared_write_test.cc.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/apiserver/cached_object.h"

namespace capstan::apiserver {

struct PreparedWrite {
  std::string stored;  // the bytes handed to the store
  // resourceVersion is inserted at `rv_at` as `<rv_prefix>"resourceVersion":"N"<rv_suffix>`.
  size_t rv_at = 0;
  std::string_view rv_prefix;
  std::string_view rv_suffix;
  // key, name, namespace, uid, labels and fields; `json` and `revision` are left empty.
  CachedObject index;
};

// Serializes `obj` (whose metadata.resourceVersion is ignored and left removed) for the store.
// Returns null when `obj` has no metadata object; the caller then stores
// `SerializeForStore(obj)` and the cache decodes the event itself.
std::shared_ptr<const PreparedWrite> PrepareWrite(std::string key, nlohmann::json& obj,
                                                  const FieldExtractor& extract);

// The bytes as served at `revision`; sets `*rv_pos`/`*rv_len` to where the revision's digits are.
std::string ServedBytes(const PreparedWrite& p, int64_t revision, size_t* rv_pos, size_t* rv_len);

// The cached form of a prepared write at `revision`.
CachedObject CachedFromPrepared(const PreparedWrite& p, int64_t revision);

// `object` as served at another revision (a delete event serves the last state with the
// delete's revision): the revision digits are replaced in place; no parsing.
CachedObject WithRevision(const CachedObject& object, int64_t revision);

// Fills name, namespace, uid, labels (sorted) and `extract`'s fields (sorted) from `obj`.
void IndexObject(const nlohmann::json& obj, const FieldExtractor& extract, CachedObject* out);

// Serializes `obj` with metadata.resourceVersion set to a placeholder and replaces it with
// `revision`, recording the digits' position. Used by the decoder; `obj` keeps the placeholder
// removed afterwards.
std::string SerializeWithRevision(nlohmann::json& obj, int64_t revision, size_t* rv_pos,
                                  size_t* rv_len);

}  // namespace capstan::apiserver
