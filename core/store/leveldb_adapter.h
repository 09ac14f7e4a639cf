// Adapters between LevelDB types and ours for the LevelDB store (leveldb_store*.cc): status
// mapping and Slice <-> string_view.
#pragma once

#include <leveldb/slice.h>
#include <leveldb/status.h>

#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::store {

// OK stays OK. I/O errors are kUnavailable (retry or fix the disk); corruption and anything else
// is kInternal; NotFound is kNotFound. The message is "<context>: leveldb: <text>".
inline Status FromLevelDb(const leveldb::Status& s, std::string_view context) {
  if (s.ok()) return Status::Ok();
  std::string msg = std::string(context) + ": leveldb: " + s.ToString();
  if (s.IsNotFound()) return NotFoundError(std::move(msg));
  if (s.IsIOError()) return UnavailableError(std::move(msg));
  return InternalError(std::move(msg));
}

inline leveldb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToView(const leveldb::Slice& s) { return {s.data(), s.size()}; }

}  // namespace capstan::store
