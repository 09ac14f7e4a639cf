// The pod garbage collector (see podgc_controller.h).
#include "plugins/controllers/podgc/podgc_controller.h"

#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/kit/json_subset.h"

namespace capstan::controllers {
namespace {

constexpr char kPods[] = "/v1/pods";
constexpr char kNodes[] = "/v1/nodes";
constexpr char kStrategicMerge[] = "application/strategic-merge-patch+json";

// Upstream isPodTerminated: any phase but Pending, Running and Unknown (an empty phase is
// Pending).
bool Terminated(const Json& pod) {
  std::string phase = GetStr(pod, {"status", "phase"}, "Pending");
  return phase != "Pending" && phase != "Running" && phase != "Unknown";
}

}  // namespace

sdk::Status PodGcController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  threshold_ = sdk::json::GetInt(*config, "terminatedPodGcThreshold").value_or(threshold_);
  quarantine_ms_ = sdk::json::GetInt(*config, "quarantineSeconds").value_or(40) * 1000;
  now_ms_ = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  return sdk::Status::Ok();
}

sdk::Status PodGcController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(
      Json{{"primary", kPods},
           {"watches", Json::array({Json{{"resource", kNodes}, {"map", "plugin"}}})},
           {"workers", workers_}});
  return sdk::Status::Ok();
}

sdk::Status PodGcController::MapEvent(sdk::Call& call, std::string_view resource,
                                      sdk::EventType type, std::string_view object_json,
                                      std::string* keys_json) {
  (void)call;
  *keys_json = "[]";
  if (resource != kNodes || type != sdk::EventType::kDeleted) return sdk::Status::Ok();
  std::optional<Json> node = sdk::json::Parse(object_json);
  if (!node || !node->is_object()) return sdk::Status::Invalid("event without a JSON object");
  std::string pods_text;
  sdk::Status s = host_->CacheList(kPods, "", {}, &pods_text);
  if (!s.ok()) return s;
  std::optional<Json> pods = sdk::json::Parse(pods_text);
  Json keys = Json::array();
  if (pods && pods->is_array()) {
    for (const Json& pod : *pods) {
      if (GetStr(pod, {"spec", "nodeName"}) == Name(*node)) keys.push_back(KeyOf(pod));
    }
  }
  *keys_json = sdk::json::Dump(keys);
  return sdk::Status::Ok();
}

size_t PodGcController::TerminatedCount() {
  std::lock_guard<std::mutex> lock(mu_);
  return terminated_.size();
}

void PodGcController::Index(const std::string& key, const Json* pod) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = terminated_.find(key);
  if (it != terminated_.end()) {
    ranked_.erase(it->second);
    terminated_.erase(it);
  }
  if (pod == nullptr || !Terminated(*pod) || Deleting(*pod)) return;
  bool evicted = GetStr(*pod, {"status", "reason"}) == "Evicted";
  int64_t created = ParseTime(GetStr(*pod, {"metadata", "creationTimestamp"})).value_or(0);
  Rank rank{!evicted, created, key};
  terminated_.emplace(key, rank);
  ranked_.insert(rank);
}

sdk::Status PodGcController::MarkFailedAndDelete(sdk::Call& call, const Json& pod,
                                                 const Json* condition) {
  const std::string ns = Namespace(pod);
  const std::string name = Name(pod);
  std::string phase = GetStr(pod, {"status", "phase"});
  if (phase != "Succeeded" && phase != "Failed") {
    // Nothing else will ever move this pod on (no kubelet runs it), so record how it ended.
    Json status = {{"phase", "Failed"}};
    if (condition != nullptr) {
      Json c = *condition;
      c["lastTransitionTime"] = FormatTime(now_ms_() / 1000);
      status["conditions"] = Json::array({c});
    }
    sdk::Status s = Send(call, "PATCH", ApiPath("v1", "pods", ns, name, "status"), kStrategicMerge,
                         sdk::json::Dump(Json{{"status", status}}));
    if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
    if (!s.ok()) return s;
  }
  Json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"gracePeriodSeconds", 0}};
  sdk::Status s =
      Send(call, "DELETE", ApiPath("v1", "pods", ns, name), kJson, sdk::json::Dump(options));
  if (s.code() == CAPSTAN_RC_NOT_FOUND) return sdk::Status::Ok();
  if (s.ok()) host_->Info("PodGC force-deleted pod " + ns + "/" + name);
  return s;
}

sdk::Status PodGcController::CollectTerminated(sdk::Call& call) {
  if (threshold_ <= 0) return sdk::Status::Ok();
  std::vector<std::string> victims;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t excess = static_cast<int64_t>(ranked_.size()) - threshold_;
    for (auto it = ranked_.begin(); excess > 0 && it != ranked_.end(); ++it, --excess) {
      victims.push_back(std::get<2>(*it));
    }
  }
  for (const std::string& key : victims) {
    std::string text;
    sdk::Status s = host_->CacheGet(kPods, key, &text);
    std::optional<Json> pod = s.ok() ? sdk::json::Parse(text) : std::nullopt;
    if (!pod || !pod->is_object()) {
      Index(key, nullptr);
      continue;
    }
    s = MarkFailedAndDelete(call, *pod, nullptr);
    if (!s.ok()) return s;
    Index(key, nullptr);
  }
  return sdk::Status::Ok();
}

sdk::Status PodGcController::HandleOrphan(sdk::Call& call, const Json& pod,
                                          uint64_t* requeue_after_ms) {
  const std::string node = GetStr(pod, {"spec", "nodeName"});
  std::string cached;
  sdk::Status s = host_->CacheGet(kNodes, node, &cached);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    missing_since_.erase(node);
    return sdk::Status::Ok();
  }
  if (s.code() != CAPSTAN_RC_NOT_FOUND) return sdk::Status::RetryLater(s.message(), 1000);
  const int64_t now = now_ms_();
  int64_t since = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    since = missing_since_.emplace(node, now).first->second;
  }
  if (now < since + quarantine_ms_) {
    // A node may be missing only because its watch event has not arrived yet: wait.
    *requeue_after_ms = static_cast<uint64_t>(since + quarantine_ms_ - now);
    return sdk::Status::Ok();
  }
  Json fresh;
  s = Send(call, "GET", ApiPath("v1", "nodes", "", node), "", "", &fresh);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    missing_since_.erase(node);
    return sdk::Status::Ok();
  }
  if (s.code() != CAPSTAN_RC_NOT_FOUND) return s;
  Json condition = {{"type", "DisruptionTarget"},
                    {"status", "True"},
                    {"reason", "DeletionByPodGC"},
                    {"message", "PodGC: node no longer exists"}};
  return MarkFailedAndDelete(call, pod, &condition);
}

sdk::Status PodGcController::Reconcile(sdk::Call& call, std::string_view key,
                                       uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string k(key);
  std::string cached;
  sdk::Status s = host_->CacheGet(kPods, key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    Index(k, nullptr);
    return sdk::Status::Ok();
  }
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> pod = PodStatusSubset().ParseObject(cached);
  if (!pod || !pod->is_object()) return sdk::Status::Error("cache returned a non-object");
  Index(k, &*pod);
  const bool scheduled = !GetStr(*pod, {"spec", "nodeName"}).empty();
  if (!scheduled && Deleting(*pod)) return MarkFailedAndDelete(call, *pod, nullptr);
  if (scheduled) {
    s = HandleOrphan(call, *pod, requeue_after_ms);
    if (!s.ok()) return s;
  }
  return Terminated(*pod) ? CollectTerminated(call) : sdk::Status::Ok();
}

}  // namespace capstan::controllers
