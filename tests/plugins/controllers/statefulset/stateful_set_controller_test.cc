// Tests of the statefulset plugin's Reconcile through its C vtable and the SDK FakeHost: the
// first sync writes a ControllerRevision, then the claim, then pod web-0 with events and status;
// a lagging cache does not cause duplicate creates; watches and pod event mapping.
#include "plugins/controllers/statefulset/stateful_set_controller.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "tests/plugins/controllers/statefulset/sts_objects.h"

namespace capstan::controllers {
namespace {

using sdk::testing::ApiCall;
using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::kNow;
using testing::StatefulSet;

constexpr char kPodsPath[] = "/api/v1/namespaces/default/pods";
constexpr char kClaimsPath[] = "/api/v1/namespaces/default/persistentvolumeclaims";
constexpr char kRevisionsPath[] = "/apis/apps/v1/namespaces/default/controllerrevisions";
constexpr char kStatusPath[] = "/apis/apps/v1/namespaces/default/statefulsets/web/status";

class StatefulSetControllerTest : public ::testing::Test {
 protected:
  StatefulSetControllerTest() {
    // The informers have synced (objects elsewhere) even when a test adds none here.
    for (const char* r :
         {"/v1/pods", "/v1/persistentvolumeclaims", "apps/v1/controllerrevisions"}) {
      host_.PutObject(r, "other/x", R"({"metadata":{"name":"x","namespace":"other"}})");
    }
    host_.PutObject("apps/v1/statefulsets", "default/web", StatefulSet(3).dump());
    Json revision = {{"apiVersion", "apps/v1"},
                     {"kind", "ControllerRevision"},
                     {"metadata", {{"name", "web-rev1"}, {"namespace", "default"}}},
                     {"revision", 1}};
    host_.SetApiResponse("POST", kRevisionsPath, 201, revision.dump());
    host_.SetApiResponse("POST", kClaimsPath, 201, "{}");
    host_.SetApiResponse("POST", kPodsPath, 201,
                         testing::SetPod(0, "web-rev1", testing::PodState::kPending).dump());
    host_.SetApiResponse("PATCH", kStatusPath, 200, "{}");
  }
  TestPlugin<StatefulSetController>& Plugin() {
    plugin_ = std::make_unique<TestPlugin<StatefulSetController>>(host_, "{}");
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().SetClockForTesting([] { return kNow; });
    return *plugin_;
  }
  std::vector<ApiCall> Calls(const std::string& method, const std::string& prefix) const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == method && c.path.rfind(prefix, 0) == 0) out.push_back(c);
    }
    return out;
  }
  size_t IndexOf(const std::string& method, const std::string& path) const {
    std::vector<ApiCall> calls = host_.api_calls();
    for (size_t i = 0; i < calls.size(); ++i) {
      if (calls[i].method == method && calls[i].path == path) return i;
    }
    return calls.size();
  }

  FakeHost host_;
  std::unique_ptr<TestPlugin<StatefulSetController>> plugin_;
};

TEST_F(StatefulSetControllerTest, WatchesPodsClaimsAndRevisions) {
  Json watch = Json::parse(Plugin().Describe().output);
  EXPECT_EQ(watch["primary"], "apps/v1/statefulsets");
  EXPECT_EQ(watch["watches"][0], (Json{{"resource", "/v1/pods"}, {"map", "plugin"}}));
  EXPECT_EQ(watch["watches"][1]["resource"], "/v1/persistentvolumeclaims");
  EXPECT_EQ(watch["watches"][2]["resource"], "apps/v1/controllerrevisions");
}

TEST_F(StatefulSetControllerTest, FirstSyncWritesARevisionThenTheClaimThenTheFirstPod) {
  uint64_t requeue = 0;
  ASSERT_TRUE(Plugin().Reconcile("default/web", &requeue).ok());

  std::vector<ApiCall> revisions = Calls("POST", kRevisionsPath);
  ASSERT_EQ(revisions.size(), 1u);
  Json revision = Json::parse(revisions[0].body);
  EXPECT_EQ(revision["revision"], 1);
  EXPECT_EQ(revision["data"]["spec"]["template"]["$patch"], "replace");
  EXPECT_EQ(revision["metadata"]["ownerReferences"][0]["kind"], "StatefulSet");

  std::vector<ApiCall> claims = Calls("POST", kClaimsPath);
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(Json::parse(claims[0].body)["metadata"]["name"], "www-web-0");
  std::vector<ApiCall> pods = Calls("POST", kPodsPath);
  ASSERT_EQ(pods.size(), 1u);  // ordered: one pod per sync
  Json pod = Json::parse(pods[0].body);
  EXPECT_EQ(pod["metadata"]["name"], "web-0");
  EXPECT_EQ(pod["metadata"]["labels"]["controller-revision-hash"], "web-rev1");
  EXPECT_LT(IndexOf("POST", kRevisionsPath), IndexOf("POST", kClaimsPath));
  EXPECT_LT(IndexOf("POST", kClaimsPath), IndexOf("POST", kPodsPath));

  std::vector<std::string> messages;
  for (const ApiCall& e : Calls("POST", "/api/v1/namespaces/default/events")) {
    messages.push_back(Json::parse(e.body)["message"].get<std::string>());
  }
  EXPECT_EQ(messages,
            (std::vector<std::string>{"create Claim www-web-0 Pod web-0 in StatefulSet web success",
                                      "create Pod web-0 in StatefulSet web successful"}));
  std::vector<ApiCall> status = Calls("PATCH", kStatusPath);
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(Json::parse(status[0].body)["status"], (Json{{"observedGeneration", 3},
                                                         {"replicas", 0},
                                                         {"availableReplicas", 0},
                                                         {"currentRevision", "web-rev1"},
                                                         {"updateRevision", "web-rev1"},
                                                         {"collisionCount", 0}}));
  EXPECT_EQ(requeue, 1000u);  // the created pod is expected in the cache
}

TEST_F(StatefulSetControllerTest, DoesNotCreateAgainBeforeTheCacheShowsThePod) {
  auto& p = Plugin();
  uint64_t requeue = 0;
  ASSERT_TRUE(p.Reconcile("default/web", &requeue).ok());
  ASSERT_TRUE(p.Reconcile("default/web", &requeue).ok());
  EXPECT_EQ(Calls("POST", kPodsPath).size(), 1u);
  // The revision written by the first sync is used although the cache does not show it yet.
  EXPECT_EQ(Calls("POST", kRevisionsPath).size(), 1u);
}

TEST_F(StatefulSetControllerTest, MapsOwnedPodsAndNamedOrphansToTheSet) {
  auto& p = Plugin();
  Json owned = testing::SetPod(1, "r", testing::PodState::kReady);
  EXPECT_EQ(Json::parse(p.MapEvent("/v1/pods", CAPSTAN_EVENT_DELETED, owned.dump()).output),
            Json::array({"default/web"}));
  Json orphan = owned;
  orphan["metadata"].erase("ownerReferences");
  EXPECT_EQ(Json::parse(p.MapEvent("/v1/pods", CAPSTAN_EVENT_ADDED, orphan.dump()).output),
            Json::array({"default/web"}));
  orphan["metadata"]["name"] = "other-1";
  EXPECT_EQ(Json::parse(p.MapEvent("/v1/pods", CAPSTAN_EVENT_ADDED, orphan.dump()).output),
            Json::array());
}

}  // namespace
}  // namespace capstan::controllers
