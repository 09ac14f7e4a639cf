// Tests for plugins/controllers/daemonset/daemonset_controller.h through the plugin's C vtable
// and the SDK FakeHost: the watch description, event mapping (node heartbeats ignored, label
// changes enqueue every DaemonSet, pods map to their owner), and a first sync that snapshots a
// revision and creates pinned pods with events and status.
#include "plugins/controllers/daemonset/daemonset_controller.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "plugins/controllers/kit/history.h"
#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers {
namespace {

using sdk::testing::ApiCall;
using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::kNow;
using testing::OwnerRef;

constexpr char kDsResource[] = "apps/v1/daemonsets";
constexpr char kPodsPath[] = "/api/v1/namespaces/default/pods";
constexpr char kRevsPath[] = "/apis/apps/v1/namespaces/default/controllerrevisions";
constexpr char kStatusPath[] = "/apis/apps/v1/namespaces/default/daemonsets/ds/status";

Json DaemonSet() {
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "DaemonSet"},
              {"metadata",
               {{"name", "ds"}, {"namespace", "default"}, {"uid", "ds-uid"}, {"generation", 1}}},
              {"spec",
               {{"selector", {{"matchLabels", {{"app", "d"}}}}},
                {"updateStrategy", {{"type", "RollingUpdate"}}},
                {"template",
                 {{"metadata", {{"labels", {{"app", "d"}}}}},
                  {"spec",
                   {{"nodeSelector", {{"role", "w"}}},
                    {"containers", Json::array({{{"name", "c"}, {"image", "i"}}})}}}}}}},
              {"status", Json::object()}};
}

Json Node(const std::string& name, Json labels) {
  return Json{{"metadata", {{"name", name}, {"labels", labels}}},
              {"status", {{"conditions", Json::array()}}}};
}

class DaemonSetControllerTest : public ::testing::Test {
 protected:
  DaemonSetControllerTest() {
    // Every watched resource has synced (objects elsewhere) even when a test adds none.
    host_.PutObject("/v1/pods", "other/p", testing::Pod("p", {}, "", "other").dump());
    host_.PutObject(kControllerRevisionResource, "other/r",
                    Json{{"metadata", {{"name", "r"}, {"namespace", "other"}}}}.dump());
    host_.PutObject(kDsResource, "default/ds", DaemonSet().dump());
  }
  TestPlugin<DaemonSetController>& Plugin() {
    plugin_ = std::make_unique<TestPlugin<DaemonSetController>>(host_, "{}");
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().SetClockForTesting([] { return kNow; });
    return *plugin_;
  }
  std::vector<ApiCall> Calls(const std::string& method, const std::string& path) const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == method && c.path == path) out.push_back(c);
    }
    return out;
  }
  Json MapNode(TestPlugin<DaemonSetController>& p, uint32_t type, const Json& node) {
    return Json::parse(p.MapEvent("/v1/nodes", type, node.dump()).output);
  }

  FakeHost host_;
  std::unique_ptr<TestPlugin<DaemonSetController>> plugin_;
};

TEST_F(DaemonSetControllerTest, WatchesPodsNodesAndRevisions) {
  Json watch = Json::parse(Plugin().Describe().output);
  EXPECT_EQ(watch["primary"], "apps/v1/daemonsets");
  EXPECT_EQ(watch["watches"].size(), 3u);
  EXPECT_EQ(watch["watches"][2],
            (Json{{"resource", kControllerRevisionResource}, {"map", "owner"}}));
}

TEST_F(DaemonSetControllerTest, NodeEventsEnqueueDaemonSetsOnlyWhenPlacementInputsChange) {
  auto& p = Plugin();
  Json node = Node("n1", {{"role", "w"}});
  EXPECT_EQ(MapNode(p, CAPSTAN_EVENT_ADDED, node), Json::array({"default/ds"}));
  node["status"]["conditions"] = Json::array({{{"type", "Ready"}, {"status", "True"}}});
  EXPECT_EQ(MapNode(p, CAPSTAN_EVENT_MODIFIED, node), Json::array());  // heartbeat
  node["metadata"]["labels"]["role"] = "x";
  EXPECT_EQ(MapNode(p, CAPSTAN_EVENT_MODIFIED, node), Json::array({"default/ds"}));
  node["spec"]["taints"] = Json::array({{{"key", "k"}, {"effect", "NoSchedule"}}});
  EXPECT_EQ(MapNode(p, CAPSTAN_EVENT_MODIFIED, node), Json::array({"default/ds"}));
  EXPECT_EQ(MapNode(p, CAPSTAN_EVENT_DELETED, node), Json::array({"default/ds"}));
}

TEST_F(DaemonSetControllerTest, PodEventsMapToTheOwnerOrMatchingDaemonSets) {
  auto& p = Plugin();
  Json owned = testing::Pod("x", {{"app", "other"}});
  owned["metadata"]["ownerReferences"] = Json::array({OwnerRef("DaemonSet", "ds", "ds-uid")});
  EXPECT_EQ(Json::parse(p.MapEvent("/v1/pods", CAPSTAN_EVENT_MODIFIED, owned.dump()).output),
            Json::array({"default/ds"}));
  Json orphan = testing::Pod("y", {{"app", "d"}});
  EXPECT_EQ(Json::parse(p.MapEvent("/v1/pods", CAPSTAN_EVENT_ADDED, orphan.dump()).output),
            Json::array({"default/ds"}));
  Json stranger = testing::Pod("z", {{"app", "nope"}});
  EXPECT_EQ(Json::parse(p.MapEvent("/v1/pods", CAPSTAN_EVENT_ADDED, stranger.dump()).output),
            Json::array());
}

TEST_F(DaemonSetControllerTest, FirstSyncSnapshotsARevisionAndCreatesPinnedPods) {
  host_.PutObject("/v1/nodes", "n1", Node("n1", {{"role", "w"}}).dump());
  host_.PutObject("/v1/nodes", "n2", Node("n2", {{"role", "w"}}).dump());
  host_.PutObject("/v1/nodes", "n3", Node("n3", {{"role", "db"}}).dump());
  std::string hash = ComputeTemplateHash(DaemonSet()["spec"]["template"], std::nullopt);
  Json rev = NewControllerRevision(DaemonSet(), "apps/v1", "DaemonSet", Json{{"app", "d"}}, nullptr,
                                   TemplatePatch(DaemonSet()), 1, hash);
  host_.SetApiResponse("POST", kRevsPath, 201, rev.dump());
  host_.SetApiResponse("POST", kPodsPath, 201, testing::Pod("ds-abcde", {{"app", "d"}}).dump());
  host_.SetApiResponse("PATCH", kStatusPath, 200, "{}");
  uint64_t requeue = 0;
  auto outcome = Plugin().Reconcile("default/ds", &requeue);
  ASSERT_TRUE(outcome.ok()) << outcome.error;

  std::vector<ApiCall> revs = Calls("POST", kRevsPath);
  ASSERT_EQ(revs.size(), 1u);
  Json posted_rev = Json::parse(revs[0].body);
  EXPECT_EQ(posted_rev["metadata"]["name"], "ds-" + hash);
  EXPECT_EQ(posted_rev["revision"], 1);
  EXPECT_EQ(posted_rev["data"], TemplatePatch(DaemonSet()));

  std::vector<ApiCall> pods = Calls("POST", kPodsPath);
  ASSERT_EQ(pods.size(), 2u);
  std::vector<std::string> pinned;
  for (const ApiCall& c : pods) {
    Json pod = Json::parse(c.body);
    EXPECT_EQ(pod["metadata"]["generateName"], "ds-");
    EXPECT_EQ(pod["metadata"]["labels"]["controller-revision-hash"], hash);
    EXPECT_EQ(pod["metadata"]["labels"]["pod-template-generation"], "1");
    EXPECT_EQ(pod["metadata"]["ownerReferences"][0], OwnerRef("DaemonSet", "ds", "ds-uid"));
    pinned.push_back(
        pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
           ["nodeSelectorTerms"][0]["matchFields"][0]["values"][0]);
  }
  EXPECT_EQ(pinned, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(requeue, 1000u);  // creations not yet observed
  std::vector<ApiCall> status = Calls("PATCH", kStatusPath);
  ASSERT_EQ(status.size(), 1u);
  Json s = Json::parse(status[0].body)["status"];
  EXPECT_EQ(s["desiredNumberScheduled"], 2);
  EXPECT_EQ(s["currentNumberScheduled"], 0);
  EXPECT_EQ(s["observedGeneration"], 1);
  std::vector<ApiCall> events = Calls("POST", "/api/v1/namespaces/default/events");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(Json::parse(events[0].body)["reason"], "SuccessfulCreate");
}

TEST_F(DaemonSetControllerTest, AFailedCreateIsReportedAndStopsTheBatch) {
  host_.PutObject("/v1/nodes", "n1", Node("n1", {{"role", "w"}}).dump());
  host_.PutObject("/v1/nodes", "n2", Node("n2", {{"role", "w"}}).dump());
  std::string hash = ComputeTemplateHash(DaemonSet()["spec"]["template"], std::nullopt);
  host_.SetApiResponse("POST", kRevsPath, 201,
                       NewControllerRevision(DaemonSet(), "apps/v1", "DaemonSet", nullptr, nullptr,
                                             TemplatePatch(DaemonSet()), 1, hash)
                           .dump());
  host_.SetApiResponse("POST", kPodsPath, 422, R"({"kind":"Status","message":"bad pod"})");
  uint64_t requeue = 0;
  EXPECT_FALSE(Plugin().Reconcile("default/ds", &requeue).ok());
  EXPECT_EQ(Calls("POST", kPodsPath).size(), 1u);  // slow start: one refusal, one request
  std::vector<ApiCall> events = Calls("POST", "/api/v1/namespaces/default/events");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Json::parse(events[0].body)["reason"], "FailedCreate");
}

}  // namespace
}  // namespace capstan::controllers
