// Row reads shared by the write path (leveldb_store.cc) and the read paths
// (leveldb_store_read.cc) of `LevelDbStore`: key rows, value rows and whole events assembled
// from an event row plus its value rows. Layout in record.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/status.h"
#include "core/store/record.h"
#include "core/store/store.h"

namespace leveldb {
class DB;
struct ReadOptions;
}  // namespace leveldb

namespace capstan::store {

// The key row of `key`; nullopt when the key is not live.
Result<std::optional<record::KeyRow>> ReadKeyRow(leveldb::DB* db, const leveldb::ReadOptions& ro,
                                                 std::string_view key);

// The value `key` was given at `revision`; kInternal when the row is missing (it must exist
// for every value that is current or referenced by retained history).
Result<std::string> ReadValueRow(leveldb::DB* db, const leveldb::ReadOptions& ro,
                                 std::string_view key, int64_t revision);

// `key` with its value, as of the key row `row`.
Result<KeyValue> ReadKeyValue(leveldb::DB* db, const leveldb::ReadOptions& ro, std::string_view key,
                              const record::KeyRow& row);

// The full event for event row `row` at `revision`, with its new and previous values.
Result<Event> ReadEvent(leveldb::DB* db, const leveldb::ReadOptions& ro, int64_t revision,
                        record::EventRow row);

}  // namespace capstan::store
