// Asynchronous outcome writes (outcome_writer.h).
#include "core/scheduler/outcome_writer.h"

#include <time.h>

#include <chrono>
#include <cstdio>

#include "core/common/log.h"

namespace capstan::scheduler {
namespace {

using nlohmann::json;

int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string PodPath(const PodData& pod) {
  return "/api/v1/namespaces/" + pod.namespace_name + "/pods/" + pod.name;
}

}  // namespace

std::string FormatTime(int64_t unix_ns) {
  time_t secs = static_cast<time_t>(unix_ns / 1'000'000'000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json BuildPodEvent(const PodData& pod, std::string_view type, std::string_view reason,
                   std::string_view action, std::string_view message, std::string_view component,
                   int64_t now_ns) {
  char suffix[32];
  snprintf(suffix, sizeof(suffix), ".%llx", static_cast<unsigned long long>(now_ns));
  std::string ts = FormatTime(now_ns);
  return json{
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", pod.name + suffix}, {"namespace", pod.namespace_name}}},
      {"involvedObject",
       {{"apiVersion", "v1"},
        {"kind", "Pod"},
        {"namespace", pod.namespace_name},
        {"name", pod.name},
        {"uid", pod.uid}}},
      {"reason", reason},
      {"message", message},
      {"type", type},
      {"action", action},
      {"source", {{"component", component}}},
      {"reportingComponent", component},
      {"reportingInstance", component},
      {"firstTimestamp", ts},
      {"lastTimestamp", ts},
      {"count", 1},
  };
}

json BuildUnschedulablePatch(std::string_view reason, std::string_view message,
                             std::string_view nominated_node, int64_t now_ns) {
  json status = {{"conditions", json::array({{{"type", "PodScheduled"},
                                              {"status", "False"},
                                              {"reason", reason},
                                              {"message", message},
                                              {"lastProbeTime", nullptr},
                                              {"lastTransitionTime", FormatTime(now_ns)}}})}};
  if (!nominated_node.empty()) status["nominatedNodeName"] = nominated_node;
  return json{{"status", std::move(status)}};
}

bool ConditionUnchanged(const json& pod, std::string_view reason, std::string_view message) {
  auto status = pod.find("status");
  if (status == pod.end() || !status->is_object()) return false;
  auto conds = status->find("conditions");
  if (conds == status->end() || !conds->is_array()) return false;
  auto str = [](const json& obj, const char* key) -> std::string_view {
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                              : std::string_view();
  };
  for (const json& c : *conds) {
    if (!c.is_object() || str(c, "type") != "PodScheduled") continue;
    return str(c, "status") == "False" && str(c, "reason") == reason &&
           str(c, "message") == message;
  }
  return false;
}

OutcomeWriter::OutcomeWriter(std::shared_ptr<SchedulerApi> api, std::string component,
                             size_t max_backlog)
    : api_(std::move(api)), component_(std::move(component)), pool_(1, max_backlog) {}

int64_t OutcomeWriter::failed_writes() const { return failed_writes_.load(); }

void OutcomeWriter::Send(std::string_view method, const std::string& path,
                         std::string_view content_type, std::string body) {
  Result<ApiReply> reply =
      api_->Request(method, path, content_type, std::move(body), std::chrono::milliseconds(10'000));
  if (reply.ok() && reply->status >= 200 && reply->status < 300) return;
  failed_writes_.fetch_add(1, std::memory_order_relaxed);
  std::string why = reply.ok() ? "HTTP " + std::to_string(reply->status) + ": " + reply->body
                               : reply.status().ToString();
  log::Warn("scheduler", "outcome write failed", {{"path", path}, {"error", why}});
}

void OutcomeWriter::Scheduled(const std::shared_ptr<const PodInfo>& pod, const std::string& node) {
  if (api_ == nullptr) return;
  pool_.Post([this, pod, node] {
    const PodData& d = pod->data();
    std::string msg = "Successfully assigned " + d.key + " to " + node;
    json event = BuildPodEvent(d, "Normal", "Scheduled", "Binding", msg, component_, NowUnixNs());
    Send("POST", "/api/v1/namespaces/" + d.namespace_name + "/events", "application/json",
         event.dump());
  });
}

void OutcomeWriter::Failed(const std::shared_ptr<const PodInfo>& pod, std::string reason,
                           std::string message, std::string nominated_node) {
  if (api_ == nullptr) return;
  pool_.Post([this, pod, reason = std::move(reason), message = std::move(message),
              nominated = std::move(nominated_node)] {
    const PodData& d = pod->data();
    int64_t now = NowUnixNs();
    if (!ConditionUnchanged(d.object->json(), reason, message) || !nominated.empty()) {
      json patch = BuildUnschedulablePatch(reason, message, nominated, now);
      Send("PATCH", PodPath(d) + "/status", "application/strategic-merge-patch+json", patch.dump());
    }
    json event =
        BuildPodEvent(d, "Warning", "FailedScheduling", "Scheduling", message, component_, now);
    Send("POST", "/api/v1/namespaces/" + d.namespace_name + "/events", "application/json",
         event.dump());
  });
}

}  // namespace capstan::scheduler
