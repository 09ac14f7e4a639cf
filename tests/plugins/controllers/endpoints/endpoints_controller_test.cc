// Tests for plugins/controllers/endpoints: the Endpoints object written for a Service with a
// selector, no rewrite when it matches, deletion with the Service, and Services without a
// selector left to their users — through the SDK FakeHost.
#include "plugins/controllers/endpoints/endpoints_controller.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "tests/plugins/controllers/objects.h"
#include "tests/plugins/controllers/service_objects.h"

namespace capstan::controllers {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::LabelMap;
using testing::ServedPod;
using testing::Service;

constexpr char kEndpoints[] = "/v1/endpoints";
constexpr char kEndpointsPath[] = "/api/v1/namespaces/default/endpoints";

class EndpointsControllerTest : public ::testing::Test {
 protected:
  EndpointsControllerTest() {
    host_.PutObject(kPodsResource, "other/x", ServedPod("x", "none", "", false).dump());
    host_.PutObject(kServicesResource, "other/x", Service("x", "none").dump());
    host_.PutObject(kEndpoints, "other/x", "{}");
    plugin_ = std::make_unique<TestPlugin<EndpointsController>>(host_, "{}");
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
  }
  void Put(const std::string& resource, const Json& o) {
    host_.PutObject(resource, KeyOf(o), o.dump(), LabelMap(o));
  }
  void Reconcile(const std::string& key) {
    uint64_t requeue = 0;
    auto out = plugin_->Reconcile(key, &requeue);
    EXPECT_EQ(out.rc, CAPSTAN_RC_OK) << out.error;
  }

  FakeHost host_;
  std::unique_ptr<TestPlugin<EndpointsController>> plugin_;
};

TEST_F(EndpointsControllerTest, WritesEndpointsOnceAndLeavesMatchingOnesAlone) {
  Put(kServicesResource, Service("web", "web"));
  Put(kPodsResource, ServedPod("a", "web", "10.0.0.1", true));
  Put(kPodsResource, ServedPod("n", "web", "10.0.0.2", false));
  host_.SetApiResponse("POST", kEndpointsPath, 201, "{}");
  Reconcile("default/web");
  ASSERT_EQ(host_.api_calls().size(), 1u);
  Json ep = Json::parse(host_.api_calls()[0].body);
  EXPECT_EQ(ep["metadata"]["name"], "web");
  EXPECT_EQ(ep["metadata"]["labels"]["team"], "a");
  EXPECT_EQ(ep["subsets"][0]["addresses"][0]["ip"], "10.0.0.1");
  EXPECT_EQ(ep["subsets"][0]["notReadyAddresses"][0]["ip"], "10.0.0.2");

  ep["metadata"]["resourceVersion"] = "3";
  Put(kEndpoints, ep);
  Reconcile("default/web");
  EXPECT_EQ(host_.api_calls().size(), 1u) << "matching Endpoints are not rewritten";

  Put(kPodsResource, ServedPod("n", "web", "10.0.0.2", true));
  host_.SetApiResponse("PUT", std::string(kEndpointsPath) + "/web", 200, "{}");
  Reconcile("default/web");
  ASSERT_EQ(host_.api_calls().size(), 2u);
  Json updated = Json::parse(host_.api_calls()[1].body);
  EXPECT_EQ(updated["metadata"]["resourceVersion"], "3");
  EXPECT_EQ(updated["subsets"][0]["addresses"].size(), 2u);
}

TEST_F(EndpointsControllerTest, EndpointsOfADeletedServiceAreDeleted) {
  host_.SetApiResponse("DELETE", std::string(kEndpointsPath) + "/gone", 200, "{}");
  Reconcile("default/gone");
  ASSERT_EQ(host_.api_calls().size(), 1u);
  EXPECT_EQ(host_.api_calls()[0].method, "DELETE");
}

TEST_F(EndpointsControllerTest, ServicesWithoutASelectorKeepTheirManualEndpoints) {
  Json manual = Service("manual", "x");
  manual["spec"].erase("selector");
  Put(kServicesResource, manual);
  Reconcile("default/manual");
  EXPECT_TRUE(host_.api_calls().empty());
}

TEST_F(EndpointsControllerTest, DeletedEndpointsMapBackToTheirService) {
  Json ep = {{"metadata", {{"name", "web"}, {"namespace", "default"}}}};
  auto deleted = plugin_->MapEvent(kEndpoints, CAPSTAN_EVENT_DELETED, ep.dump());
  EXPECT_EQ(Json::parse(deleted.output), Json::array({"default/web"}));
  auto modified = plugin_->MapEvent(kEndpoints, CAPSTAN_EVENT_MODIFIED, ep.dump());
  EXPECT_EQ(Json::parse(modified.output), Json::array());
}

}  // namespace
}  // namespace capstan::controllers
