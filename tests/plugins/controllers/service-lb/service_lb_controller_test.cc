// Tests for plugins/controllers/service-lb through the SDK FakeHost: lowest-free assignment
// through the status subresource without duplicates, spec.loadBalancerIP, other classes left
// alone, release on type change and deletion, and config validation.
#include "plugins/controllers/service-lb/service_lb_controller.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "plugins/controllers/kit/service_pods.h"

namespace capstan::controllers {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;

constexpr char kPath[] = "/api/v1/namespaces/default/services/";

Json LbService(const std::string& name) {
  return Json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", "u-" + name}}},
              {"spec",
               {{"type", "LoadBalancer"},
                {"clusterIP", "10.96.0.20"},
                {"ports", Json::array({{{"port", 80}, {"protocol", "TCP"}}})}}},
              {"status", {{"loadBalancer", Json::object()}}}};
}

class ServiceLbControllerTest : public ::testing::Test {
 protected:
  void Start(const std::string& config) {
    plugin_ = std::make_unique<TestPlugin<ServiceLbController>>(host_, config);
    ASSERT_TRUE(plugin_->init().ok()) << plugin_->init().error;
  }
  void Put(const Json& svc) {
    host_.PutObject(kServicesResource, "default/" + svc["metadata"]["name"].get<std::string>(),
                    svc.dump());
    host_.SetApiResponse("PATCH", kPath + svc["metadata"]["name"].get<std::string>() + "/status",
                         200, "{}");
  }
  // Reconciles `name`; returns the status patch sent (null when none) and the requeue delay.
  Json Reconcile(const std::string& name, uint64_t* requeue = nullptr) {
    size_t before = host_.api_calls().size();
    uint64_t after_ms = 0;
    auto out = plugin_->Reconcile("default/" + name, &after_ms);
    EXPECT_EQ(out.rc, CAPSTAN_RC_OK) << out.error;
    if (requeue != nullptr) *requeue = after_ms;
    auto calls = host_.api_calls();
    for (size_t i = before; i < calls.size(); ++i) {
      if (calls[i].method == "PATCH" && calls[i].path == kPath + name + "/status") {
        return Json::parse(calls[i].body)["status"];
      }
    }
    return nullptr;
  }
  static std::string Ip(const Json& patch) {
    return patch["loadBalancer"]["ingress"][0]["ip"].get<std::string>();
  }
  bool Event(const std::string& reason) {
    for (const auto& c : host_.api_calls()) {
      if (c.method == "POST" && c.body.find(reason) != std::string::npos) return true;
    }
    return false;
  }

  FakeHost host_;
  std::unique_ptr<TestPlugin<ServiceLbController>> plugin_;
};

TEST_F(ServiceLbControllerTest, AssignsTheLowestFreeAddressOncePerServiceWithoutDuplicates) {
  Start(R"({"pools": ["192.0.2.10-192.0.2.12"]})");
  Put(LbService("a"));
  Put(LbService("b"));
  Json a = Reconcile("a");
  ASSERT_TRUE(a.is_object());
  EXPECT_EQ(Ip(a), "192.0.2.10");
  EXPECT_TRUE(Event("EnsuredLoadBalancer"));
  // a's status is not in the cache yet: b must still not get a's address.
  Json b = Reconcile("b");
  ASSERT_TRUE(b.is_object());
  EXPECT_EQ(Ip(b), "192.0.2.11");
  // Once the cache shows it, reconciling again writes nothing.
  Json with_status = LbService("a");
  with_status["status"] = a;
  Put(with_status);
  EXPECT_TRUE(Reconcile("a").is_null());
}

TEST_F(ServiceLbControllerTest, HonoursAFreeLoadBalancerIpAndWarnsWhenItIsTakenOrOutside) {
  Start(R"({"pools": ["192.0.2.0/29"]})");
  Json fixed = LbService("fixed");
  fixed["spec"]["loadBalancerIP"] = "192.0.2.5";
  Put(fixed);
  EXPECT_EQ(Ip(Reconcile("fixed")), "192.0.2.5");

  Json clash = LbService("clash");
  clash["spec"]["loadBalancerIP"] = "192.0.2.5";
  Put(clash);
  uint64_t requeue = 0;
  EXPECT_TRUE(Reconcile("clash", &requeue).is_null());  // status stays empty
  EXPECT_GT(requeue, 0u);
  EXPECT_TRUE(Event("AllocationFailed"));

  Json outside = LbService("outside");
  outside["spec"]["loadBalancerIP"] = "203.0.113.9";
  Put(outside);
  EXPECT_TRUE(Reconcile("outside").is_null());

  // The holder is deleted: the requested address goes to the waiting Service.
  host_.DeleteObject(kServicesResource, "default/fixed");
  EXPECT_TRUE(Reconcile("fixed").is_null());
  EXPECT_EQ(Ip(Reconcile("clash")), "192.0.2.5");
}

TEST_F(ServiceLbControllerTest, OtherClassesAreIgnoredAndATypeChangeReleasesTheAddress) {
  Start(R"({"pools": ["192.0.2.1"]})");
  Json other = LbService("other");
  other["spec"]["loadBalancerClass"] = "example.com/metal";
  Put(other);
  EXPECT_TRUE(Reconcile("other").is_null());
  Json mine = LbService("mine");
  mine["spec"]["loadBalancerClass"] = kServiceLbClass;
  Put(mine);
  Json patch = Reconcile("mine");
  EXPECT_EQ(Ip(patch), "192.0.2.1");

  // The pool is full; `mine` turns into a ClusterIP Service: its status is cleared and the
  // address serves the next LoadBalancer.
  Put(LbService("next"));
  EXPECT_TRUE(Reconcile("next").is_null());
  mine["spec"]["type"] = "ClusterIP";
  mine["status"] = patch;
  Put(mine);
  Json cleared = Reconcile("mine");
  ASSERT_TRUE(cleared.is_object());
  EXPECT_TRUE(cleared["loadBalancer"]["ingress"].is_null()) << cleared;
  EXPECT_TRUE(cleared["loadBalancer"].contains("ingress")) << cleared;
  mine["status"] = {{"loadBalancer", Json::object()}};
  Put(mine);
  EXPECT_EQ(Ip(Reconcile("next")), "192.0.2.1");
}

TEST_F(ServiceLbControllerTest, MalformedPoolsFailInit) {
  TestPlugin<ServiceLbController> bad(host_, R"({"pools": ["192.0.2.0/33"]})");
  EXPECT_FALSE(bad.init().ok());
  TestPlugin<ServiceLbController> defaults(host_, "{}");
  EXPECT_TRUE(defaults.init().ok()) << defaults.init().error;
}

}  // namespace
}  // namespace capstan::controllers
