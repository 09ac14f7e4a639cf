// Pod events (events.h).
#include "core/agent/events.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <utility>

#include "core/agent/agent.h"
#include "core/common/log.h"

namespace capstan::agent {
namespace {

using nlohmann::json;

}  // namespace

std::string EventName(const std::string& object) {
  static std::atomic<uint64_t> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  char buf[40];
  std::snprintf(buf, sizeof(buf), ".%llx%04llx",
                static_cast<unsigned long long>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()),
                static_cast<unsigned long long>(counter.fetch_add(1) & 0xffff));
  return object + buf;
}

json KubeletEvent(const std::string& name, const std::string& ns, json involved, bool warning,
                  const std::string& reason, const std::string& message, const std::string& node,
                  const std::string& now) {
  return {{"apiVersion", "v1"},
          {"kind", "Event"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"involvedObject", std::move(involved)},
          {"reason", reason},
          {"message", message},
          {"type", warning ? "Warning" : "Normal"},
          {"source", {{"component", "kubelet"}, {"host", node}}},
          {"firstTimestamp", now},
          {"lastTimestamp", now},
          {"count", 1},
          {"reportingComponent", "kubelet"},
          {"reportingInstance", node}};
}

EventRecorder::EventRecorder(client::ApiClient* client, std::string node_name)
    : client_(client), node_name_(std::move(node_name)) {
  sender_ = std::thread([this] { SendLoop(); });
}

EventRecorder::~EventRecorder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    drain_until_ = std::chrono::steady_clock::now() + kDrainTime;
  }
  cv_.notify_all();
  sender_.join();
}

void EventRecorder::Record(const json& pod, const std::string& field_path, bool warning,
                           const std::string& reason, const std::string& message) {
  const json& meta = pod["metadata"];
  Pending p;
  p.ns = meta.value("namespace", "default");
  p.pod_name = meta.value("name", "");
  p.uid = meta.value("uid", "");
  p.resource_version = meta.value("resourceVersion", "");
  p.field_path = field_path;
  p.warning = warning;
  p.reason = reason;
  p.message = message;
  p.now = Rfc3339(std::chrono::system_clock::now());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= kMaxQueued) {
      log::Warn("agent", "event queue full; dropping event", {{"reason", reason}});
      return;
    }
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
}

void EventRecorder::Forget(const std::string& uid) {
  Pending p;
  p.forget = true;
  p.uid = uid;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
}

void EventRecorder::SendLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, everything sent
    if (stopping_ && std::chrono::steady_clock::now() >= drain_until_) {
      log::Warn("agent", "dropping unsent events at shutdown",
                {{"count", std::to_string(queue_.size())}});
      return;
    }
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    Send(p);
    lock.lock();
  }
}

void EventRecorder::Send(const Pending& p) {
  if (p.forget) {
    for (auto it = seen_.begin(); it != seen_.end();) {
      it = std::get<0>(it->first) == p.uid ? seen_.erase(it) : std::next(it);
    }
    return;
  }
  Key key{p.uid, p.field_path, p.reason, p.message};
  auto it = seen_.find(key);
  if (it != seen_.end()) {
    int count = it->second.count + 1;
    Result<json> r = client_->Patch("/api/v1/namespaces/" + p.ns + "/events/" + it->second.name,
                                    "application/merge-patch+json",
                                    {{"count", count}, {"lastTimestamp", p.now}});
    if (r.ok()) {
      it->second.count = count;
      return;
    }
    // The event expired or was deleted: record a fresh one below.
  }
  json involved = {{"kind", "Pod"}, {"namespace", p.ns},  {"name", p.pod_name},
                   {"uid", p.uid},  {"apiVersion", "v1"}, {"resourceVersion", p.resource_version}};
  if (!p.field_path.empty()) involved["fieldPath"] = p.field_path;
  std::string name = EventName(p.pod_name);
  json event = KubeletEvent(name, p.ns, std::move(involved), p.warning, p.reason, p.message,
                            node_name_, p.now);
  Result<json> r = client_->Create("/api/v1/namespaces/" + p.ns + "/events", event);
  if (!r.ok()) {
    log::Warn("agent", "recording event: " + r.status().ToString(), {{"reason", p.reason}});
    return;
  }
  seen_[key] = Seen{p.ns, name, 1};
}

}  // namespace capstan::agent
