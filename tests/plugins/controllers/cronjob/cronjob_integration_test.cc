// Integration test of the cronjob, ttl-after-finished and serviceaccount plugins (.so), with the
// garbage collector for foreground deletion, in the controller host against an in-process API
// server over HTTPS. The cronjob plugin runs with `clockOffsetSeconds` so its first activation is
// already due when the CronJob is created; Jobs are finished through jobs/status, as the job
// controller would once their pods succeed.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/controllers/controller_host.h"
#include "core/plugin/chain_config.h"
#include "tests/core/controllers/test_cluster.h"

namespace capstan::controllers {
namespace {

using nlohmann::json;
using testing::ControllerTestCluster;
using testing::Eventually;

constexpr char kJobs[] = "/apis/batch/v1/namespaces/default/jobs";
constexpr char kCronJobs[] = "/apis/batch/v1/namespaces/default/cronjobs";

json Plugin(const char* name, const std::string& library, json config = json::object()) {
  return {{"name", name},
          {"library", "controllers/" + library + ".so"},
          {"timeout", "30s"},
          {"config", config}};
}

json PodTemplate() {
  return {{"spec",
           {{"restartPolicy", "Never"},
            {"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}}}};
}

std::string NowText() {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class CronJobIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = cluster_.NewClient();
    Result<std::unique_ptr<ControllerHost>> host = testing::StartHostWithPlugins(
        client_.get(), CAPSTAN_TEST_PLUGIN_DIR,
        json::array({Plugin("cronjobs", "cronjob", {{"clockOffsetSeconds", 120}}),
                     Plugin("ttl", "ttl-after-finished"),
                     Plugin("garbage-collector", "garbage-collector"),
                     Plugin("serviceaccounts", "serviceaccount")}));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
  }
  void TearDown() override {
    if (host_) host_->Stop();
  }

  json Items(const std::string& path) {
    Result<json> list = client_->Get(path);
    return list.ok() && list->contains("items") ? (*list)["items"] : json::array();
  }
  json Get(const std::string& path) {
    Result<json> r = client_->Get(path);
    return r.ok() ? *r : json();
  }
  void Finish(const std::string& job, const std::string& type) {
    std::string now = NowText();
    json status = {{"conditions", json::array({{{"type", type},
                                                {"status", "True"},
                                                {"lastProbeTime", now},
                                                {"lastTransitionTime", now}}})},
                   {"startTime", now}};
    if (type == "Complete") status["completionTime"] = now;
    Result<json> r = client_->Patch(std::string(kJobs) + "/" + job + "/status",
                                    "application/merge-patch+json", json{{"status", status}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  ControllerTestCluster cluster_;
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<ControllerHost> host_;
};

TEST_F(CronJobIntegrationTest, ACronJobStartsAJobAtItsActivationAndTracksItsCompletion) {
  json cj = {{"apiVersion", "batch/v1"},
             {"kind", "CronJob"},
             {"metadata", {{"name", "tick"}}},
             {"spec",
              {{"schedule", "*/1 * * * *"},
               {"concurrencyPolicy", "Forbid"},
               {"jobTemplate", {{"spec", {{"template", PodTemplate()}}}}}}}};
  Result<json> created = client_->Create(kCronJobs, cj);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_TRUE(Eventually([&] { return Items(kJobs).size() == 1; })) << "no Job started";
  json job = Items(kJobs)[0];
  EXPECT_EQ(job["metadata"]["name"].get<std::string>().rfind("tick-", 0), 0u);
  EXPECT_TRUE(
      job["metadata"]["annotations"].contains("batch.kubernetes.io/cronjob-scheduled-timestamp"));
  EXPECT_EQ(job["metadata"]["ownerReferences"][0]["uid"], (*created)["metadata"]["uid"]);
  ASSERT_TRUE(Eventually([&] {
    json status = Get(std::string(kCronJobs) + "/tick").value("status", json::object());
    return status.value("active", json::array()).size() == 1 && status.contains("lastScheduleTime");
  })) << Get(std::string(kCronJobs) + "/tick").dump();

  Finish(job["metadata"]["name"], "Complete");
  EXPECT_TRUE(Eventually([&] {
    json status = Get(std::string(kCronJobs) + "/tick").value("status", json::object());
    return !status.contains("active") && status.contains("lastSuccessfulTime");
  })) << Get(std::string(kCronJobs) + "/tick").dump();
  EXPECT_EQ(Items(kJobs).size(), 1u) << "Forbid with one activation due: one Job";
}

TEST_F(CronJobIntegrationTest, AFinishedJobIsDeletedAfterItsTtl) {
  json job = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", {{"name", "brief"}}},
              {"spec", {{"ttlSecondsAfterFinished", 1}, {"template", PodTemplate()}}}};
  ASSERT_TRUE(client_->Create(kJobs, job).ok());
  Finish("brief", "Complete");
  EXPECT_TRUE(Eventually([&] {
    return client_->Get(std::string(kJobs) + "/brief").status().code() == StatusCode::kNotFound;
  }));
}

TEST_F(CronJobIntegrationTest, EveryNamespaceGetsADefaultServiceAccountBackAfterDeletion) {
  ASSERT_TRUE(client_
                  ->Create("/api/v1/namespaces", json{{"apiVersion", "v1"},
                                                      {"kind", "Namespace"},
                                                      {"metadata", {{"name", "team"}}}})
                  .ok());
  const std::string sa = "/api/v1/namespaces/team/serviceaccounts/default";
  ASSERT_TRUE(Eventually([&] { return client_->Get(sa).ok(); }));
  json first = Get(sa);
  ASSERT_TRUE(client_->Delete(sa, json::object()).ok());
  EXPECT_TRUE(Eventually([&] {
    json again = Get(sa);
    return again.is_object() && again["metadata"]["uid"] != first["metadata"]["uid"];
  }));
  EXPECT_TRUE(Eventually(
      [&] { return client_->Get("/api/v1/namespaces/default/serviceaccounts/default").ok(); }));
}

}  // namespace
}  // namespace capstan::controllers
