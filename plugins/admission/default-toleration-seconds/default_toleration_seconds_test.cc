// Tests for the default-toleration-seconds admission plugin.
#include "default_toleration_seconds.h"

#include <gtest/gtest.h>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"

namespace capstan::plugins {
namespace {

using sdk::json::Json;

Json Pod(const Json& tolerations) {
  Json pod = {{"metadata", {{"name", "web"}}}, {"spec", {{"containers", Json::array()}}}};
  if (!tolerations.is_null()) pod["spec"]["tolerations"] = tolerations;
  return pod;
}

// The pod's tolerations after the plugin's patch (none when it returned no patch).
Json Mutated(sdk::testing::TestPlugin<DefaultTolerationSeconds>& p, const Json& pod) {
  sdk::testing::AdmissionRequestBuilder req;
  req.Object(pod.dump());
  sdk::testing::Outcome o = p.Mutate(req.get());
  EXPECT_TRUE(o.ok()) << o.error;
  Json out = o.output.empty() ? pod : pod.patch(Json::parse(o.output));
  return out["spec"].value("tolerations", Json::array());
}

TEST(DefaultTolerationSecondsTest, AddsBothTolerationsWithThreeHundredSecondsByDefault) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<DefaultTolerationSeconds> p(host, "{}");
  ASSERT_TRUE(p.init().ok());
  Json t = Mutated(p, Pod(nullptr));
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0], (Json{{"key", "node.kubernetes.io/not-ready"},
                        {"operator", "Exists"},
                        {"effect", "NoExecute"},
                        {"tolerationSeconds", 300}}));
  EXPECT_EQ(t[1]["key"], "node.kubernetes.io/unreachable");
}

TEST(DefaultTolerationSecondsTest, KeepsExistingTolerationsAndAppendsOnlyMissingOnes) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<DefaultTolerationSeconds> p(host,
                                                       R"({"unreachableTolerationSeconds": 60})");
  ASSERT_TRUE(p.init().ok());
  Json own = Json::array({{{"key", "node.kubernetes.io/not-ready"},
                           {"operator", "Exists"},
                           {"effect", "NoExecute"},
                           {"tolerationSeconds", 10}}});
  Json t = Mutated(p, Pod(own));
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0]["tolerationSeconds"], 10);
  EXPECT_EQ(t[1]["key"], "node.kubernetes.io/unreachable");
  EXPECT_EQ(t[1]["tolerationSeconds"], 60);
}

TEST(DefaultTolerationSecondsTest, AddsNothingWhenEverythingIsTolerated) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<DefaultTolerationSeconds> p(host, "{}");
  ASSERT_TRUE(p.init().ok());
  Json all = Json::array({{{"operator", "Exists"}}});
  EXPECT_EQ(Mutated(p, Pod(all)), all);
}

TEST(DefaultTolerationSecondsTest, SkipsUpdatesAndOtherResources) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<DefaultTolerationSeconds> p(host, "{}");
  ASSERT_TRUE(p.init().ok());
  sdk::testing::AdmissionRequestBuilder update;
  update.Operation(CAPSTAN_ADMISSION_UPDATE).Object(Pod(nullptr).dump());
  EXPECT_EQ(p.Mutate(update.get()).rc, CAPSTAN_RC_SKIP);
  sdk::testing::AdmissionRequestBuilder svc;
  svc.Kind("", "v1", "Service", "services").Object("{}");
  EXPECT_EQ(p.Mutate(svc.get()).rc, CAPSTAN_RC_SKIP);
}

}  // namespace
}  // namespace capstan::plugins
