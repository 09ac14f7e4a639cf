// The CronJob controller (see cronjob_controller.h).
#include "plugins/controllers/cronjob/cronjob_controller.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

namespace capstan::controllers {
namespace {

constexpr char kComponent[] = "cronjob-controller";
constexpr char kCronJobs[] = "batch/v1/cronjobs";
constexpr char kJobs[] = "batch/v1/jobs";

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json& ActiveList(Json& status) {
  if (!status.contains("active") || !status["active"].is_array()) status["active"] = Json::array();
  return status["active"];
}

bool InActive(Json& status, const std::string& uid) {
  for (const Json& ref : ActiveList(status)) {
    if (GetStr(ref, {"uid"}) == uid) return true;
  }
  return false;
}

void RemoveActive(Json& status, const std::string& uid) {
  Json& active = ActiveList(status);
  Json kept = Json::array();
  for (const Json& ref : active) {
    if (GetStr(ref, {"uid"}) != uid) kept.push_back(ref);
  }
  active = kept;
}

Json JobRef(const Json& job) {
  return Json{{"kind", "Job"},
              {"namespace", Namespace(job)},
              {"name", Name(job)},
              {"uid", Uid(job)},
              {"apiVersion", "batch/v1"},
              {"resourceVersion", GetStr(job, {"metadata", "resourceVersion"})}};
}

bool SpecBool(const Json& cronjob, std::string_view field) {
  const Json* v = sdk::json::FindPath(cronjob, {"spec", field});
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

// Go's time.RFC1123Z for the MissSchedule event ("Tue, 14 Nov 2023 22:13:00 +0000").
std::string Rfc1123z(int64_t t) {
  static constexpr std::array<const char*, 7> kDays = {"Thu", "Fri", "Sat", "Sun",
                                                       "Mon", "Tue", "Wed"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t y = 0;
  int m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  std::string iso = FormatTime(t);  // 2023-11-14T22:13:00Z
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %lld %s +0000",
                kDays[static_cast<size_t>(((days % 7) + 7) % 7)], d,
                kMonths[static_cast<size_t>(m - 1)], static_cast<long long>(y),
                iso.substr(11, 8).c_str());
  return buf;
}

}  // namespace

sdk::Status CronJobController::Init(const sdk::Host& host, std::string_view config_json) {
  std::optional<Json> config = sdk::json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  host_ = &host;
  workers_ = sdk::json::GetInt(*config, "workers").value_or(workers_);
  clock_offset_ms_ = sdk::json::GetInt(*config, "clockOffsetSeconds").value_or(0) * 1000;
  now_ms_ = SystemNowMs;
  overlay_.set_clock([this] { return NowMs() / 1000; });
  return sdk::Status::Ok();
}

void CronJobController::SetClockForTesting(std::function<int64_t()> now_ms) {
  now_ms_ = std::move(now_ms);
}

sdk::Status CronJobController::Describe(sdk::Call& call, std::string* watch_json) {
  (void)call;
  *watch_json = sdk::json::Dump(Json{{"primary", kCronJobs},
                                     {"watches", Json::array({Json{{"resource", kJobs}}})},
                                     {"workers", workers_}});
  return sdk::Status::Ok();
}

void CronJobController::Event(sdk::Call& call, const Json& cronjob, std::string_view type,
                              std::string_view reason, const std::string& message) {
  RecordEvent(call, cronjob, "batch/v1", "CronJob", kComponent, type, reason, message,
              NowMs() / 1000);
}

sdk::Status CronJobController::SyncActive(sdk::Call& call, const std::vector<Json>& jobs,
                                          Sync* sync) {
  Json& status = sync->status;
  std::vector<std::string> seen;
  for (const Json& job : jobs) {
    seen.push_back(Uid(job));
    bool found = InActive(status, Uid(job));
    std::string finished = JobFinishedCondition(job);
    if (!found && finished.empty()) {
      Event(call, sync->cronjob, "Warning", "UnexpectedJob",
            "Saw a job that the controller did not create or forgot: " + Name(job));
    } else if (found && !finished.empty()) {
      RemoveActive(status, Uid(job));
      Event(call, sync->cronjob, "Normal", "SawCompletedJob",
            "Saw completed job: " + Name(job) + ", condition: " + finished);
    }
    if (finished == "Complete") {
      std::optional<int64_t> done = ParseTime(GetStr(job, {"status", "completionTime"}));
      std::optional<int64_t> last = ParseTime(GetStr(status, {"lastSuccessfulTime"}));
      if (done && (!last || *done > *last)) status["lastSuccessfulTime"] = FormatTime(*done);
    }
  }
  // Active Jobs the cache does not show: ask the API before forgetting them (a slow watch).
  Json refs = ActiveList(status);
  for (const Json& ref : refs) {
    std::string uid = GetStr(ref, {"uid"});
    if (std::find(seen.begin(), seen.end(), uid) != seen.end()) continue;
    std::string name = GetStr(ref, {"name"});
    Json job;
    sdk::Status s = Send(call, "GET", ApiPath("batch/v1", "jobs", Namespace(sync->cronjob), name),
                         "", "", &job);
    if (s.code() == CAPSTAN_RC_NOT_FOUND || (s.ok() && Uid(job) != uid)) {
      Event(call, sync->cronjob, "Normal", "MissingJob", "Active job went missing: " + name);
      RemoveActive(status, uid);
    } else if (!s.ok()) {
      return s;
    }
  }
  return sdk::Status::Ok();
}

sdk::Status CronJobController::DeleteJob(sdk::Call& call, const Json& job, Sync* sync) {
  Json options = {
      {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  sdk::Status s = Send(call, "DELETE", ApiPath("batch/v1", "jobs", Namespace(job), Name(job)),
                       kJson, sdk::json::Dump(options));
  if (!s.ok() && s.code() != CAPSTAN_RC_NOT_FOUND) {
    Event(call, sync->cronjob, "Warning", "FailedDelete", "Deleted job: " + s.message());
    return s;
  }
  RemoveActive(sync->status, Uid(job));
  Event(call, sync->cronjob, "Normal", "SuccessfulDelete", "Deleted job " + Name(job));
  return sdk::Status::Ok();
}

sdk::Status CronJobController::Schedule(sdk::Call& call, Sync* sync) {
  const Json& cj = sync->cronjob;
  std::string zone_name = GetStr(cj, {"spec", "timeZone"});
  std::string schedule_text = GetStr(cj, {"spec", "schedule"});
  if (Has(cj, {"spec", "timeZone"})) {
    std::string error;
    if (!CachedTimeZone(zone_name, &error)) {
      Event(call, cj, "Warning", "UnknownTimeZone",
            "invalid timeZone: \"" + zone_name + "\": " + error);
      return sdk::Status::Ok();
    }
  }
  if (SpecBool(cj, "suspend")) return sdk::Status::Ok();
  std::string error;
  std::optional<CronSchedule> schedule = CronSchedule::Parse(schedule_text, &error);
  if (!schedule) {
    Event(call, cj, "Warning", "UnparseableSchedule",
          "unparseable schedule: \"" + schedule_text + "\" : " + error);
    return sdk::Status::Ok();
  }
  if (!schedule->prefix_zone().empty()) {
    if (!zone_name.empty()) {
      Event(call, cj, "Warning", "UnsupportedSchedule",
            "CRON_TZ or TZ used in schedule \"" + schedule_text +
                "\" is not officially supported, see "
                "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more "
                "details");
    } else {
      zone_name = schedule->prefix_zone();
    }
  }
  std::shared_ptr<const TimeZone> zone = CachedTimeZone(zone_name, &error);
  if (!zone) {
    Event(call, cj, "Warning", "UnparseableSchedule",
          "unparseable schedule: \"" + schedule_text + "\" : provided bad location " + zone_name +
              ": " + error);
    return sdk::Status::Ok();
  }
  const int64_t now_ms = NowMs();
  const int64_t now = now_ms / 1000;
  auto requeue = [&] {
    Json updated = sync->cronjob;
    updated["status"] = sync->status;
    sync->requeue_ms = NextRequeueMs(updated, now_ms, *schedule, *zone).value_or(0);
    return sdk::Status::Ok();
  };
  ScheduleWindow w = MostRecentScheduleTime(cj, now, *schedule, *zone, true);
  if (w.invalid) {
    Event(call, cj, "Warning", "InvalidSchedule",
          "invalid schedule: " + schedule_text +
              " : time difference between two schedules is less than 1 second");
    return sdk::Status::Ok();
  }
  if (!w.most_recent) return requeue();
  if (w.many_missed) {
    Event(call, cj, "Warning", "TooManyMissedTimes",
          "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check "
          "clock skew");
  }
  const int64_t scheduled = *w.most_recent;
  const Json* deadline = sdk::json::FindPath(cj, {"spec", "startingDeadlineSeconds"});
  if (deadline != nullptr && deadline->is_number_integer() &&
      scheduled + deadline->get<int64_t>() < now) {
    Event(call, cj, "Warning", "MissSchedule",
          "Missed scheduled time to start a job: " + Rfc1123z(scheduled));
    return requeue();
  }
  std::string job_name = JobName(Name(cj), scheduled);
  bool processed = ParseTime(GetStr(sync->status, {"lastScheduleTime"})) == scheduled;
  for (const Json& ref : ActiveList(sync->status)) processed |= GetStr(ref, {"name"}) == job_name;
  if (processed) return requeue();
  std::string policy = GetStr(cj, {"spec", "concurrencyPolicy"}, "Allow");
  if (policy == "Forbid" && !ActiveList(sync->status).empty()) {
    Event(call, cj, "Normal", "JobAlreadyActive",
          "Not starting job because prior execution is running and concurrency policy is "
          "Forbid");
    return requeue();
  }
  if (policy == "Replace") {
    Json refs = ActiveList(sync->status);
    for (const Json& ref : refs) {
      Json job;
      sdk::Status s =
          Send(call, "GET", ApiPath("batch/v1", "jobs", Namespace(cj), GetStr(ref, {"name"})), "",
               "", &job);
      if (s.code() == CAPSTAN_RC_NOT_FOUND) {
        RemoveActive(sync->status, GetStr(ref, {"uid"}));
        continue;
      }
      if (!s.ok()) {
        Event(call, cj, "Warning", "FailedGet", "Get job: " + s.message());
        return s;
      }
      if (s = DeleteJob(call, job, sync); !s.ok()) return s;
    }
  }
  Json job = JobFromTemplate(cj, scheduled, *zone);
  Json created;
  sdk::Status s = Send(call, "POST", ApiPath("batch/v1", "jobs", Namespace(cj)), kJson,
                       sdk::json::Dump(job), &created);
  if (s.code() == CAPSTAN_RC_ALREADY_EXISTS) {
    s = Send(call, "GET", ApiPath("batch/v1", "jobs", Namespace(cj), job_name), "", "", &created);
    if (!s.ok()) return s;
    const Json* ref = ControllerRef(created);
    if (ref == nullptr || GetStr(*ref, {"uid"}) != Uid(cj)) return sdk::Status::Ok();
    if (InActive(sync->status, Uid(created))) return sdk::Status::Ok();
  } else if (!s.ok()) {
    Event(call, cj, "Warning", "FailedCreate", "Error creating job: " + s.message());
    return s;
  } else {
    Event(call, cj, "Normal", "SuccessfulCreate", "Created job " + Name(created));
  }
  ActiveList(sync->status).push_back(JobRef(created));
  sync->status["lastScheduleTime"] = FormatTime(scheduled);
  return requeue();
}

sdk::Status CronJobController::CleanupFinished(sdk::Call& call, const std::vector<Json>& jobs,
                                               Sync* sync) {
  for (const char* kind : {"Complete", "Failed"}) {
    const char* field = std::string_view(kind) == "Complete" ? "successfulJobsHistoryLimit"
                                                             : "failedJobsHistoryLimit";
    const Json* limit = sdk::json::FindPath(sync->cronjob, {"spec", field});
    if (limit == nullptr || !limit->is_number_integer()) continue;
    std::vector<const Json*> finished;
    for (const Json& job : jobs) {
      if (JobFinishedCondition(job) == kind && !Deleting(job)) finished.push_back(&job);
    }
    int64_t excess = static_cast<int64_t>(finished.size()) - limit->get<int64_t>();
    if (excess <= 0) continue;
    // Oldest start first; Jobs without a start time count as newest (upstream byJobStartTime).
    std::sort(finished.begin(), finished.end(), [](const Json* a, const Json* b) {
      std::optional<int64_t> sa = ParseTime(GetStr(*a, {"status", "startTime"}));
      std::optional<int64_t> sb = ParseTime(GetStr(*b, {"status", "startTime"}));
      if (sa.has_value() != sb.has_value()) return sa.has_value();
      if (sa && *sa != *sb) return *sa < *sb;
      return Name(*a) < Name(*b);
    });
    for (int64_t i = 0; i < excess; ++i) {
      if (sdk::Status s = DeleteJob(call, *finished[static_cast<size_t>(i)], sync); !s.ok()) {
        return s;
      }
    }
  }
  return sdk::Status::Ok();
}

sdk::Status CronJobController::WriteStatus(sdk::Call& call, const Sync& sync) {
  const Json* current = sdk::json::Find(sync.cronjob, "status");
  Json before = current != nullptr && current->is_object() ? *current : Json::object();
  Json desired = sync.status;
  if (desired.contains("active") && desired["active"].empty()) desired.erase("active");
  if (before.contains("active") && before["active"].empty()) before.erase("active");
  if (before == desired) return sdk::Status::Ok();
  Json patch_status = desired;
  for (const auto& [k, v] : before.items()) {
    (void)v;
    if (!desired.contains(k)) patch_status[k] = nullptr;
  }
  Json written;
  sdk::Status s =
      Send(call, "PATCH",
           ApiPath("batch/v1", "cronjobs", Namespace(sync.cronjob), Name(sync.cronjob), "status"),
           kMergePatch, sdk::json::Dump(Json{{"status", patch_status}}), &written);
  if (s.ok() && written.is_object()) overlay_.Remember(written);
  return s.code() == CAPSTAN_RC_NOT_FOUND ? sdk::Status::Ok() : s;
}

sdk::Status CronJobController::Reconcile(sdk::Call& call, std::string_view key,
                                         uint64_t* requeue_after_ms) {
  *requeue_after_ms = 0;
  std::string k(key);
  std::string cached;
  sdk::Status s = host_->CacheGet(kCronJobs, key, &cached);
  if (s.code() == CAPSTAN_RC_NOT_FOUND) {
    overlay_.Forget(k);
    return sdk::Status::Ok();
  }
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> parsed = sdk::json::Parse(cached);
  if (!parsed || !parsed->is_object()) return sdk::Status::Error("cache returned a non-object");
  Sync sync;
  std::optional<Json> fresh = overlay_.Fresh(k, &*parsed);
  sync.cronjob = fresh ? std::move(*fresh) : std::move(*parsed);
  const Json* st = sdk::json::Find(sync.cronjob, "status");
  sync.status = st != nullptr && st->is_object() ? *st : Json::object();

  std::string jobs_text;
  s = host_->CacheList(kJobs, Namespace(sync.cronjob), {}, &jobs_text);
  if (!s.ok()) return sdk::Status::RetryLater(s.message(), 1000);
  std::optional<Json> all = sdk::json::Parse(jobs_text);
  if (!all || !all->is_array()) return sdk::Status::Error("cache returned a non-array job list");
  std::vector<Json> jobs;
  for (const Json& job : *all) {
    const Json* ref = ControllerRef(job);
    if (ref != nullptr && GetStr(*ref, {"uid"}) == Uid(sync.cronjob)) jobs.push_back(job);
  }

  s = SyncActive(call, jobs, &sync);
  if (s.ok() && !Deleting(sync.cronjob)) s = Schedule(call, &sync);
  if (s.ok()) s = CleanupFinished(call, jobs, &sync);
  sdk::Status written = WriteStatus(call, sync);
  if (!s.ok()) return s;
  if (!written.ok()) return written;
  *requeue_after_ms = sync.requeue_ms;
  return sdk::Status::Ok();
}

}  // namespace capstan::controllers
