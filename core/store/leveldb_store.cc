// `LevelDbStore` opening, recovery and the write path (leveldb_store.h): callers enqueue a
// `Request` and block; the committer thread validates each against the latest state plus the
// batch so far, assigns revisions, writes one WriteBatch (values, history rows, meta) with one
// sync, publishes a new read view and the events, then wakes every caller. Reads are in
// leveldb_store_read.cc.
#include "core/store/leveldb_store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <semaphore>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "core/store/leveldb_adapter.h"
#include "core/store/record.h"

namespace capstan::store {
namespace {

// Compaction deletes at most this many history rows per WriteBatch.
constexpr int64_t kCompactChunk = 65536;
// Auto-compaction deletes at most max(this, 2 x writes) rows per commit, to spread a backlog.
constexpr int64_t kAutoCompactMinRows = 1024;

std::string Quoted(std::string_view key) { return "key \"" + std::string(key) + "\""; }

}  // namespace

// One caller's write, alive on the caller's stack until `done` is released.
struct LevelDbStore::Request {
  enum class Op : uint8_t { kCreate, kUpdate, kDelete, kCompact };
  Op op = Op::kCreate;
  std::string_view key;
  std::string_view value;
  int64_t revision = 0;  // expected mod revision (0: any), or the compaction target
  Status status;
  KeyValue result;
  std::binary_semaphore done{0};
};

// Accumulates validated writes for one WriteBatch. Committer thread only.
class LevelDbStore::Batch {
 public:
  explicit Batch(LevelDbStore* store) : s_(store), rev_(store->committed_) {}

  void Add(Request* r);
  // Writes, publishes and completes everything added; a no-op when empty.
  void Commit();

 private:
  // The key's state as of the batch so far: nullopt when absent.
  Result<std::optional<KeyValue>> Lookup(std::string_view key);
  void Apply(Request* r, Event event);

  LevelDbStore* s_;
  int64_t rev_;
  leveldb::WriteBatch wb_;
  std::vector<Event> events_;
  std::vector<Request*> requests_;
  std::vector<Request*> succeeded_;
  // Key -> index in events_ of its latest event in this batch. Keys point into requests.
  std::unordered_map<std::string_view, size_t> overlay_;
};

Result<std::optional<KeyValue>> LevelDbStore::Batch::Lookup(std::string_view key) {
  if (auto it = overlay_.find(key); it != overlay_.end()) {
    const Event& e = events_[it->second];
    if (e.type == EventType::kDelete) return std::optional<KeyValue>();
    return std::optional<KeyValue>(e.kv);
  }
  std::string data;
  leveldb::Status st = s_->db_->Get(leveldb::ReadOptions(), record::ValueKey(key), &data);
  if (st.IsNotFound()) return std::optional<KeyValue>();
  if (!st.ok()) return FromLevelDb(st, "reading " + Quoted(key));
  Result<KeyValue> kv = record::DecodeValue(key, data);
  if (!kv.ok()) return kv.status();
  return std::optional<KeyValue>(std::move(*kv));
}

void LevelDbStore::Batch::Add(Request* r) {
  requests_.push_back(r);
  if (!s_->failed_.ok()) {
    r->status = s_->failed_;
    return;
  }
  Result<std::optional<KeyValue>> cur = Lookup(r->key);
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
  std::string row;
  if (event.type == EventType::kPut) {
    record::EncodeValue(event.kv, &row);
    wb_.Put(record::ValueKey(r->key), row);
    row.clear();
  } else {
    wb_.Delete(record::ValueKey(r->key));
  }
  record::EncodeEvent(event, &row);
  wb_.Put(record::HistoryKey(rev_), row);
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
      for (int64_t r = compacted + 1; r <= target; ++r) wb_.Delete(record::HistoryKey(r));
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
  // Releasing lets a caller destroy its Request (and the keys overlay_ points to): do it last.
  for (Request* r : requests_) r->done.release();
  requests_.clear();
}

LevelDbStore::LevelDbStore(std::string dir, Options options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

Result<std::unique_ptr<LevelDbStore>> LevelDbStore::Open(const std::string& dir, Options options) {
  if (dir.empty()) return InvalidError("store directory is empty");
  if (options.max_batch == 0) return InvalidError("store max_batch must be at least 1");
  if (options.history_revisions < 0) return InvalidError("store history_revisions is negative");
  std::unique_ptr<LevelDbStore> store(new LevelDbStore(dir, std::move(options)));
  Status st = store->Init();
  if (!st.ok()) return st;
  return Result<std::unique_ptr<LevelDbStore>>(std::move(store));
}

Status LevelDbStore::Init() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return UnavailableError("creating store directory " + dir_ + ": " + ec.message());
  filter_.reset(leveldb::NewBloomFilterPolicy(10));
  cache_.reset(leveldb::NewLRUCache(options_.block_cache_bytes));
  leveldb::Options lo;
  lo.create_if_missing = true;
  lo.filter_policy = filter_.get();
  lo.block_cache = cache_.get();
  lo.write_buffer_size = options_.write_buffer_bytes;
  leveldb::DB* raw = nullptr;
  CAPSTAN_RETURN_IF_ERROR(FromLevelDb(leveldb::DB::Open(lo, dir_, &raw), "opening store " + dir_));
  db_.reset(raw);
  CAPSTAN_RETURN_IF_ERROR(LoadMeta());
  Publish(committed_, committed_compacted_);
  hub_ = WatchHub::Start(
      committed_, committed_compacted_,
      [this](int64_t from, int64_t to, size_t max, std::vector<Event>* out) {
        return ReadHistory(from, to, max, out);
      },
      options_.watch);
  committer_ = std::thread([this] { CommitLoop(); });
  return Status::Ok();
}

Status LevelDbStore::LoadMeta() {
  const std::string where = "store " + dir_;
  std::string data;
  leveldb::Status st = db_->Get(leveldb::ReadOptions(), ToSlice(record::kMetaFormat), &data);
  if (st.IsNotFound()) {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    it->SeekToFirst();
    if (it->Valid()) return InternalError(where + " is not empty and has no Capstan format row");
    leveldb::WriteBatch wb;
    wb.Put(ToSlice(record::kMetaFormat), ToSlice(record::kFormatVersion));
    wb.Put(ToSlice(record::kMetaCurrent), record::EncodeRevision(0));
    wb.Put(ToSlice(record::kMetaCompacted), record::EncodeRevision(0));
    leveldb::WriteOptions wo;
    wo.sync = true;
    return FromLevelDb(db_->Write(wo, &wb), "initializing " + where);
  }
  CAPSTAN_RETURN_IF_ERROR(FromLevelDb(st, "reading format of " + where));
  if (data != record::kFormatVersion) {
    return InternalError(where + " has unsupported format \"" + data + "\"");
  }
  for (auto [name, out] : {std::pair{record::kMetaCurrent, &committed_},
                           std::pair{record::kMetaCompacted, &committed_compacted_}}) {
    CAPSTAN_RETURN_IF_ERROR(FromLevelDb(db_->Get(leveldb::ReadOptions(), ToSlice(name), &data),
                                        "reading " + std::string(name) + " of " + where));
    Result<int64_t> rev = record::DecodeRevision(data);
    if (!rev.ok()) return rev.status().WithContext(std::string(name) + " of " + where);
    *out = *rev;
  }
  if (committed_compacted_ > committed_) {
    return InternalError(where + ": compacted revision " + std::to_string(committed_compacted_) +
                         " is above current " + std::to_string(committed_));
  }
  if (committed_compacted_ < committed_) {
    st = db_->Get(leveldb::ReadOptions(), record::HistoryKey(committed_), &data);
    if (st.IsNotFound()) {
      return InternalError(where + ": history row of current revision " +
                           std::to_string(committed_) + " is missing");
    }
    CAPSTAN_RETURN_IF_ERROR(FromLevelDb(st, "reading history of " + where));
  }
  return Status::Ok();
}

LevelDbStore::~LevelDbStore() {
  {
    std::lock_guard lk(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  if (hub_) hub_->Stop();
  std::lock_guard lk(view_mu_);
  view_.reset();  // releases the snapshot before the DB closes
}

void LevelDbStore::Publish(int64_t revision, int64_t compacted) {
  leveldb::DB* db = db_.get();
  std::shared_ptr<const View> view(new View{db->GetSnapshot(), revision, compacted},
                                   [db](const View* v) {
                                     db->ReleaseSnapshot(v->snapshot);
                                     delete v;
                                   });
  {
    std::lock_guard lk(view_mu_);
    view_.swap(view);
    current_.store(revision, std::memory_order_release);
    compacted_.store(compacted, std::memory_order_release);
  }
  // The old view (now in `view`) is released here, outside the lock.
}

std::shared_ptr<const LevelDbStore::View> LevelDbStore::CurrentView() const {
  std::lock_guard lk(view_mu_);
  return view_;
}

int64_t LevelDbStore::CurrentRevision() const { return current_.load(std::memory_order_acquire); }

int64_t LevelDbStore::CompactedRevision() const {
  return compacted_.load(std::memory_order_acquire);
}

LevelDbStore::Stats LevelDbStore::GetStats() const {
  return Stats{stat_commits_.load(), stat_writes_.load(), stat_failed_.load()};
}

Result<KeyValue> LevelDbStore::Submit(Request* r) {
  {
    std::lock_guard lk(queue_mu_);
    if (stopping_) return UnavailableError("store is closing");
    queue_.push_back(r);
  }
  queue_cv_.notify_one();
  r->done.acquire();
  if (!r->status.ok()) return r->status;
  return std::move(r->result);
}

Result<KeyValue> LevelDbStore::Create(std::string_view key, std::string_view value) {
  Request r;
  r.op = Request::Op::kCreate;
  r.key = key;
  r.value = value;
  return Submit(&r);
}

Result<KeyValue> LevelDbStore::Update(std::string_view key, std::string_view value,
                                      int64_t expected_mod_revision) {
  Request r;
  r.op = Request::Op::kUpdate;
  r.key = key;
  r.value = value;
  r.revision = expected_mod_revision;
  return Submit(&r);
}

Result<KeyValue> LevelDbStore::Delete(std::string_view key, int64_t expected_mod_revision) {
  Request r;
  r.op = Request::Op::kDelete;
  r.key = key;
  r.revision = expected_mod_revision;
  return Submit(&r);
}

Status LevelDbStore::Compact(int64_t revision) {
  Request r;
  r.op = Request::Op::kCompact;
  r.revision = revision;
  Result<KeyValue> done = Submit(&r);
  return done.status();
}

Result<std::unique_ptr<Watch>> LevelDbStore::WatchPrefix(std::string_view prefix,
                                                         int64_t after_revision,
                                                         WatchCallback callback,
                                                         WatchErrorCallback on_error) {
  return hub_->Add(prefix, after_revision, std::move(callback), std::move(on_error));
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
  r->done.release();
}

Status LevelDbStore::CompactRange(int64_t target, bool sync) {
  while (committed_compacted_ < target) {
    const int64_t end = std::min(target, committed_compacted_ + kCompactChunk);
    leveldb::WriteBatch wb;
    for (int64_t r = committed_compacted_ + 1; r <= end; ++r) wb.Delete(record::HistoryKey(r));
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
