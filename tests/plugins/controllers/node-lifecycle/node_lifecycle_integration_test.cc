// Integration test of the node-lifecycle plugin (.so) in the controller host against an
// in-process API server over HTTPS, with a 3 s grace period: a node whose Lease and Ready
// heartbeat stop turns Unknown and gets the unreachable taints, an intolerant pod bound to it is
// evicted while a tolerating one stays, and fresh heartbeats bring the node back untainted.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <string>

#include "core/controllers/controller_host.h"
#include "core/plugin/chain_config.h"
#include "tests/core/controllers/test_cluster.h"

namespace capstan::controllers {
namespace {

using nlohmann::json;
using testing::ControllerTestCluster;
using testing::Eventually;

constexpr char kNodes[] = "/api/v1/nodes";
constexpr char kPods[] = "/api/v1/namespaces/default/pods";
constexpr char kLeases[] = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";

std::string Now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

json ReadyConditions() {
  return json::array({{{"type", "Ready"},
                       {"status", "True"},
                       {"reason", "KubeletReady"},
                       {"lastHeartbeatTime", Now()},
                       {"lastTransitionTime", Now()}}});
}

json Pod(const std::string& name, json tolerations) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"nodeName", "w1"},
            {"tolerations", std::move(tolerations)},
            {"containers", json::array({{{"name", "c"}, {"image", "busybox:1"}}})}}}};
}

class NodeLifecycleIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = cluster_.NewClient();
    json entry = {{"name", "node-lifecycle"},
                  {"library", "controllers/node-lifecycle.so"},
                  {"config", {{"nodeMonitorGracePeriod", 3}, {"nodeStartupGracePeriod", 3}}}};
    Result<std::unique_ptr<ControllerHost>> host =
        testing::StartHostWithPlugins(client_.get(), CAPSTAN_TEST_PLUGIN_DIR, json::array({entry}));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
  }
  void TearDown() override {
    if (host_) host_->Stop();
  }

  void Heartbeat() {
    Result<json> r =
        client_->Patch(std::string(kNodes) + "/w1/status", "application/merge-patch+json",
                       {{"status", {{"conditions", ReadyConditions()}}}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    r = client_->Patch(std::string(kLeases) + "/w1", "application/merge-patch+json",
                       {{"spec", {{"renewTime", Now()}}}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  json Get(const std::string& path) {
    Result<json> r = client_->Get(path);
    return r.ok() ? *r : json();
  }
  std::string ReadyStatus() {
    for (const json& c :
         Get(std::string(kNodes) + "/w1")["status"].value("conditions", json::array())) {
      if (c.value("type", "") == "Ready") return c.value("status", "");
    }
    return "";
  }
  bool HasTaint(const std::string& key, const std::string& effect) {
    for (const json& t : Get(std::string(kNodes) + "/w1")["spec"].value("taints", json::array())) {
      if (t.value("key", "") == key && t.value("effect", "") == effect) return true;
    }
    return false;
  }
  // Deleted, or marked for graceful deletion.
  bool Evicted(const std::string& pod) {
    Result<json> r = client_->Get(std::string(kPods) + "/" + pod);
    return !r.ok() || (*r)["metadata"].contains("deletionTimestamp");
  }

  ControllerTestCluster cluster_;
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<ControllerHost> host_;
};

TEST_F(NodeLifecycleIntegrationTest, AStaleNodeIsTaintedItsPodsEvictedAndItRecovers) {
  json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "w1"}}}};
  ASSERT_TRUE(client_->Create(kNodes, node).ok());
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", "w1"}, {"namespace", "kube-node-lease"}}},
                {"spec", {{"holderIdentity", "w1"}, {"renewTime", Now()}}}};
  json ns = {
      {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "kube-node-lease"}}}};
  ASSERT_TRUE(client_->Create("/api/v1/namespaces", ns).ok());
  ASSERT_TRUE(client_->Create(kLeases, lease).ok());
  Heartbeat();
  json forever = json::array({{{"key", "node.kubernetes.io/unreachable"},
                               {"operator", "Exists"},
                               {"effect", "NoExecute"}}});
  ASSERT_TRUE(client_->Create(kPods, Pod("intolerant", json::array())).ok());
  ASSERT_TRUE(client_->Create(kPods, Pod("tolerant", forever)).ok());

  // No more heartbeats: Unknown after the grace period, then the taints and the eviction.
  EXPECT_TRUE(Eventually([&] { return ReadyStatus() == "Unknown"; })) << Get(kNodes).dump();
  EXPECT_TRUE(Eventually([&] {
    return HasTaint("node.kubernetes.io/unreachable", "NoExecute") &&
           HasTaint("node.kubernetes.io/unreachable", "NoSchedule");
  })) << Get(std::string(kNodes) + "/w1").dump();
  EXPECT_TRUE(Eventually([&] { return Evicted("intolerant"); }));
  EXPECT_FALSE(Evicted("tolerant"));

  Heartbeat();
  EXPECT_TRUE(Eventually([&] {
    return ReadyStatus() == "True" && !HasTaint("node.kubernetes.io/unreachable", "NoExecute") &&
           !HasTaint("node.kubernetes.io/unreachable", "NoSchedule");
  })) << Get(std::string(kNodes) + "/w1").dump();
}

}  // namespace
}  // namespace capstan::controllers
