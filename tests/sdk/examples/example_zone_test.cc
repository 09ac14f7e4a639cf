// Tests for sdk/examples/example-zone (sched): Filter by zone label, Score by preferred zone, and
// only those two extension points in the vtable.
#include <gtest/gtest.h>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"
#include "sdk/examples/example-zone/zone_sched.h"
#include "tests/sdk/examples/schema_check.h"

namespace capstan::examples {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::NodeBuilder;
using sdk::testing::Outcome;
using sdk::testing::PodBuilder;
using sdk::testing::TestPlugin;

constexpr char kConfig[] = R"({"allowedZones":["a","b"],"preferredZone":"b"})";

TEST(ExampleZoneTest, ConfigsAreCheckedAgainstTheSchema) {
  EXPECT_EQ(testing::SchemaErrors(kZoneSchedSchema, kConfig), "");
  EXPECT_EQ(testing::SchemaErrors(kZoneSchedSchema, R"({"labelKey":"rack"})"), "");
  EXPECT_NE(testing::SchemaErrors(kZoneSchedSchema, R"({"labelKey":""})"), "");
  EXPECT_NE(testing::SchemaErrors(kZoneSchedSchema, R"({"allowedZones":"a"})"), "");
}

TEST(ExampleZoneTest, OnlyFilterAndScoreTakePart) {
  FakeHost host;
  TestPlugin<ZoneSched> p(host, kConfig);
  auto* vt = p.Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED);
  ASSERT_NE(vt, nullptr);
  EXPECT_NE(vt->on_filter, nullptr);
  EXPECT_NE(vt->on_score, nullptr);
  EXPECT_EQ(vt->on_queue_less, nullptr);
  EXPECT_EQ(vt->on_pre_filter, nullptr);
  EXPECT_EQ(vt->on_normalize_score, nullptr);
  EXPECT_EQ(vt->on_bind, nullptr);
}

TEST(ExampleZoneTest, FilterAdmitsOnlyAllowedZones) {
  struct Case {
    const char* zone;  // nullptr: no label
    capstan_rc want;
    const char* reason;
  };
  const Case cases[] = {
      {"a", CAPSTAN_RC_OK, ""},
      {"b", CAPSTAN_RC_OK, ""},
      {"c", CAPSTAN_RC_UNRESOLVABLE, "node(s) were in zone c, which is not allowed"},
      {nullptr, CAPSTAN_RC_UNRESOLVABLE, "node(s) had no topology.kubernetes.io/zone label"},
  };
  FakeHost host;
  TestPlugin<ZoneSched> p(host, kConfig);
  ASSERT_TRUE(p.init().ok());
  PodBuilder pod;
  for (const Case& c : cases) {
    NodeBuilder node;
    node.Label("kubernetes.io/hostname", "n1");
    if (c.zone != nullptr) node.Label("topology.kubernetes.io/zone", c.zone);
    Outcome o = p.Filter(pod.get(), node.get());
    EXPECT_EQ(o.rc, c.want) << (c.zone ? c.zone : "(none)");
    EXPECT_EQ(o.error, c.reason);
  }
}

TEST(ExampleZoneTest, WithoutAllowedZonesEveryNodePasses) {
  FakeHost host;
  TestPlugin<ZoneSched> p(host, R"({"labelKey":"rack","preferredZone":"r1"})");
  PodBuilder pod;
  NodeBuilder bare;
  EXPECT_TRUE(p.Filter(pod.get(), bare.get()).ok());
  NodeBuilder rack;
  int64_t score = -1;
  ASSERT_TRUE(p.Score(pod.get(), rack.Label("rack", "r1").get(), &score).ok());
  EXPECT_EQ(score, 100);  // the configured label key is used, not the default
}

TEST(ExampleZoneTest, ScorePrefersTheConfiguredZone) {
  FakeHost host;
  TestPlugin<ZoneSched> p(host, kConfig);
  PodBuilder pod;
  NodeBuilder in_b, in_a;
  int64_t score = -1;
  ASSERT_TRUE(
      p.Score(pod.get(), in_b.Label("topology.kubernetes.io/zone", "b").get(), &score).ok());
  EXPECT_EQ(score, 100);
  ASSERT_TRUE(
      p.Score(pod.get(), in_a.Label("topology.kubernetes.io/zone", "a").get(), &score).ok());
  EXPECT_EQ(score, 0);
}

}  // namespace
}  // namespace capstan::examples
