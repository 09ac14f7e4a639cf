// Tests for plugins/controllers/job: pod creation towards parallelism/completions (NonIndexed
// and Indexed), backoffLimit and activeDeadlineSeconds failures with the v1.32 interim
// conditions, completion, and status, through the plugin's C vtable and the SDK FakeHost.
#include "plugins/controllers/job/job_controller.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "plugins/controllers/job/job_status.h"
#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers {
namespace {

using sdk::testing::ApiCall;
using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::kNow;
using testing::LabelMap;
using testing::Pod;

constexpr char kJobs[] = "batch/v1/jobs";
constexpr char kPods[] = "/v1/pods";
constexpr char kStatusPath[] = "/apis/batch/v1/namespaces/default/jobs/pi/status";

Json Job(Json spec_overrides = Json::object()) {
  Json spec = {{"parallelism", 1},
               {"completions", 1},
               {"backoffLimit", 6},
               {"completionMode", "NonIndexed"},
               {"template",
                {{"metadata", {{"labels", {{"batch.kubernetes.io/job-name", "pi"}}}}},
                 {"spec",
                  {{"restartPolicy", "Never"},
                   {"containers", Json::array({{{"name", "c"}, {"image", "perl"}}})}}}}}};
  for (const auto& [k, v] : spec_overrides.items()) spec[k] = v;
  return Json{{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata",
               {{"name", "pi"}, {"namespace", "default"}, {"uid", "job-uid"}, {"generation", 1}}},
              {"spec", spec}};
}

Json JobPod(const std::string& name, const std::string& phase, int64_t index = -1) {
  Json pod = Pod(name, {{"batch.kubernetes.io/job-name", "pi"}});
  pod["status"]["phase"] = phase;
  pod["metadata"]["ownerReferences"] =
      Json::array({testing::OwnerRef("Job", "pi", "job-uid", "batch/v1")});
  if (index >= 0) pod["metadata"]["annotations"][kCompletionIndexKey] = std::to_string(index);
  return pod;
}

class JobControllerTest : public ::testing::Test {
 protected:
  JobControllerTest() {
    PutPod(Pod("elsewhere", Json::object(), "", "other"));  // the pod cache has synced
    host_.SetApiResponse("POST", "/api/v1/namespaces/default/pods", 201,
                         R"({"metadata":{"name":"pi-abcde"}})");
    host_.SetApiResponse("PATCH", kStatusPath, 200, "{}");
    plugin_ = std::make_unique<TestPlugin<JobController>>(host_, "{}");
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().SetClockForTesting([this] { return now_; });
  }
  void Put(const Json& job) { host_.PutObject(kJobs, "default/pi", job.dump()); }
  void PutPod(const Json& pod) {
    host_.PutObject(kPods,
                    pod["metadata"]["namespace"].get<std::string>() + "/" +
                        pod["metadata"]["name"].get<std::string>(),
                    pod.dump(), LabelMap(pod));
  }
  uint64_t Sync() {
    uint64_t requeue = 0;
    sdk::testing::Outcome o = plugin_->Reconcile("default/pi", &requeue);
    EXPECT_TRUE(o.ok()) << o.error;
    return requeue;
  }
  std::vector<ApiCall> Calls(const std::string& method, const std::string& path) const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == method && c.path.rfind(path, 0) == 0) out.push_back(c);
    }
    return out;
  }
  Json LastStatus() const {
    std::vector<ApiCall> p = Calls("PATCH", kStatusPath);
    return p.empty() ? Json() : Json::parse(p.back().body)["status"];
  }
  static std::vector<std::string> ConditionTypes(const Json& status) {
    std::vector<std::string> out;
    for (const Json& c : status.value("conditions", Json::array())) {
      if (c["status"] == "True") out.push_back(c["type"]);
    }
    return out;
  }

  int64_t now_ = kNow;
  FakeHost host_;
  std::unique_ptr<TestPlugin<JobController>> plugin_;
};

TEST_F(JobControllerTest, CreatesParallelismPodsOwnedByTheJobAndSetsStartTime) {
  Put(Job({{"parallelism", 3}, {"completions", 5}}));
  Sync();
  std::vector<ApiCall> creates = Calls("POST", "/api/v1/namespaces/default/pods");
  ASSERT_EQ(creates.size(), 3u);
  Json pod = Json::parse(creates[0].body);
  EXPECT_EQ(pod["metadata"]["generateName"], "pi-");
  EXPECT_EQ(pod["metadata"]["labels"]["batch.kubernetes.io/job-name"], "pi");
  Json ref = pod["metadata"]["ownerReferences"][0];
  EXPECT_EQ(ref["kind"], "Job");
  EXPECT_EQ(ref["uid"], "job-uid");
  EXPECT_EQ(ref["controller"], true);
  EXPECT_EQ(ref["blockOwnerDeletion"], true);
  EXPECT_EQ(LastStatus()["startTime"], testing::kNowText);
}

TEST_F(JobControllerTest, CreatesOnlyWhatRemainsToComplete) {
  Put(Job({{"parallelism", 3}, {"completions", 4}}));
  PutPod(JobPod("a", "Succeeded"));
  PutPod(JobPod("b", "Succeeded"));
  PutPod(JobPod("c", "Running"));
  Sync();
  EXPECT_EQ(Calls("POST", "/api/v1/namespaces/default/pods").size(), 1u);
  Json status = LastStatus();
  EXPECT_EQ(status["succeeded"], 2);
  EXPECT_EQ(status["active"], 1);
}

TEST_F(JobControllerTest, CompletesWithSuccessCriteriaMetThenComplete) {
  Put(Job({{"completions", 2}, {"parallelism", 2}}));
  PutPod(JobPod("a", "Succeeded"));
  PutPod(JobPod("b", "Succeeded"));
  Sync();
  Json status = LastStatus();
  EXPECT_EQ(ConditionTypes(status), (std::vector<std::string>{"SuccessCriteriaMet", "Complete"}));
  EXPECT_EQ(status["conditions"][1]["reason"], "CompletionsReached");
  EXPECT_EQ(status["completionTime"], testing::kNowText);
  EXPECT_TRUE(Calls("POST", "/api/v1/namespaces/default/pods").empty());
}

TEST_F(JobControllerTest, FailsAfterBackoffLimitOnceNoPodIsRunning) {
  Put(Job({{"backoffLimit", 1}, {"parallelism", 2}, {"completions", 3}}));
  PutPod(JobPod("a", "Failed"));
  PutPod(JobPod("b", "Failed"));
  PutPod(JobPod("c", "Running"));
  host_.SetApiResponse("DELETE", "/api/v1/namespaces/default/pods/c", 200, R"({"kind":"Status"})");
  Sync();
  EXPECT_EQ(Calls("DELETE", "/api/v1/namespaces/default/pods/c").size(), 1u);
  Json status = LastStatus();
  EXPECT_EQ(ConditionTypes(status), std::vector<std::string>{"FailureTarget"});
  EXPECT_EQ(status["failed"], 2);
  // The running pod is gone: the Job fails for good.
  Json job = Job({{"backoffLimit", 1}, {"parallelism", 2}, {"completions", 3}});
  job["status"] = status;
  Put(job);
  host_.DeleteObject(kPods, "default/c");
  Sync();
  status = LastStatus();
  EXPECT_EQ(ConditionTypes(status), (std::vector<std::string>{"FailureTarget", "Failed"}));
  EXPECT_EQ(status["conditions"][1]["reason"], "BackoffLimitExceeded");
  EXPECT_EQ(status["conditions"][1]["message"], "Job has reached the specified backoff limit");
  EXPECT_FALSE(status.contains("completionTime"));
}

TEST_F(JobControllerTest, ActiveDeadlineFailsTheJobAndRequeuesUntilThen) {
  Json job = Job({{"activeDeadlineSeconds", 30}});
  job["status"] = {{"startTime", testing::kNowText}};
  Put(job);
  PutPod(JobPod("a", "Running"));
  now_ = kNow + 10;
  uint64_t requeue = Sync();
  EXPECT_GE(requeue, 20000u);
  EXPECT_LE(requeue, 21000u);
  now_ = kNow + 31;
  host_.SetApiResponse("DELETE", "/api/v1/namespaces/default/pods/a", 200, R"({"kind":"Status"})");
  Sync();
  Json status = LastStatus();
  ASSERT_EQ(ConditionTypes(status), std::vector<std::string>{"FailureTarget"});
  EXPECT_EQ(status["conditions"][0]["reason"], "DeadlineExceeded");
}

TEST_F(JobControllerTest, IndexedJobCreatesMissingIndexesAndReportsCompletedIndexes) {
  Put(Job({{"completionMode", "Indexed"}, {"completions", 4}, {"parallelism", 2}}));
  PutPod(JobPod("a", "Succeeded", 0));
  PutPod(JobPod("b", "Running", 1));
  Sync();
  std::vector<ApiCall> creates = Calls("POST", "/api/v1/namespaces/default/pods");
  ASSERT_EQ(creates.size(), 1u);
  Json pod = Json::parse(creates[0].body);
  EXPECT_EQ(pod["metadata"]["annotations"][kCompletionIndexKey], "2");
  EXPECT_EQ(pod["metadata"]["labels"][kCompletionIndexKey], "2");
  EXPECT_EQ(pod["spec"]["hostname"], "pi-2");
  EXPECT_EQ(pod["spec"]["containers"][0]["env"][0]["name"], "JOB_COMPLETION_INDEX");
  EXPECT_EQ(LastStatus()["completedIndexes"], "0");
}

TEST(JobStatusTest, CompressIndexesJoinsRuns) {
  EXPECT_EQ(CompressIndexes({}), "");
  EXPECT_EQ(CompressIndexes({0, 1, 2, 5, 7, 8}), "0-2,5,7-8");
}

}  // namespace
}  // namespace capstan::controllers
