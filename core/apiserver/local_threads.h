// `LocalThreads`: the threads an in-process API client (local_api_client.h) owns, on which its
// exchange sinks (local_exchange_sink.h) deliver watch events and run `on_written` callbacks —
// never on the server's worker threads nor on the caller's. Shared by the client and its sinks,
// so a server thread that answers after the client is gone posts into a closed queue, not into
// freed memory.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace capstan::apiserver {

// Thread-safe.
class LocalThreads {
 public:
  explicit LocalThreads(int threads);
  // Stop().
  ~LocalThreads();
  LocalThreads(const LocalThreads&) = delete;
  LocalThreads& operator=(const LocalThreads&) = delete;

  // Queues `fn` to run on one of the threads. Returns false, and destroys `fn` without running
  // it, once Stop() has begun.
  bool Post(std::function<void()> fn);
  // Post, or — once stopped — runs `fn` on the calling thread (for callbacks that must run,
  // such as OnClosed).
  void PostOrRun(std::function<void()> fn);
  // Refuses new work, runs everything already queued, then joins the threads. Idempotent; must
  // not be called from one of the threads.
  void Stop();

 private:
  boost::asio::io_context ioc_;
  std::mutex mu_;  // guards `stopped_` against Post
  bool stopped_ = false;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

}  // namespace capstan::apiserver
