// Row reads for `LevelDbStore`; see leveldb_rows.h.
#include "core/store/leveldb_rows.h"

#include <leveldb/db.h>

#include <utility>

#include "core/store/leveldb_adapter.h"

namespace capstan::store {

Result<std::optional<record::KeyRow>> ReadKeyRow(leveldb::DB* db, const leveldb::ReadOptions& ro,
                                                 std::string_view key) {
  std::string data;
  leveldb::Status st = db->Get(ro, record::KeyRowKey(key), &data);
  if (st.IsNotFound()) return std::optional<record::KeyRow>();
  CAPSTAN_RETURN_IF_ERROR(FromLevelDb(st, "reading key \"" + std::string(key) + "\""));
  Result<record::KeyRow> row = record::DecodeKeyRow(key, data);
  if (!row.ok()) return row.status();
  return std::optional<record::KeyRow>(*row);
}

Result<std::string> ReadValueRow(leveldb::DB* db, const leveldb::ReadOptions& ro,
                                 std::string_view key, int64_t revision) {
  std::string value;
  leveldb::Status st = db->Get(ro, record::ValueRowKey(revision), &value);
  if (st.IsNotFound()) {
    return InternalError("store value row of revision " + std::to_string(revision) + " (key \"" +
                         std::string(key) + "\") is missing");
  }
  CAPSTAN_RETURN_IF_ERROR(FromLevelDb(st, "reading value of \"" + std::string(key) + "\""));
  return value;
}

Result<KeyValue> ReadKeyValue(leveldb::DB* db, const leveldb::ReadOptions& ro, std::string_view key,
                              const record::KeyRow& row) {
  Result<std::string> value = ReadValueRow(db, ro, key, row.mod_revision);
  if (!value.ok()) return value.status();
  return KeyValue{std::string(key), std::move(*value), row.create_revision, row.mod_revision};
}

Result<Event> ReadEvent(leveldb::DB* db, const leveldb::ReadOptions& ro, int64_t revision,
                        record::EventRow row) {
  Event e;
  e.type = row.type;
  e.kv.mod_revision = revision;
  if (row.prev_mod_revision != 0) {
    Result<KeyValue> prev =
        ReadKeyValue(db, ro, row.key, record::KeyRow{row.create_revision, row.prev_mod_revision});
    if (!prev.ok()) return prev.status();
    e.prev = std::move(*prev);
  }
  if (row.type == EventType::kPut) {
    Result<std::string> value = ReadValueRow(db, ro, row.key, revision);
    if (!value.ok()) return value.status();
    e.kv.value = std::move(*value);
    e.kv.create_revision = row.create_revision;
  }
  e.kv.key = std::move(row.key);
  return e;
}

}  // namespace capstan::store
