// Read paths of `LevelDbStore` (leveldb_store.h) on the published snapshot: Get; List, also at
// an older revision (live key rows with later events reverted to their previous values); and
// history reads for the watch hub. Writes are in leveldb_store_commit.cc.
#include <leveldb/db.h>
#include <leveldb/iterator.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include "core/store/leveldb_adapter.h"
#include "core/store/leveldb_rows.h"
#include "core/store/leveldb_store.h"
#include "core/store/record.h"

namespace capstan::store {
namespace {

Status TooOld(int64_t revision, int64_t compacted) {
  return GoneError("too old resource version: " + std::to_string(revision) + " (" +
                   std::to_string(compacted) + ")");
}

// Positions `it` at event row `rev` or explains why it is not there.
Status ExpectEventRow(leveldb::Iterator* it, int64_t rev) {
  if (it->Valid() && it->key() == record::EventRowKey(rev)) return Status::Ok();
  CAPSTAN_RETURN_IF_ERROR(FromLevelDb(it->status(), "reading history"));
  return InternalError("store event row of revision " + std::to_string(rev) + " is missing");
}

// The key rows at `at` of every key matching `o` that changed after `at`: for each such key, the
// state before its first later event (nullopt: the key was not live at `at`).
using Reverts = std::map<std::string, std::optional<record::KeyRow>, std::less<>>;

Status CollectReverts(leveldb::DB* db, const leveldb::ReadOptions& ro, int64_t at, int64_t last,
                      const ListOptions& o, Reverts* out) {
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(ro));
  it->Seek(record::EventRowKey(at + 1));
  for (int64_t rev = at + 1; rev <= last; ++rev, it->Next()) {
    CAPSTAN_RETURN_IF_ERROR(ExpectEventRow(it.get(), rev));
    Result<record::EventRow> e = record::DecodeEventRow(rev, ToView(it->value()));
    if (!e.ok()) return e.status();
    const std::string& key = e->key;
    if (!key.starts_with(o.prefix) || (!o.start_after.empty() && key <= o.start_after)) continue;
    std::optional<record::KeyRow> before;
    if (e->prev_mod_revision != 0)
      before = record::KeyRow{e->create_revision, e->prev_mod_revision};
    out->try_emplace(key, before);
  }
  return Status::Ok();
}

}  // namespace

Result<KeyValue> LevelDbStore::Get(std::string_view key) {
  std::shared_ptr<const View> view = CurrentView();
  leveldb::ReadOptions ro;
  ro.snapshot = view->snapshot;
  Result<std::optional<record::KeyRow>> row = ReadKeyRow(db_.get(), ro, key);
  if (!row.ok()) return row.status();
  if (!*row) return NotFoundError("key \"" + std::string(key) + "\" not found");
  return ReadKeyValue(db_.get(), ro, key, **row);
}

Result<ListResult> LevelDbStore::List(const ListOptions& o) {
  if (o.limit < 0) return InvalidError("list limit is negative");
  if (o.revision < 0) return InvalidError("list at negative revision");
  std::shared_ptr<const View> view = CurrentView();
  const int64_t at = o.revision == 0 ? view->revision : o.revision;
  // The state at the compacted revision itself is still known: every later event is kept.
  if (o.revision != 0 && at < view->compacted) return TooOld(at, view->compacted);
  if (at > view->revision) {
    return InvalidError("list at future revision " + std::to_string(at) + " (current " +
                        std::to_string(view->revision) + ")");
  }
  leveldb::ReadOptions ro;
  ro.snapshot = view->snapshot;
  Reverts reverts;
  if (at < view->revision) {
    CAPSTAN_RETURN_IF_ERROR(CollectReverts(db_.get(), ro, at, view->revision, o, &reverts)
                                .WithContext("list at revision " + std::to_string(at)));
  }

  ListResult result;
  result.revision = at;
  const size_t want =
      o.limit > 0 ? static_cast<size_t>(o.limit) + 1 : std::numeric_limits<size_t>::max();
  const std::string row_prefix = record::KeyRowKey(o.prefix);
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  it->Seek(
      record::KeyRowKey(std::max(std::string_view(o.prefix), std::string_view(o.start_after))));
  auto rv = reverts.begin();
  // Merge live key rows with reverted keys; on equal keys the reverted state wins.
  while (result.items.size() < want) {
    std::string_view key;
    bool have_row = false;
    for (; it->Valid() && it->key().starts_with(row_prefix); it->Next()) {
      key = ToView(it->key()).substr(record::kKeyPrefix.size());
      if (o.start_after.empty() || key > o.start_after) {
        have_row = true;
        break;
      }
    }
    if (!have_row && rv == reverts.end()) break;
    std::string emit_key;
    std::optional<record::KeyRow> emit;
    if (rv != reverts.end() && (!have_row || rv->first <= key)) {
      if (have_row && rv->first == key) it->Next();
      emit_key = rv->first;
      emit = rv->second;
      ++rv;
    } else {
      emit_key = std::string(key);
      Result<record::KeyRow> row = record::DecodeKeyRow(key, ToView(it->value()));
      if (!row.ok()) return row.status().WithContext("list");
      emit = *row;
      it->Next();
    }
    if (!emit) continue;
    Result<KeyValue> kv = ReadKeyValue(db_.get(), ro, emit_key, *emit);
    if (!kv.ok()) return kv.status().WithContext("list");
    result.items.push_back(std::move(*kv));
  }
  CAPSTAN_RETURN_IF_ERROR(FromLevelDb(it->status(), "list"));
  if (result.items.size() == want && o.limit > 0) {
    result.items.pop_back();
    result.more = true;
  }
  return result;
}

Status LevelDbStore::ReadHistory(int64_t from, int64_t to, size_t max_events,
                                 std::vector<Event>* out) const {
  std::shared_ptr<const View> view = CurrentView();
  if (from <= view->compacted) return TooOld(from - 1, view->compacted);
  to = std::min(to, view->revision);
  leveldb::ReadOptions ro;
  ro.snapshot = view->snapshot;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  it->Seek(record::EventRowKey(from));
  Status st;
  for (int64_t rev = from; rev <= to && out->size() < max_events; ++rev, it->Next()) {
    st = ExpectEventRow(it.get(), rev);
    if (!st.ok()) break;
    Result<record::EventRow> row = record::DecodeEventRow(rev, ToView(it->value()));
    Result<Event> e =
        row.ok() ? ReadEvent(db_.get(), ro, rev, std::move(*row)) : Result<Event>(row.status());
    if (!e.ok()) {
      st = e.status();
      break;
    }
    out->push_back(std::move(*e));
  }
  // Hand over the good events first; the next read starts at the bad row and reports it.
  return out->empty() ? st : Status::Ok();
}

}  // namespace capstan::store
