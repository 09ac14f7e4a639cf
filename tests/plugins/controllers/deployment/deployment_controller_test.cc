// Tests for plugins/controllers/deployment: creating the first ReplicaSet, rolling and
// recreate steps, scaling events (proportional), revisions and rollback, cleanup, pause and the
// Progressing/Available conditions, through the plugin's C vtable and the SDK FakeHost.
#include "plugins/controllers/deployment/deployment_controller.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "plugins/controllers/deployment/deployment_util.h"
#include "plugins/controllers/kit/history.h"
#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers {
namespace {

using sdk::testing::ApiCall;
using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::kNow;
using testing::kNowText;
using testing::OwnerRef;
using testing::Pod;

constexpr char kRsPath[] = "/apis/apps/v1/namespaces/default/replicasets";
constexpr char kDeployPath[] = "/apis/apps/v1/namespaces/default/deployments/web";
constexpr char kDeployStatusPath[] = "/apis/apps/v1/namespaces/default/deployments/web/status";

Json Template(const std::string& image) {
  return Json{{"metadata", {{"labels", {{"app", "web"}}}}},
              {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", image}}})}}}};
}

Json Deployment(int64_t replicas, const std::string& image) {
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata",
               {{"name", "web"}, {"namespace", "default"}, {"uid", "d-uid"}, {"generation", 1}}},
              {"spec",
               {{"replicas", replicas},
                {"selector", {{"matchLabels", {{"app", "web"}}}}},
                {"template", Template(image)},
                {"strategy",
                 {{"type", "RollingUpdate"},
                  {"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}}},
                {"revisionHistoryLimit", 10},
                {"progressDeadlineSeconds", 600}}},
              {"status", Json::object()}};
}

// A ReplicaSet the deployment owns, created `age` seconds before kNow, with `available` of its
// `replicas` pods available.
Json OwnedRs(const std::string& image, int64_t replicas, int64_t available, int64_t revision,
             int64_t age, int64_t desired = -1) {
  Json tmpl = Template(image);
  std::string hash = ComputeTemplateHash(tmpl, std::nullopt);
  tmpl["metadata"]["labels"][kHashLabel] = hash;
  Json rs = {{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata",
              {{"name", "web-" + hash},
               {"namespace", "default"},
               {"uid", "rs-" + image},
               {"generation", 1},
               {"creationTimestamp", FormatTime(kNow - age)},
               {"labels", tmpl["metadata"]["labels"]},
               {"annotations", {{kRevision, std::to_string(revision)}}},
               {"ownerReferences", Json::array({OwnerRef("Deployment", "web", "d-uid")})}}},
             {"spec",
              {{"replicas", replicas},
               {"selector", {{"matchLabels", {{"app", "web"}, {kHashLabel, hash}}}}},
               {"template", tmpl}}},
             {"status",
              {{"replicas", replicas},
               {"readyReplicas", available},
               {"availableReplicas", available},
               {"observedGeneration", 1}}}};
  if (desired >= 0) {
    rs["metadata"]["annotations"][kDesiredReplicas] = std::to_string(desired);
    rs["metadata"]["annotations"][kMaxReplicas] = std::to_string(desired + 1);
  }
  return rs;
}

class DeploymentControllerTest : public ::testing::Test {
 protected:
  DeploymentControllerTest() {
    host_.PutObject("/v1/pods", "other/p", Pod("p", Json::object(), "", "other").dump());
    host_.PutObject("apps/v1/replicasets", "other/x", "{}");
    Ok("PATCH", kDeployPath);
    Ok("PATCH", kDeployStatusPath);
  }
  void Ok(const std::string& method, const std::string& path) {
    host_.SetApiResponse(method, path, 200, "{}");
  }
  void Put(const Json& d) { host_.PutObject("apps/v1/deployments", "default/web", d.dump()); }
  void PutRs(const Json& rs) {
    std::string name = rs["metadata"]["name"];
    host_.PutObject("apps/v1/replicasets", "default/" + name, rs.dump());
    Ok("PATCH", std::string(kRsPath) + "/" + name);
    Ok("DELETE", std::string(kRsPath) + "/" + name);
  }
  sdk::testing::Outcome Reconcile(uint64_t* requeue = nullptr) {
    if (!plugin_) {
      plugin_ = std::make_unique<TestPlugin<DeploymentController>>(host_);
      EXPECT_TRUE(plugin_->init().ok());
      plugin_->plugin().SetClockForTesting([this] { return now_; });
    }
    uint64_t r = 0;
    return plugin_->Reconcile("default/web", requeue != nullptr ? requeue : &r);
  }
  std::vector<ApiCall> Calls(const std::string& method, const std::string& path) const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == method && c.path == path) out.push_back(c);
    }
    return out;
  }
  // The last body sent to `method path`, parsed; null when none.
  Json Last(const std::string& method, const std::string& path) const {
    std::vector<ApiCall> calls = Calls(method, path);
    return calls.empty() ? Json() : Json::parse(calls.back().body);
  }
  Json LastStatus() const { return Last("PATCH", kDeployStatusPath)["status"]; }
  static std::string RsName(const std::string& image) {
    return "web-" + ComputeTemplateHash(Template(image), std::nullopt);
  }

  FakeHost host_;
  int64_t now_ = kNow;
  std::unique_ptr<TestPlugin<DeploymentController>> plugin_;
};

TEST_F(DeploymentControllerTest, DescribesDeploymentsWithOwnedReplicaSetsAndPods) {
  plugin_ = std::make_unique<TestPlugin<DeploymentController>>(host_);
  Json watch = Json::parse(plugin_->Describe().output);
  EXPECT_EQ(watch["primary"], "apps/v1/deployments");
  EXPECT_EQ(watch["watches"][0], (Json{{"resource", "apps/v1/replicasets"}, {"map", "owner"}}));
  EXPECT_EQ(watch["watches"][1]["map"], "plugin");
}

TEST_F(DeploymentControllerTest, CreatesTheFirstReplicaSetWithHashRevisionAndOwner) {
  Put(Deployment(3, "nginx:1"));
  host_.SetApiResponse("POST", kRsPath, 201, "{}");
  ASSERT_TRUE(Reconcile().ok());
  Json rs = Last("POST", kRsPath);
  std::string hash = ComputeTemplateHash(Template("nginx:1"), std::nullopt);
  EXPECT_EQ(rs["metadata"]["name"], "web-" + hash);
  EXPECT_EQ(rs["metadata"]["labels"], (Json{{"app", "web"}, {kHashLabel, hash}}));
  EXPECT_EQ(rs["spec"]["selector"]["matchLabels"], (Json{{"app", "web"}, {kHashLabel, hash}}));
  EXPECT_EQ(rs["spec"]["template"]["metadata"]["labels"][kHashLabel], hash);
  EXPECT_EQ(rs["spec"]["replicas"], 3);
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0], OwnerRef("Deployment", "web", "d-uid"));
  EXPECT_EQ(rs["metadata"]["annotations"],
            (Json{{kRevision, "1"}, {kDesiredReplicas, "3"}, {kMaxReplicas, "4"}}));
  EXPECT_EQ(Last("PATCH", kDeployPath)["metadata"]["annotations"][kRevision], "1");
  Json progressing = GetCondition(LastStatus(), "Progressing") != nullptr
                         ? *GetCondition(LastStatus(), "Progressing")
                         : Json();
  EXPECT_EQ(progressing["reason"], "NewReplicaSetCreated");
  EXPECT_EQ(progressing["message"], "Created new replica set \"web-" + hash + "\"");
}

TEST_F(DeploymentControllerTest, ACompleteRolloutReportsAvailableAndNewReplicaSetAvailable) {
  Json d = Deployment(3, "nginx:1");
  d["metadata"]["annotations"][kRevision] = "1";
  Put(d);
  PutRs(OwnedRs("nginx:1", 3, 3, 1, 100, 3));
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(Calls("POST", kRsPath).empty());
  Json status = LastStatus();
  EXPECT_EQ(status["replicas"], 3);
  EXPECT_EQ(status["updatedReplicas"], 3);
  EXPECT_EQ(status["readyReplicas"], 3);
  EXPECT_EQ(status["availableReplicas"], 3);
  EXPECT_FALSE(status.contains("unavailableReplicas"));
  EXPECT_EQ(status["observedGeneration"], 1);
  EXPECT_EQ((*GetCondition(status, "Available"))["reason"], "MinimumReplicasAvailable");
  const Json& p = *GetCondition(status, "Progressing");
  EXPECT_EQ(p["reason"], "NewReplicaSetAvailable");
  EXPECT_EQ(p["message"], "ReplicaSet \"" + RsName("nginx:1") + "\" has successfully progressed.");
  EXPECT_EQ(p["lastUpdateTime"], kNowText);
}

TEST_F(DeploymentControllerTest, ATemplateChangeStartsANewReplicaSetWithinMaxSurge) {
  Put(Deployment(3, "nginx:2"));
  PutRs(OwnedRs("nginx:1", 3, 3, 1, 100, 3));
  host_.SetApiResponse("POST", kRsPath, 201, "{}");
  ASSERT_TRUE(Reconcile().ok());
  Json rs = Last("POST", kRsPath);
  EXPECT_EQ(rs["metadata"]["name"], RsName("nginx:2"));
  EXPECT_EQ(rs["spec"]["replicas"], 1);  // 3 + 25% surge (rounded up) = 4 total
  EXPECT_EQ(rs["metadata"]["annotations"][kRevision], "2");
  // maxUnavailable 25% of 3 rounds down to 0: old pods stay until new ones are available.
  EXPECT_TRUE(Calls("PATCH", std::string(kRsPath) + "/" + RsName("nginx:1")).empty());
}

TEST_F(DeploymentControllerTest, RollingUpdateKeepsOldPodsWhileNewOnesAreUnavailable) {
  Put(Deployment(3, "nginx:2"));
  PutRs(OwnedRs("nginx:1", 3, 3, 1, 100, 3));
  PutRs(OwnedRs("nginx:2", 1, 0, 2, 10, 3));
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(Calls("PATCH", std::string(kRsPath) + "/" + RsName("nginx:1")).empty());
  EXPECT_TRUE(Calls("PATCH", std::string(kRsPath) + "/" + RsName("nginx:2")).empty());
  EXPECT_EQ(LastStatus()["unavailableReplicas"], 1);
  EXPECT_EQ(LastStatus()["updatedReplicas"], 1);
}

TEST_F(DeploymentControllerTest, RollingUpdateScalesOldDownAsNewPodsBecomeAvailable) {
  Put(Deployment(3, "nginx:2"));
  PutRs(OwnedRs("nginx:1", 3, 3, 1, 100, 3));
  PutRs(OwnedRs("nginx:2", 1, 1, 2, 10, 3));
  ASSERT_TRUE(Reconcile().ok());
  // 4 available, at least 3 needed (maxUnavailable 0): the old RS goes 3 -> 2.
  EXPECT_EQ(Last("PATCH", std::string(kRsPath) + "/" + RsName("nginx:1"))["spec"]["replicas"], 2);
}

TEST_F(DeploymentControllerTest, WithMaxUnavailableOldPodsGoBeforeNewOnesAreReady) {
  Put(Deployment(4, "nginx:2"));
  PutRs(OwnedRs("nginx:1", 4, 4, 1, 100, 4));
  PutRs(OwnedRs("nginx:2", 1, 0, 2, 10, 4));
  ASSERT_TRUE(Reconcile().ok());
  // maxUnavailable 1 of 4: one old pod may go although the new one is not available yet.
  EXPECT_EQ(Last("PATCH", std::string(kRsPath) + "/" + RsName("nginx:1"))["spec"]["replicas"], 3);
}

TEST_F(DeploymentControllerTest, RecreateScalesOldToZeroBeforeCreatingTheNew) {
  Json d = Deployment(2, "nginx:2");
  d["spec"]["strategy"] = {{"type", "Recreate"}};
  Put(d);
  PutRs(OwnedRs("nginx:1", 2, 2, 1, 100, 2));
  host_.SetApiResponse("POST", kRsPath, 201, "{}");
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_EQ(Last("PATCH", std::string(kRsPath) + "/" + RsName("nginx:1"))["spec"]["replicas"], 0);
  EXPECT_TRUE(Calls("POST", kRsPath).empty());

  // Old RS at zero, but its pod still runs: wait.
  Json old = OwnedRs("nginx:1", 0, 0, 1, 100, 2);
  PutRs(old);
  Json pod = Pod("old-pod", {{"app", "web"}});
  pod["metadata"]["ownerReferences"] = Json::array({OwnerRef("ReplicaSet", "x", "rs-nginx:1")});
  host_.PutObject("/v1/pods", "default/old-pod", pod.dump());
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(Calls("POST", kRsPath).empty());

  host_.DeleteObject("/v1/pods", "default/old-pod");
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_EQ(Last("POST", kRsPath)["spec"]["replicas"], 2);
}

TEST_F(DeploymentControllerTest, AScalingEventResizesTheOnlyActiveReplicaSet) {
  Put(Deployment(5, "nginx:1"));
  PutRs(OwnedRs("nginx:1", 3, 3, 1, 100, 3));
  ASSERT_TRUE(Reconcile().ok());
  Json patch = Last("PATCH", std::string(kRsPath) + "/" + RsName("nginx:1"));
  EXPECT_EQ(patch["spec"]["replicas"], 5);
  EXPECT_EQ(patch["metadata"]["annotations"][kDesiredReplicas], "5");
  EXPECT_EQ(patch["metadata"]["annotations"][kMaxReplicas], "7");
}

TEST_F(DeploymentControllerTest, ScalingMidRolloutSplitsNewReplicasProportionally) {
  Put(Deployment(6, "nginx:2"));
  Json old = OwnedRs("nginx:1", 2, 2, 1, 100, 3);
  Json cur = OwnedRs("nginx:2", 2, 0, 2, 10, 3);
  old["metadata"]["annotations"][kMaxReplicas] = "4";
  cur["metadata"]["annotations"][kMaxReplicas] = "4";
  PutRs(old);
  PutRs(cur);
  ASSERT_TRUE(Reconcile().ok());
  // 6 + 2 surge = 8 allowed; each RS had 2 of the old 4 max: both grow to 4.
  EXPECT_EQ(Last("PATCH", std::string(kRsPath) + "/" + RsName("nginx:1"))["spec"]["replicas"], 4);
  EXPECT_EQ(Last("PATCH", std::string(kRsPath) + "/" + RsName("nginx:2"))["spec"]["replicas"], 4);
}

TEST_F(DeploymentControllerTest, RollbackReusesTheOldReplicaSetWithTheNextRevision) {
  // `kubectl rollout undo` copies revision 1's template back into the Deployment.
  Json d = Deployment(2, "nginx:1");
  d["metadata"]["annotations"][kRevision] = "2";
  Put(d);
  PutRs(OwnedRs("nginx:1", 0, 0, 1, 200, 2));
  PutRs(OwnedRs("nginx:2", 2, 2, 2, 100, 2));
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(Calls("POST", kRsPath).empty());
  std::vector<ApiCall> patches = Calls("PATCH", std::string(kRsPath) + "/" + RsName("nginx:1"));
  ASSERT_FALSE(patches.empty());
  Json first = Json::parse(patches.front().body);
  EXPECT_EQ(first["metadata"]["annotations"][kRevision], "3");
  EXPECT_EQ(first["metadata"]["annotations"][kRevisionHistory], "1");
  EXPECT_EQ(Last("PATCH", kDeployPath)["metadata"]["annotations"][kRevision], "3");
  // ...and scales it up within the surge.
  EXPECT_EQ(Json::parse(patches.back().body)["spec"]["replicas"], 1);
}

TEST_F(DeploymentControllerTest, CleanupDeletesTheOldestScaledDownRevisionsBeyondTheLimit) {
  Json d = Deployment(1, "nginx:4");
  d["spec"]["revisionHistoryLimit"] = 1;
  d["metadata"]["annotations"][kRevision] = "4";
  d["status"] = {
      {"observedGeneration", 1}, {"replicas", 1}, {"updatedReplicas", 1}, {"availableReplicas", 1}};
  Put(d);
  PutRs(OwnedRs("nginx:1", 0, 0, 1, 400, 1));
  PutRs(OwnedRs("nginx:2", 0, 0, 2, 300, 1));
  PutRs(OwnedRs("nginx:3", 0, 0, 3, 200, 1));
  PutRs(OwnedRs("nginx:4", 1, 1, 4, 100, 1));
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_EQ(Calls("DELETE", std::string(kRsPath) + "/" + RsName("nginx:1")).size(), 1u);
  EXPECT_EQ(Calls("DELETE", std::string(kRsPath) + "/" + RsName("nginx:2")).size(), 1u);
  EXPECT_TRUE(Calls("DELETE", std::string(kRsPath) + "/" + RsName("nginx:3")).empty());
}

TEST_F(DeploymentControllerTest, APausedDeploymentDoesNotRollOut) {
  Json d = Deployment(2, "nginx:2");
  d["spec"]["paused"] = true;
  Put(d);
  PutRs(OwnedRs("nginx:1", 2, 2, 1, 100, 2));
  ASSERT_TRUE(Reconcile().ok());
  EXPECT_TRUE(Calls("POST", kRsPath).empty());
  std::vector<ApiCall> statuses = Calls("PATCH", kDeployStatusPath);
  ASSERT_FALSE(statuses.empty());
  Json paused = Json::parse(statuses.front().body)["status"];
  EXPECT_EQ((*GetCondition(paused, "Progressing"))["reason"], "DeploymentPaused");
  EXPECT_EQ((*GetCondition(paused, "Progressing"))["status"], "Unknown");
}

TEST_F(DeploymentControllerTest, NoProgressPastTheDeadlineIsProgressDeadlineExceeded) {
  Json d = Deployment(2, "nginx:2");
  d["metadata"]["annotations"][kRevision] = "2";
  d["status"] = {
      {"observedGeneration", 1},
      {"replicas", 3},
      {"updatedReplicas", 1},
      {"availableReplicas", 2},
      {"readyReplicas", 2},
      {"unavailableReplicas", 1},
      {"conditions",
       Json::array({NewCondition("Progressing", "True", "ReplicaSetUpdated", "x", kNow - 700)})}};
  Put(d);
  PutRs(OwnedRs("nginx:1", 2, 2, 1, 1000, 2));
  PutRs(OwnedRs("nginx:2", 1, 0, 2, 700, 2));
  uint64_t requeue = 0;
  ASSERT_TRUE(Reconcile(&requeue).ok());
  Json status = LastStatus();
  const Json* p = GetCondition(status, "Progressing");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ((*p)["reason"], "ProgressDeadlineExceeded");
  EXPECT_EQ((*p)["status"], "False");
  EXPECT_EQ((*p)["message"], "ReplicaSet \"" + RsName("nginx:2") + "\" has timed out progressing.");
}

TEST_F(DeploymentControllerTest, PodDeletionsMapThroughTheirReplicaSetToTheDeployment) {
  PutRs(OwnedRs("nginx:1", 1, 1, 1, 10));
  plugin_ = std::make_unique<TestPlugin<DeploymentController>>(host_);
  Json pod = Pod("p", {{"app", "web"}});
  pod["metadata"]["ownerReferences"] =
      Json::array({OwnerRef("ReplicaSet", RsName("nginx:1"), "rs-nginx:1")});
  EXPECT_EQ(plugin_->MapEvent("/v1/pods", CAPSTAN_EVENT_DELETED, pod.dump()).output,
            R"(["default/web"])");
  EXPECT_EQ(plugin_->MapEvent("/v1/pods", CAPSTAN_EVENT_MODIFIED, pod.dump()).output, "[]");
}

}  // namespace
}  // namespace capstan::controllers
