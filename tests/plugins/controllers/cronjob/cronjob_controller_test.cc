// Tests for plugins/controllers/cronjob's decisions with an injected clock, through the
// plugin's C vtable and the SDK FakeHost: Job creation at an activation (name, annotation,
// owner), requeue until the next one, Forbid/Replace, suspend, startingDeadlineSeconds, too many
// missed starts, active-list upkeep, history limits, time zones, and a Job that already exists.
#include "plugins/controllers/cronjob/cronjob_controller.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers {
namespace {

using sdk::testing::ApiCall;
using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;

constexpr char kCronJobs[] = "batch/v1/cronjobs";
constexpr char kJobsCache[] = "batch/v1/jobs";
constexpr char kJobsPath[] = "/apis/batch/v1/namespaces/default/jobs";
constexpr char kStatusPath[] = "/apis/batch/v1/namespaces/default/cronjobs/cj/status";

int64_t T(const char* text) { return ParseTime(text).value(); }

Json CronJob(Json spec_overrides = Json::object(), Json status = Json::object()) {
  Json spec = {
      {"schedule", "*/5 * * * *"},
      {"concurrencyPolicy", "Allow"},
      {"suspend", false},
      {"successfulJobsHistoryLimit", 3},
      {"failedJobsHistoryLimit", 1},
      {"jobTemplate",
       {{"metadata", {{"labels", {{"team", "a"}}}}},
        {"spec",
         {{"template",
           {{"spec",
             {{"restartPolicy", "Never"},
              {"containers", Json::array({{{"name", "c"}, {"image", "busybox"}}})}}}}}}}}}};
  for (const auto& [k, v] : spec_overrides.items()) spec[k] = v;
  return Json{{"apiVersion", "batch/v1"},
              {"kind", "CronJob"},
              {"metadata",
               {{"name", "cj"},
                {"namespace", "default"},
                {"uid", "cj-uid"},
                {"resourceVersion", "5"},
                {"creationTimestamp", "2023-11-14T22:10:00Z"}}},
              {"spec", spec},
              {"status", status}};
}

// A Job of the CronJob; `finished` is "", "Complete" or "Failed".
Json OwnedJob(const std::string& name, const std::string& finished = "",
              const std::string& start = "2023-11-14T22:00:00Z") {
  Json job = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata",
               {{"name", name},
                {"namespace", "default"},
                {"uid", "uid-" + name},
                {"ownerReferences",
                 Json::array({testing::OwnerRef("CronJob", "cj", "cj-uid", "batch/v1")})}}},
              {"status", {{"startTime", start}}}};
  if (!finished.empty()) {
    job["status"]["conditions"] = Json::array({{{"type", finished}, {"status", "True"}}});
    if (finished == "Complete") job["status"]["completionTime"] = start;
  }
  return job;
}

Json Ref(const std::string& name) {
  return Json{{"kind", "Job"}, {"name", name}, {"namespace", "default"}, {"uid", "uid-" + name}};
}

class CronJobControllerTest : public ::testing::Test {
 protected:
  CronJobControllerTest() {
    host_.PutObject(kJobsCache, "other/unrelated", R"({"metadata":{"name":"unrelated"}})");
    host_.SetApiResponse("PATCH", kStatusPath, 200, "{}");
    plugin_ = std::make_unique<TestPlugin<CronJobController>>(host_, "{}");
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().SetClockForTesting([this] { return now_ms_; });
  }
  void Put(const Json& cj) { host_.PutObject(kCronJobs, "default/cj", cj.dump()); }
  void PutJob(const Json& job) {
    host_.PutObject(kJobsCache, "default/" + job["metadata"]["name"].get<std::string>(),
                    job.dump());
  }
  void SetNow(const char* text) { now_ms_ = T(text) * 1000; }
  uint64_t Sync() {
    uint64_t requeue = 0;
    sdk::testing::Outcome o = plugin_->Reconcile("default/cj", &requeue);
    EXPECT_TRUE(o.ok()) << o.error;
    return requeue;
  }
  std::vector<ApiCall> Calls(const std::string& method, const std::string& path) const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == method && c.path == path) out.push_back(c);
    }
    return out;
  }
  Json LastStatus() const {
    std::vector<ApiCall> p = Calls("PATCH", kStatusPath);
    return p.empty() ? Json() : Json::parse(p.back().body)["status"];
  }
  std::vector<std::string> EventReasons() const {
    std::vector<std::string> out;
    for (const ApiCall& c : Calls("POST", "/api/v1/namespaces/default/events")) {
      out.push_back(Json::parse(c.body)["reason"]);
    }
    return out;
  }
  bool HasEvent(const std::string& reason) const {
    std::vector<std::string> r = EventReasons();
    return std::find(r.begin(), r.end(), reason) != r.end();
  }
  // The POST of a Job answers with it as created.
  void AcceptJob(const std::string& name) {
    Json created = OwnedJob(name);
    created["metadata"]["resourceVersion"] = "9";
    host_.SetApiResponse("POST", kJobsPath, 201, created.dump());
  }

  int64_t now_ms_ = 0;
  FakeHost host_;
  std::unique_ptr<TestPlugin<CronJobController>> plugin_;
};

TEST_F(CronJobControllerTest, CreatesTheJobOfADueActivationAndRequeuesForTheNextOne) {
  Put(CronJob());
  SetNow("2023-11-14T22:15:30Z");
  AcceptJob("cj-28333335");
  uint64_t requeue = Sync();
  std::vector<ApiCall> posts = Calls("POST", kJobsPath);
  ASSERT_EQ(posts.size(), 1u);
  Json job = Json::parse(posts[0].body);
  EXPECT_EQ(job["metadata"]["name"], "cj-28333335");  // 22:15 in minutes since the epoch
  EXPECT_EQ(job["metadata"]["annotations"][kScheduledTimestampAnnotation], "2023-11-14T22:15:00Z");
  EXPECT_EQ(job["metadata"]["labels"]["team"], "a");
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["uid"], "cj-uid");
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(job["spec"]["template"]["spec"]["restartPolicy"], "Never");
  Json status = LastStatus();
  EXPECT_EQ(status["lastScheduleTime"], "2023-11-14T22:15:00Z");
  ASSERT_EQ(status["active"].size(), 1u);
  EXPECT_EQ(status["active"][0]["name"], "cj-28333335");
  EXPECT_EQ(status["active"][0]["uid"], "uid-cj-28333335");
  EXPECT_EQ(requeue, 270100u);  // until 22:20:00.1
  EXPECT_TRUE(HasEvent("SuccessfulCreate"));
}

TEST_F(CronJobControllerTest, BeforeTheFirstActivationOnlyRequeues) {
  Put(CronJob());
  now_ms_ = T("2023-11-14T22:12:00Z") * 1000 + 250;
  EXPECT_EQ(Sync(), 179850u);
  EXPECT_TRUE(Calls("POST", kJobsPath).empty());
  EXPECT_TRUE(Calls("PATCH", kStatusPath).empty());
}

TEST_F(CronJobControllerTest, AnActivationAlreadyProcessedIsNotRunTwice) {
  Put(CronJob(Json::object(), {{"lastScheduleTime", "2023-11-14T22:15:00Z"}}));
  SetNow("2023-11-14T22:16:00Z");
  EXPECT_EQ(Sync(), 240100u);
  EXPECT_TRUE(Calls("POST", kJobsPath).empty());
}

TEST_F(CronJobControllerTest, ForbidSkipsTheActivationWhileAJobRuns) {
  Put(CronJob({{"concurrencyPolicy", "Forbid"}}, {{"lastScheduleTime", "2023-11-14T22:10:00Z"},
                                                  {"active", Json::array({Ref("old")})}}));
  PutJob(OwnedJob("old"));
  SetNow("2023-11-14T22:15:10Z");
  EXPECT_EQ(Sync(), 290100u);
  EXPECT_TRUE(Calls("POST", kJobsPath).empty());
  EXPECT_TRUE(HasEvent("JobAlreadyActive"));
}

TEST_F(CronJobControllerTest, ReplaceDeletesTheRunningJobBeforeStartingTheNext) {
  Put(CronJob({{"concurrencyPolicy", "Replace"}}, {{"lastScheduleTime", "2023-11-14T22:10:00Z"},
                                                   {"active", Json::array({Ref("old")})}}));
  PutJob(OwnedJob("old"));
  host_.SetApiResponse("GET", std::string(kJobsPath) + "/old", 200, OwnedJob("old").dump());
  host_.SetApiResponse("DELETE", std::string(kJobsPath) + "/old", 200, "{}");
  AcceptJob("cj-28333335");
  SetNow("2023-11-14T22:15:10Z");
  Sync();
  std::vector<ApiCall> deletes = Calls("DELETE", std::string(kJobsPath) + "/old");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(Json::parse(deletes[0].body)["propagationPolicy"], "Background");
  EXPECT_EQ(Calls("POST", kJobsPath).size(), 1u);
  Json status = LastStatus();
  ASSERT_EQ(status["active"].size(), 1u);
  EXPECT_EQ(status["active"][0]["name"], "cj-28333335");
}

TEST_F(CronJobControllerTest, AllowStartsAnotherJobBesideTheRunningOne) {
  Put(CronJob(Json::object(), {{"lastScheduleTime", "2023-11-14T22:10:00Z"},
                               {"active", Json::array({Ref("old")})}}));
  PutJob(OwnedJob("old"));
  AcceptJob("cj-28333335");
  SetNow("2023-11-14T22:15:10Z");
  Sync();
  EXPECT_EQ(Calls("POST", kJobsPath).size(), 1u);
  EXPECT_EQ(LastStatus()["active"].size(), 2u);
}

TEST_F(CronJobControllerTest, ASuspendedCronJobStartsNothingAndIsNotRequeued) {
  Put(CronJob({{"suspend", true}}));
  SetNow("2023-11-14T22:15:30Z");
  EXPECT_EQ(Sync(), 0u);
  EXPECT_TRUE(Calls("POST", kJobsPath).empty());
}

TEST_F(CronJobControllerTest, AnActivationOlderThanTheStartingDeadlineIsSkipped) {
  Put(CronJob({{"startingDeadlineSeconds", 10}}, {{"lastScheduleTime", "2023-11-14T22:10:00Z"}}));
  SetNow("2023-11-14T22:15:30Z");
  EXPECT_EQ(Sync(), 270100u);
  EXPECT_TRUE(Calls("POST", kJobsPath).empty());
  // Within the deadline it still starts.
  SetNow("2023-11-14T22:15:05Z");
  AcceptJob("cj-28333335");
  Sync();
  EXPECT_EQ(Calls("POST", kJobsPath).size(), 1u);
}

TEST_F(CronJobControllerTest, TooManyMissedStartsWarnsAndRunsTheMostRecentOnly) {
  Put(CronJob({{"schedule", "* * * * *"}}, {{"lastScheduleTime", "2023-11-10T00:00:00Z"}}));
  SetNow("2023-11-14T22:15:30Z");
  AcceptJob("cj-28333335");
  Sync();
  EXPECT_TRUE(HasEvent("TooManyMissedTimes"));
  std::vector<ApiCall> posts = Calls("POST", kJobsPath);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(Json::parse(posts[0].body)["metadata"]["name"], "cj-28333335");
  EXPECT_EQ(LastStatus()["lastScheduleTime"], "2023-11-14T22:15:00Z");
}

TEST_F(CronJobControllerTest, FinishedAndVanishedJobsLeaveTheActiveList) {
  Put(CronJob(Json::object(), {{"lastScheduleTime", "2023-11-14T22:15:00Z"},
                               {"active", Json::array({Ref("done"), Ref("gone")})}}));
  PutJob(OwnedJob("done", "Complete", "2023-11-14T22:15:02Z"));
  SetNow("2023-11-14T22:16:00Z");
  Sync();
  Json status = LastStatus();
  EXPECT_TRUE(status["active"].is_null()) << status.dump();
  EXPECT_EQ(status["lastSuccessfulTime"], "2023-11-14T22:15:02Z");
  EXPECT_EQ(Calls("GET", std::string(kJobsPath) + "/gone").size(), 1u);
  EXPECT_TRUE(HasEvent("SawCompletedJob"));
  EXPECT_TRUE(HasEvent("MissingJob"));
}

TEST_F(CronJobControllerTest, HistoryLimitsDeleteTheOldestFinishedJobs) {
  Put(CronJob({{"successfulJobsHistoryLimit", 1}, {"failedJobsHistoryLimit", 1}},
              {{"lastScheduleTime", "2023-11-14T22:15:00Z"}}));
  PutJob(OwnedJob("s1", "Complete", "2023-11-14T21:00:00Z"));
  PutJob(OwnedJob("s2", "Complete", "2023-11-14T21:05:00Z"));
  PutJob(OwnedJob("s3", "Complete", "2023-11-14T21:10:00Z"));
  PutJob(OwnedJob("f1", "Failed", "2023-11-14T21:00:00Z"));
  PutJob(OwnedJob("f2", "Failed", "2023-11-14T21:20:00Z"));
  PutJob(OwnedJob("running"));
  for (const char* name : {"s1", "s2", "f1"}) {
    host_.SetApiResponse("DELETE", std::string(kJobsPath) + "/" + name, 200, "{}");
  }
  SetNow("2023-11-14T22:16:00Z");
  Sync();
  std::vector<std::string> deleted;
  for (const ApiCall& c : host_.api_calls()) {
    if (c.method == "DELETE") deleted.push_back(c.path.substr(c.path.rfind('/') + 1));
  }
  EXPECT_EQ(deleted, (std::vector<std::string>{"s1", "s2", "f1"}));
}

TEST_F(CronJobControllerTest, TheTimeZoneShiftsActivationsAndTheAnnotation) {
  Put(CronJob({{"schedule", "0 17 * * *"}, {"timeZone", "America/New_York"}}));
  SetNow("2023-11-15T22:00:30Z");  // 17:00:30 in New York
  AcceptJob("cj-28334760");
  uint64_t requeue = Sync();
  std::vector<ApiCall> posts = Calls("POST", kJobsPath);
  ASSERT_EQ(posts.size(), 1u);
  Json job = Json::parse(posts[0].body);
  EXPECT_EQ(job["metadata"]["name"], "cj-28334760");
  EXPECT_EQ(job["metadata"]["annotations"][kScheduledTimestampAnnotation],
            "2023-11-15T17:00:00-05:00");
  EXPECT_EQ(requeue, (24 * 3600 - 30) * 1000u + 100);
}

TEST_F(CronJobControllerTest, AnUnknownTimeZoneIsReportedAndNothingRuns) {
  Put(CronJob({{"timeZone", "Mars/Base"}}));
  SetNow("2023-11-14T22:15:30Z");
  EXPECT_EQ(Sync(), 0u);
  EXPECT_TRUE(Calls("POST", kJobsPath).empty());
  EXPECT_TRUE(HasEvent("UnknownTimeZone"));
}

TEST_F(CronJobControllerTest, AnUnparseableScheduleIsReported) {
  Put(CronJob({{"schedule", "61 * * * *"}}));
  SetNow("2023-11-14T22:15:30Z");
  EXPECT_EQ(Sync(), 0u);
  EXPECT_TRUE(HasEvent("UnparseableSchedule"));
}

TEST_F(CronJobControllerTest, AJobThatAlreadyExistsAndIsOursJoinsTheActiveList) {
  Put(CronJob());
  SetNow("2023-11-14T22:15:30Z");
  host_.SetApiResponse("POST", kJobsPath, 409,
                       R"({"kind":"Status","reason":"AlreadyExists","code":409})");
  host_.SetApiResponse("GET", std::string(kJobsPath) + "/cj-28333335", 200,
                       OwnedJob("cj-28333335").dump());
  Sync();
  Json status = LastStatus();
  ASSERT_EQ(status["active"].size(), 1u);
  EXPECT_EQ(status["active"][0]["uid"], "uid-cj-28333335");
  EXPECT_FALSE(HasEvent("SuccessfulCreate"));
}

}  // namespace
}  // namespace capstan::controllers
