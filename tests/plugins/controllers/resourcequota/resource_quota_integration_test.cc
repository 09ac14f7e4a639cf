// Integration test of the resourcequota plugin (.so) in the controller host against an
// in-process API server over HTTPS: status.hard and status.used follow pods being created,
// finishing and being deleted, and object counts of configmaps.
#include <gtest/gtest.h>

#include <string>

#include "core/controllers/controller_host.h"
#include "tests/core/controllers/test_cluster.h"

namespace capstan::controllers {
namespace {

using nlohmann::json;
using testing::ControllerTestCluster;
using testing::Eventually;

constexpr char kPods[] = "/api/v1/namespaces/default/pods";
constexpr char kQuota[] = "/api/v1/namespaces/default/resourcequotas/q";

json Pod(const std::string& name, const std::string& cpu) {
  return {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", name}}},
      {"spec",
       {{"containers",
         {{{"name", "c"}, {"image", "busybox"}, {"resources", {{"requests", {{"cpu", cpu}}}}}}}}}}};
}

class ResourceQuotaIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = cluster_.NewClient();
    Result<std::unique_ptr<ControllerHost>> host =
        testing::StartHostWithPlugins(client_.get(), CAPSTAN_TEST_PLUGIN_DIR,
                                      json::array({{{"name", "resourcequota"},
                                                    {"library", "controllers/resourcequota.so"},
                                                    {"config", {{"resyncSeconds", 1}}}}}));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
  }
  void TearDown() override {
    if (host_) host_->Stop();
  }
  // status.used, or null before the controller wrote it.
  json Used() {
    Result<json> q = client_->Get(kQuota);
    return q.ok() ? q->value("status", json::object()).value("used", json()) : json();
  }

  ControllerTestCluster cluster_;
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<ControllerHost> host_;
};

TEST_F(ResourceQuotaIntegrationTest, UsedFollowsPodsAndObjectCounts) {
  json quota = {{"apiVersion", "v1"},
                {"kind", "ResourceQuota"},
                {"metadata", {{"name", "q"}}},
                {"spec", {{"hard", {{"pods", "5"}, {"requests.cpu", "2"}, {"configmaps", "4"}}}}}};
  ASSERT_TRUE(client_->Create("/api/v1/namespaces/default/resourcequotas", quota).ok());
  ASSERT_TRUE(client_->Create(kPods, Pod("a", "250m")).ok());
  ASSERT_TRUE(client_->Create(kPods, Pod("b", "500m")).ok());
  json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "cm"}}}};
  ASSERT_TRUE(client_->Create("/api/v1/namespaces/default/configmaps", cm).ok());
  json want = {{"pods", "2"}, {"requests.cpu", "750m"}, {"configmaps", "1"}};
  EXPECT_TRUE(Eventually([&] { return Used() == want; })) << Used().dump();
  Result<json> q = client_->Get(kQuota);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)["status"]["hard"], quota["spec"]["hard"]);

  // A finished pod stops counting; a deleted one is gone.
  json done = {{"status", {{"phase", "Succeeded"}}}};
  ASSERT_TRUE(
      client_->Patch(std::string(kPods) + "/a/status", "application/merge-patch+json", done).ok());
  ASSERT_TRUE(client_->Delete(std::string(kPods) + "/b").ok());
  want = {{"pods", "0"}, {"requests.cpu", "0"}, {"configmaps", "1"}};
  EXPECT_TRUE(Eventually([&] { return Used() == want; })) << Used().dump();
}

}  // namespace
}  // namespace capstan::controllers
