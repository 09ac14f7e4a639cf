// Tests for plugins/controllers/endpointslice: reconcile writes through the SDK FakeHost —
// slices for selected pods, Services without selectors left alone, slices of deleted Services
// removed, no duplicate writes while the cache lags, and pod events mapped to old and new
// Services.
#include "plugins/controllers/endpointslice/endpointslice_controller.h"

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

using sdk::testing::ApiCall;
using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::LabelMap;
using testing::ServedPod;
using testing::Service;

constexpr char kSlices[] = "discovery.k8s.io/v1/endpointslices";
constexpr char kSlicesPath[] = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";

class EndpointSliceControllerTest : public ::testing::Test {
 protected:
  EndpointSliceControllerTest() {
    // Synced informers even when a test adds nothing to them.
    host_.PutObject(kPodsResource, "other/x", ServedPod("x", "none", "", false).dump());
    host_.PutObject(kServicesResource, "other/x", Service("x", "none").dump());
    host_.PutObject(kSlices, "other/x", "{}");
    plugin_ = std::make_unique<TestPlugin<EndpointSliceController>>(host_, "{}");
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().SetClockForTesting([this] { return now_ms_; });
  }
  void Put(const std::string& resource, const Json& o) {
    host_.PutObject(resource, KeyOf(o), o.dump(), LabelMap(o));
  }
  std::vector<ApiCall> Calls(const std::string& method) const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == method) out.push_back(c);
    }
    return out;
  }
  void Reconcile(const std::string& key, uint64_t* requeue = nullptr) {
    uint64_t r = 0;
    auto out = plugin_->Reconcile(key, &r);
    EXPECT_EQ(out.rc, CAPSTAN_RC_OK) << out.error;
    if (requeue != nullptr) *requeue = r;
  }

  FakeHost host_;
  std::unique_ptr<TestPlugin<EndpointSliceController>> plugin_;
  int64_t now_ms_ = 1000;
};

TEST_F(EndpointSliceControllerTest, CreatesASliceListingTheSelectedPods) {
  Put(kServicesResource, Service("web", "web"));
  Put(kPodsResource, ServedPod("a", "web", "10.0.0.1", true));
  Put(kPodsResource, ServedPod("b", "web", "10.0.0.2", false));
  Put(kPodsResource, ServedPod("c", "other", "10.0.0.3", true));
  host_.SetApiResponse("POST", kSlicesPath, 201,
                       R"({"metadata":{"name":"web-x1","resourceVersion":"5"}})");
  Reconcile("default/web");
  std::vector<ApiCall> posts = Calls("POST");
  ASSERT_EQ(posts.size(), 1u);
  Json slice = Json::parse(posts[0].body);
  ASSERT_EQ(slice["endpoints"].size(), 2u);
  EXPECT_EQ(slice["endpoints"][0]["addresses"][0], "10.0.0.1");
  EXPECT_EQ(slice["endpoints"][1]["conditions"]["ready"], false);
  EXPECT_EQ(slice["metadata"]["labels"]["kubernetes.io/service-name"], "web");
}

TEST_F(EndpointSliceControllerTest, ServicesWithoutASelectorAreLeftAlone) {
  Json manual = Service("manual", "x");
  manual["spec"].erase("selector");
  Put(kServicesResource, manual);
  Reconcile("default/manual");
  EXPECT_TRUE(host_.api_calls().empty());
}

TEST_F(EndpointSliceControllerTest, SlicesOfADeletedServiceAreDeleted) {
  Json slice = {
      {"metadata",
       {{"name", "gone-abc"},
        {"namespace", "default"},
        {"labels",
         {{"kubernetes.io/service-name", "gone"},
          {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}}}}}};
  Put(kSlices, slice);
  host_.SetApiResponse("DELETE", std::string(kSlicesPath) + "/gone-abc", 200, "{}");
  Reconcile("default/gone");
  std::vector<ApiCall> deletes = Calls("DELETE");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0].path, std::string(kSlicesPath) + "/gone-abc");
}

TEST_F(EndpointSliceControllerTest, WaitsForTheCacheToShowItsWritesInsteadOfWritingTwice) {
  Put(kServicesResource, Service("web", "web"));
  Put(kPodsResource, ServedPod("a", "web", "10.0.0.1", true));
  host_.SetApiResponse("POST", kSlicesPath, 201,
                       R"({"metadata":{"name":"web-x1","resourceVersion":"5"}})");
  Reconcile("default/web");
  uint64_t requeue = 0;
  Reconcile("default/web", &requeue);  // the cache has not seen web-x1 yet
  EXPECT_EQ(Calls("POST").size(), 1u);
  EXPECT_GT(requeue, 0u);
  now_ms_ += 60000;  // a write the cache never shows is forgotten eventually
  Reconcile("default/web");
  EXPECT_EQ(Calls("POST").size(), 2u);
}

TEST_F(EndpointSliceControllerTest, RelabelledPodsMapToTheServiceTheyLeftAndTheOneTheyJoined) {
  Put(kServicesResource, Service("blue", "blue"));
  Put(kServicesResource, Service("green", "green"));
  Json pod = ServedPod("a", "blue", "10.0.0.1", true);
  auto first = plugin_->MapEvent(kPodsResource, CAPSTAN_EVENT_ADDED, pod.dump());
  EXPECT_EQ(Json::parse(first.output), Json::array({"default/blue"}));
  pod["metadata"]["labels"]["app"] = "green";
  auto second = plugin_->MapEvent(kPodsResource, CAPSTAN_EVENT_MODIFIED, pod.dump());
  EXPECT_EQ(Json::parse(second.output), Json::array({"default/blue", "default/green"}));
  auto gone = plugin_->MapEvent(kPodsResource, CAPSTAN_EVENT_DELETED, pod.dump());
  EXPECT_EQ(Json::parse(gone.output), Json::array({"default/green"}));
}

}  // namespace
}  // namespace capstan::controllers
