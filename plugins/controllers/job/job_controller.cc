// The Job controller (see job_controller.h).
#include "plugins/controllers/job/job_controller.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "plugins/controllers/kit/api.h"
#include "plugins/controllers/kit/json_subset.h"

namespace capstan::controllers {
namespace {

constexpr char kComponent[] = "job-controller";
constexpr char kJobs[] = "batch/v1/jobs";
constexpr char kCompletionsReached[] = "CompletionsReached";
constexpr char kCompletionsMessage[] = "Reached expected number of succeeded pods";

int64_t OptNum(const Json& job, std::string_view field) {
  const Json* v = sdk::json::FindPath(job, {"spec", field});
  return v != nullptr && v->is_number_integer() ? v->get<int64_t>() : -1;
}

bool Indexed(const Json& job) { return GetStr(job, {"spec", "completionMode"}) == "Indexed"; }

}  // namespace

sdk::Status JobController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  return sdk::Status::Ok();
}

void JobController::SetClockForTesting(Clock clock) {
  clock_ = clock;
  expectations_.set_clock(std::move(clock));
}

sdk::Status JobController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(
      Json{{"primary", kJobs},
           {"watches", Json::array({Json{{"resource", "/v1/pods"}, {"map", "plugin"}}})},
           {"workers", workers_}});
  return sdk::Status::Ok();
}

sdk::Status JobController::MapEvent(sdk::Call& call, std::string_view resource, sdk::EventType type,
                                    std::string_view object_json, std::string* keys_json) {
  (void)call, (void)type;
  *keys_json = "[]";
  if (resource != "/v1/pods") return sdk::Status::Ok();
  std::optional<Json> pod = ParseObjectMeta(object_json);
  if (!pod || !pod->is_object()) return sdk::Status::Invalid("pod event without a JSON object");
  const Json* ref = ControllerRef(*pod);
  if (ref == nullptr || GetStr(*ref, {"kind"}) != "Job" ||
      GetStr(*ref, {"apiVersion"}) != "batch/v1") {
    return sdk::Status::Ok();
  }
  *keys_json = sdk::json::Dump(Json::array({Namespace(*pod) + "/" + GetStr(*ref, {"name"})}));
  return sdk::Status::Ok();
}

Json JobController::NewPod(const Json& job, int64_t index) const {
  const Json* tmpl = sdk::json::FindPath(job, {"spec", "template"});
  Json meta = Json::object();
  meta["generateName"] = Name(job) + "-" + (index >= 0 ? std::to_string(index) + "-" : "");
  meta["namespace"] = Namespace(job);
  for (const char* field : {"labels", "annotations", "finalizers"}) {
    if (const Json* v =
            tmpl != nullptr ? sdk::json::FindPath(*tmpl, {"metadata", field}) : nullptr) {
      meta[field] = *v;
    }
  }
  meta["ownerReferences"] = Json::array({NewControllerRef(job, "batch/v1", "Job")});
  const Json* spec_in = tmpl != nullptr ? sdk::json::Find(*tmpl, "spec") : nullptr;
  Json spec = spec_in != nullptr ? *spec_in : Json::object();
  if (index >= 0) {
    std::string i = std::to_string(index);
    meta["annotations"][kCompletionIndexKey] = i;
    meta["labels"][kCompletionIndexKey] = i;
    if (!spec.contains("hostname")) spec["hostname"] = Name(job) + "-" + i;
    for (const char* list : {"containers", "initContainers"}) {
      if (!spec.contains(list) || !spec[list].is_array()) continue;
      for (Json& c : spec[list]) {
        Json env = Json::array({Json{
            {"name", "JOB_COMPLETION_INDEX"},
            {"valueFrom",
             {{"fieldRef",
               {{"fieldPath", std::string("metadata.labels['") + kCompletionIndexKey + "']"}}}}}}});
        if (c.contains("env") && c["env"].is_array()) {
          for (const Json& e : c["env"]) env.push_back(e);
        }
        c["env"] = env;
      }
    }
  }
  return Json{{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", spec}};
}

sdk::Status JobController::CreatePods(sdk::Call& call, const std::string& key, const Json& job,
                                      const std::vector<int64_t>& indexes) {
  std::string path = ApiPath("v1", "pods", Namespace(job));
  for (int64_t index : indexes) {
    if (call.Cancelled()) return sdk::Status::DeadlineExceeded("cancelled while creating pods");
    Json created;
    sdk::Status s = Send(call, "POST", path, kJson, sdk::json::Dump(NewPod(job, index)), &created);
    if (!s.ok()) {
      RecordEvent(call, job, "batch/v1", "Job", kComponent, "Warning", "FailedCreate",
                  "Error creating: " + s.message(), clock_());
      return s.code() == CAPSTAN_RC_RETRY_LATER ? s : sdk::Status::Error(s.message());
    }
    expectations_.ExpectCreated(key, Name(created));
    RecordEvent(call, job, "batch/v1", "Job", kComponent, "Normal", "SuccessfulCreate",
                "Created pod: " + Name(created), clock_());
  }
  return sdk::Status::Ok();
}

sdk::Status JobController::DeletePods(sdk::Call& call, const std::string& key, const Json& job,
                                      const std::vector<Json>& pods) {
  for (const Json& pod : pods) {
    sdk::Status s =
        Send(call, "DELETE", ApiPath("v1", "pods", Namespace(pod), Name(pod)), kJson, "");
    if (s.code() == CAPSTAN_RC_NOT_FOUND) continue;
    if (!s.ok()) return s.code() == CAPSTAN_RC_RETRY_LATER ? s : sdk::Status::Error(s.message());
    expectations_.ExpectDeleted(key, Uid(pod));
    RecordEvent(call, job, "batch/v1", "Job", kComponent, "Normal", "SuccessfulDelete",
                "Deleted pod: " + Name(pod), clock_());
  }
  return sdk::Status::Ok();
}

sdk::Status JobController::Reconcile(sdk::Call& call, std::string_view key,
                                     uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string k(key);
  std::string cached;
  sdk::Status s = host_->CacheGet(kJobs, key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    expectations_.Forget(k);
    return sdk::Status::Ok();
  }
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> parsed = sdk::json::Parse(cached);
  if (!parsed || !parsed->is_object()) return sdk::Status::Error("cache returned a non-object");
  const Json& job = *parsed;
  Json status =
      job.contains("status") && job["status"].is_object() ? job["status"] : Json::object();
  Json conditions = status.contains("conditions") && status["conditions"].is_array()
                        ? status["conditions"]
                        : Json::array();
  if (HasTrueCondition(conditions, "Complete") || HasTrueCondition(conditions, "Failed")) {
    return sdk::Status::Ok();  // finished Jobs are never touched again
  }
  if (Deleting(job)) return sdk::Status::Ok();

  std::string pods_text;
  s = host_->CacheList("/v1/pods", Namespace(job), {}, &pods_text);
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> all = sdk::json::Parse(pods_text);
  if (!all || !all->is_array()) return sdk::Status::Error("cache returned a non-array pod list");
  bool satisfied = expectations_.Satisfied(k, *all);
  std::vector<Json> owned;
  for (const Json& pod : *all) {
    const Json* ref = ControllerRef(pod);
    if (ref != nullptr && GetStr(*ref, {"uid"}) == Uid(job)) owned.push_back(pod);
  }

  const bool indexed = Indexed(job);
  const int64_t completions = OptNum(job, "completions");
  const int64_t parallelism = std::max<int64_t>(0, GetNum(job, {"spec", "parallelism"}, 1));
  const int64_t backoff_limit = GetNum(job, {"spec", "backoffLimit"}, 6);
  const int64_t deadline = OptNum(job, "activeDeadlineSeconds");
  const bool suspended = sdk::json::FindPath(job, {"spec", "suspend"}) != nullptr &&
                         job["spec"]["suspend"].is_boolean() && job["spec"]["suspend"].get<bool>();
  JobPods pods = CountJobPods(owned, indexed ? completions : -1);
  // Counts never go down: terminated pods may be removed by someone else after being counted.
  int64_t succeeded = std::max(pods.succeeded, GetNum(status, {"succeeded"}));
  int64_t failed = std::max(pods.failed, GetNum(status, {"failed"}));
  if (indexed) succeeded = static_cast<int64_t>(pods.succeeded_indexes.size());
  const int64_t now = clock_();
  if (!suspended && !status.contains("startTime")) status["startTime"] = FormatTime(now);
  std::optional<int64_t> started = ParseTime(GetStr(status, {"startTime"}));

  const bool was_failing = HasTrueCondition(conditions, "FailureTarget");
  const bool was_succeeding = HasTrueCondition(conditions, "SuccessCriteriaMet");
  if (!was_failing && !was_succeeding) {
    bool complete =
        completions >= 0 ? succeeded >= completions : succeeded > 0 && pods.active.empty();
    if (failed > backoff_limit) {
      EnsureCondition(conditions, "FailureTarget", "BackoffLimitExceeded",
                      "Job has reached the specified backoff limit", now);
    } else if (deadline >= 0 && started && !suspended && now - *started >= deadline) {
      EnsureCondition(conditions, "FailureTarget", "DeadlineExceeded",
                      "Job was active longer than specified deadline", now);
    } else if (complete) {
      EnsureCondition(conditions, "SuccessCriteriaMet", kCompletionsReached, kCompletionsMessage,
                      now);
    }
  }
  sdk::Status manage;
  const bool failing = HasTrueCondition(conditions, "FailureTarget");
  const bool succeeding = HasTrueCondition(conditions, "SuccessCriteriaMet");
  if (failing || succeeding) {
    // The outcome is decided: the rest of the pods go; the terminal condition follows once
    // none is left running (v1.32 delays Complete/Failed until then).
    std::vector<Json> running(pods.active.begin(), pods.active.end());
    manage = DeletePods(call, k, job, running);
    if (manage.ok() && pods.active.empty() && pods.terminating == 0) {
      int i = FindCondition(conditions, failing ? "FailureTarget" : "SuccessCriteriaMet");
      const Json& target = conditions[static_cast<size_t>(i)];
      EnsureCondition(conditions, failing ? "Failed" : "Complete", GetStr(target, {"reason"}),
                      GetStr(target, {"message"}), now);
      if (!failing) status["completionTime"] = FormatTime(now);
      RecordEvent(call, job, "batch/v1", "Job", kComponent, failing ? "Warning" : "Normal",
                  failing ? GetStr(target, {"reason"}) : "Completed",
                  failing ? GetStr(target, {"message"}) : "Job completed", now);
    }
  } else if (!suspended && satisfied) {
    std::vector<int64_t> to_create;
    int64_t active = static_cast<int64_t>(pods.active.size());
    if (indexed) {
      for (int64_t i = 0;
           i < completions && active + static_cast<int64_t>(to_create.size()) < parallelism; ++i) {
        if (pods.succeeded_indexes.count(i) == 0 && pods.active_indexes.count(i) == 0) {
          to_create.push_back(i);
        }
      }
    } else {
      int64_t want = parallelism;
      if (completions >= 0) want = std::min(want, completions - succeeded);
      if (completions < 0 && succeeded > 0) want = 0;  // work is done; let the rest finish
      want = std::max<int64_t>(0, want);
      for (int64_t n = active; n < want; ++n) to_create.push_back(-1);
      if (active > want) {
        std::vector<Json> extra(pods.active.begin() + want, pods.active.end());
        manage = DeletePods(call, k, job, extra);
      }
    }
    if (manage.ok() && !to_create.empty()) manage = CreatePods(call, k, job, to_create);
  } else if (suspended && !pods.active.empty()) {
    manage = DeletePods(call, k, job, pods.active);
  }

  status["active"] = static_cast<int64_t>(pods.active.size());
  status["ready"] = pods.ready;
  status["terminating"] = pods.terminating;
  status["succeeded"] = succeeded;
  status["failed"] = failed;
  status["uncountedTerminatedPods"] = Json::object();
  if (indexed) {
    std::string done = CompressIndexes(pods.succeeded_indexes);
    if (done.empty()) {
      status.erase("completedIndexes");
    } else {
      status["completedIndexes"] = done;
    }
  }
  if (conditions.empty()) {
    status.erase("conditions");
  } else {
    status["conditions"] = conditions;
  }
  std::string status_path = ApiPath("batch/v1", "jobs", Namespace(job), Name(job), "status");
  sdk::Status written = WriteStatusIfChanged(call, status_path, job, status);
  if (!manage.ok()) return manage;
  if (!written.ok() && written.code() != CAPSTAN_RC_NOT_FOUND) return written;
  if (expectations_.Pending(k) > 0) *requeue_after_ms = 1000;
  if (deadline >= 0 && started && !failing && !succeeding && !suspended) {
    int64_t left = *started + deadline - now;
    uint64_t at = static_cast<uint64_t>(std::max<int64_t>(left, 0)) * 1000 + 200;
    if (*requeue_after_ms == 0 || at < *requeue_after_ms) *requeue_after_ms = at;
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::controllers
