// Tests for plugins/controllers/resourcequota through the plugin's C vtable and the FakeHost:
// the status written for a quota, terminal pods, event mapping and counts of resources the
// controller does not watch (listed through discovery and the API).
#include "plugins/controllers/resourcequota/resource_quota_controller.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"

namespace capstan::controllers {
namespace {

using sdk::testing::ApiCall;
using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;

constexpr char kStatusPath[] = "/api/v1/namespaces/ns/resourcequotas/q/status";

Json Pod(const std::string& name, const std::string& cpu, const std::string& phase = "Running") {
  return {
      {"metadata", {{"name", name}, {"namespace", "ns"}}},
      {"spec", {{"containers", {{{"name", "c"}, {"resources", {{"requests", {{"cpu", cpu}}}}}}}}}},
      {"status", {{"phase", phase}}}};
}

class ResourceQuotaControllerTest : public ::testing::Test {
 protected:
  ResourceQuotaControllerTest() {
    for (const char* r : {"/v1/pods", "/v1/services", "/v1/configmaps", "/v1/secrets",
                          "/v1/persistentvolumeclaims", "/v1/replicationcontrollers"}) {
      host_.PutObject(r, "other/x", "{}");  // the fake caches only kinds it has seen
    }
    plugin_ = std::make_unique<TestPlugin<ResourceQuotaController>>(host_, "{}");
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    host_.SetApiResponse("PATCH", kStatusPath, 200, "{}");
  }
  void PutQuota(const Json& hard) {
    Json q = {{"metadata", {{"name", "q"}, {"namespace", "ns"}}}, {"spec", {{"hard", hard}}}};
    host_.PutObject("/v1/resourcequotas", "ns/q", q.dump());
  }
  // The status the last reconcile patched in.
  Json Synced() {
    uint64_t requeue = 0;
    sdk::testing::Outcome o = plugin_->Reconcile("ns/q", &requeue);
    EXPECT_TRUE(o.ok()) << o.error;
    Json status;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == "PATCH" && c.path == kStatusPath) status = Json::parse(c.body)["status"];
    }
    return status;
  }

  FakeHost host_;
  std::unique_ptr<TestPlugin<ResourceQuotaController>> plugin_;
};

TEST_F(ResourceQuotaControllerTest, WritesHardAndUsedForTheNamespacesPods) {
  PutQuota({{"pods", "2"}, {"requests.cpu", "1"}});
  host_.PutObject("/v1/pods", "ns/a", Pod("a", "250m").dump());
  host_.PutObject("/v1/pods", "ns/b", Pod("b", "500m").dump());
  host_.PutObject("/v1/pods", "elsewhere/c", Pod("c", "4").dump());
  Json status = Synced();
  EXPECT_EQ(status["hard"], Json({{"pods", "2"}, {"requests.cpu", "1"}}));
  EXPECT_EQ(status["used"], Json({{"pods", "2"}, {"requests.cpu", "750m"}}));
}

TEST_F(ResourceQuotaControllerTest, TerminalPodsDoNotCount) {
  PutQuota({{"pods", "5"}});
  host_.PutObject("/v1/pods", "ns/a", Pod("a", "1").dump());
  host_.PutObject("/v1/pods", "ns/b", Pod("b", "1", "Succeeded").dump());
  host_.PutObject("/v1/pods", "ns/c", Pod("c", "1", "Failed").dump());
  EXPECT_EQ(Synced()["used"]["pods"], "1");
}

TEST_F(ResourceQuotaControllerTest, CountsResourcesItDoesNotWatchThroughTheApi) {
  PutQuota({{"count/deployments.apps", "3"}});
  host_.SetApiResponse("GET", "/api/v1", 200, R"({"resources":[]})");
  host_.SetApiResponse("GET", "/apis", 200,
                       R"({"groups":[{"name":"apps","preferredVersion":{"groupVersion":"apps/v1"},
                           "versions":[{"groupVersion":"apps/v1"}]}]})");
  host_.SetApiResponse("GET", "/apis/apps/v1", 200,
                       R"({"groupVersion":"apps/v1","resources":[{"name":"deployments",
                           "kind":"Deployment","namespaced":true,"verbs":["list","get"]}]})");
  host_.SetApiResponse("GET", "/apis/apps/v1/namespaces/ns/deployments", 200,
                       R"({"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})");
  EXPECT_EQ(Synced()["used"]["count/deployments.apps"], "2");
}

TEST_F(ResourceQuotaControllerTest, MapsPodEventsToTheQuotasThatTrackPods) {
  PutQuota({{"pods", "2"}});
  Json other = {{"metadata", {{"name", "cm-only"}, {"namespace", "ns"}}},
                {"spec", {{"hard", {{"configmaps", "1"}}}}}};
  host_.PutObject("/v1/resourcequotas", "ns/cm-only", other.dump());
  sdk::testing::Outcome o =
      plugin_->MapEvent("/v1/pods", CAPSTAN_EVENT_DELETED, Pod("a", "1").dump());
  ASSERT_TRUE(o.ok()) << o.error;
  EXPECT_EQ(Json::parse(o.output), Json::array({"ns/q"}));
}

}  // namespace
}  // namespace capstan::controllers
