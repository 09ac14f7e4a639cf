// Tests for the resource-quota admission plugin: upstream's 403 messages for exceeded quotas
// and missing compute resources, charges of objects the cache does not show yet, scopes, and
// the requests it leaves alone.
#include "plugins/admission/resource-quota/resource_quota_admission.h"

#include <gtest/gtest.h>

#include <string>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"

namespace capstan::plugins {
namespace {

using sdk::json::Json;
constexpr char kQuotas[] = "/v1/resourcequotas";
constexpr char kPods[] = "/v1/pods";

Json Pod(const std::string& name, Json resources) {
  return {{"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec", {{"containers", {{{"name", "app"}, {"resources", resources}}}}}},
          {"status", {{"phase", "Pending"}}}};
}

Json CpuPod(const std::string& name, const std::string& cpu) {
  return Pod(name, {{"requests", {{"cpu", cpu}}}, {"limits", {{"cpu", cpu}}}});
}

class ResourceQuotaAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_.PutObject(kPods, "other/x", "{}");  // the fake caches only kinds it has seen
    ASSERT_TRUE(plugin_.init().ok()) << plugin_.init().error;
    plugin_.plugin().SetClockForTesting([this] { return now_ms_; });
  }
  void PutQuota(const std::string& name, const Json& hard, const Json& scopes = nullptr) {
    Json q = {{"metadata", {{"name", name}, {"namespace", "default"}}}, {"spec", {{"hard", hard}}}};
    if (!scopes.is_null()) q["spec"]["scopes"] = scopes;
    host_.PutObject(kQuotas, "default/" + name, q.dump());
  }
  sdk::testing::Outcome Create(const Json& pod) {
    sdk::testing::AdmissionRequestBuilder req;
    req.Name("default", pod["metadata"]["name"].get<std::string>()).Object(pod.dump());
    return plugin_.Validate(req.get());
  }

  int64_t now_ms_ = 1000000;
  sdk::testing::FakeHost host_;
  sdk::testing::TestPlugin<ResourceQuotaAdmission> plugin_{host_, "{}"};
};

TEST_F(ResourceQuotaAdmissionTest, RefusesThePodThatWouldExceedTheQuotaWithUpstreamsMessage) {
  PutQuota("q", {{"pods", "2"}, {"requests.cpu", "1"}});
  host_.PutObject(kPods, "default/a", CpuPod("a", "100m").dump());
  EXPECT_TRUE(Create(CpuPod("b", "100m")).ok());
  // "b" is not in the cache yet: it is still charged.
  sdk::testing::Outcome o = Create(CpuPod("c", "100m"));
  EXPECT_EQ(o.rc, CAPSTAN_RC_DENIED);
  EXPECT_EQ(o.error, "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2");
}

TEST_F(ResourceQuotaAdmissionTest, NamesOnlyTheExceededResources) {
  PutQuota("q", {{"pods", "10"}, {"requests.cpu", "1"}});
  host_.PutObject(kPods, "default/a", CpuPod("a", "800m").dump());
  sdk::testing::Outcome o = Create(CpuPod("b", "500m"));
  EXPECT_EQ(o.rc, CAPSTAN_RC_DENIED);
  EXPECT_EQ(o.error,
            "exceeded quota: q, requested: requests.cpu=500m, used: requests.cpu=800m, limited: "
            "requests.cpu=1");
}

TEST_F(ResourceQuotaAdmissionTest, RequiresTrackedComputeResourcesOnEveryContainer) {
  PutQuota("compute", {{"limits.cpu", "2"}, {"requests.memory", "1Gi"}});
  sdk::testing::Outcome o = Create(Pod("p", {{"requests", {{"cpu", "1"}}}}));
  EXPECT_EQ(o.rc, CAPSTAN_RC_DENIED);
  EXPECT_EQ(o.error,
            "failed quota: compute: must specify limits.cpu for: app; requests.memory for: app");
}

TEST_F(ResourceQuotaAdmissionTest, DeletedPodsFreeRoomAndStaleChargesExpire) {
  PutQuota("q", {{"pods", "1"}});
  host_.PutObject(kPods, "default/a", CpuPod("a", "1").dump());
  EXPECT_EQ(Create(CpuPod("b", "1")).rc, CAPSTAN_RC_DENIED);
  host_.DeleteObject(kPods, "default/a");
  EXPECT_TRUE(Create(CpuPod("b", "1")).ok());
  // "b" never reached the cache (a later stage refused it): its charge lapses.
  EXPECT_EQ(Create(CpuPod("c", "1")).rc, CAPSTAN_RC_DENIED);
  now_ms_ += 11000;
  EXPECT_TRUE(Create(CpuPod("c", "1")).ok());
}

TEST_F(ResourceQuotaAdmissionTest, ScopedQuotasOnlySeeMatchingPods) {
  PutQuota("best-effort", {{"pods", "1"}}, {"BestEffort"});
  host_.PutObject(kPods, "default/a", Pod("a", Json::object()).dump());
  EXPECT_TRUE(Create(CpuPod("burstable", "1")).ok());
  sdk::testing::Outcome o = Create(Pod("b", Json::object()));
  EXPECT_EQ(o.rc, CAPSTAN_RC_DENIED);
  EXPECT_EQ(o.error,
            "exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1");
}

TEST_F(ResourceQuotaAdmissionTest, CountsOtherKindsAndSkipsWhatItDoesNotCheck) {
  PutQuota("q", {{"configmaps", "1"}});
  host_.PutObject("/v1/configmaps", "default/one", R"({"metadata":{"name":"one"}})");
  sdk::testing::AdmissionRequestBuilder cm;
  cm.Kind("", "v1", "ConfigMap", "configmaps")
      .Name("default", "two")
      .Object(R"({"metadata":{"name":"two","namespace":"default"}})");
  sdk::testing::Outcome o = plugin_.Validate(cm.get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_DENIED);
  EXPECT_EQ(
      o.error,
      "exceeded quota: q, requested: configmaps=1, used: configmaps=1, limited: configmaps=1");
  sdk::testing::AdmissionRequestBuilder update;
  update.Operation(CAPSTAN_ADMISSION_UPDATE).Object(CpuPod("a", "1").dump());
  EXPECT_EQ(plugin_.Validate(update.get()).rc, CAPSTAN_RC_SKIP);
  sdk::testing::AdmissionRequestBuilder no_quota;
  no_quota.Name("empty", "p").Object(CpuPod("p", "1").dump());
  EXPECT_EQ(plugin_.Validate(no_quota.get()).rc, CAPSTAN_RC_SKIP);
}

}  // namespace
}  // namespace capstan::plugins
