// Tests for plugins/sched/inter-pod-affinity: required affinity and anti-affinity by topology
// key, existing pods' anti-affinity symmetry, namespaces, preferred scoring, that existing
// pods are parsed once, and that hosts flagging pods spare parsing the others. On a host without
// the changed-nodes service (as FakeSnapshot), so the index compares every node each cycle.
#include "plugins/sched/inter-pod-affinity/inter_pod_affinity.h"

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

capstan_sched_object* Obj(uintptr_t n) { return reinterpret_cast<capstan_sched_object*>(n); }
capstan_sched_object* const kIncoming = Obj(0x100);

std::string Affinity(const std::string& affinity) {
  return R"({"metadata":{"name":"in","namespace":"default"},"spec":{"affinity":)" + affinity + "}}";
}
std::string Term(const char* app, const char* key) {
  return std::string(R"({"labelSelector":{"matchLabels":{"app":")") + app +
         R"("}},"topologyKey":")" + key + R"("})";
}

// A pod named `name` whose required anti-affinity refuses web pods in its zone.
std::string RefusesWebInZone(const std::string& name) {
  return R"({"metadata":{"name":")" + name +
         R"("},"spec":{"affinity":{"podAntiAffinity":{)"
         R"("requiredDuringSchedulingIgnoredDuringExecution":[)" +
         Term("web", "zone") + "]}}}}";
}

// n0, n1 in zone a; n2 in zone b; n3 without zone. A web pod on n0, a db pod on n2, and a web
// pod in namespace "other" on n3.
void BuildCluster(FakeSnapshot& snap) {
  snap.AddNode("n0").Label("zone", "a");
  snap.AddNode("n1").Label("zone", "a");
  snap.AddNode("n2").Label("zone", "b");
  snap.AddNode("n3");
  snap.AddPod(0, "web-1").Label("app", "web");
  snap.AddPod(2, "db-1").Label("app", "db");
  snap.AddPod(3, "web-x").Name("other", "web-x").Label("app", "web");
}

std::vector<Outcome> FilterAll(FakeHost& host, FakeSnapshot& snap, TestPlugin<InterPodAffinity>& p,
                               Pod& pod, capstan_rc* pre_rc = nullptr) {
  SchedDriver d(p);
  capstan_sched_cycle* cycle = host.NewCycle();
  Outcome pre = d.PreFilter(cycle, pod.get());
  if (pre_rc != nullptr) *pre_rc = pre.rc;
  std::vector<Outcome> out;
  for (const capstan_sched_node_view* n : snap.views())
    out.push_back(d.Filter(cycle, pod.get(), n));
  return out;
}

TEST(InterPodAffinityTest, RequiredTermsFilterByTopologyDomain) {
  struct Case {
    const char* name;
    std::string affinity;
    const char* pod_app;
    std::vector<capstan_rc> want;  // n0..n3
    const char* reason;
  };
  constexpr capstan_rc kOk = CAPSTAN_RC_OK, kNo = CAPSTAN_RC_UNSCHEDULABLE,
                       kNever = CAPSTAN_RC_UNRESOLVABLE;
  const Case cases[] = {
      {"anti-affinity by hostname",
       R"({"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)" +
           Term("web", "kubernetes.io/hostname") + "]}}",
       "api",
       {kNo, kOk, kOk, kOk},
       "node(s) didn't match pod anti-affinity rules"},
      {"anti-affinity by zone",
       R"({"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)" +
           Term("web", "zone") + "]}}",
       "api",
       {kNo, kNo, kOk, kOk},
       "node(s) didn't match pod anti-affinity rules"},
      {"affinity by zone",
       R"({"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)" +
           Term("db", "zone") + "]}}",
       "api",
       {kNever, kNever, kOk, kNever},
       "node(s) didn't match pod affinity rules"},
      {"first pod of a self-affine group",
       R"({"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)" +
           Term("cache", "zone") + "]}}",
       "cache",
       {kOk, kOk, kOk, kNever},
       "node(s) didn't match pod affinity rules"},
      {"affinity nobody matches",
       R"({"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)" +
           Term("cache", "zone") + "]}}",
       "api",
       {kNever, kNever, kNever, kNever},
       "node(s) didn't match pod affinity rules"},
  };
  for (const Case& c : cases) {
    FakeHost host;
    FakeSnapshot snap(host);
    BuildCluster(snap);
    snap.Publish();
    host.SetObjectJson(kIncoming, Affinity(c.affinity));
    TestPlugin<InterPodAffinity> p(host);
    Pod pod;
    pod.Name("default", "in").Uid("uid-in").Label("app", c.pod_app).Object(kIncoming);
    std::vector<Outcome> got = FilterAll(host, snap, p, pod);
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].rc, c.want[i]) << c.name << " n" << i;
      if (c.want[i] != kOk) {
        EXPECT_EQ(got[i].error, c.reason) << c.name << " n" << i;
      }
    }
  }
}

TEST(InterPodAffinityTest, ExistingPodsAntiAffinityIsSymmetric) {
  FakeHost host;
  FakeSnapshot snap(host);
  BuildCluster(snap);
  // The db pod on n2 (zone b) refuses web pods in its zone.
  snap.AddPod(2, "guard").Label("app", "guard").Object(Obj(0x200));
  host.SetObjectJson(Obj(0x200), RefusesWebInZone("guard"));
  snap.Publish();
  host.SetObjectJson(kIncoming, Affinity("{}"));
  TestPlugin<InterPodAffinity> p(host);
  Pod web, api;
  web.Name("default", "in").Label("app", "web").Object(kIncoming);
  api.Name("default", "in").Label("app", "api").Object(kIncoming);
  std::vector<Outcome> got = FilterAll(host, snap, p, web);
  EXPECT_TRUE(got[0].ok());
  EXPECT_EQ(got[2].rc, CAPSTAN_RC_UNSCHEDULABLE);
  EXPECT_EQ(got[2].error, "node(s) didn't satisfy existing pods anti-affinity rules");
  capstan_rc pre = CAPSTAN_RC_OK;
  FilterAll(host, snap, p, api, &pre);
  EXPECT_EQ(pre, CAPSTAN_RC_SKIP);  // nothing constrains an api pod
}

TEST(InterPodAffinityTest, TermsCountOnlyPodsInTheirNamespaces) {
  FakeHost host;
  FakeSnapshot snap(host);
  BuildCluster(snap);
  snap.Publish();
  // The only web pod on n3 is in namespace "other"; n3 has a hostname label.
  for (const char* ns : {R"()", R"("namespaces":["other"],)", R"("namespaceSelector":{},)"}) {
    host.SetObjectJson(kIncoming, Affinity(std::string(R"({"podAntiAffinity":{
      "requiredDuringSchedulingIgnoredDuringExecution":[{)") +
                                           ns +
                                           R"("labelSelector":{"matchLabels":{"app":"web"}},
      "topologyKey":"kubernetes.io/hostname"}]}})"));
    TestPlugin<InterPodAffinity> p(host);
    Pod pod;
    pod.Name("default", "in").Object(kIncoming);
    std::vector<Outcome> got = FilterAll(host, snap, p, pod);
    bool own_ns = std::string(ns).empty();
    bool all = std::string(ns).find("namespaceSelector") != std::string::npos;
    EXPECT_EQ(got[0].ok(), !(own_ns || all)) << ns;  // web-1 is in default
    EXPECT_EQ(got[3].ok(), own_ns) << ns;            // web-x is in other
  }
}

TEST(InterPodAffinityTest, PreferredTermsScoreAndNormalize) {
  FakeHost host;
  FakeSnapshot snap(host);
  BuildCluster(snap);
  snap.Publish();
  host.SetObjectJson(kIncoming, Affinity(R"({"podAffinity":{
    "preferredDuringSchedulingIgnoredDuringExecution":[{"weight":10,"podAffinityTerm":)" +
                                         Term("db", "zone") + R"(}]},
    "podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[
      {"weight":4,"podAffinityTerm":)" + Term("web", "zone") +
                                         "}]}}"));
  TestPlugin<InterPodAffinity> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Name("default", "in").Object(kIncoming);
  capstan_sched_cycle* cycle = host.NewCycle();
  ASSERT_TRUE(d.PreScore(cycle, pod.get(), snap.views()).ok());
  std::vector<std::pair<std::string, int64_t>> scores;
  for (size_t i = 0; i < 4; ++i) {
    int64_t s = 0;
    ASSERT_TRUE(d.Score(cycle, pod.get(), snap.view(i), &s).ok());
    scores.emplace_back("n" + std::to_string(i), s);
  }
  EXPECT_EQ(scores[0].second, -4);  // zone a holds a web pod
  EXPECT_EQ(scores[1].second, -4);
  EXPECT_EQ(scores[2].second, 10);  // zone b holds the db pod
  EXPECT_EQ(scores[3].second, 0);
  ASSERT_TRUE(d.NormalizeScore(cycle, pod.get(), &scores).ok());
  EXPECT_EQ(scores[0].second, 0);
  EXPECT_EQ(scores[2].second, 100);
  EXPECT_EQ(scores[3].second, 28);  // 100 * 4 / 14
}

TEST(InterPodAffinityTest, ExistingPodsRequiredAffinityAttractsWithHardWeight) {
  FakeHost host;
  FakeSnapshot snap(host);
  BuildCluster(snap);
  snap.AddPod(2, "fan").Label("app", "fan").Object(Obj(0x300));
  host.SetObjectJson(Obj(0x300), R"({"metadata":{"name":"fan"},"spec":{"affinity":{
    "podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)" +
                                     Term("web", "zone") + "]}}}}");
  snap.Publish();
  host.SetObjectJson(kIncoming, Affinity("{}"));
  TestPlugin<InterPodAffinity> p(host, R"({"hardPodAffinityWeight":7})");
  ASSERT_TRUE(p.init().ok());
  SchedDriver d(p);
  Pod pod;
  pod.Name("default", "in").Label("app", "web").Object(kIncoming);
  capstan_sched_cycle* cycle = host.NewCycle();
  ASSERT_TRUE(d.PreScore(cycle, pod.get(), snap.views()).ok());
  int64_t s = 0;
  ASSERT_TRUE(d.Score(cycle, pod.get(), snap.view(2), &s).ok());
  EXPECT_EQ(s, 7);
}

TEST(InterPodAffinityTest, ExistingPodsAreParsedOnceAcrossCycles) {
  FakeHost host;
  FakeSnapshot snap(host);
  BuildCluster(snap);
  snap.AddPod(2, "guard").Label("app", "guard").Object(Obj(0x200));
  host.SetObjectJson(Obj(0x200), RefusesWebInZone("guard"));
  snap.Publish();
  host.SetObjectJson(kIncoming, Affinity("{}"));
  TestPlugin<InterPodAffinity> p(host);
  Pod pod;
  pod.Name("default", "in").Label("app", "web").Object(kIncoming);
  EXPECT_EQ(FilterAll(host, snap, p, pod)[2].rc, CAPSTAN_RC_UNSCHEDULABLE);
  EXPECT_EQ(p.plugin().cached_pods(), 1u);  // only pods with an object handle are parsed
  // A second cycle reuses the parsed terms even though the JSON is no longer readable.
  host.SetObjectJson(Obj(0x200), "not json");
  EXPECT_EQ(FilterAll(host, snap, p, pod)[2].rc, CAPSTAN_RC_UNSCHEDULABLE);
}

// A sched 1.1 host flags pods with affinity terms: existing pods flagged without terms are never
// parsed (the index of existing pods is in affinity_index_test.cc).
TEST(InterPodAffinityTest, FlaggingHostsSpareParsingUnflaggedPods) {
  FakeHost host;
  FakeSnapshot snap(host);
  snap.ServeAffinityNodes();
  BuildCluster(snap);
  constexpr uint32_t kAnti =
      CAPSTAN_SCHED_POD_HAS_AFFINITY | CAPSTAN_SCHED_POD_HAS_REQUIRED_ANTI_AFFINITY;
  snap.AddPod(2, "guard").Label("app", "guard").Object(Obj(0x200)).Flags(kAnti);
  host.SetObjectJson(Obj(0x200), RefusesWebInZone("guard"));
  // Unflagged, so the host says it has no terms: its JSON must not be consulted.
  snap.AddPod(0, "unflagged").Label("app", "x").Object(Obj(0x300));
  host.SetObjectJson(Obj(0x300), RefusesWebInZone("unflagged"));
  snap.Publish();
  host.SetObjectJson(kIncoming, Affinity("{}"));
  TestPlugin<InterPodAffinity> p(host);
  Pod web;
  web.Name("default", "in").Label("app", "web").Object(kIncoming);
  std::vector<Outcome> got = FilterAll(host, snap, p, web);
  EXPECT_TRUE(got[0].ok());  // the unflagged pod's terms are not applied
  EXPECT_TRUE(got[1].ok());
  EXPECT_EQ(got[2].rc, CAPSTAN_RC_UNSCHEDULABLE);
  EXPECT_EQ(got[2].error, "node(s) didn't satisfy existing pods anti-affinity rules");
  EXPECT_EQ(p.plugin().cached_pods(), 1u);  // the guard only
}

}  // namespace
}  // namespace capstan::sched
