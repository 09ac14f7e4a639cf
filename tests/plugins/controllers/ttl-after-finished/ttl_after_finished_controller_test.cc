// Tests for plugins/controllers/ttl-after-finished with an injected clock, through the plugin's
// C vtable and the FakeHost: expiry from the finished condition, requeue until then, foreground
// deletion with a UID precondition after a fresh read, and Jobs that are not concerned.
#include "plugins/controllers/ttl-after-finished/ttl_after_finished_controller.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"

namespace capstan::controllers {
namespace {

using sdk::testing::ApiCall;
using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;

constexpr char kJobs[] = "batch/v1/jobs";
constexpr char kJobPath[] = "/apis/batch/v1/namespaces/default/jobs/pi";
constexpr int64_t kFinished = 1700000000;  // 2023-11-14T22:13:20Z

Json Job(Json ttl, const std::string& condition = "Complete") {
  Json job = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", {{"name", "pi"}, {"namespace", "default"}, {"uid", "job-uid"}}},
              {"spec", Json::object()},
              {"status", Json::object()}};
  if (!ttl.is_null()) job["spec"]["ttlSecondsAfterFinished"] = ttl;
  if (!condition.empty()) {
    job["status"]["conditions"] = Json::array({{{"type", condition},
                                                {"status", "True"},
                                                {"lastTransitionTime", "2023-11-14T22:13:20Z"}}});
  }
  return job;
}

class TtlAfterFinishedTest : public ::testing::Test {
 protected:
  TtlAfterFinishedTest() {
    plugin_ = std::make_unique<TestPlugin<TtlAfterFinishedController>>(host_, "{}");
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().SetClockForTesting([this] { return now_ms_; });
  }
  void Put(const Json& job) { host_.PutObject(kJobs, "default/pi", job.dump()); }
  uint64_t Sync() {
    uint64_t requeue = 0;
    sdk::testing::Outcome o = plugin_->Reconcile("default/pi", &requeue);
    EXPECT_TRUE(o.ok()) << o.error;
    return requeue;
  }
  std::vector<ApiCall> Calls(const std::string& method) const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == method && c.path == kJobPath) out.push_back(c);
    }
    return out;
  }

  int64_t now_ms_ = kFinished * 1000;
  FakeHost host_;
  std::unique_ptr<TestPlugin<TtlAfterFinishedController>> plugin_;
};

TEST(JobExpiryTest, IsTheFinishedConditionTimePlusTheTtl) {
  EXPECT_EQ(JobExpiryMs(Job(30)), (kFinished + 30) * 1000);
  EXPECT_EQ(JobExpiryMs(Job(0, "Failed")), kFinished * 1000);
  EXPECT_EQ(JobExpiryMs(Job(nullptr)), std::nullopt);
  EXPECT_EQ(JobExpiryMs(Job(30, "")), std::nullopt);
  EXPECT_EQ(JobExpiryMs(Job(30, "SuccessCriteriaMet")), std::nullopt);
}

TEST_F(TtlAfterFinishedTest, RequeuesAnUnexpiredJobForTheRemainingTime) {
  Put(Job(30));
  now_ms_ = kFinished * 1000 + 10500;
  EXPECT_EQ(Sync(), 19500u);
  EXPECT_TRUE(host_.api_calls().empty());
}

TEST_F(TtlAfterFinishedTest, DeletesAnExpiredJobInTheForegroundWithAUidPrecondition) {
  Put(Job(30));
  host_.SetApiResponse("GET", kJobPath, 200, Job(30).dump());
  host_.SetApiResponse("DELETE", kJobPath, 200, "{}");
  now_ms_ = (kFinished + 30) * 1000;
  EXPECT_EQ(Sync(), 0u);
  std::vector<ApiCall> deletes = Calls("DELETE");
  ASSERT_EQ(deletes.size(), 1u);
  Json options = Json::parse(deletes[0].body);
  EXPECT_EQ(options["propagationPolicy"], "Foreground");
  EXPECT_EQ(options["preconditions"]["uid"], "job-uid");
}

TEST_F(TtlAfterFinishedTest, AFreshCopyWithALongerTtlWins) {
  Put(Job(30));
  host_.SetApiResponse("GET", kJobPath, 200, Job(100).dump());
  now_ms_ = (kFinished + 40) * 1000;
  EXPECT_EQ(Sync(), 60000u);
  EXPECT_TRUE(Calls("DELETE").empty());
}

TEST_F(TtlAfterFinishedTest, LeavesRunningJobsAndJobsWithoutATtlAlone) {
  Put(Job(nullptr));
  now_ms_ = (kFinished + 1000) * 1000;
  EXPECT_EQ(Sync(), 0u);
  Put(Job(5, ""));
  EXPECT_EQ(Sync(), 0u);
  EXPECT_TRUE(host_.api_calls().empty());
}

TEST_F(TtlAfterFinishedTest, AJobAlreadyGoneOrReplacedIsNotAnError) {
  Put(Job(1));
  now_ms_ = (kFinished + 5) * 1000;
  Sync();  // GET answers 404
  EXPECT_TRUE(Calls("DELETE").empty());
  host_.SetApiResponse("GET", kJobPath, 200, Job(1).dump());
  host_.SetApiResponse("DELETE", kJobPath, 409, R"({"kind":"Status","reason":"Conflict"})");
  Sync();
  EXPECT_EQ(Calls("DELETE").size(), 1u);
}

}  // namespace
}  // namespace capstan::controllers
