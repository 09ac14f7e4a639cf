// Tests for plugins/sched/node-affinity: nodeSelector, required terms (OR of terms, AND of
// expressions), matchFields, preferred weights, addedAffinity, and parsing once per cycle.
#include "plugins/sched/node-affinity/node_affinity.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;
using testing::Node;
using testing::Pod;
using testing::SchedDriver;

capstan_sched_object* const kPodObject = reinterpret_cast<capstan_sched_object*>(0x10);

std::string PodWithAffinity(const std::string& node_affinity) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"affinity":
            {"nodeAffinity":)" +
         node_affinity + "}}}";
}

constexpr char kRequiredZoneA[] = R"({"requiredDuringSchedulingIgnoredDuringExecution":
  {"nodeSelectorTerms":[{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]},
                                             {"key":"disk","operator":"Exists"}]},
                        {"matchExpressions":[{"key":"zone","operator":"In","values":["c"]}]}]}})";

TEST(NodeAffinityTest, FilterAppliesNodeSelectorAndRequiredTerms) {
  struct Case {
    const char* name;
    const char* zone;
    bool disk;
    bool selector;  // pod also has nodeSelector tier=web
    capstan_rc want;
  };
  const Case cases[] = {
      {"first term matches", "a", true, false, CAPSTAN_RC_OK},
      {"first term half matches", "a", false, false, CAPSTAN_RC_UNRESOLVABLE},
      {"second term matches", "c", false, false, CAPSTAN_RC_OK},
      {"no term matches", "b", true, false, CAPSTAN_RC_UNRESOLVABLE},
      {"affinity ok but nodeSelector not", "a", true, true, CAPSTAN_RC_UNRESOLVABLE},
  };
  FakeHost host;
  host.SetObjectJson(kPodObject, PodWithAffinity(kRequiredZoneA));
  TestPlugin<NodeAffinity> p(host);
  ASSERT_TRUE(p.init().ok());
  SchedDriver d(p);
  for (const Case& c : cases) {
    Pod pod;
    pod.Object(kPodObject);
    if (c.selector) pod.NodeSelector("tier", "web");
    Node node;
    node.Label("zone", c.zone);
    if (c.disk) node.Label("disk", "ssd");
    capstan_sched_cycle* cycle = host.NewCycle();
    ASSERT_TRUE(d.PreFilter(cycle, pod.get()).ok()) << c.name;
    Outcome o = d.Filter(cycle, pod.get(), node.get());
    EXPECT_EQ(o.rc, c.want) << c.name;
    if (c.want != CAPSTAN_RC_OK) {
      EXPECT_EQ(o.error, "node(s) didn't match Pod's node affinity/selector") << c.name;
    }
  }
}

TEST(NodeAffinityTest, NodeSelectorAloneNeedsNoObjectJson) {
  FakeHost host;
  TestPlugin<NodeAffinity> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.NodeSelector("disktype", "ssd");
  Node ssd("ssd"), hdd("hdd");
  ssd.Label("disktype", "ssd");
  hdd.Label("disktype", "hdd");
  capstan_sched_cycle* cycle = host.NewCycle();
  ASSERT_TRUE(d.PreFilter(cycle, pod.get()).ok());
  EXPECT_TRUE(d.Filter(cycle, pod.get(), ssd.get()).ok());
  EXPECT_EQ(d.Filter(cycle, pod.get(), hdd.get()).rc, CAPSTAN_RC_UNRESOLVABLE);
  Pod plain;
  EXPECT_EQ(d.PreFilter(host.NewCycle(), plain.get()).rc, CAPSTAN_RC_SKIP);
}

TEST(NodeAffinityTest, APodWhoseObjectNamesNoNodeAffinityIsNotParsed) {
  // Text that is not JSON would fail a parse: without a "nodeAffinity" key it is never parsed,
  // and the pod is treated as having no terms. With the key, the parse runs (and fails).
  FakeHost host;
  host.SetObjectJson(kPodObject, R"({"spec": {"containers": [)");
  TestPlugin<NodeAffinity> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Object(kPodObject);
  EXPECT_EQ(d.PreFilter(host.NewCycle(), pod.get()).rc, CAPSTAN_RC_SKIP);
  host.SetObjectJson(kPodObject, R"({"spec": {"affinity": {"nodeAffinity": )");
  EXPECT_EQ(d.PreFilter(host.NewCycle(), pod.get()).rc, CAPSTAN_RC_ERROR);
}

TEST(NodeAffinityTest, PreFilterRestrictsToNodesNamedByMatchFields) {
  FakeHost host;
  host.SetObjectJson(kPodObject,
                     PodWithAffinity(R"({"requiredDuringSchedulingIgnoredDuringExecution":
    {"nodeSelectorTerms":[
      {"matchFields":[{"key":"metadata.name","operator":"In","values":["n2","n1"]}]},
      {"matchFields":[{"key":"metadata.name","operator":"In","values":["n3"]}]}]}})"));
  TestPlugin<NodeAffinity> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Object(kPodObject);
  capstan_sched_cycle* cycle = host.NewCycle();
  Outcome o = d.PreFilter(cycle, pod.get());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o.output, R"(["n1","n2","n3"])");
  Node n3("n3"), n4("n4");
  EXPECT_TRUE(d.Filter(cycle, pod.get(), n3.get()).ok());
  EXPECT_EQ(d.Filter(cycle, pod.get(), n4.get()).rc, CAPSTAN_RC_UNRESOLVABLE);
}

TEST(NodeAffinityTest, FilterUsesTheTermsParsedInPreFilter) {
  FakeHost host;
  host.SetObjectJson(kPodObject, PodWithAffinity(kRequiredZoneA));
  TestPlugin<NodeAffinity> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Object(kPodObject);
  capstan_sched_cycle* cycle = host.NewCycle();
  ASSERT_TRUE(d.PreFilter(cycle, pod.get()).ok());
  ASSERT_TRUE(host.CycleValue(cycle, "node-affinity").has_value());
  // Were Filter to parse the object again, it would fail on this text (which names the key, so
  // a fresh PreFilter does parse it).
  host.SetObjectJson(kPodObject, R"({"nodeAffinity": not json)");
  Node node;
  node.Label("zone", "c");
  EXPECT_TRUE(d.Filter(cycle, pod.get(), node.get()).ok());
  EXPECT_EQ(d.PreFilter(host.NewCycle(), pod.get()).rc, CAPSTAN_RC_ERROR);
}

TEST(NodeAffinityTest, PreferredTermsScoreByWeightAndNormalize) {
  FakeHost host;
  host.SetObjectJson(kPodObject,
                     PodWithAffinity(R"({"preferredDuringSchedulingIgnoredDuringExecution":[
    {"weight":20,"preference":{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]}},
    {"weight":60,"preference":{"matchExpressions":[{"key":"gpu","operator":"Exists"}]}},
    {"weight":5,"preference":{}}]})"));
  TestPlugin<NodeAffinity> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Object(kPodObject);
  Node a("a"), gpu("gpu"), both("both"), none("none");
  a.Label("zone", "a");
  gpu.Label("gpu", "1");
  both.Label("zone", "a").Label("gpu", "1");
  capstan_sched_cycle* cycle = host.NewCycle();
  ASSERT_EQ(d.PreFilter(cycle, pod.get()).rc, CAPSTAN_RC_SKIP);
  ASSERT_TRUE(d.PreScore(cycle, pod.get(), {a.get(), gpu.get(), both.get(), none.get()}).ok());
  std::vector<std::pair<std::string, int64_t>> scores;
  for (Node* n : {&a, &gpu, &both, &none}) {
    int64_t s = -1;
    ASSERT_TRUE(d.Score(cycle, pod.get(), n->get(), &s).ok());
    scores.emplace_back(n->name(), s);
  }
  EXPECT_EQ(scores[0].second, 20);
  EXPECT_EQ(scores[1].second, 60);
  EXPECT_EQ(scores[2].second, 80);
  EXPECT_EQ(scores[3].second, 0);
  ASSERT_TRUE(d.NormalizeScore(cycle, pod.get(), &scores).ok());
  EXPECT_EQ(scores[0].second, 25);
  EXPECT_EQ(scores[1].second, 75);
  EXPECT_EQ(scores[2].second, 100);
  Pod plain;
  EXPECT_EQ(d.PreScore(host.NewCycle(), plain.get(), {a.get()}).rc, CAPSTAN_RC_SKIP);
}

TEST(NodeAffinityTest, AddedAffinityIsEnforcedForEveryPod) {
  FakeHost host;
  TestPlugin<NodeAffinity> p(host,
                             R"({"addedAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":
    {"nodeSelectorTerms":[{"matchExpressions":[{"key":"pool","operator":"NotIn","values":["infra"]}]}]}}})");
  ASSERT_TRUE(p.init().ok());
  SchedDriver d(p);
  Pod pod;
  Node infra("infra"), apps("apps");
  infra.Label("pool", "infra");
  capstan_sched_cycle* cycle = host.NewCycle();
  ASSERT_TRUE(d.PreFilter(cycle, pod.get()).ok());  // not skipped: addedAffinity applies
  Outcome o = d.Filter(cycle, pod.get(), infra.get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_UNRESOLVABLE);
  EXPECT_EQ(o.error, "node(s) didn't match scheduler-enforced node affinity");
  EXPECT_TRUE(d.Filter(cycle, pod.get(), apps.get()).ok());
}

TEST(NodeAffinityTest, RequiredAffinityWithoutTermsRestrictsNothingInPreFilter) {
  FakeHost host;
  host.SetObjectJson(
      kPodObject,
      PodWithAffinity(
          R"({"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[]}})"));
  TestPlugin<NodeAffinity> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Object(kPodObject);
  capstan_sched_cycle* cycle = host.NewCycle();
  Outcome o = d.PreFilter(cycle, pod.get());
  ASSERT_TRUE(o.ok()) << o.error;
  EXPECT_EQ(o.output, "");
  Node node;
  EXPECT_EQ(d.Filter(cycle, pod.get(), node.get()).rc, CAPSTAN_RC_UNRESOLVABLE);
}

TEST(NodeAffinityTest, AddedPreferredTermsScoreEveryPod) {
  FakeHost host;
  TestPlugin<NodeAffinity> p(host,
                             R"({"addedAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":
    [{"weight":3,"preference":{"matchExpressions":[{"key":"ssd","operator":"Exists"}]}}]}})");
  ASSERT_TRUE(p.init().ok());
  SchedDriver d(p);
  Pod pod;
  Node ssd("ssd");
  ssd.Label("ssd", "1");
  capstan_sched_cycle* cycle = host.NewCycle();
  ASSERT_TRUE(d.PreScore(cycle, pod.get(), {ssd.get()}).ok());
  int64_t s = 0;
  ASSERT_TRUE(d.Score(cycle, pod.get(), ssd.get(), &s).ok());
  EXPECT_EQ(s, 3);
}

}  // namespace
}  // namespace capstan::sched
