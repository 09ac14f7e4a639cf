// `WatchEventStream`: the transport-independent half of `ApiClient::Watch` (api_client.h) — it
// splits a watch response body into JSON lines (a line may span chunks, a chunk may hold several
// lines), turns each into a `WatchEventType` and object, and calls the watch's callbacks behind
// the fence that lets `WatchHandle::Stop()` promise no callback runs after it returns.
// Transports: the TLS watch (client_watch.cc) and the in-process one
// (core/apiserver/local_api_client.cc). Tests: tests/core/client/watch_event_stream_test.cc.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/client/api_client.h"
#include "core/common/status.h"

namespace capstan::client {

// Thread-safety: the transport calls `Append`, `Finish` and `End` serially (never two at once);
// `Stop` and `Done` may be called from any thread, also from inside a callback.
class WatchEventStream {
 public:
  WatchEventStream(WatchEventCallback on_event, WatchEndCallback on_end);
  WatchEventStream(const WatchEventStream&) = delete;
  WatchEventStream& operator=(const WatchEventStream&) = delete;

  // Appends body bytes of a 200 response and delivers every complete line. Returns false once
  // the watch has ended: a line that is not a watch event (on_end got kBadRequest), Stop(), or
  // an earlier End; the transport then closes its side.
  bool Append(std::string_view data);
  // The stream ended cleanly: delivers the last line if it had no newline, then on_end(OK).
  void Finish();
  // Ends the watch with `status` (the transport's error, or the mapped status of a non-200
  // response): on_end(status) unless Stop() came first. Later calls do nothing.
  void End(const Status& status);
  // True (and the watch marked done) when Stop() was called: transports check it before
  // starting an operation, so a Stop() racing with the start cannot leave a stream running.
  bool StopRequested();

  // WatchHandle::Stop(): the first call runs `close` (the transport's "close the connection";
  // under the stream's lock, so it must not call back into this object or block). Outside the
  // callbacks, returns once no callback runs and none will; from inside one, returns at once.
  void Stop(const std::function<void()>& close);
  // True once the watch has ended (by itself or by Stop()).
  bool Done() const;

 private:
  bool DeliverLines(bool final);
  bool DeliverLine(std::string_view line);
  // Runs `fn` unless the watch ended or was stopped; false when it was (also when Stop() was
  // called by `fn`).
  template <typename Fn>
  bool Invoke(Fn&& fn);

  WatchEventCallback on_event_;
  WatchEndCallback on_end_;
  std::string pending_;  // touched only by the transport's serial calls

  mutable std::mutex mu_;  // guards the fence below
  std::condition_variable cv_;
  bool stop_requested_ = false;
  bool in_callback_ = false;
  bool done_ = false;
  std::thread::id callback_thread_;
};

}  // namespace capstan::client
