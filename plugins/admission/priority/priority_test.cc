// Tests for the priority admission plugin: class resolution, defaults, rejections.
#include "priority.h"

#include <gtest/gtest.h>

#include <string>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"

namespace capstan::plugins {
namespace {

using sdk::json::Json;
constexpr char kClasses[] = "scheduling.k8s.io/v1/priorityclasses";

std::string ClassJson(const std::string& name, int value, bool global_default = false,
                      const std::string& policy = "") {
  Json pc = {{"apiVersion", "scheduling.k8s.io/v1"},
             {"kind", "PriorityClass"},
             {"metadata", {{"name", name}}},
             {"value", value},
             {"globalDefault", global_default}};
  if (!policy.empty()) pc["preemptionPolicy"] = policy;
  return pc.dump();
}

std::string PodJson(const Json& spec_extra) {
  Json pod = {{"metadata", {{"name", "web"}, {"namespace", "default"}}},
              {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}};
  for (const auto& [k, v] : spec_extra.items()) pod["spec"][k] = v;
  return pod.dump();
}

class PriorityTest : public ::testing::Test {
 protected:
  // The fake host answers UNAVAILABLE for resources it caches nothing of; the real one caches
  // every resource.
  void SetUp() override { host_.PutObject(kClasses, "unrelated", ClassJson("unrelated", 7)); }
  sdk::testing::Outcome MutatePod(const Json& spec_extra) {
    sdk::testing::AdmissionRequestBuilder req;
    req.Object(PodJson(spec_extra));
    return plugin_.Mutate(req.get());
  }
  // The patched pod spec after a successful mutation.
  Json PatchedSpec(const sdk::testing::Outcome& o, const Json& spec_extra) {
    Json pod = Json::parse(PodJson(spec_extra));
    return pod.patch(Json::parse(o.output))["spec"];
  }

  sdk::testing::FakeHost host_;
  sdk::testing::TestPlugin<PriorityAdmission> plugin_{host_, "{}"};
};

TEST_F(PriorityTest, ResolvesTheNamedClassIntoPriorityAndPreemptionPolicy) {
  ASSERT_TRUE(plugin_.init().ok());
  host_.PutObject(kClasses, "high", ClassJson("high", 1000, false, "Never"));
  Json extra = {{"priorityClassName", "high"}};
  sdk::testing::Outcome o = MutatePod(extra);
  ASSERT_TRUE(o.ok()) << o.error;
  Json spec = PatchedSpec(o, extra);
  EXPECT_EQ(spec["priority"], 1000);
  EXPECT_EQ(spec["preemptionPolicy"], "Never");
}

TEST_F(PriorityTest, UsesTheGlobalDefaultClassWhenNoneIsNamed) {
  ASSERT_TRUE(plugin_.init().ok());
  host_.PutObject(kClasses, "low", ClassJson("low", 10));
  host_.PutObject(kClasses, "default", ClassJson("default", 50, true));
  sdk::testing::Outcome o = MutatePod(Json::object());
  ASSERT_TRUE(o.ok()) << o.error;
  Json spec = PatchedSpec(o, Json::object());
  EXPECT_EQ(spec["priority"], 50);
  EXPECT_EQ(spec["priorityClassName"], "default");
  EXPECT_EQ(spec["preemptionPolicy"], "PreemptLowerPriority");
}

TEST_F(PriorityTest, DefaultsToZeroWithoutAnyClass) {
  ASSERT_TRUE(plugin_.init().ok());
  sdk::testing::Outcome o = MutatePod(Json::object());
  ASSERT_TRUE(o.ok()) << o.error;
  Json spec = PatchedSpec(o, Json::object());
  EXPECT_EQ(spec["priority"], 0);
  EXPECT_FALSE(spec.contains("priorityClassName"));
}

TEST_F(PriorityTest, ResolvesBuiltInSystemClassesEvenWhenNotStored) {
  ASSERT_TRUE(plugin_.init().ok());
  Json extra = {{"priorityClassName", "system-node-critical"}};
  sdk::testing::Outcome o = MutatePod(extra);
  ASSERT_TRUE(o.ok()) << o.error;
  EXPECT_EQ(PatchedSpec(o, extra)["priority"], kSystemNodeCritical);
}

TEST_F(PriorityTest, RejectsAnUnknownClassWithTheUpstreamMessage) {
  ASSERT_TRUE(plugin_.init().ok());
  sdk::testing::Outcome o = MutatePod({{"priorityClassName", "nope"}});
  EXPECT_EQ(o.rc, CAPSTAN_RC_DENIED);
  EXPECT_EQ(o.error, "no PriorityClass with name nope was found");
}

TEST_F(PriorityTest, RejectsAHandSetPriorityThatDisagrees) {
  ASSERT_TRUE(plugin_.init().ok());
  host_.PutObject(kClasses, "high", ClassJson("high", 1000));
  sdk::testing::Outcome o = MutatePod({{"priorityClassName", "high"}, {"priority", 5}});
  EXPECT_EQ(o.rc, CAPSTAN_RC_DENIED);
  EXPECT_NE(o.error.find("computed 1000"), std::string::npos) << o.error;
}

TEST_F(PriorityTest, SkipsEverythingButPodCreation) {
  ASSERT_TRUE(plugin_.init().ok());
  sdk::testing::AdmissionRequestBuilder update;
  update.Operation(CAPSTAN_ADMISSION_UPDATE).Object(PodJson(Json::object()));
  EXPECT_EQ(plugin_.Mutate(update.get()).rc, CAPSTAN_RC_SKIP);
  sdk::testing::AdmissionRequestBuilder cm;
  cm.Kind("", "v1", "ConfigMap", "configmaps").Object("{}");
  EXPECT_EQ(plugin_.Mutate(cm.get()).rc, CAPSTAN_RC_SKIP);
}

TEST_F(PriorityTest, AllowsOnlyOneGlobalDefaultClass) {
  ASSERT_TRUE(plugin_.init().ok());
  host_.PutObject(kClasses, "first", ClassJson("first", 1, true));
  sdk::testing::AdmissionRequestBuilder second;
  second.Kind("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses")
      .Name("", "second")
      .Object(ClassJson("second", 2, true));
  sdk::testing::Outcome o = plugin_.Validate(second.get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_DENIED);
  EXPECT_EQ(o.error,
            "PriorityClass first is already marked as default. Only one default can exist");
  // Updating the default class itself is fine.
  sdk::testing::AdmissionRequestBuilder same;
  same.Operation(CAPSTAN_ADMISSION_UPDATE)
      .Kind("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses")
      .Name("", "first")
      .Object(ClassJson("first", 3, true));
  EXPECT_TRUE(plugin_.Validate(same.get()).ok());
}

}  // namespace
}  // namespace capstan::plugins
