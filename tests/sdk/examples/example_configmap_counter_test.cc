// Tests for sdk/examples/example-configmap-counter (controller): the watch description, event
// mapping, and reconcile through the fake host's cache and API client.
#include <gtest/gtest.h>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "sdk/examples/example-configmap-counter/configmap_counter.h"
#include "tests/sdk/examples/schema_check.h"

namespace capstan::examples {
namespace {

using sdk::json::Json;
using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;

constexpr char kAnnotation[] = "example.capstan.io/configmap-count";

std::string Namespace(const std::string& name, const std::string& count) {
  Json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
  if (!count.empty()) ns["metadata"]["annotations"][kAnnotation] = count;
  return ns.dump();
}
std::string ConfigMap(const std::string& ns, const std::string& name) {
  return Json{{"kind", "ConfigMap"}, {"metadata", {{"namespace", ns}, {"name", name}}}}.dump();
}

class ExampleConfigMapCounterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_.PutObject("/v1/namespaces", "team-a", Namespace("team-a", ""));
    host_.PutObject("/v1/configmaps", "team-a/one", ConfigMap("team-a", "one"));
    host_.PutObject("/v1/configmaps", "team-a/two", ConfigMap("team-a", "two"), {{"skip", "y"}});
    host_.PutObject("/v1/configmaps", "team-b/three", ConfigMap("team-b", "three"));
    host_.SetApiResponse("PATCH", "/api/v1/namespaces/team-a", 200, Namespace("team-a", "2"));
  }
  FakeHost host_;
};

TEST_F(ExampleConfigMapCounterTest, ConfigsAreCheckedAgainstTheSchema) {
  EXPECT_EQ(testing::SchemaErrors(kConfigMapCounterSchema, R"({"labelSelector":"!skip"})"), "");
  EXPECT_NE(testing::SchemaErrors(kConfigMapCounterSchema, R"({"annotation":""})"), "");
}

TEST_F(ExampleConfigMapCounterTest, DescribesNamespacesAsPrimaryAndMapsConfigMaps) {
  TestPlugin<ConfigMapCounter> p(host_);
  auto watch = sdk::json::Parse(p.Describe().output);
  ASSERT_TRUE(watch.has_value());
  EXPECT_EQ((*watch)["primary"], "/v1/namespaces");
  EXPECT_EQ((*watch)["watches"][0]["resource"], "/v1/configmaps");
  EXPECT_EQ((*watch)["watches"][0]["map"], "plugin");
  Outcome keys = p.MapEvent("/v1/configmaps", CAPSTAN_EVENT_ADDED, ConfigMap("team-b", "x"));
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys.output, R"(["team-b"])");
  EXPECT_EQ(p.MapEvent("/v1/configmaps", CAPSTAN_EVENT_DELETED, "{}").rc, CAPSTAN_RC_INVALID);
}

TEST_F(ExampleConfigMapCounterTest, ReconcilePatchesTheCountOfItsNamespace) {
  TestPlugin<ConfigMapCounter> p(host_);
  uint64_t requeue = 1;
  Outcome o = p.Reconcile("team-a", &requeue);
  ASSERT_TRUE(o.ok()) << o.error;
  EXPECT_EQ(requeue, 0u);
  ASSERT_EQ(host_.api_calls().size(), 1u);
  const sdk::testing::ApiCall call = host_.api_calls()[0];
  EXPECT_EQ(call.method, "PATCH");
  EXPECT_EQ(call.path, "/api/v1/namespaces/team-a");
  EXPECT_EQ(call.content_type, "application/merge-patch+json");
  EXPECT_EQ(Json::parse(call.body), Json::parse(R"({"metadata":{"annotations":{
      "example.capstan.io/configmap-count":"2"}}})"));
  EXPECT_EQ(host_.MetricValue("patches_total"), 1);
}

TEST_F(ExampleConfigMapCounterTest, ReconcileDoesNotWriteWhenTheCountIsCurrent) {
  host_.PutObject("/v1/namespaces", "team-a", Namespace("team-a", "2"));
  TestPlugin<ConfigMapCounter> p(host_);
  uint64_t requeue = 0;
  EXPECT_TRUE(p.Reconcile("team-a", &requeue).ok());
  EXPECT_TRUE(host_.api_calls().empty());
}

TEST_F(ExampleConfigMapCounterTest, TheLabelSelectorNarrowsTheCount) {
  host_.PutObject("/v1/namespaces", "team-a", Namespace("team-a", "2"));
  TestPlugin<ConfigMapCounter> p(host_, R"({"labelSelector":"!skip"})");
  uint64_t requeue = 0;
  ASSERT_TRUE(p.Reconcile("team-a", &requeue).ok());
  ASSERT_EQ(host_.api_calls().size(), 1u);
  EXPECT_NE(host_.api_calls()[0].body.find(R"("1")"), std::string::npos);
}

TEST_F(ExampleConfigMapCounterTest, AGoneNamespaceNeedsNothing) {
  TestPlugin<ConfigMapCounter> p(host_);
  uint64_t requeue = 0;
  EXPECT_TRUE(p.Reconcile("deleted-ns", &requeue).ok());
  EXPECT_TRUE(host_.api_calls().empty());
}

TEST_F(ExampleConfigMapCounterTest, ApiFailuresMapToRetryOrError) {
  struct Case {
    int32_t http;
    capstan_rc want;
  };
  for (const Case& c : {Case{409, CAPSTAN_RC_RETRY_LATER}, Case{503, CAPSTAN_RC_RETRY_LATER},
                        Case{403, CAPSTAN_RC_ERROR}, Case{404, CAPSTAN_RC_OK}}) {
    host_.SetApiResponse("PATCH", "/api/v1/namespaces/team-a", c.http, "{}");
    TestPlugin<ConfigMapCounter> p(host_);
    uint64_t requeue = 0;
    EXPECT_EQ(p.Reconcile("team-a", &requeue).rc, c.want) << c.http;
  }
}

TEST_F(ExampleConfigMapCounterTest, WithoutTheCacheServiceItRetriesLater) {
  host_.RemoveService("capstan_host_cache_get_v1");
  TestPlugin<ConfigMapCounter> p(host_);
  uint64_t requeue = 0;
  Outcome o = p.Reconcile("team-a", &requeue);
  EXPECT_EQ(o.rc, CAPSTAN_RC_RETRY_LATER);
  EXPECT_EQ(o.retry_after_ms, 1000u);
}

}  // namespace
}  // namespace capstan::examples
