// Node events (node_events.h).
#include "core/agent/node_events.h"

#include <chrono>

#include "core/agent/agent.h"
#include "core/agent/events.h"
#include "core/common/log.h"

namespace capstan::agent {
namespace {

using nlohmann::json;
constexpr char kNamespace[] = "default";  // where upstream records events on cluster objects
constexpr size_t kMaxSeen = 64;

}  // namespace

void NodeEventRecorder::Record(bool warning, const std::string& reason,
                               const std::string& message) {
  std::string now = Rfc3339(std::chrono::system_clock::now());
  std::string events = std::string("/api/v1/namespaces/") + kNamespace + "/events";
  std::string existing;
  int count = 1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = seen_.find({reason, message});
    if (it != seen_.end()) {
      existing = it->second.name;
      count = ++it->second.count;
    }
  }
  if (!existing.empty()) {
    Result<json> r = client_->Patch(events + "/" + existing, "application/merge-patch+json",
                                    {{"count", count}, {"lastTimestamp", now}});
    if (r.ok()) return;
    // The event expired or was deleted: record a fresh one below.
  }
  std::string name = EventName(node_name_);
  json event =
      KubeletEvent(name, kNamespace, {{"kind", "Node"}, {"name", node_name_}, {"uid", node_name_}},
                   warning, reason, message, node_name_, now);
  Result<json> r = client_->Create(events, event);
  if (!r.ok()) {
    log::Warn("agent", "recording node event: " + r.status().ToString(), {{"reason", reason}});
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (seen_.size() >= kMaxSeen) seen_.clear();  // messages carrying figures rarely repeat
  seen_[{reason, message}] = Seen{name, 1};
}

}  // namespace capstan::agent
