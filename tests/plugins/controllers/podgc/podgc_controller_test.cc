// Tests for plugins/controllers/podgc with an injected clock, through the plugin's C vtable and
// the FakeHost: terminated pods over the threshold (evicted, then oldest, first), orphans after
// the quarantine with the DisruptionTarget mark, unscheduled terminating pods, node deletions
// mapped to their pods.
#include "plugins/controllers/podgc/podgc_controller.h"

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

constexpr char kPods[] = "/v1/pods";
constexpr char kNodes[] = "/v1/nodes";

Json P(const std::string& name, const std::string& phase, const std::string& created,
       const std::string& node = "node-1") {
  Json pod = testing::Pod(name, Json::object());
  pod["metadata"]["creationTimestamp"] = created;
  pod["status"]["phase"] = phase;
  if (node.empty()) {
    pod["spec"].erase("nodeName");
  } else {
    pod["spec"]["nodeName"] = node;
  }
  return pod;
}

class PodGcTest : public ::testing::Test {
 protected:
  void Start(const std::string& config) {
    host_.PutObject(kNodes, "node-1", R"({"metadata":{"name":"node-1"}})");
    plugin_ = std::make_unique<TestPlugin<PodGcController>>(host_, config);
    ASSERT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().SetClockForTesting([this] { return now_ms_; });
  }
  // Puts the pod in the cache and reconciles it, as its watch event would.
  uint64_t Add(const Json& pod) {
    std::string key = "default/" + pod["metadata"]["name"].get<std::string>();
    host_.PutObject(kPods, key, pod.dump());
    return Sync(key);
  }
  uint64_t Sync(const std::string& key) {
    uint64_t requeue = 0;
    sdk::testing::Outcome o = plugin_->Reconcile(key, &requeue);
    EXPECT_TRUE(o.ok()) << o.error;
    return requeue;
  }
  void Accept(const std::string& name) {
    std::string path = "/api/v1/namespaces/default/pods/" + name;
    host_.SetApiResponse("DELETE", path, 200, "{}");
    host_.SetApiResponse("PATCH", path + "/status", 200, "{}");
  }
  std::vector<std::string> Deleted() const {
    std::vector<std::string> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method != "DELETE") continue;
      out.push_back(c.path.substr(c.path.rfind('/') + 1));
      EXPECT_EQ(Json::parse(c.body)["gracePeriodSeconds"], 0);
    }
    return out;
  }
  std::vector<ApiCall> StatusPatches() const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == "PATCH") out.push_back(c);
    }
    return out;
  }

  int64_t now_ms_ = testing::kNow * 1000;
  FakeHost host_;
  std::unique_ptr<TestPlugin<PodGcController>> plugin_;
};

TEST_F(PodGcTest, DeletesTerminatedPodsOverTheThresholdEvictedThenOldestFirst) {
  Start(R"({"terminatedPodGcThreshold": 2})");
  for (const char* name : {"old", "evicted", "mid"}) Accept(name);
  Add(P("running", "Running", "2023-11-01T00:00:00Z"));
  Add(P("old", "Succeeded", "2023-11-02T00:00:00Z"));
  Add(P("new", "Failed", "2023-11-05T00:00:00Z"));
  EXPECT_TRUE(Deleted().empty());
  EXPECT_EQ(plugin_->plugin().TerminatedCount(), 2u);
  Json evicted = P("evicted", "Failed", "2023-11-06T00:00:00Z");
  evicted["status"]["reason"] = "Evicted";
  Add(evicted);
  Add(P("mid", "Succeeded", "2023-11-03T00:00:00Z"));
  EXPECT_EQ(Deleted(), (std::vector<std::string>{"evicted", "old"}));
  EXPECT_TRUE(StatusPatches().empty()) << "terminal pods are not re-marked";
  EXPECT_EQ(plugin_->plugin().TerminatedCount(), 2u);
}

TEST_F(PodGcTest, AThresholdOfZeroKeepsTerminatedPods) {
  Start(R"({"terminatedPodGcThreshold": 0})");
  Add(P("a", "Succeeded", "2023-11-02T00:00:00Z"));
  EXPECT_TRUE(Deleted().empty());
}

TEST_F(PodGcTest, AnOrphanIsCollectedAfterTheQuarantineWhenItsNodeIsReallyGone) {
  Start(R"({"quarantineSeconds": 40})");
  Accept("orphan");
  EXPECT_EQ(Add(P("orphan", "Running", "2023-11-02T00:00:00Z", "gone-node")), 40000u);
  EXPECT_TRUE(Deleted().empty());
  now_ms_ += 15000;
  EXPECT_EQ(Sync("default/orphan"), 25000u);
  now_ms_ += 25000;
  EXPECT_EQ(Sync("default/orphan"), 0u);  // GET /api/v1/nodes/gone-node answers 404
  EXPECT_EQ(Deleted(), std::vector<std::string>{"orphan"});
  std::vector<ApiCall> patches = StatusPatches();
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].content_type, "application/strategic-merge-patch+json");
  Json status = Json::parse(patches[0].body)["status"];
  EXPECT_EQ(status["phase"], "Failed");
  EXPECT_EQ(status["conditions"][0]["type"], "DisruptionTarget");
  EXPECT_EQ(status["conditions"][0]["reason"], "DeletionByPodGC");
  EXPECT_EQ(status["conditions"][0]["message"], "PodGC: node no longer exists");
}

TEST_F(PodGcTest, AnOrphanWhoseNodeTheApiStillHasIsKept) {
  Start(R"({"quarantineSeconds": 0})");
  host_.SetApiResponse("GET", "/api/v1/nodes/late-node", 200, R"({"metadata":{"name":"x"}})");
  Add(P("pod", "Running", "2023-11-02T00:00:00Z", "late-node"));
  EXPECT_TRUE(Deleted().empty());
}

TEST_F(PodGcTest, AnUnscheduledTerminatingPodIsMarkedFailedAndForceDeleted) {
  Start("{}");
  Accept("stuck");
  Json pod = P("stuck", "Pending", "2023-11-02T00:00:00Z", "");
  pod["metadata"]["deletionTimestamp"] = "2023-11-14T22:00:00Z";
  Add(pod);
  EXPECT_EQ(Deleted(), std::vector<std::string>{"stuck"});
  std::vector<ApiCall> patches = StatusPatches();
  ASSERT_EQ(patches.size(), 1u);
  Json status = Json::parse(patches[0].body)["status"];
  EXPECT_EQ(status["phase"], "Failed");
  EXPECT_FALSE(status.contains("conditions"));
  // An unscheduled pod that is not being deleted stays.
  Add(P("waiting", "Pending", "2023-11-02T00:00:00Z", ""));
  EXPECT_EQ(Deleted().size(), 1u);
}

TEST_F(PodGcTest, ADeletedNodeMapsToThePodsBoundToIt) {
  Start("{}");
  host_.PutObject(kPods, "default/a", P("a", "Running", "2023-11-02T00:00:00Z", "node-2").dump());
  host_.PutObject(kPods, "default/b", P("b", "Running", "2023-11-02T00:00:00Z", "node-1").dump());
  sdk::testing::Outcome o =
      plugin_->MapEvent(kNodes, CAPSTAN_EVENT_DELETED, R"({"metadata":{"name":"node-2"}})");
  ASSERT_TRUE(o.ok()) << o.error;
  EXPECT_EQ(o.output, R"(["default/a"])");
}

}  // namespace
}  // namespace capstan::controllers
