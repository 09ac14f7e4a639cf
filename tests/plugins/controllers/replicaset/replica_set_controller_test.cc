// Tests for plugins/controllers/replicaset: scaling up and down, expectations against a lagging
// cache, adoption and release, status, event mapping and the ReplicationController variant,
// through the plugin's C vtable and the SDK FakeHost.
#include "plugins/controllers/replicaset/replica_set_controller.h"

#include <gtest/gtest.h>

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
using testing::kNow;
using testing::LabelMap;
using testing::OwnerRef;
using testing::Pod;

constexpr char kRs[] = "apps/v1/replicasets";
constexpr char kPods[] = "/v1/pods";
constexpr char kPodsPath[] = "/api/v1/namespaces/default/pods";
constexpr char kStatusPath[] = "/apis/apps/v1/namespaces/default/replicasets/web/status";

Json ReplicaSet(int64_t replicas, Json selector = Json{{"matchLabels", {{"app", "web"}}}}) {
  return Json{
      {"apiVersion", "apps/v1"},
      {"kind", "ReplicaSet"},
      {"metadata",
       {{"name", "web"},
        {"namespace", "default"},
        {"uid", "rs-uid"},
        {"generation", 2},
        {"resourceVersion", "5"}}},
      {"spec",
       {{"replicas", replicas},
        {"selector", selector},
        {"template",
         {{"metadata",
           {{"labels", {{"app", "web"}, {"tier", "fe"}}}, {"annotations", {{"note", "x"}}}}},
          {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "nginx"}}})}}}}}}},
      {"status", {{"replicas", 0}}}};
}

Json Owned(Json pod, const std::string& owner_uid = "rs-uid") {
  pod["metadata"]["ownerReferences"] = Json::array({OwnerRef("ReplicaSet", "web", owner_uid)});
  return pod;
}

class ReplicaSetControllerTest : public ::testing::Test {
 protected:
  // The pod informer has synced (another namespace's pod) even when a test adds none.
  ReplicaSetControllerTest() { PutPod(Pod("elsewhere", {{"app", "web"}}, "", "other")); }
  void Put(const Json& rs) { host_.PutObject(kRs, "default/web", rs.dump()); }
  void PutPod(const Json& pod) {
    host_.PutObject(kPods,
                    pod["metadata"]["namespace"].get<std::string>() + "/" +
                        pod["metadata"]["name"].get<std::string>(),
                    pod.dump(), LabelMap(pod));
  }
  TestPlugin<ReplicaSetController>& Plugin(const std::string& config = "{}") {
    plugin_ = std::make_unique<TestPlugin<ReplicaSetController>>(host_, config);
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().SetClockForTesting([this] { return now_; });
    return *plugin_;
  }
  std::vector<ApiCall> Calls(const std::string& method, const std::string& path_prefix) const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == method && c.path.rfind(path_prefix, 0) == 0) out.push_back(c);
    }
    return out;
  }
  Json LastStatus() const {
    std::vector<ApiCall> patches = Calls("PATCH", kStatusPath);
    if (patches.empty()) return Json();
    return Json::parse(patches.back().body)["status"];
  }

  FakeHost host_;
  int64_t now_ = kNow;
  std::unique_ptr<TestPlugin<ReplicaSetController>> plugin_;
};

TEST_F(ReplicaSetControllerTest, DescribesItsKindAndMapsPodsItself) {
  Json rs_watch = Json::parse(Plugin().Describe().output);
  EXPECT_EQ(rs_watch["primary"], "apps/v1/replicasets");
  EXPECT_EQ(rs_watch["watches"][0], (Json{{"resource", "/v1/pods"}, {"map", "plugin"}}));
  Json rc_watch = Json::parse(Plugin(R"({"kind":"ReplicationController"})").Describe().output);
  EXPECT_EQ(rc_watch["primary"], "/v1/replicationcontrollers");
}

TEST_F(ReplicaSetControllerTest, CreatesMissingPodsFromTheTemplateWithAControllerReference) {
  Put(ReplicaSet(3));
  host_.SetApiResponse("POST", kPodsPath, 201, Pod("web-abcde", {{"app", "web"}}).dump());
  host_.SetApiResponse("PATCH", kStatusPath, 200, "{}");
  uint64_t requeue = 0;
  ASSERT_TRUE(Plugin().Reconcile("default/web", &requeue).ok());

  std::vector<ApiCall> posts = Calls("POST", kPodsPath);
  ASSERT_EQ(posts.size(), 3u);
  Json pod = Json::parse(posts[0].body);
  EXPECT_EQ(pod["metadata"]["generateName"], "web-");
  EXPECT_EQ(pod["metadata"]["labels"], (Json{{"app", "web"}, {"tier", "fe"}}));
  EXPECT_EQ(pod["metadata"]["annotations"], (Json{{"note", "x"}}));
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0], OwnerRef("ReplicaSet", "web", "rs-uid"));
  EXPECT_EQ(pod["spec"]["containers"][0]["image"], "nginx");
  // Status counts the pods seen before this sync, as upstream; generation is observed.
  EXPECT_EQ(LastStatus(), (Json{{"replicas", 0}, {"observedGeneration", 2}}));
  EXPECT_EQ(requeue, 1000u);  // expectations outstanding
  std::vector<ApiCall> events = Calls("POST", "/api/v1/namespaces/default/events");
  ASSERT_EQ(events.size(), 3u);
  Json event = Json::parse(events[0].body);
  EXPECT_EQ(event["reason"], "SuccessfulCreate");
  EXPECT_EQ(event["message"], "Created pod: web-abcde");
  EXPECT_EQ(event["involvedObject"]["kind"], "ReplicaSet");
}

TEST_F(ReplicaSetControllerTest, RecordsAtMostTheSpamFilterBurstOfEventsAboutOneReplicaSet) {
  Put(ReplicaSet(40));
  host_.SetApiResponse("POST", kPodsPath, 201, Pod("web-abcde", {{"app", "web"}}).dump());
  host_.SetApiResponse("PATCH", kStatusPath, 200, "{}");
  uint64_t requeue = 0;
  ASSERT_TRUE(Plugin().Reconcile("default/web", &requeue).ok());
  EXPECT_EQ(Calls("POST", kPodsPath).size(), 40u);
  // client-go's EventSourceObjectSpamFilter: 25 per object, then one per 5 minutes.
  EXPECT_EQ(Calls("POST", "/api/v1/namespaces/default/events").size(), 25u);
}

TEST_F(ReplicaSetControllerTest, DoesNotCreateAgainBeforeTheCacheShowsItsPods) {
  Put(ReplicaSet(2));
  host_.SetApiResponse("POST", kPodsPath, 201, Pod("web-abcde", {{"app", "web"}}).dump());
  auto& p = Plugin();
  uint64_t requeue = 0;
  ASSERT_TRUE(p.Reconcile("default/web", &requeue).ok());
  ASSERT_TRUE(p.Reconcile("default/web", &requeue).ok());  // cache still empty
  EXPECT_EQ(Calls("POST", kPodsPath).size(), 2u);
  EXPECT_EQ(p.plugin().kind().kind, "ReplicaSet");

  // Once the cache has the created pod, the controller trusts it again (and needs one more).
  PutPod(Owned(Pod("web-abcde", {{"app", "web"}})));
  ASSERT_TRUE(p.Reconcile("default/web", &requeue).ok());
  EXPECT_EQ(Calls("POST", kPodsPath).size(), 3u);
}

TEST_F(ReplicaSetControllerTest, SkipsTheFullSyncWhileItsLastCreatesAreMissingFromTheCache) {
  Json rs = ReplicaSet(2);
  Put(rs);
  host_.SetApiResponse("POST", kPodsPath, 201, Pod("web-abcde", {{"app", "web"}}).dump());
  host_.SetApiResponse("PATCH", kStatusPath, 200, "{}");
  auto& p = Plugin();
  uint64_t requeue = 0;
  ASSERT_TRUE(p.Reconcile("default/web", &requeue).ok());
  ASSERT_EQ(Calls("PATCH", kStatusPath).size(), 1u);
  // Nothing new in the cache: no status recount either, only a requeue.
  requeue = 0;
  ASSERT_TRUE(p.Reconcile("default/web", &requeue).ok());
  EXPECT_EQ(Calls("PATCH", kStatusPath).size(), 1u);
  EXPECT_EQ(requeue, 1000u);
  // A new generation (kubectl scale) is observed at once even with creates outstanding.
  rs["metadata"]["generation"] = 3;
  Put(rs);
  ASSERT_TRUE(p.Reconcile("default/web", &requeue).ok());
  ASSERT_EQ(Calls("PATCH", kStatusPath).size(), 2u);
  EXPECT_EQ(LastStatus()["observedGeneration"], 3);
  EXPECT_EQ(Calls("POST", kPodsPath).size(), 2u);  // expectations still hold scaling back
}

TEST_F(ReplicaSetControllerTest, ExpectationsExpireAfterTheirTimeout) {
  Put(ReplicaSet(1));
  host_.SetApiResponse("POST", kPodsPath, 201, Pod("web-lost1", {{"app", "web"}}).dump());
  auto& p = Plugin();
  uint64_t requeue = 0;
  ASSERT_TRUE(p.Reconcile("default/web", &requeue).ok());
  now_ += 301;
  ASSERT_TRUE(p.Reconcile("default/web", &requeue).ok());
  EXPECT_EQ(Calls("POST", kPodsPath).size(), 2u);
}

TEST_F(ReplicaSetControllerTest, ScaleDownDeletesUnscheduledThenNotReadyPodsFirst) {
  Put(ReplicaSet(1));
  Json unscheduled = Owned(Pod("a-unscheduled", {{"app", "web"}}));
  unscheduled["spec"].erase("nodeName");
  unscheduled["status"]["phase"] = "Pending";
  PutPod(Owned(Pod("b-ready", {{"app", "web"}}, "2023-11-14T21:00:00Z")));
  PutPod(unscheduled);
  PutPod(Owned(Pod("c-not-ready", {{"app", "web"}})));
  uint64_t requeue = 0;
  ASSERT_TRUE(Plugin().Reconcile("default/web", &requeue).ok());
  std::vector<ApiCall> deletes = Calls("DELETE", kPodsPath);
  ASSERT_EQ(deletes.size(), 2u);
  EXPECT_EQ(deletes[0].path, std::string(kPodsPath) + "/a-unscheduled");
  EXPECT_EQ(deletes[1].path, std::string(kPodsPath) + "/c-not-ready");
}

TEST_F(ReplicaSetControllerTest, IgnoresTerminatingAndFinishedPodsWhenCounting) {
  Put(ReplicaSet(2));
  Json done = Owned(Pod("done", {{"app", "web"}}));
  done["status"]["phase"] = "Succeeded";
  Json leaving = Owned(Pod("leaving", {{"app", "web"}}));
  leaving["metadata"]["deletionTimestamp"] = "2023-11-14T22:00:00Z";
  PutPod(done);
  PutPod(leaving);
  PutPod(Owned(Pod("live", {{"app", "web"}})));
  host_.SetApiResponse("POST", kPodsPath, 201, Pod("web-new00", {{"app", "web"}}).dump());
  uint64_t requeue = 0;
  ASSERT_TRUE(Plugin().Reconcile("default/web", &requeue).ok());
  EXPECT_EQ(Calls("POST", kPodsPath).size(), 1u);
  EXPECT_TRUE(Calls("DELETE", kPodsPath).empty());
}

TEST_F(ReplicaSetControllerTest, AdoptsMatchingOrphansAndReleasesPodsThatStopMatching) {
  Json selector = {
      {"matchLabels", {{"app", "web"}}},
      {"matchExpressions",
       Json::array(
           {{{"key", "track"}, {"operator", "NotIn"}, {"values", Json::array({"canary"})}}})}};
  Put(ReplicaSet(2, selector));
  PutPod(Pod("orphan", {{"app", "web"}}));
  PutPod(Pod("canary", {{"app", "web"}, {"track", "canary"}}));  // orphan, not selected
  PutPod(Owned(Pod("drifted", {{"app", "other"}})));
  PutPod(Owned(Pod("theirs", {{"app", "web"}}), "another-uid"));
  PutPod(Owned(Pod("mine", {{"app", "web"}})));
  host_.SetApiResponse("PATCH", std::string(kPodsPath) + "/orphan", 200,
                       Owned(Pod("orphan", {{"app", "web"}})).dump());
  host_.SetApiResponse("PATCH", std::string(kPodsPath) + "/drifted", 200, "{}");
  uint64_t requeue = 0;
  ASSERT_TRUE(Plugin().Reconcile("default/web", &requeue).ok());

  std::vector<ApiCall> patches = Calls("PATCH", std::string(kPodsPath) + "/");
  ASSERT_EQ(patches.size(), 2u);
  Json drifted = Json::parse(
      patches[0].path.find("drifted") != std::string::npos ? patches[0].body : patches[1].body);
  Json orphan = Json::parse(patches[0].path.find("orphan") != std::string::npos ? patches[0].body
                                                                                : patches[1].body);
  EXPECT_EQ(orphan["metadata"]["ownerReferences"],
            Json::array({OwnerRef("ReplicaSet", "web", "rs-uid")}));
  EXPECT_EQ(orphan["metadata"]["resourceVersion"], "10");
  EXPECT_EQ(drifted["metadata"]["ownerReferences"], Json::array());
  // Two pods (mine + adopted orphan) satisfy replicas=2.
  EXPECT_TRUE(Calls("POST", kPodsPath).empty());
  EXPECT_EQ(LastStatus()["replicas"], 2);
}

TEST_F(ReplicaSetControllerTest, ReportsReadyAvailableAndFullyLabeledReplicas) {
  Json rs = ReplicaSet(3);
  rs["spec"]["minReadySeconds"] = 60;
  Put(rs);
  PutPod(Owned(Pod("old-ready", {{"app", "web"}, {"tier", "fe"}}, "2023-11-14T21:00:00Z")));
  PutPod(Owned(Pod("new-ready", {{"app", "web"}, {"tier", "fe"}}, "2023-11-14T22:13:00Z")));
  PutPod(Owned(Pod("partial", {{"app", "web"}}, "2023-11-14T21:00:00Z")));
  uint64_t requeue = 0;
  ASSERT_TRUE(Plugin().Reconcile("default/web", &requeue).ok());
  EXPECT_EQ(LastStatus(), (Json{{"replicas", 3},
                                {"fullyLabeledReplicas", 2},
                                {"readyReplicas", 3},
                                {"availableReplicas", 2},
                                {"observedGeneration", 2}}));
  EXPECT_EQ(requeue, 60000u);  // all ready, not all available yet: check after minReadySeconds
}

TEST_F(ReplicaSetControllerTest, LeavesAnUpToDateStatusAlone) {
  Json rs = ReplicaSet(1);
  rs["status"] = {{"replicas", 1}, {"fullyLabeledReplicas", 0}, {"observedGeneration", 2}};
  rs["status"].erase("fullyLabeledReplicas");
  Put(rs);
  PutPod(Owned(Pod("one", {{"app", "web"}})));
  uint64_t requeue = 0;
  ASSERT_TRUE(Plugin().Reconcile("default/web", &requeue).ok());
  EXPECT_TRUE(host_.api_calls().empty());
}

TEST_F(ReplicaSetControllerTest, AFailedCreateSetsReplicaFailureAndReturnsAnError) {
  Put(ReplicaSet(2));
  host_.SetApiResponse("POST", kPodsPath, 403,
                       R"({"kind":"Status","message":"exceeded quota","reason":"Forbidden"})");
  uint64_t requeue = 0;
  sdk::testing::Outcome o = Plugin().Reconcile("default/web", &requeue);
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(Calls("POST", kPodsPath).size(), 1u);  // slow start stops at the first failure
  Json cond = LastStatus()["conditions"][0];
  EXPECT_EQ(cond["type"], "ReplicaFailure");
  EXPECT_EQ(cond["reason"], "FailedCreate");
  EXPECT_NE(cond["message"].get<std::string>().find("exceeded quota"), std::string::npos);
}

TEST_F(ReplicaSetControllerTest, AMissingObjectNeedsNothing) {
  uint64_t requeue = 0;
  host_.PutObject(kPods, "default/x", Pod("x", {}).dump());
  host_.PutObject(kRs, "default/other", ReplicaSet(1).dump());
  EXPECT_TRUE(Plugin().Reconcile("default/web", &requeue).ok());
  EXPECT_TRUE(host_.api_calls().empty());
}

TEST_F(ReplicaSetControllerTest, MapsOwnedPodsToTheirOwnerAndOrphansToMatchingSelectors) {
  Put(ReplicaSet(1));
  auto& p = Plugin();
  struct Case {
    const char* name;
    Json pod;
    uint32_t event;
    Json keys;
  };
  std::vector<Case> cases = {
      {"owned", Owned(Pod("a", {{"app", "x"}})), CAPSTAN_EVENT_MODIFIED, Json{"default/web"}},
      {"owned-deleted", Owned(Pod("a", {})), CAPSTAN_EVENT_DELETED, Json{"default/web"}},
      {"orphan-matching", Pod("b", {{"app", "web"}}), CAPSTAN_EVENT_ADDED, Json{"default/web"}},
      {"orphan-other", Pod("c", {{"app", "db"}}), CAPSTAN_EVENT_ADDED, Json::array()},
      {"other-kind", Owned(Pod("d", {{"app", "web"}}), "x"), CAPSTAN_EVENT_ADDED,
       Json{"default/web"}},
  };
  cases[4].pod["metadata"]["ownerReferences"][0]["kind"] = "StatefulSet";
  cases[4].keys = Json::array();
  for (const Case& c : cases) {
    sdk::testing::Outcome o = p.MapEvent("/v1/pods", c.event, c.pod.dump());
    ASSERT_TRUE(o.ok()) << c.name;
    EXPECT_EQ(Json::parse(o.output), c.keys) << c.name;
  }
}

TEST_F(ReplicaSetControllerTest, ReplicationControllersUseTheCoreApiAndAMapSelector) {
  Json rc = ReplicaSet(1, Json{{"app", "web"}});
  rc["apiVersion"] = "v1";
  rc["kind"] = "ReplicationController";
  host_.PutObject("/v1/replicationcontrollers", "default/web", rc.dump());
  host_.PutObject(kPods, "default/none", Pod("none", {{"app", "db"}}).dump());
  host_.SetApiResponse("POST", kPodsPath, 201, Pod("web-abcde", {{"app", "web"}}).dump());
  uint64_t requeue = 0;
  ASSERT_TRUE(
      Plugin(R"({"kind":"ReplicationController"})").Reconcile("default/web", &requeue).ok());
  std::vector<ApiCall> posts = Calls("POST", kPodsPath);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(Json::parse(posts[0].body)["metadata"]["ownerReferences"][0],
            OwnerRef("ReplicationController", "web", "rs-uid", "v1"));
  EXPECT_EQ(Calls("PATCH", "/api/v1/namespaces/default/replicationcontrollers/web/status").size(),
            1u);
}

}  // namespace
}  // namespace capstan::controllers
