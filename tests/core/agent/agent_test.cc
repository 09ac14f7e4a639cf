// Integration test of core/agent/agent.h: a real in-process API server (tests/core/client's
// TestCluster) and the real `runtime/fake.so` — node registration and Lease, pods running to
// Ready, completing, being deleted, and crash-looping with backoff.
#include "core/agent/agent.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "core/plugin/registry.h"
#include "tests/core/client/test_cluster.h"

namespace capstan::agent {
namespace {

using client::testing::Eventually;
using client::testing::TestCluster;
using nlohmann::json;

constexpr char kNode[] = "hollow-1";

class AgentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new TestCluster(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    client_ = cluster_->NewClient();
    json doc = {{"apiVersion", "capstan.io/v1alpha1"},
                {"kind", "PluginConfiguration"},
                {"pluginDirs", json::array({CAPSTAN_TEST_PLUGIN_DIR})},
                {"chains",
                 {{"runtime",
                   {{"plugins", json::array({{{"name", "fake"},
                                              {"library", "runtime/fake.so"},
                                              {"config", {{"podCidr", "10.244.7.0/24"}}}}})}}}}}};
    Result<plugin::PluginConfiguration> config = plugin::ParsePluginConfiguration(doc, "test", "/");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    registry_ = plugin::Registry::Load(*config);
    ASSERT_TRUE(registry_->status().ok()) << registry_->status().ToString();
    AgentOptions o;
    o.client = client_.get();
    o.node_name = kNode;
    o.runtime = registry_->chain(CAPSTAN_KIND_RUNTIME)->entries[0].instance;
    o.lease_period = std::chrono::milliseconds(200);
    o.relist_period = std::chrono::milliseconds(50);
    o.backoff_initial = std::chrono::milliseconds(100);
    o.backoff_max = std::chrono::milliseconds(400);
    o.labels = {{"capstan.io/hollow", "true"}};
    Result<std::unique_ptr<Agent>> agent = Agent::Create(o);
    ASSERT_TRUE(agent.ok()) << agent.status().ToString();
    agent_ = std::move(*agent);
    Status started = agent_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  void TearDown() override {
    agent_.reset();
    registry_.reset();
  }

  Status CreatePod(const std::string& name, const std::string& image, const std::string& policy) {
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec",
                 {{"nodeName", kNode},
                  {"restartPolicy", policy},
                  {"containers", json::array({{{"name", "main"}, {"image", image}}})}}}};
    Result<json> r = client_->Create("/api/v1/namespaces/default/pods", pod);
    return r.ok() ? Status::Ok() : r.status();
  }
  json GetPod(const std::string& name) {
    Result<json> r = client_->Get("/api/v1/namespaces/default/pods/" + name);
    return r.ok() ? *r : json();
  }
  static std::string Condition(const json& obj, const std::string& type) {
    for (const json& c : obj["status"].value("conditions", json::array())) {
      if (c.value("type", "") == type) return c.value("status", "");
    }
    return "";
  }

  static TestCluster* cluster_;
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<plugin::Registry> registry_;
  std::unique_ptr<Agent> agent_;
};

TestCluster* AgentTest::cluster_ = nullptr;

TEST_F(AgentTest, RegistersAReadyNodeAndRenewsItsLease) {
  Result<json> node = client_->Get(std::string("/api/v1/nodes/") + kNode);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(Condition(*node, "Ready"), "True");
  EXPECT_EQ((*node)["metadata"]["labels"]["kubernetes.io/hostname"], kNode);
  EXPECT_EQ((*node)["metadata"]["labels"]["capstan.io/hollow"], "true");
  EXPECT_EQ((*node)["status"]["nodeInfo"]["containerRuntimeVersion"], "fake://0.1.0");
  EXPECT_EQ((*node)["status"]["capacity"]["pods"], "110");
  std::string lease_path =
      std::string("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/") + kNode;
  Result<json> lease = client_->Get(lease_path);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], kNode);
  std::string first = (*lease)["spec"].value("renewTime", "");
  EXPECT_TRUE(Eventually([&] {
    Result<json> l = client_->Get(lease_path);
    return l.ok() && (*l)["spec"].value("renewTime", "") != first;
  }));
}

TEST_F(AgentTest, BoundPodBecomesRunningAndReady) {
  auto created = std::chrono::steady_clock::now();
  ASSERT_TRUE(CreatePod("web", "nginx:1.27", "Always").ok());
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("web"), "Ready") == "True"; }));
  auto latency = std::chrono::steady_clock::now() - created;
  std::printf("pod create -> Ready observed after %lld ms\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(latency).count()));
  json pod = GetPod("web");
  EXPECT_EQ(pod["status"]["phase"], "Running");
  EXPECT_EQ(pod["status"]["podIP"].get<std::string>().rfind("10.244.7.", 0), 0u);
  const json& cs = pod["status"]["containerStatuses"][0];
  EXPECT_EQ(cs["name"], "main");
  EXPECT_EQ(cs["ready"], true);
  EXPECT_EQ(cs["containerID"].get<std::string>().rfind("fake://", 0), 0u);
  EXPECT_TRUE(cs["state"].contains("running"));
}

TEST_F(AgentTest, PodThatExitsZeroUnderNeverSucceeds) {
  ASSERT_TRUE(CreatePod("job", "busybox:exit-0", "Never").ok());
  ASSERT_TRUE(
      Eventually([&] { return GetPod("job")["status"].value("phase", "") == "Succeeded"; }));
  json cs = GetPod("job")["status"]["containerStatuses"][0];
  EXPECT_EQ(cs["state"]["terminated"]["reason"], "Completed");
  EXPECT_EQ(cs["state"]["terminated"]["exitCode"], 0);
}

TEST_F(AgentTest, DeletingARunningPodRemovesIt) {
  ASSERT_TRUE(CreatePod("doomed", "nginx", "Always").ok());
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("doomed"), "Ready") == "True"; }));
  Result<json> del = client_->Delete("/api/v1/namespaces/default/pods/doomed");
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_TRUE(Eventually([&] {
    Result<json> r = client_->Get("/api/v1/namespaces/default/pods/doomed");
    return !r.ok() && r.status().code() == StatusCode::kNotFound;
  }));
}

TEST_F(AgentTest, CrashingContainerUnderAlwaysRestartsWithCrashLoopBackOff) {
  ASSERT_TRUE(CreatePod("crasher", "app:crash", "Always").ok());
  bool saw_backoff = false;
  EXPECT_TRUE(Eventually([&] {
    json pod = GetPod("crasher");
    const json cs = pod["status"].value("containerStatuses", json::array());
    if (cs.empty()) return false;
    if (cs[0]["state"].contains("waiting") &&
        cs[0]["state"]["waiting"].value("reason", "") == "CrashLoopBackOff") {
      saw_backoff = true;
    }
    return saw_backoff && cs[0].value("restartCount", 0) >= 2;
  }));
  EXPECT_EQ(GetPod("crasher")["status"]["phase"], "Running");
}

}  // namespace
}  // namespace capstan::agent
