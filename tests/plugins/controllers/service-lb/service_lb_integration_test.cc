// Integration test of the service-lb plugin (.so) in the controller host against an in-process
// API server over HTTPS: LoadBalancer Services get distinct pool addresses in their status, a
// full pool leaves a Service waiting until a deletion frees an address, and a type change clears
// the status.
#include <gtest/gtest.h>

#include <string>

#include "core/controllers/controller_host.h"
#include "tests/core/controllers/test_cluster.h"

namespace capstan::controllers {
namespace {

using nlohmann::json;
using testing::ControllerTestCluster;
using testing::Eventually;

constexpr char kServices[] = "/api/v1/namespaces/default/services";

json LoadBalancer(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"type", "LoadBalancer"},
            {"selector", {{"app", name}}},
            {"ports", json::array({{{"port", 80}, {"protocol", "TCP"}}})}}}};
}

class ServiceLbIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = cluster_.NewClient();
    json entry = {{"name", "service-lb"},
                  {"library", "controllers/service-lb.so"},
                  {"config", {{"pools", json::array({"198.51.100.8/30"})}}}};
    auto host =
        testing::StartHostWithPlugins(client_.get(), CAPSTAN_TEST_PLUGIN_DIR, json::array({entry}));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
  }
  void TearDown() override {
    if (host_) host_->Stop();
  }
  // The first ingress IP of Service `name` ("" when none).
  std::string Ingress(const std::string& name) {
    Result<json> svc = client_->Get(std::string(kServices) + "/" + name);
    if (!svc.ok()) return "";
    const json& ingress = (*svc)["status"]["loadBalancer"]["ingress"];
    return ingress.is_array() && !ingress.empty() ? ingress[0].value("ip", "") : "";
  }

  ControllerTestCluster cluster_;
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<ControllerHost> host_;
};

TEST_F(ServiceLbIntegrationTest, AssignsDistinctAddressesWaitsWhenFullAndReleases) {
  ASSERT_TRUE(client_->Create(kServices, LoadBalancer("a")).ok());
  ASSERT_TRUE(Eventually([&] { return Ingress("a") == "198.51.100.9"; })) << Ingress("a");
  ASSERT_TRUE(client_->Create(kServices, LoadBalancer("b")).ok());
  ASSERT_TRUE(Eventually([&] { return Ingress("b") == "198.51.100.10"; })) << Ingress("b");
  // The /30 holds two hosts: `c` waits.
  ASSERT_TRUE(client_->Create(kServices, LoadBalancer("c")).ok());
  EXPECT_FALSE(Eventually([&] { return !Ingress("c").empty(); }, std::chrono::seconds(1)));

  // Deleting `a` frees its address for `c` (picked up by c's periodic retry).
  ASSERT_TRUE(client_->Delete(std::string(kServices) + "/a").ok());
  EXPECT_TRUE(Eventually([&] { return Ingress("c") == "198.51.100.9"; })) << Ingress("c");

  // `b` stops being a LoadBalancer: its status is cleared.
  Result<json> patched =
      client_->Patch(std::string(kServices) + "/b", "application/merge-patch+json",
                     {{"spec", {{"type", "ClusterIP"}}}});
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_TRUE(Eventually([&] { return Ingress("b").empty(); }));
}

}  // namespace
}  // namespace capstan::controllers
