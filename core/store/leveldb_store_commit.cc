// The committer thread of `LevelDbStore` (leveldb_store.h): drains queued requests, validates
// each against the latest state plus the batch so far, assigns revisions, writes one WriteBatch
// (key, event and value rows, compaction deletes, meta) with one sync, publishes the new read
// view and the events, then finishes every request. Also explicit compaction.
#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "core/store/leveldb_adapter.h"
#include "core/store/leveldb_rows.h"
#include "core/store/leveldb_store.h"
#include "core/store/record.h"

namespace capstan::store {
namespace {

// Explicit compaction deletes at most this many revisions per WriteBatch.
constexpr int64_t kCompactChunk = 65536;
// Auto-compaction covers at most max(this, 2 x writes) revisions per commit, to spread a
// backlog (e.g. after lowering `history_revisions`) over several commits.
constexpr int64_t kAutoCompactMinRows = 1024;

std::string Quoted(std::string_view key) { return "key \"" + std::string(key) + "\""; }

}  // namespace

// Accumulates validated writes for one WriteBatch. Committer thread only.
class LevelDbStore::Batch {
 public:
  explicit Batch(LevelDbStore* store) : s_(store), rev_(store->committed_) {}

  void Add(Request* r);
  // Writes, publishes and finishes everything added; a no-op when empty.
  void Commit();

 private:
  // The key's state as of the batch so far (nullopt: not live); the value only if `with_value`.
  Result<std::optional<KeyValue>> Lookup(std::string_view key, bool with_value);
  void Apply(Request* r, Event event);

  LevelDbStore* s_;
  int64_t rev_;
  leveldb::WriteBatch wb_;
  std::vector<Event> events_;  // revisions committed_ + 1 .. rev_
  std::vector<Request*> requests_;
  std::vector<Request*> succeeded_;
  // Key -> index in events_ of its latest event in this batch. Keys point into requests.
  std::unordered_map<std::string_view, size_t> overlay_;
};

Result<std::optional<KeyValue>> LevelDbStore::Batch::Lookup(std::string_view key, bool with_value) {
  if (auto it = overlay_.find(key); it != overlay_.end()) {
    const Event& e = events_[it->second];
    if (e.type == EventType::kDelete) return std::optional<KeyValue>();
    return std::optional<KeyValue>(e.kv);
  }
  const leveldb::ReadOptions latest;  // the committer is the only writer
  Result<std::optional<record::KeyRow>> row = ReadKeyRow(s_->db_.get(), latest, key);
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<KeyValue>();
  if (!with_value) {
    return std::optional<KeyValue>(
        KeyValue{std::string(key), {}, (*row)->create_revision, (*row)->mod_revision});
  }
  Result<KeyValue> kv = ReadKeyValue(s_->db_.get(), latest, key, **row);
  if (!kv.ok()) return kv.status();
  return std::optional<KeyValue>(std::move(*kv));
}

void LevelDbStore::Batch::Add(Request* r) {
  requests_.push_back(r);
  if (!s_->failed_.ok()) {
    r->status = s_->failed_;
    return;
  }
  // Updates and deletes carry the previous value in their event (and a delete returns it).
  Result<std::optional<KeyValue>> cur = Lookup(r->key, r->op != Request::Op::kCreate);
  if (!cur.ok()) {
    r->status = cur.status();
    return;
  }
  std::optional<KeyValue>& prev = *cur;
  if (r->op == Request::Op::kCreate) {
    if (prev) {
      r->status = AlreadyExistsError(Quoted(r->key) + " already exists");
      return;
    }
  } else if (!prev) {
    r->status = NotFoundError(Quoted(r->key) + " not found");
    return;
  } else if (r->revision != 0 && r->revision != prev->mod_revision) {
    r->status =
        ConflictError(Quoted(r->key) + ": expected mod revision " + std::to_string(r->revision) +
                      ", found " + std::to_string(prev->mod_revision));
    return;
  }
  const int64_t rev = rev_ + 1;
  Event e;
  e.kv.key = std::string(r->key);
  e.kv.mod_revision = rev;
  if (r->op == Request::Op::kDelete) {
    e.type = EventType::kDelete;
    r->result = *prev;
  } else {
    e.type = EventType::kPut;
    e.kv.value = std::string(r->value);
    e.kv.create_revision = prev ? prev->create_revision : rev;
    r->result = e.kv;
  }
  e.prev = std::move(prev);
  Apply(r, std::move(e));
}

void LevelDbStore::Batch::Apply(Request* r, Event event) {
  rev_ = event.kv.mod_revision;
  record::EventRow row;
  row.type = event.type;
  row.key = event.kv.key;
  row.create_revision = event.prev ? event.prev->create_revision : rev_;
  row.prev_mod_revision = event.prev ? event.prev->mod_revision : 0;
  std::string data;
  if (event.type == EventType::kPut) {
    record::EncodeKeyRow(record::KeyRow{row.create_revision, rev_}, &data);
    wb_.Put(record::KeyRowKey(r->key), data);
    wb_.Put(record::ValueRowKey(rev_), ToSlice(r->value));
  } else {
    wb_.Delete(record::KeyRowKey(r->key));
  }
  data.clear();
  record::EncodeEventRow(row, &data);
  wb_.Put(record::EventRowKey(rev_), data);
  overlay_[r->key] = events_.size();
  events_.push_back(std::move(event));
  succeeded_.push_back(r);
}

void LevelDbStore::Batch::Commit() {
  if (requests_.empty()) return;
  int64_t compacted = s_->committed_compacted_;
  if (!events_.empty()) {
    const int64_t window = s_->options_.history_revisions;
    if (window > 0 && rev_ - compacted > window) {
      const auto max_rows = std::max<int64_t>(kAutoCompactMinRows, 2 * std::ssize(events_));
      const int64_t target = std::min(rev_ - window, compacted + max_rows);
      s_->AddCompaction(compacted, target, events_, &wb_);
      compacted = target;
      wb_.Put(ToSlice(record::kMetaCompacted), record::EncodeRevision(compacted));
    }
    wb_.Put(ToSlice(record::kMetaCurrent), record::EncodeRevision(rev_));
    leveldb::WriteOptions wo;
    wo.sync = s_->options_.sync;
    Status st = FromLevelDb(
        s_->db_->Write(wo, &wb_),
        "committing revisions " + std::to_string(s_->committed_ + 1) + ".." + std::to_string(rev_));
    s_->stat_commits_.fetch_add(1, std::memory_order_relaxed);
    if (!st.ok()) {
      // The batch may or may not be on disk; refuse further writes until a restart recovers.
      s_->failed_ = UnavailableError(st.message());
      for (Request* r : succeeded_) r->status = s_->failed_;
      succeeded_.clear();
    } else {
      s_->committed_ = rev_;
      const bool compacted_moved = compacted != s_->committed_compacted_;
      s_->committed_compacted_ = compacted;
      s_->Publish(rev_, compacted);
      if (compacted_moved) s_->hub_->SetCompacted(compacted);
      s_->hub_->Publish(std::make_shared<const std::vector<Event>>(std::move(events_)));
    }
  }
  s_->stat_writes_.fetch_add(std::ssize(succeeded_), std::memory_order_relaxed);
  s_->stat_failed_.fetch_add(std::ssize(requests_) - std::ssize(succeeded_),
                             std::memory_order_relaxed);
  // Finishing lets a caller destroy its Request (and the keys overlay_ points to): do it last.
  overlay_.clear();
  for (Request* r : requests_) Finish(r);
  requests_.clear();
}

void LevelDbStore::AddCompaction(int64_t from, int64_t to, const std::vector<Event>& pending,
                                 leveldb::WriteBatch* wb) {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  it->Seek(record::EventRowKey(from + 1));
  for (int64_t rev = from + 1; rev <= to; ++rev) {
    int64_t superseded = 0;
    if (rev > committed_) {
      const Event& e = pending[static_cast<size_t>(rev - committed_ - 1)];
      superseded = e.prev ? e.prev->mod_revision : 0;
    } else if (it->Valid() && it->key() == record::EventRowKey(rev)) {
      // An unreadable row only costs the space of the value it superseded.
      Result<record::EventRow> row = record::DecodeEventRow(rev, ToView(it->value()));
      if (row.ok()) superseded = row->prev_mod_revision;
      it->Next();
    }
    wb->Delete(record::EventRowKey(rev));
    if (superseded != 0) wb->Delete(record::ValueRowKey(superseded));
  }
}

void LevelDbStore::CommitLoop() {
  std::vector<Request*> requests;
  for (;;) {
    requests.clear();
    {
      std::unique_lock lk(queue_mu_);
      queue_cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
      while (!queue_.empty() && requests.size() < options_.max_batch) {
        requests.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    CommitRequests(requests);
  }
}

void LevelDbStore::CommitRequests(const std::vector<Request*>& requests) {
  auto batch = std::make_unique<Batch>(this);
  for (Request* r : requests) {
    if (r->op != Request::Op::kCompact) {
      batch->Add(r);
      continue;
    }
    // Compaction sees every write queued before it.
    batch->Commit();
    CompactNow(r);
    batch = std::make_unique<Batch>(this);
  }
  batch->Commit();
}

void LevelDbStore::CompactNow(Request* r) {
  if (!failed_.ok()) {
    r->status = failed_;
  } else if (r->revision > committed_) {
    r->status = InvalidError("compact to future revision " + std::to_string(r->revision) +
                             " (current " + std::to_string(committed_) + ")");
  } else if (r->revision > committed_compacted_) {
    r->status = CompactRange(r->revision, options_.sync);
  }
  Finish(r);
}

Status LevelDbStore::CompactRange(int64_t target, bool sync) {
  while (committed_compacted_ < target) {
    const int64_t end = std::min(target, committed_compacted_ + kCompactChunk);
    leveldb::WriteBatch wb;
    AddCompaction(committed_compacted_, end, {}, &wb);
    wb.Put(ToSlice(record::kMetaCompacted), record::EncodeRevision(end));
    leveldb::WriteOptions wo;
    wo.sync = sync && end == target;
    Status st = FromLevelDb(db_->Write(wo, &wb), "compacting to revision " + std::to_string(end));
    if (wo.sync) stat_commits_.fetch_add(1, std::memory_order_relaxed);
    if (!st.ok()) {
      failed_ = UnavailableError(st.message());
      return failed_;
    }
    committed_compacted_ = end;
    Publish(committed_, end);
    hub_->SetCompacted(end);
  }
  return Status::Ok();
}

}  // namespace capstan::store
