// Tests for sdk/examples/example-labels (admission): the mutator's JSON Patch adds missing
// default labels; the validator denies objects without required labels and warns about
// defaulted values; other operations and kinds are skipped.
#include <gtest/gtest.h>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"
#include "sdk/examples/example-labels/labels_admission.h"
#include "tests/sdk/examples/schema_check.h"

namespace capstan::examples {
namespace {

using sdk::json::Json;
using sdk::testing::AdmissionRequestBuilder;
using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;

constexpr char kConfig[] = R"({
  "defaultLabels": {"owner": "unknown", "app.kubernetes.io/managed-by": "capstan"},
  "requiredLabels": ["app"],
  "kinds": ["Pod", "Deployment"]})";

class ExampleLabelsTest : public ::testing::Test {
 protected:
  FakeHost host_;
  TestPlugin<LabelsAdmission> plugin_{host_, kConfig};
  AdmissionRequestBuilder req_;
};

TEST_F(ExampleLabelsTest, ConfigsAreCheckedAgainstTheSchema) {
  EXPECT_EQ(testing::SchemaErrors(kLabelsAdmissionSchema, kConfig), "");
  EXPECT_NE(testing::SchemaErrors(kLabelsAdmissionSchema, R"({"defaultLabels":{"a":1}})"), "");
  EXPECT_NE(testing::SchemaErrors(kLabelsAdmissionSchema, R"({"requiredLabels":[""]})"), "");
}

TEST_F(ExampleLabelsTest, MutateAddsTheWholeLabelMapWhenThereIsNone) {
  ASSERT_TRUE(plugin_.init().ok());
  Outcome o = plugin_.Mutate(req_.Object(R"({"metadata":{"name":"web"}})").get());
  ASSERT_TRUE(o.ok()) << o.error;
  EXPECT_EQ(*sdk::json::Parse(o.output), Json::parse(R"([{"op":"add","path":"/metadata/labels",
      "value":{"owner":"unknown","app.kubernetes.io/managed-by":"capstan"}}])"));
}

TEST_F(ExampleLabelsTest, MutateAddsOnlyMissingLabelsWithEscapedPaths) {
  Outcome o = plugin_.Mutate(req_.Object(R"({"metadata":{"labels":{"owner":"team-a"}}})").get());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(*sdk::json::Parse(o.output),
            Json::parse(R"([{"op":"add","path":"/metadata/labels/app.kubernetes.io~1managed-by",
                             "value":"capstan"}])"));
}

TEST_F(ExampleLabelsTest, MutateReturnsNoPatchWhenNothingIsMissing) {
  Outcome o = plugin_.Mutate(
      req_.Object(R"({"metadata":{"labels":{"owner":"x","app.kubernetes.io/managed-by":"y"}}})")
          .get());
  EXPECT_TRUE(o.ok());
  EXPECT_EQ(o.output, "");
}

TEST_F(ExampleLabelsTest, ValidateDeniesMissingRequiredLabels) {
  Outcome o = plugin_.Validate(req_.Name("default", "web").Object(R"({"metadata":{}})").get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_DENIED);
  EXPECT_EQ(o.error, "Pod web is missing required label(s): app");
}

TEST_F(ExampleLabelsTest, ValidateAdmitsAndWarnsAboutDefaultedValues) {
  Outcome o = plugin_.Validate(
      req_.Object(R"({"metadata":{"labels":{"app":"web","owner":"unknown"}}})").get());
  ASSERT_TRUE(o.ok()) << o.error;
  EXPECT_EQ(*sdk::json::Parse(o.output),
            Json::array({"label owner still has its default value \"unknown\""}));
  o = plugin_.Validate(req_.Object(R"({"metadata":{"labels":{"app":"web","owner":"me"}}})").get());
  EXPECT_TRUE(o.ok());
  EXPECT_EQ(o.output, "");
}

TEST_F(ExampleLabelsTest, OtherOperationsAndKindsAreSkipped) {
  EXPECT_EQ(plugin_.Validate(req_.Operation(CAPSTAN_ADMISSION_DELETE).Object("").get()).rc,
            CAPSTAN_RC_SKIP);
  req_.Operation(CAPSTAN_ADMISSION_CREATE).Object(R"({"metadata":{}})");
  EXPECT_EQ(plugin_.Mutate(req_.Kind("", "v1", "ConfigMap", "configmaps").get()).rc,
            CAPSTAN_RC_SKIP);
  EXPECT_EQ(plugin_.Validate(req_.get()).rc, CAPSTAN_RC_SKIP);
}

TEST_F(ExampleLabelsTest, AnObjectWithoutMetadataIsInvalid) {
  Outcome o = plugin_.Mutate(req_.Object(R"({"spec":{}})").get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_INVALID);
  EXPECT_EQ(plugin_.Mutate(req_.Object("{broken").get()).rc, CAPSTAN_RC_INVALID);
}

}  // namespace
}  // namespace capstan::examples
