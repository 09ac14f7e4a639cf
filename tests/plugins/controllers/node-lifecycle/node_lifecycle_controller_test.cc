// Tests for plugins/controllers/node-lifecycle through its C vtable and the SDK's FakeHost with
// an injected clock: a stale node gets Unknown conditions and the unreachable taints, a fresh
// one is left alone and requeued for when it would turn stale, pods are evicted at once or
// after their tolerationSeconds, events map to the node, and bad config is refused.
#include "plugins/controllers/node-lifecycle/node_lifecycle_controller.h"

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

constexpr int64_t kT0 = 1'700'000'000;
constexpr char kNodes[] = "/v1/nodes";
constexpr char kPods[] = "/v1/pods";
constexpr char kLeases[] = "coordination.k8s.io/v1/leases";
constexpr char kNodePath[] = "/api/v1/nodes/n1";
constexpr char kStatusPath[] = "/api/v1/nodes/n1/status";

Json Node(int64_t heartbeat, const std::string& ready = "True", Json taints = Json::array()) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", "n1"}, {"creationTimestamp", FormatTime(kT0 - 3600)}}},
          {"spec", {{"taints", std::move(taints)}}},
          {"status",
           {{"conditions", Json::array({{{"type", "Ready"},
                                         {"status", ready},
                                         {"lastHeartbeatTime", FormatTime(heartbeat)}}})}}}};
}

Json Pod(const std::string& name, Json tolerations = Json::array()) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", "u-" + name}}},
          {"spec", {{"nodeName", "n1"}, {"tolerations", std::move(tolerations)}}}};
}

class NodeLifecycleControllerTest : public ::testing::Test {
 protected:
  void Start(const std::string& config = "{}") {
    plugin_ = std::make_unique<TestPlugin<NodeLifecycleController>>(host_, config);
    ASSERT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().set_clock([this] { return now_; });
    host_.SetApiResponse("PATCH", kStatusPath, 200, "{}");
    host_.SetApiResponse("PATCH", kNodePath, 200, "{}");
    // The fake answers UNAVAILABLE for kinds it holds nothing of (the real host watches them).
    Json other = Pod("other");
    other["spec"]["nodeName"] = "n9";
    host_.PutObject(kPods, "default/other", other.dump());
    host_.PutObject(kLeases, "kube-node-lease/n9", R"({"metadata":{"name":"n9"}})");
  }
  uint64_t Sync() {
    uint64_t requeue = 0;
    sdk::testing::Outcome o = plugin_->Reconcile("n1", &requeue);
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

  int64_t now_ = kT0;
  FakeHost host_;
  std::unique_ptr<TestPlugin<NodeLifecycleController>> plugin_;
};

TEST_F(NodeLifecycleControllerTest, AFreshNodeIsLeftAloneAndRequeuedForItsGraceDeadline) {
  Start();
  host_.PutObject(kNodes, "n1", Node(kT0 - 10).dump());
  host_.PutObject(kLeases, "kube-node-lease/n1",
                  Json{{"metadata", {{"name", "n1"}, {"namespace", "kube-node-lease"}}},
                       {"spec", {{"renewTime", FormatTime(kT0 - 2)}}}}
                      .dump());
  uint64_t requeue = Sync();
  EXPECT_TRUE(host_.api_calls().empty());
  EXPECT_EQ(requeue, (40 - 2 + 1) * 1000u);  // stale at renew + 40 s; one second of slack
}

TEST_F(NodeLifecycleControllerTest, AStaleNodeGetsUnknownConditionsAndTheUnreachableTaints) {
  Start(R"({"nodeMonitorGracePeriod": "5s"})");
  host_.PutObject(kNodes, "n1", Node(kT0 - 6).dump());
  Sync();
  std::vector<ApiCall> status = Calls("PATCH", kStatusPath);
  ASSERT_EQ(status.size(), 1u);
  Json ready = Json::parse(status[0].body)["status"]["conditions"][0];
  EXPECT_EQ(ready["status"], "Unknown");
  EXPECT_EQ(ready["reason"], "NodeStatusUnknown");
  std::vector<ApiCall> spec = Calls("PATCH", kNodePath);
  ASSERT_EQ(spec.size(), 1u);
  Json taints = Json::parse(spec[0].body)["spec"]["taints"];
  ASSERT_EQ(taints.size(), 2u);
  EXPECT_EQ(taints[1]["key"], "node.kubernetes.io/unreachable");
  EXPECT_EQ(taints[1]["effect"], "NoExecute");
  EXPECT_EQ(taints[1]["timeAdded"], FormatTime(kT0));
}

TEST_F(NodeLifecycleControllerTest, AReadyNodeLosesItsLifecycleTaints) {
  Start();
  Json taints = Json::array({{{"key", "node.kubernetes.io/unreachable"}, {"effect", "NoExecute"}},
                             {{"key", "team"}, {"effect", "NoSchedule"}}});
  host_.PutObject(kNodes, "n1", Node(kT0, "True", taints).dump());
  Sync();
  std::vector<ApiCall> spec = Calls("PATCH", kNodePath);
  ASSERT_EQ(spec.size(), 1u);
  EXPECT_EQ(Json::parse(spec[0].body)["spec"]["taints"],
            Json::array({{{"key", "team"}, {"effect", "NoSchedule"}}}));
  EXPECT_TRUE(Calls("PATCH", kStatusPath).empty());
}

TEST_F(NodeLifecycleControllerTest, PodsAreEvictedAtOnceOrAfterTheirTolerationSeconds) {
  Start(R"({"nodeMonitorGracePeriod": "1h"})");  // so the next eviction is the earliest timer
  Json taints = Json::array({{{"key", "node.kubernetes.io/not-ready"}, {"effect", "NoSchedule"}},
                             {{"key", "node.kubernetes.io/not-ready"},
                              {"effect", "NoExecute"},
                              {"timeAdded", FormatTime(kT0 - 100)}}});
  host_.PutObject(kNodes, "n1", Node(kT0, "False", taints).dump());
  Json patient = Json::array({{{"key", "node.kubernetes.io/not-ready"},
                               {"operator", "Exists"},
                               {"effect", "NoExecute"},
                               {"tolerationSeconds", 300}}});
  host_.PutObject(kPods, "default/plain", Pod("plain").dump());
  host_.PutObject(kPods, "default/patient", Pod("patient", patient).dump());
  Json elsewhere = Pod("elsewhere");
  elsewhere["spec"]["nodeName"] = "n2";
  host_.PutObject(kPods, "default/elsewhere", elsewhere.dump());
  host_.SetApiResponse("DELETE", "/api/v1/namespaces/default/pods/plain", 200, "{}");
  host_.SetApiResponse("DELETE", "/api/v1/namespaces/default/pods/patient", 200, "{}");

  uint64_t requeue = Sync();
  EXPECT_EQ(Calls("DELETE", "/api/v1/namespaces/default/pods/plain").size(), 1u);
  EXPECT_TRUE(Calls("DELETE", "/api/v1/namespaces/default/pods/patient").empty());
  EXPECT_TRUE(Calls("DELETE", "/api/v1/namespaces/default/pods/elsewhere").empty());
  EXPECT_EQ(requeue, (200 + 1) * 1000u);  // the patient pod is due at timeAdded + 300 s
  std::vector<ApiCall> events = Calls("POST", "/api/v1/namespaces/default/events");
  ASSERT_EQ(events.size(), 1u);
  Json event = Json::parse(events[0].body);
  EXPECT_EQ(event["reason"], "TaintManagerEviction");
  EXPECT_EQ(event["message"], "Marking for deletion Pod default/plain");
  std::vector<ApiCall> status = Calls("PATCH", "/api/v1/namespaces/default/pods/plain/status");
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(Json::parse(status[0].body)["status"]["conditions"][0]["type"], "DisruptionTarget");

  host_.DeleteObject(kPods, "default/plain");
  now_ = kT0 + 200;
  Sync();
  EXPECT_EQ(Calls("DELETE", "/api/v1/namespaces/default/pods/patient").size(), 1u);
}

TEST_F(NodeLifecycleControllerTest, LeaseAndPodEventsMapToTheirNode) {
  Start();
  sdk::testing::Outcome o =
      plugin_->MapEvent(kLeases, CAPSTAN_EVENT_MODIFIED,
                        R"({"metadata":{"name":"n1","namespace":"kube-node-lease"}})");
  ASSERT_TRUE(o.ok()) << o.error;
  EXPECT_EQ(o.output, R"(["n1"])");
  o = plugin_->MapEvent(kLeases, CAPSTAN_EVENT_MODIFIED,
                        R"({"metadata":{"name":"leader","namespace":"kube-system"}})");
  EXPECT_EQ(o.output, "[]");
  o = plugin_->MapEvent(kPods, CAPSTAN_EVENT_ADDED, Pod("p").dump());
  EXPECT_EQ(o.output, R"(["n1"])");
  o = plugin_->MapEvent(kPods, CAPSTAN_EVENT_ADDED, R"({"metadata":{"name":"pending"}})");
  EXPECT_EQ(o.output, "[]");
}

TEST(NodeLifecycleConfigTest, DurationsParseAndBadOnesAreRefused) {
  FakeHost host;
  TestPlugin<NodeLifecycleController> ok(
      host, R"({"nodeMonitorGracePeriod": "2m", "nodeStartupGracePeriod": 7})");
  ASSERT_TRUE(ok.init().ok()) << ok.init().error;
  EXPECT_EQ(ok.plugin().grace().monitor_seconds, 120);
  EXPECT_EQ(ok.plugin().grace().startup_seconds, 7);
  for (const char* bad : {R"({"nodeMonitorGracePeriod": "40"})", R"({"nodeMonitorGracePeriod": 0})",
                          R"({"nodeStartupGracePeriod": "1d"})", "[]"}) {
    FakeHost h;
    TestPlugin<NodeLifecycleController> p(h, bad);
    EXPECT_FALSE(p.init().ok()) << bad;
  }
}

}  // namespace
}  // namespace capstan::controllers
