// Tests for plugins/sched/pod-topology-spread: skew filtering per zone and hostname, minDomains,
// node inclusion policies, missing keys, and ScheduleAnyway scoring.
#include "plugins/sched/pod-topology-spread/pod_topology_spread.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/plugins/sched/testing/fake_snapshot.h"
#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;
using testing::FakeSnapshot;
using testing::Pod;
using testing::SchedDriver;

capstan_sched_object* const kPodObject = reinterpret_cast<capstan_sched_object*>(0x20);

std::string PodJson(const std::string& constraints) {
  return R"({"metadata":{"name":"web","labels":{"app":"web"}},"spec":{
            "topologySpreadConstraints":)" +
         constraints + "}}";
}

// Zone a: n0 (2 web pods), n1 (0). Zone b: n2 (1 web pod). Zone c: n3 (0), n4 without zone.
void BuildCluster(FakeSnapshot& snap) {
  snap.AddNode("n0").Label("zone", "a");
  snap.AddNode("n1").Label("zone", "a");
  snap.AddNode("n2").Label("zone", "b");
  snap.AddNode("n3").Label("zone", "c");
  snap.AddNode("n4");
  snap.AddPod(0, "w1").Label("app", "web");
  snap.AddPod(0, "w2").Label("app", "web");
  snap.AddPod(2, "w3").Label("app", "web");
  snap.AddPod(2, "db").Label("app", "db");
  snap.AddPod(3, "other-ns").Name("other", "w4").Label("app", "web");
}

struct Result {
  capstan_rc rc;
  std::string reason;
};

std::vector<Result> FilterAll(FakeHost& host, FakeSnapshot& snap, const std::string& constraints,
                              capstan_rc* pre_filter_rc = nullptr) {
  host.SetObjectJson(kPodObject, PodJson(constraints));
  TestPlugin<PodTopologySpread> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Label("app", "web").Object(kPodObject);
  capstan_sched_cycle* cycle = host.NewCycle();
  Outcome pre = d.PreFilter(cycle, pod.get());
  if (pre_filter_rc != nullptr) *pre_filter_rc = pre.rc;
  std::vector<Result> out;
  for (const capstan_sched_node_view* n : snap.views()) {
    Outcome o = d.Filter(cycle, pod.get(), n);
    out.push_back({o.rc, o.error});
  }
  return out;
}

TEST(PodTopologySpreadTest, FilterKeepsTheSkewWithinMaxSkew) {
  struct Case {
    const char* name;
    const char* constraints;
    std::vector<capstan_rc> want;  // n0..n4
  };
  constexpr capstan_rc kOk = CAPSTAN_RC_OK, kNo = CAPSTAN_RC_UNSCHEDULABLE,
                       kLabel = CAPSTAN_RC_UNRESOLVABLE;
  const Case cases[] = {
      // Zone counts a=2, b=1, c=0 (min 0): a -> 3 > 1, b -> 2 > 1, c -> 1.
      {"zone maxSkew 1",
       R"([{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"DoNotSchedule",
            "labelSelector":{"matchLabels":{"app":"web"}}}])",
       {kNo, kNo, kNo, kOk, kLabel}},
      {"zone maxSkew 2",
       R"([{"maxSkew":2,"topologyKey":"zone","labelSelector":{"matchLabels":{"app":"web"}}}])",
       {kNo, kNo, kOk, kOk, kLabel}},
      // Hostnames: n0=2, n1=0, n2=1, n3=0, n4=0.
      {"hostname maxSkew 1",
       R"([{"maxSkew":1,"topologyKey":"kubernetes.io/hostname",
            "labelSelector":{"matchLabels":{"app":"web"}}}])",
       {kNo, kOk, kNo, kOk, kOk}},
      // Only 3 zones exist, fewer than minDomains 5: the minimum counts as 0 (already 0 here),
      // and with maxSkew 3 every zone fits.
      {"minDomains",
       R"([{"maxSkew":3,"topologyKey":"zone","minDomains":5,
            "labelSelector":{"matchLabels":{"app":"web"}}}])",
       {kOk, kOk, kOk, kOk, kLabel}},
  };
  for (const Case& c : cases) {
    FakeHost host;
    FakeSnapshot snap(host);
    BuildCluster(snap);
    snap.Publish();
    std::vector<Result> got = FilterAll(host, snap, c.constraints);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].rc, c.want[i]) << c.name << " node n" << i;
      if (c.want[i] == kNo) {
        EXPECT_EQ(got[i].reason, "node(s) didn't match pod topology spread constraints");
      }
      if (c.want[i] == kLabel) {
        EXPECT_EQ(got[i].reason,
                  "node(s) didn't match pod topology spread constraints (missing required label)");
      }
    }
  }
}

TEST(PodTopologySpreadTest, MinDomainsRaisesTheSkewWhenDomainsAreMissing) {
  FakeHost host;
  FakeSnapshot snap(host);
  snap.AddNode("n0").Label("zone", "a");
  snap.AddNode("n1").Label("zone", "b");
  snap.AddPod(0, "w1").Label("app", "web");
  snap.AddPod(1, "w2").Label("app", "web");
  snap.Publish();
  const char* sel = R"("labelSelector":{"matchLabels":{"app":"web"}})";
  // Without minDomains: counts 1/1, min 1: skew 1 fits. With minDomains 3: min 0, skew 2 > 1.
  std::vector<Result> plain =
      FilterAll(host, snap, std::string(R"([{"maxSkew":1,"topologyKey":"zone",)") + sel + "}]");
  EXPECT_EQ(plain[0].rc, CAPSTAN_RC_OK);
  std::vector<Result> min3 =
      FilterAll(host, snap,
                std::string(R"([{"maxSkew":1,"topologyKey":"zone","minDomains":3,)") + sel + "}]");
  EXPECT_EQ(min3[0].rc, CAPSTAN_RC_UNSCHEDULABLE);
}

TEST(PodTopologySpreadTest, NodeAffinityPolicyDecidesWhichDomainsCount) {
  FakeHost host;
  FakeSnapshot snap(host);
  snap.AddNode("n0").Label("zone", "a").Label("pool", "x");
  snap.AddNode("n1").Label("zone", "b").Label("pool", "y");
  snap.AddPod(0, "w1").Label("app", "web");
  snap.Publish();
  auto json = [](const char* policy) {
    return std::string(R"({"metadata":{"name":"web"},"spec":{"affinity":{"nodeAffinity":{
      "requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":
      [{"key":"pool","operator":"In","values":["x"]}]}]}}},"topologySpreadConstraints":[
      {"maxSkew":1,"topologyKey":"zone","nodeAffinityPolicy":")") +
           policy + R"(","labelSelector":{"matchLabels":{"app":"web"}}}]}})";
  };
  for (const char* policy : {"Honor", "Ignore"}) {
    host.SetObjectJson(kPodObject, json(policy));
    TestPlugin<PodTopologySpread> p(host);
    SchedDriver d(p);
    Pod pod;
    pod.Label("app", "web").Object(kPodObject);
    capstan_sched_cycle* cycle = host.NewCycle();
    ASSERT_TRUE(d.PreFilter(cycle, pod.get()).ok());
    // Honor: only zone a counts (min 1): n0 skew 1 fits. Ignore: zone b (0) is the min: 2 > 1.
    capstan_rc want = std::string(policy) == "Honor" ? CAPSTAN_RC_OK : CAPSTAN_RC_UNSCHEDULABLE;
    EXPECT_EQ(d.Filter(cycle, pod.get(), snap.view(0)).rc, want) << policy;
  }
}

TEST(PodTopologySpreadTest, PreFilterSkipsPodsWithoutHardConstraints) {
  FakeHost host;
  FakeSnapshot snap(host);
  BuildCluster(snap);
  snap.Publish();
  capstan_rc rc = CAPSTAN_RC_OK;
  FilterAll(host, snap,
            R"([{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"ScheduleAnyway",
                 "labelSelector":{"matchLabels":{"app":"web"}}}])",
            &rc);
  EXPECT_EQ(rc, CAPSTAN_RC_SKIP);
}

TEST(PodTopologySpreadTest, ScheduleAnywayPrefersEmptierDomains) {
  FakeHost host;
  FakeSnapshot snap(host);
  BuildCluster(snap);
  snap.Publish();
  host.SetObjectJson(kPodObject, PodJson(R"([{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":
                     "ScheduleAnyway","labelSelector":{"matchLabels":{"app":"web"}}}])"));
  TestPlugin<PodTopologySpread> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Label("app", "web").Object(kPodObject);
  capstan_sched_cycle* cycle = host.NewCycle();
  ASSERT_EQ(d.PreFilter(cycle, pod.get()).rc, CAPSTAN_RC_SKIP);
  ASSERT_TRUE(d.PreScore(cycle, pod.get(), snap.views()).ok());
  std::vector<std::pair<std::string, int64_t>> scores;
  for (size_t i = 0; i < snap.views().size(); ++i) {
    int64_t s = -1;
    ASSERT_TRUE(d.Score(cycle, pod.get(), snap.view(i), &s).ok());
    scores.emplace_back("n" + std::to_string(i), s);
  }
  // 3 zones: weight log(5) = 1.609; zone a: 2 -> 3, b: 1 -> 2, c: 0 -> 0; n4 is ignored.
  EXPECT_EQ(scores[0].second, 3);
  EXPECT_EQ(scores[2].second, 2);
  EXPECT_EQ(scores[3].second, 0);
  ASSERT_TRUE(d.NormalizeScore(cycle, pod.get(), &scores).ok());
  EXPECT_EQ(scores[0].second, 0);    // 100 * (3 + 0 - 3) / 3
  EXPECT_EQ(scores[2].second, 33);   // 100 * (3 + 0 - 2) / 3
  EXPECT_EQ(scores[3].second, 100);  // 100 * (3 + 0 - 0) / 3
  EXPECT_EQ(scores[4].second, 0);    // ignored: no zone label
}

TEST(PodTopologySpreadTest, WithoutTheNodeViewServiceHardConstraintsFail) {
  FakeHost host;
  host.SetObjectJson(kPodObject, PodJson(R"([{"maxSkew":1,"topologyKey":"zone",
                     "labelSelector":{"matchLabels":{"app":"web"}}}])"));
  SetNodeViewService(nullptr);
  TestPlugin<PodTopologySpread> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Object(kPodObject);
  Outcome o = d.PreFilter(host.NewCycle(), pod.get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_UNAVAILABLE);
  EXPECT_NE(o.error.find("capstan_host_sched_node_view_v1"), std::string::npos);
}

}  // namespace
}  // namespace capstan::sched
