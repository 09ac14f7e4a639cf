// `WatchEventStream` (watch_event_stream.h): JSON lines to watch events, and the callback fence.
#include "core/client/watch_event_stream.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/common/config.h"

namespace capstan::client {

WatchEventStream::WatchEventStream(WatchEventCallback on_event, WatchEndCallback on_end)
    : on_event_(std::move(on_event)), on_end_(std::move(on_end)) {}

template <typename Fn>
bool WatchEventStream::Invoke(Fn&& fn) {
  {
    std::lock_guard l(mu_);
    if (stop_requested_ || done_) return false;
    in_callback_ = true;
    callback_thread_ = std::this_thread::get_id();
  }
  fn();
  std::lock_guard l(mu_);
  in_callback_ = false;
  cv_.notify_all();
  return !stop_requested_;
}

bool WatchEventStream::Append(std::string_view data) {
  {
    std::lock_guard l(mu_);
    if (stop_requested_ || done_) return false;
  }
  pending_.append(data.data(), data.size());
  return DeliverLines(false);
}

void WatchEventStream::Finish() {
  if (!DeliverLines(true)) return;
  End(Status::Ok());
}

void WatchEventStream::End(const Status& status) {
  Invoke([&] {
    if (on_end_) on_end_(status);
  });
  std::lock_guard l(mu_);
  done_ = true;
}

bool WatchEventStream::StopRequested() {
  std::lock_guard l(mu_);
  if (stop_requested_) done_ = true;
  return stop_requested_;
}

void WatchEventStream::Stop(const std::function<void()>& close) {
  std::unique_lock l(mu_);
  if (!stop_requested_) {
    stop_requested_ = true;
    if (close) close();
  }
  if (in_callback_ && callback_thread_ == std::this_thread::get_id()) return;
  cv_.wait(l, [&] { return !in_callback_; });
}

bool WatchEventStream::Done() const {
  std::lock_guard l(mu_);
  return done_ || stop_requested_;
}

// Delivers every complete line in `pending_` (and the rest when `final`). False when the watch
// ended meanwhile (a bad line, or Stop()).
bool WatchEventStream::DeliverLines(bool final) {
  size_t start = 0;
  while (true) {
    size_t nl = pending_.find('\n', start);
    if (nl == std::string::npos && !(final && start < pending_.size())) break;
    size_t end = nl == std::string::npos ? pending_.size() : nl;
    std::string_view line(pending_.data() + start, end - start);
    start = nl == std::string::npos ? pending_.size() : nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (!DeliverLine(line)) return false;
  }
  pending_.erase(0, start);
  return true;
}

bool WatchEventStream::DeliverLine(std::string_view line) {
  Result<nlohmann::json> ev = config::ParseJson(line, "watch event");
  const nlohmann::json* type = nullptr;
  if (ev.ok() && ev->is_object()) {
    auto t = ev->find("type");
    if (t != ev->end() && t->is_string()) type = &*t;
  }
  if (type == nullptr || !ev->contains("object")) {
    End(BadRequestError("watch: not a watch event: " + std::string(line.substr(0, 200))));
    return false;
  }
  const std::string& name = type->get_ref<const std::string&>();
  WatchEventType kind;
  if (name == "ADDED") {
    kind = WatchEventType::kAdded;
  } else if (name == "MODIFIED") {
    kind = WatchEventType::kModified;
  } else if (name == "DELETED") {
    kind = WatchEventType::kDeleted;
  } else if (name == "BOOKMARK") {
    kind = WatchEventType::kBookmark;
  } else if (name == "ERROR") {
    kind = WatchEventType::kError;
  } else {
    return true;  // unknown event types are skipped, as client-go does
  }
  auto object = std::make_shared<const nlohmann::json>(std::move((*ev)["object"]));
  return Invoke([&] {
    if (on_event_) on_event_(kind, object);
  });
}

}  // namespace capstan::client
