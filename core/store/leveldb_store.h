// `LevelDbStore`: the embedded `Store` backend (store.h) on LevelDB. Writes go through one
// committer thread that group-commits every pending request in one synced WriteBatch (one
// fdatasync per batch); revision-keyed event rows make watches and old-revision lists survive
// restarts. Row layout in record.h; opening in leveldb_store.cc, commits in
// leveldb_store_commit.cc, reads in leveldb_store_read.cc, watch delivery in watch_hub.h.
// Tests in tests/core/store/leveldb_store*_test.cc.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/common/status.h"
#include "core/store/store.h"
#include "core/store/watch_hub.h"

namespace leveldb {
class Cache;
class DB;
class Env;
class FilterPolicy;
class Snapshot;
class WriteBatch;
}  // namespace leveldb

namespace capstan::store {

// Durability: a write returns (or its async callback runs) only after the WriteBatch holding it
// was fdatasync'd; concurrent writes share one batch and one sync. Reads see exactly the
// acknowledged state (a LevelDB snapshot published after each commit), never a half-committed
// batch. Watches: every watcher is a cursor over the revision stream served by one notifier
// thread; writers never wait for it; a watcher that falls out of the in-memory tail replays
// from disk, and ends with kGone if compaction overtakes it (see store.h, watch_hub.h).
//
// Thread-safety: every method may be called from any thread (the `Store` contract). State is
// split three ways: the request queue behind `queue_mu_`; the published read view behind
// `view_mu_`; everything about writing (next revision, sticky failure, compaction progress) is
// owned by the committer thread alone. Watch delivery is the `WatchHub`'s.
class LevelDbStore final : public Store {
 public:
  struct Options {
    // Keep at least this many latest revisions of history; older rows are deleted as writes
    // arrive (auto-compaction). 0 keeps everything until Compact().
    int64_t history_revisions = 100000;
    // At most this many requests per WriteBatch (and fdatasync). >= 1.
    size_t max_batch = 1024;
    // false skips fdatasync: acknowledged writes survive a process crash but not a power loss.
    // For tests and benchmarks only.
    bool sync = true;
    // Snappy-compress LevelDB table blocks. Off by default: on pod-like JSON it saves ~2.3x
    // disk but costs ~20% more CPU per write and slows lists, and CPU is the scarcer resource.
    bool compress = false;
    // LevelDB's block cache and memtable size; both grow only with use.
    size_t block_cache_bytes = 8u << 20;
    size_t write_buffer_bytes = 8u << 20;
    WatchHub::Options watch;
    // File system for LevelDB; null means the real one. Not owned; must outlive the store.
    // For fault-injection tests.
    leveldb::Env* env = nullptr;
  };

  // Counters since Open(), for benchmarks and metrics.
  struct Stats {
    // WriteBatches written by the committer: one log fdatasync each when `sync` (LevelDB adds
    // its own syncs, off the write path, when it writes table files).
    int64_t commits = 0;
    int64_t writes = 0;         // successful creates, updates and deletes
    int64_t failed_writes = 0;  // rejected by CAS, existence checks or I/O errors
  };

  // Opens or creates the store in directory `dir` (created with parents when missing).
  // Recovers the current and compacted revisions; values and history are read on demand.
  // Errors: kInvalid for bad options; kUnavailable when LevelDB cannot open `dir` (locked by
  // another process, I/O); kInternal when `dir` holds something that is not a Capstan store or
  // its meta rows are damaged.
  static Result<std::unique_ptr<LevelDbStore>> Open(const std::string& dir, Options options);
  static Result<std::unique_ptr<LevelDbStore>> Open(const std::string& dir) {
    return Open(dir, Options());
  }

  // Finishes queued writes, ends watches with kUnavailable, closes the DB. No other method may
  // run concurrently with the destructor. Watch handles may outlive the store.
  ~LevelDbStore() override;
  LevelDbStore(const LevelDbStore&) = delete;
  LevelDbStore& operator=(const LevelDbStore&) = delete;

  int64_t CurrentRevision() const override;
  int64_t CompactedRevision() const override;
  Result<KeyValue> Get(std::string_view key) override;
  Result<ListResult> List(const ListOptions& options) override;
  // After an I/O error the store refuses all further writes with kUnavailable: the outcome of
  // the failed batch on disk is unknown, so only a restart (which recovers) is safe.
  Result<KeyValue> Create(std::string_view key, std::string_view value) override;
  Result<KeyValue> Update(std::string_view key, std::string_view value,
                          int64_t expected_mod_revision) override;
  Result<KeyValue> Delete(std::string_view key, int64_t expected_mod_revision) override;
  // `done` runs on the committer thread right after the batch is durable and visible; a slow
  // callback delays the next batch. A synchronous write from `done` fails with kInternal.
  void CreateAsync(std::string_view key, std::string_view value, WriteCallback done) override;
  void UpdateAsync(std::string_view key, std::string_view value, int64_t expected_mod_revision,
                   WriteCallback done) override;
  void DeleteAsync(std::string_view key, int64_t expected_mod_revision,
                   WriteCallback done) override;
  using Store::WatchPrefix;
  Result<std::unique_ptr<Watch>> WatchPrefix(std::string_view prefix, int64_t after_revision,
                                             WatchCallback callback,
                                             WatchErrorCallback on_error) override;
  Status Compact(int64_t revision) override;

  Stats GetStats() const;

 private:
  // One caller's write. Synchronous requests live on the caller's stack until `done` is set
  // and borrow its key and value; asynchronous ones own copies and are freed after `callback`.
  struct Request {
    enum class Op : uint8_t { kCreate, kUpdate, kDelete, kCompact };

    Request(Op o, std::string_view k, std::string_view v, int64_t rev)
        : op(o), key(k), value(v), revision(rev) {}
    Request(Op o, std::string_view k, std::string_view v, int64_t rev, WriteCallback cb)
        : op(o), owned_key(k), owned_value(v), revision(rev), callback(std::move(cb)) {
      key = owned_key;
      value = owned_value;
    }

    Op op;
    std::string owned_key;
    std::string owned_value;
    std::string_view key;
    std::string_view value;
    int64_t revision;        // expected mod revision (0: any), or the compaction target
    WriteCallback callback;  // set for asynchronous requests
    Status status;
    KeyValue result;
    // Completion of a synchronous request. Not a std::binary_semaphore: libstdc++'s spins with
    // sched_yield before sleeping, which steals the committer's CPU when many writers wait.
    std::mutex done_mu;
    std::condition_variable done_cv;
    bool done = false;
  };
  class Batch;
  // What readers see: a LevelDB snapshot taken right after a durable commit, and its revisions.
  // The shared_ptr deleter releases the snapshot.
  struct View {
    const leveldb::Snapshot* snapshot = nullptr;
    int64_t revision = 0;
    int64_t compacted = 0;
  };

  LevelDbStore(std::string dir, Options options);
  Status Init();
  Status LoadMeta();
  Result<KeyValue> Submit(Request* request);
  void SubmitAsync(std::unique_ptr<Request> request);
  // Hands `request` its outcome: wakes a synchronous caller or runs and frees an async one.
  static void Finish(Request* request);
  void CommitLoop();
  void CommitRequests(const std::vector<Request*>& requests);
  void Publish(int64_t revision, int64_t compacted);
  void CompactNow(Request* request);
  Status CompactRange(int64_t target, bool sync);
  // Adds to `wb` the deletes that compact history from `from` (exclusive) to `to`: every event
  // row, and each value row those events superseded. Events above `committed_` are taken from
  // `pending` (the batch being built, starting at committed_ + 1).
  void AddCompaction(int64_t from, int64_t to, const std::vector<Event>& pending,
                     leveldb::WriteBatch* wb);
  std::shared_ptr<const View> CurrentView() const;
  Status ReadHistory(int64_t from, int64_t to, size_t max_events, std::vector<Event>* out) const;

  const std::string dir_;
  const Options options_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<leveldb::DB> db_;
  std::shared_ptr<WatchHub> hub_;

  // Request queue, filled by callers and drained by the committer.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Request*> queue_;
  bool stopping_ = false;

  // The latest durable state readers see: a LevelDB snapshot and its revisions.
  mutable std::mutex view_mu_;
  std::shared_ptr<const View> view_;
  std::atomic<int64_t> current_{0};
  std::atomic<int64_t> compacted_{0};

  // Owned by the committer thread (and by Open before it starts).
  int64_t committed_ = 0;
  int64_t committed_compacted_ = 0;
  Status failed_;

  std::atomic<int64_t> stat_commits_{0};
  std::atomic<int64_t> stat_writes_{0};
  std::atomic<int64_t> stat_failed_{0};
  std::thread committer_;
};

}  // namespace capstan::store
