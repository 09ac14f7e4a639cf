// Pod events (events.h).
#include "core/agent/events.h"

#include <atomic>
#include <chrono>

#include "core/agent/agent.h"
#include "core/common/log.h"

namespace capstan::agent {
namespace {

using nlohmann::json;

std::string UniqueSuffix() {
  static std::atomic<uint64_t> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%llx%04llx",
                static_cast<unsigned long long>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()),
                static_cast<unsigned long long>(counter.fetch_add(1) & 0xffff));
  return buf;
}

}  // namespace

void EventRecorder::Record(const json& pod, const std::string& field_path, bool warning,
                           const std::string& reason, const std::string& message) {
  const json& meta = pod["metadata"];
  std::string ns = meta.value("namespace", "default");
  std::string pod_name = meta.value("name", "");
  std::string uid = meta.value("uid", "");
  std::string now = Rfc3339(std::chrono::system_clock::now());
  Key key{uid, field_path, reason, message};
  std::string existing;
  int count = 1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = seen_.find(key);
    if (it != seen_.end()) {
      existing = it->second.name;
      count = ++it->second.count;
    }
  }
  if (!existing.empty()) {
    Result<json> r =
        client_->Patch("/api/v1/namespaces/" + ns + "/events/" + existing,
                       "application/merge-patch+json", {{"count", count}, {"lastTimestamp", now}});
    if (r.ok()) return;
    // The event expired or was deleted: record a fresh one below.
  }
  json involved = {{"kind", "Pod"},      {"namespace", ns},
                   {"name", pod_name},   {"uid", uid},
                   {"apiVersion", "v1"}, {"resourceVersion", meta.value("resourceVersion", "")}};
  if (!field_path.empty()) involved["fieldPath"] = field_path;
  std::string name = pod_name + "." + UniqueSuffix();
  json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", name}, {"namespace", ns}}},
                {"involvedObject", involved},
                {"reason", reason},
                {"message", message},
                {"type", warning ? "Warning" : "Normal"},
                {"source", {{"component", "kubelet"}, {"host", node_name_}}},
                {"firstTimestamp", now},
                {"lastTimestamp", now},
                {"count", 1},
                {"reportingComponent", "kubelet"},
                {"reportingInstance", node_name_}};
  Result<json> r = client_->Create("/api/v1/namespaces/" + ns + "/events", event);
  if (!r.ok()) {
    log::Warn("agent", "recording event: " + r.status().ToString(), {{"reason", reason}});
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  seen_[key] = Seen{ns, name, 1};
}

void EventRecorder::Forget(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = seen_.begin(); it != seen_.end();) {
    it = std::get<0>(it->first) == uid ? seen_.erase(it) : std::next(it);
  }
}

}  // namespace capstan::agent
