// Integration test of core/controllers with the real replicaset and deployment plugins (.so)
// against an in-process API server over HTTPS: a Deployment gets a ReplicaSet and pods with
// the right owners and labels, deleted pods are replaced, scaling down deletes pods, a template
// change rolls out a new ReplicaSet. Pods have no node: the test marks them Ready through
// pods/status, as an agent would.
#include "core/controllers/controller_host.h"

#include <gtest/gtest.h>

#include <ctime>
#include <set>
#include <string>
#include <vector>

#include "core/plugin/chain_config.h"
#include "tests/core/controllers/test_cluster.h"

namespace capstan::controllers {
namespace {

using nlohmann::json;
using testing::ControllerTestCluster;
using testing::Eventually;

constexpr char kPods[] = "/api/v1/namespaces/default/pods";
constexpr char kRss[] = "/apis/apps/v1/namespaces/default/replicasets";
constexpr char kDeploy[] = "/apis/apps/v1/namespaces/default/deployments";

std::string Now() {
  std::time_t t = std::time(nullptr);
  std::tm tm_value{};
  gmtime_r(&t, &tm_value);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm_value);
  return buf;
}

json DeploymentObject(int replicas, const std::string& image) {
  return json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", "web"}, {"namespace", "default"}}},
              {"spec",
               {{"replicas", replicas},
                {"selector", {{"matchLabels", {{"app", "web"}}}}},
                {"template",
                 {{"metadata", {{"labels", {{"app", "web"}}}}},
                  {"spec", {{"containers", json::array({{{"name", "c"}, {"image", image}}})}}}}}}}};
}

class ControllerHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = cluster_.NewClient();
    json doc = {{"apiVersion", "capstan.io/v1alpha1"},
                {"kind", "PluginConfiguration"},
                {"pluginDirs", json::array({CAPSTAN_TEST_PLUGIN_DIR})},
                {"chains",
                 {{"controller",
                   {{"plugins", json::array({{{"name", "replicasets"},
                                              {"library", "controllers/replicaset.so"},
                                              {"config", {{"kind", "ReplicaSet"}, {"workers", 2}}}},
                                             {{"name", "replicationcontrollers"},
                                              {"library", "controllers/replicaset.so"},
                                              {"config", {{"kind", "ReplicationController"}}}},
                                             {{"name", "deployments"},
                                              {"library", "controllers/deployment.so"}}})}}}}}};
    Result<plugin::PluginConfiguration> config = plugin::ParsePluginConfiguration(doc, "test", "/");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = *config;
    Result<std::unique_ptr<ControllerHost>> host = StartControllerHost(Options());
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
  }
  ControllerHostOptions Options(const std::string& leader_identity = "") {
    ControllerHostOptions options;
    options.client = client_.get();
    options.plugins = config_;
    if (!leader_identity.empty()) {
      options.leader_election.enabled = true;
      options.leader_election.identity = leader_identity;
      options.leader_election.lease_duration = std::chrono::milliseconds(3000);
      options.leader_election.renew_deadline = std::chrono::milliseconds(2000);
      options.leader_election.retry_period = std::chrono::milliseconds(100);
    }
    return options;
  }
  void TearDown() override {
    if (host_) host_->Stop();
    host_.reset();
  }

  json Items(const std::string& path) {
    Result<json> list = client_->Get(path);
    return list.ok() && list->contains("items") ? (*list)["items"] : json::array();
  }
  // Pods not being deleted.
  std::vector<json> ActivePods() {
    std::vector<json> out;
    for (const json& p : Items(kPods)) {
      if (!p["metadata"].contains("deletionTimestamp")) out.push_back(p);
    }
    return out;
  }
  // What an agent would report for running pods.
  void MarkPodsReady() {
    for (const json& p : ActivePods()) {
      if (p.contains("status") && p["status"].contains("conditions")) continue;
      json patch = {{"status",
                     {{"phase", "Running"},
                      {"conditions", json::array({{{"type", "Ready"},
                                                   {"status", "True"},
                                                   {"lastTransitionTime", Now()}}})}}}};
      (void)client_->Patch(
          std::string(kPods) + "/" + p["metadata"]["name"].get<std::string>() + "/status",
          "application/merge-patch+json", patch);
    }
  }
  json Deployment() {
    Result<json> d = client_->Get(std::string(kDeploy) + "/web");
    return d.ok() ? *d : json();
  }
  bool RolledOut(int replicas) {
    MarkPodsReady();
    json d = Deployment();
    const json& s = d.value("status", json::object());
    return s.value("updatedReplicas", 0) == replicas &&
           s.value("availableReplicas", 0) == replicas && s.value("replicas", 0) == replicas &&
           s.value("observedGeneration", 0) == d["metadata"].value("generation", -1) &&
           static_cast<int>(ActivePods().size()) == replicas;
  }

  ControllerTestCluster cluster_;
  std::unique_ptr<client::ApiClient> client_;
  plugin::PluginConfiguration config_;
  std::unique_ptr<ControllerHost> host_;
};

TEST_F(ControllerHostTest, RunsTheDescribedControllersWithSharedInformers) {
  EXPECT_EQ(host_->Controllers(),
            (std::vector<std::string>{"replicasets", "replicationcontrollers", "deployments"}));
  EXPECT_EQ(host_->Runner("deployments")->spec().primary, "apps/v1/deployments");
  EXPECT_TRUE(host_->IsLeader());
  EXPECT_NE(host_->metrics().Exposition().find("capstan_controller_queue_depth"),
            std::string::npos);
}

TEST_F(ControllerHostTest, DeploymentLifecycleCreatesReplacesScalesAndRollsOut) {
  ASSERT_TRUE(client_->Create(kDeploy, DeploymentObject(3, "nginx:1")).ok());

  // A ReplicaSet owned by the Deployment, and 3 pods owned by it with the template's labels.
  ASSERT_TRUE(Eventually([&] { return Items(kRss).size() == 1 && ActivePods().size() == 3; }));
  json rs = Items(kRss)[0];
  json d = Deployment();
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0]["uid"], d["metadata"]["uid"]);
  EXPECT_EQ(rs["metadata"]["ownerReferences"][0]["controller"], true);
  std::string hash = rs["metadata"]["labels"]["pod-template-hash"];
  EXPECT_EQ(rs["metadata"]["name"], "web-" + hash);
  for (const json& pod : ActivePods()) {
    EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["uid"], rs["metadata"]["uid"]);
    EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["blockOwnerDeletion"], true);
    EXPECT_EQ(pod["metadata"]["labels"]["app"], "web");
    EXPECT_EQ(pod["metadata"]["labels"]["pod-template-hash"], hash);
    EXPECT_EQ(pod["metadata"]["name"].get<std::string>().rfind("web-" + hash + "-", 0), 0u);
  }
  ASSERT_TRUE(Eventually([&] { return RolledOut(3); }));
  EXPECT_EQ(Deployment()["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "1");

  // A deleted pod is replaced.
  std::string victim = ActivePods()[0]["metadata"]["name"];
  ASSERT_TRUE(client_->Delete(std::string(kPods) + "/" + victim).ok());
  ASSERT_TRUE(Eventually([&] {
    std::vector<json> pods = ActivePods();
    if (pods.size() != 3) return false;
    for (const json& p : pods) {
      if (p["metadata"]["name"] == victim) return false;
    }
    return true;
  }));

  // Scaling to 1 deletes two pods.
  ASSERT_TRUE(client_
                  ->Patch(std::string(kDeploy) + "/web", "application/merge-patch+json",
                          json{{"spec", {{"replicas", 1}}}})
                  .ok());
  ASSERT_TRUE(Eventually([&] { return RolledOut(1); }));

  // A new image: a second ReplicaSet takes over, the first is scaled to zero.
  ASSERT_TRUE(client_
                  ->Patch(std::string(kDeploy) + "/web", "application/merge-patch+json",
                          DeploymentObject(1, "nginx:2"))
                  .ok());
  ASSERT_TRUE(Eventually([&] {
    if (!RolledOut(1)) return false;
    json rss = Items(kRss);
    if (rss.size() != 2) return false;
    for (const json& r : rss) {
      bool is_old = r["metadata"]["name"] == rs["metadata"]["name"];
      if (r["spec"]["replicas"] != (is_old ? 0 : 1)) return false;
    }
    return true;
  }));
  EXPECT_EQ(Deployment()["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
  std::set<std::string> reasons;
  for (const json& e : Items("/api/v1/namespaces/default/events")) reasons.insert(e["reason"]);
  EXPECT_TRUE(reasons.count("ScalingReplicaSet") && reasons.count("SuccessfulCreate") &&
              reasons.count("SuccessfulDelete"));
  for (const json& pod : ActivePods()) {
    EXPECT_NE(pod["metadata"]["labels"]["pod-template-hash"], hash);
    EXPECT_EQ(pod["spec"]["containers"][0]["image"], "nginx:2");
  }
  const ControllerRunner* runner = host_->Runner("replicasets");
  ASSERT_NE(runner, nullptr);
  EXPECT_GT(runner->reconciles(), 0);
}

TEST_F(ControllerHostTest, ReplicationControllersGetPodsOwnedByThem) {
  json rc = {{"apiVersion", "v1"},
             {"kind", "ReplicationController"},
             {"metadata", {{"name", "legacy"}, {"namespace", "default"}}},
             {"spec",
              {{"replicas", 2},
               {"selector", {{"app", "legacy"}}},
               {"template",
                {{"metadata", {{"labels", {{"app", "legacy"}}}}},
                 {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "x"}}})}}}}}}}};
  ASSERT_TRUE(client_->Create("/api/v1/namespaces/default/replicationcontrollers", rc).ok());
  ASSERT_TRUE(Eventually([&] {
    MarkPodsReady();
    Result<json> got = client_->Get("/api/v1/namespaces/default/replicationcontrollers/legacy");
    return ActivePods().size() == 2 && got.ok() && (*got)["status"].value("readyReplicas", 0) == 2;
  }));
  for (const json& pod : ActivePods()) {
    EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["kind"], "ReplicationController");
    EXPECT_EQ(pod["metadata"]["generateName"], "legacy-");
  }
}

TEST_F(ControllerHostTest, WithLeaderElectionOnlyTheLeaderReconcilesAndAStandbyTakesOver) {
  host_->Stop();
  host_.reset();
  Result<std::unique_ptr<ControllerHost>> a = StartControllerHost(Options("host-a"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  Result<std::unique_ptr<ControllerHost>> b = StartControllerHost(Options("host-b"));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_TRUE(Eventually([&] { return (*a)->IsLeader() != (*b)->IsLeader(); }));
  ControllerHost* leader = (*a)->IsLeader() ? a->get() : b->get();
  std::unique_ptr<ControllerHost>& standby = (*a)->IsLeader() ? *b : *a;

  ASSERT_TRUE(client_->Create(kDeploy, DeploymentObject(1, "nginx:1")).ok());
  ASSERT_TRUE(Eventually([&] { return ActivePods().size() == 1; }));
  EXPECT_EQ(standby->Runner("deployments")->reconciles(), 0);

  // The leader stops and releases the Lease: the standby leads and acts on new work.
  leader->Stop();
  ASSERT_TRUE(Eventually([&] { return standby->IsLeader(); }));
  ASSERT_TRUE(client_
                  ->Patch(std::string(kDeploy) + "/web", "application/merge-patch+json",
                          json{{"spec", {{"replicas", 2}}}})
                  .ok());
  ASSERT_TRUE(Eventually([&] { return ActivePods().size() == 2; }));
  EXPECT_GT(standby->Runner("deployments")->reconciles(), 0);
}

}  // namespace
}  // namespace capstan::controllers
