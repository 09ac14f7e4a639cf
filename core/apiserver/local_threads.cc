// `LocalThreads` (local_threads.h): an io_context run by a fixed set of threads.
#include "core/apiserver/local_threads.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <utility>

namespace capstan::apiserver {

LocalThreads::LocalThreads(int threads)
    : ioc_(std::max(1, threads)),
      work_(std::make_unique<
            boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          ioc_.get_executor())) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
}

LocalThreads::~LocalThreads() { Stop(); }

bool LocalThreads::Post(std::function<void()> fn) {
  {
    std::lock_guard l(mu_);
    if (!stopped_) {
      boost::asio::post(ioc_, std::move(fn));
      return true;
    }
  }
  fn = nullptr;  // destroyed outside the lock: it may hold the last reference to a sink
  return false;
}

void LocalThreads::PostOrRun(std::function<void()> fn) {
  {
    std::lock_guard l(mu_);
    if (!stopped_) {
      boost::asio::post(ioc_, std::move(fn));
      return;
    }
  }
  if (fn) fn();
}

void LocalThreads::Stop() {
  {
    std::lock_guard l(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  // With the guard gone, run() returns once the queue is empty; nothing new can be queued.
  work_.reset();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

}  // namespace capstan::apiserver
