// `LevelDbStore` opening and recovery, read views, and request submission (leveldb_store.h):
// synchronous callers enqueue a `Request` on their stack and block until the committer
// (leveldb_store_commit.cc) finishes it; asynchronous ones hand it over with a callback. Reads
// are in leveldb_store_read.cc.
#include "core/store/leveldb_store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>
#include <pthread.h>

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "core/store/leveldb_adapter.h"
#include "core/store/record.h"

namespace capstan::store {

LevelDbStore::LevelDbStore(std::string dir, Options options)
    : dir_(std::move(dir)), options_(options) {}

Result<std::unique_ptr<LevelDbStore>> LevelDbStore::Open(const std::string& dir, Options options) {
  if (dir.empty()) return InvalidError("store directory is empty");
  if (options.max_batch == 0) return InvalidError("store max_batch must be at least 1");
  if (options.history_revisions < 0) return InvalidError("store history_revisions is negative");
  std::unique_ptr<LevelDbStore> store(new LevelDbStore(dir, options));
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
  if (options_.env != nullptr) lo.env = options_.env;
  lo.compression = options_.compress ? leveldb::kSnappyCompression : leveldb::kNoCompression;
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
  committer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "store-commit");
    CommitLoop();
  });
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
    st = db_->Get(leveldb::ReadOptions(), record::EventRowKey(committed_), &data);
    if (st.IsNotFound()) {
      return InternalError(where + ": event row of current revision " + std::to_string(committed_) +
                           " is missing");
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

void LevelDbStore::Finish(Request* r) {
  if (!r->callback) {
    // Notify under the lock: once the caller sees `done` it may destroy `r`.
    std::lock_guard lk(r->done_mu);
    r->done = true;
    r->done_cv.notify_one();
    return;
  }
  std::unique_ptr<Request> owned(r);
  if (r->status.ok()) {
    r->callback(std::move(r->result));
  } else {
    r->callback(std::move(r->status));
  }
}

void LevelDbStore::SubmitAsync(std::unique_ptr<Request> r) {
  {
    std::lock_guard lk(queue_mu_);
    if (!stopping_) {
      queue_.push_back(r.release());
      queue_cv_.notify_one();
      return;
    }
  }
  r->callback(UnavailableError("store is closing"));
}

Result<KeyValue> LevelDbStore::Submit(Request* r) {
  if (std::this_thread::get_id() == committer_.get_id()) {
    // Waiting here would wait for this very thread.
    return InternalError("synchronous store write from a store callback (use the Async form)");
  }
  {
    std::lock_guard lk(queue_mu_);
    if (stopping_) return UnavailableError("store is closing");
    queue_.push_back(r);
  }
  queue_cv_.notify_one();
  {
    std::unique_lock lk(r->done_mu);
    r->done_cv.wait(lk, [r] { return r->done; });
  }
  if (!r->status.ok()) return r->status;
  return std::move(r->result);
}

Result<KeyValue> LevelDbStore::Create(std::string_view key, std::string_view value) {
  Request r(Request::Op::kCreate, key, value, 0);
  return Submit(&r);
}

Result<KeyValue> LevelDbStore::Update(std::string_view key, std::string_view value,
                                      int64_t expected_mod_revision) {
  Request r(Request::Op::kUpdate, key, value, expected_mod_revision);
  return Submit(&r);
}

Result<KeyValue> LevelDbStore::Delete(std::string_view key, int64_t expected_mod_revision) {
  Request r(Request::Op::kDelete, key, {}, expected_mod_revision);
  return Submit(&r);
}

void LevelDbStore::CreateAsync(std::string_view key, std::string_view value, WriteCallback done) {
  SubmitAsync(std::make_unique<Request>(Request::Op::kCreate, key, value, 0, std::move(done)));
}

void LevelDbStore::UpdateAsync(std::string_view key, std::string_view value,
                               int64_t expected_mod_revision, WriteCallback done) {
  SubmitAsync(std::make_unique<Request>(Request::Op::kUpdate, key, value, expected_mod_revision,
                                        std::move(done)));
}

void LevelDbStore::DeleteAsync(std::string_view key, int64_t expected_mod_revision,
                               WriteCallback done) {
  SubmitAsync(std::make_unique<Request>(Request::Op::kDelete, key, std::string_view(),
                                        expected_mod_revision, std::move(done)));
}

Status LevelDbStore::Compact(int64_t revision) {
  Request r(Request::Op::kCompact, {}, {}, revision);
  return Submit(&r).status();
}

Result<std::unique_ptr<Watch>> LevelDbStore::WatchPrefix(std::string_view prefix,
                                                         int64_t after_revision,
                                                         WatchCallback callback,
                                                         WatchErrorCallback on_error) {
  return hub_->Add(prefix, after_revision, std::move(callback), std::move(on_error));
}

}  // namespace capstan::store
