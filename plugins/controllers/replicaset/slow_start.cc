// Slow-start batches of concurrent work on the host's executor (see slow_start.h).
#include "plugins/controllers/replicaset/slow_start.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace capstan::controllers {
namespace {

// One batch in flight. Every posted task holds a `Finished` token; the count drops when the
// token dies — after the task ran, or when the host drops the task unrun — so the wait ends
// either way.
struct Batch {
  std::mutex mu;
  std::condition_variable cv;
  int64_t left = 0;
  std::vector<sdk::Status> results;
};

class Finished {
 public:
  explicit Finished(std::shared_ptr<Batch> batch) : batch_(std::move(batch)) {}
  Finished(const Finished&) = delete;
  Finished& operator=(const Finished&) = delete;
  ~Finished() {
    std::lock_guard<std::mutex> lock(batch_->mu);
    if (--batch_->left == 0) batch_->cv.notify_all();
  }

 private:
  std::shared_ptr<Batch> batch_;
};

}  // namespace

SlowStartResult SlowStart(const sdk::Host& host, const sdk::Call& call, int64_t count,
                          const std::function<sdk::Status(int64_t)>& fn) {
  SlowStartResult r;
  int64_t done = 0;
  int64_t last_batch_ns = 0;
  for (int64_t size = 1; done < count; size *= 2) {
    int64_t n = std::min(size, count - done);
    int64_t deadline = call.deadline_mono_ns();
    int64_t start = sdk::Call::MonotonicNowNs();
    if (call.Cancelled()) {
      r.skipped = count - done;
      r.first_error = sdk::Status::DeadlineExceeded("cancelled after " + std::to_string(done) +
                                                    " of " + std::to_string(count));
      return r;
    }
    // A batch twice the last one's size takes up to twice as long once the host's threads or
    // connections are saturated; leave the rest to the next sync rather than overrun.
    if (done > 0 && deadline != 0 && start + 2 * last_batch_ns > deadline) {
      r.skipped = count - done;
      return r;
    }
    auto batch = std::make_shared<Batch>();
    batch->left = n;
    batch->results.assign(static_cast<size_t>(n),
                          sdk::Status::Unavailable("the host dropped the task"));
    for (int64_t i = 0; i < n; ++i) {
      int64_t item = done + i;
      auto token = std::make_shared<Finished>(batch);
      sdk::Status posted = host.Post(
          [batch, token, item, i, &fn] { batch->results[static_cast<size_t>(i)] = fn(item); });
      // Refused: the task (and its token) is gone already; run the item here.
      if (!posted.ok()) batch->results[static_cast<size_t>(i)] = fn(item);
    }
    {
      std::unique_lock<std::mutex> lock(batch->mu);
      batch->cv.wait(lock, [&] { return batch->left == 0; });
    }
    last_batch_ns = sdk::Call::MonotonicNowNs() - start;
    for (const sdk::Status& s : batch->results) {
      if (s.ok()) {
        ++r.successes;
      } else if (r.first_error.ok()) {
        r.first_error = s;
      }
    }
    done += n;
    if (!r.first_error.ok()) {
      r.skipped = count - done;
      return r;
    }
  }
  return r;
}

}  // namespace capstan::controllers
