// Tests for plugins/sched/inter-pod-affinity/affinity_index.h through the plugin: the index of
// existing pods kept across cycles follows pods added, deleted and forgotten and nodes relabelled
// or added, on hosts with and without "capstan_host_sched_changed_nodes_v1"; with it a cycle
// revisits only changed nodes and parses a pod once; required affinity counts pods matching
// every term (upstream).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plugins/sched/inter-pod-affinity/inter_pod_affinity.h"
#include "tests/plugins/sched/inter-pod-affinity/fake_cluster.h"
#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::FakeCluster;
using testing::Pod;
using testing::SchedDriver;

constexpr capstan_rc kOk = CAPSTAN_RC_OK, kNo = CAPSTAN_RC_UNSCHEDULABLE,
                     kNever = CAPSTAN_RC_UNRESOLVABLE;
constexpr uint32_t kAntiFlags =
    CAPSTAN_SCHED_POD_HAS_AFFINITY | CAPSTAN_SCHED_POD_HAS_REQUIRED_ANTI_AFFINITY;

capstan_sched_object* Obj(uintptr_t n) { return reinterpret_cast<capstan_sched_object*>(n); }
capstan_sched_object* const kIncoming = Obj(0x100);

std::string Term(const char* selector, const char* key) {
  return std::string(R"({"labelSelector":{"matchLabels":)") + selector + R"(},"topologyKey":")" +
         key + R"("})";
}
std::string Required(const char* kind, const std::string& terms) {
  return std::string(R"({"metadata":{"name":"p","namespace":"default"},"spec":{"affinity":{")") +
         kind + R"(":{"requiredDuringSchedulingIgnoredDuringExecution":[)" + terms + "]}}}}";
}
std::string Preferred(const char* kind, int weight, const std::string& term) {
  return std::string(R"({"metadata":{"name":"p","namespace":"default"},"spec":{"affinity":{")") +
         kind + R"(":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":)" +
         std::to_string(weight) + R"(,"podAffinityTerm":)" + term + "}]}}}}";
}

// n0, n1 in zone a; n2 in zone b; n3 without zone.
void FourNodes(FakeCluster& c) {
  c.AddNode("n0", {{"zone", "a"}});
  c.AddNode("n1", {{"zone", "a"}});
  c.AddNode("n2", {{"zone", "b"}});
  c.AddNode("n3");
}

// One scheduling cycle's PreFilter and Filter on every node.
std::vector<capstan_rc> Filter(FakeHost& host, FakeCluster& c, TestPlugin<InterPodAffinity>& p,
                               Pod& pod) {
  SchedDriver d(p);
  capstan_sched_cycle* cycle = host.NewCycle();
  sdk::testing::Outcome pre = d.PreFilter(cycle, pod.get());
  std::vector<capstan_rc> out;
  for (const capstan_sched_node_view* n : c.views()) {
    out.push_back(pre.rc == CAPSTAN_RC_SKIP ? kOk : d.Filter(cycle, pod.get(), n).rc);
  }
  return out;
}

// One cycle's PreScore and raw Score on every node (0 everywhere when PreScore skips).
std::vector<int64_t> Scores(FakeHost& host, FakeCluster& c, TestPlugin<InterPodAffinity>& p,
                            Pod& pod) {
  SchedDriver d(p);
  capstan_sched_cycle* cycle = host.NewCycle();
  sdk::testing::Outcome pre = d.PreScore(cycle, pod.get(), c.views());
  std::vector<int64_t> out;
  for (const capstan_sched_node_view* n : c.views()) {
    int64_t s = 0;
    if (pre.rc != CAPSTAN_RC_SKIP) {
      EXPECT_TRUE(d.Score(cycle, pod.get(), n, &s).ok());
    }
    out.push_back(s);
  }
  return out;
}

// Every behaviour runs on a sched 1.2 host (change log) and on a 1.1 host (full compare).
class AffinityIndexTest : public ::testing::TestWithParam<bool> {
 protected:
  AffinityIndexTest() : cluster_(host_, GetParam()) {}
  Pod Incoming(const char* app) {
    Pod pod;
    pod.Name("default", "in").Uid("uid-in").Label("app", app).Object(kIncoming);
    return pod;
  }
  FakeHost host_;
  FakeCluster cluster_;
};

TEST_P(AffinityIndexTest, AntiAffinityFollowsPodsAddedDeletedAndForgotten) {
  FourNodes(cluster_);
  cluster_.AddPod(0, "web-1").Label("app", "web");
  cluster_.Publish();
  host_.SetObjectJson(
      kIncoming, Required("podAntiAffinity", Term(R"({"app":"web"})", "kubernetes.io/hostname")));
  TestPlugin<InterPodAffinity> p(host_);
  Pod in = Incoming("api");
  EXPECT_EQ(Filter(host_, cluster_, p, in), (std::vector<capstan_rc>{kNo, kOk, kOk, kOk}));
  // web-1 is deleted; web-2 is assumed on n2.
  cluster_.RemovePod(0, "web-1");
  cluster_.AddPod(2, "web-2").Label("app", "web");
  cluster_.Publish();
  EXPECT_EQ(Filter(host_, cluster_, p, in), (std::vector<capstan_rc>{kOk, kOk, kNo, kOk}));
  // Its binding fails: the assumed pod is forgotten.
  cluster_.RemovePod(2, "web-2");
  cluster_.Publish();
  EXPECT_EQ(Filter(host_, cluster_, p, in), (std::vector<capstan_rc>{kOk, kOk, kOk, kOk}));
  EXPECT_EQ(p.plugin().maintained_counts(), 1u);  // one term, counted once for all cycles
}

TEST_P(AffinityIndexTest, ExistingPodsAntiAffinityStopsWhenTheyAreForgotten) {
  FourNodes(cluster_);
  cluster_.AddPod(1, "guard").Label("app", "guard").Object(Obj(0x200)).Flags(kAntiFlags);
  host_.SetObjectJson(Obj(0x200), Required("podAntiAffinity", Term(R"({"app":"web"})", "zone")));
  cluster_.Publish();
  host_.SetObjectJson(kIncoming, R"({"metadata":{"name":"in"}})");
  TestPlugin<InterPodAffinity> p(host_);
  Pod web = Incoming("web");
  EXPECT_EQ(Filter(host_, cluster_, p, web), (std::vector<capstan_rc>{kNo, kNo, kOk, kOk}));
  cluster_.RemovePod(1, "guard");
  cluster_.Publish();
  EXPECT_EQ(Filter(host_, cluster_, p, web), (std::vector<capstan_rc>{kOk, kOk, kOk, kOk}));
  EXPECT_EQ(p.plugin().cached_pods(), 0u);
  // Back on n2 (zone b), e.g. rescheduled: its terms count again there.
  cluster_.AddPod(2, "guard").Label("app", "guard").Object(Obj(0x200)).Flags(kAntiFlags);
  cluster_.Publish();
  EXPECT_EQ(Filter(host_, cluster_, p, web), (std::vector<capstan_rc>{kOk, kOk, kNo, kOk}));
}

TEST_P(AffinityIndexTest, RelabelledAndAddedNodesMoveTheCounts) {
  FourNodes(cluster_);
  cluster_.AddPod(1, "web-1").Label("app", "web");
  cluster_.Publish();
  host_.SetObjectJson(kIncoming, Required("podAntiAffinity", Term(R"({"app":"web"})", "zone")));
  TestPlugin<InterPodAffinity> p(host_);
  Pod in = Incoming("api");
  EXPECT_EQ(Filter(host_, cluster_, p, in), (std::vector<capstan_rc>{kNo, kNo, kOk, kOk}));
  cluster_.Relabel(1, {{"zone", "b"}});
  cluster_.Publish();
  EXPECT_EQ(Filter(host_, cluster_, p, in), (std::vector<capstan_rc>{kOk, kNo, kNo, kOk}));
  cluster_.Relabel(1, {});  // without the key the pod counts in no zone
  cluster_.Publish();
  EXPECT_EQ(Filter(host_, cluster_, p, in), (std::vector<capstan_rc>{kOk, kOk, kOk, kOk}));
  cluster_.AddNode("n4", {{"zone", "c"}});
  cluster_.AddPod(4, "web-4").Label("app", "web");
  cluster_.Relabel(1, {{"zone", "c"}});
  cluster_.Publish();
  EXPECT_EQ(Filter(host_, cluster_, p, in), (std::vector<capstan_rc>{kOk, kNo, kOk, kOk, kNo}));
}

// Upstream counts an existing pod for the incoming pod's required affinity only when it matches
// every term; a db pod and a cache pod side by side do not satisfy "db in my zone and cache on
// my host".
TEST_P(AffinityIndexTest, RequiredAffinityCountsPodsMatchingEveryTerm) {
  FourNodes(cluster_);
  cluster_.AddPod(2, "db").Label("app", "db");
  cluster_.AddPod(2, "cache").Label("tier", "cache");
  cluster_.Publish();
  host_.SetObjectJson(kIncoming, Required("podAffinity", Term(R"({"app":"db"})", "zone") + "," +
                                                             Term(R"({"tier":"cache"})",
                                                                  "kubernetes.io/hostname")));
  TestPlugin<InterPodAffinity> p(host_);
  Pod in = Incoming("api");
  EXPECT_EQ(Filter(host_, cluster_, p, in),
            (std::vector<capstan_rc>{kNever, kNever, kNever, kNever}));
  cluster_.AddPod(1, "both").Label("app", "db").Label("tier", "cache");
  cluster_.Publish();
  EXPECT_EQ(Filter(host_, cluster_, p, in), (std::vector<capstan_rc>{kNever, kOk, kNever, kNever}));
  cluster_.RemovePod(1, "both");
  cluster_.Publish();
  EXPECT_EQ(Filter(host_, cluster_, p, in),
            (std::vector<capstan_rc>{kNever, kNever, kNever, kNever}));
}

TEST_P(AffinityIndexTest, ScoresFollowExistingPodsAndTheirTerms) {
  FourNodes(cluster_);
  cluster_.AddPod(2, "db").Label("app", "db");
  // An existing pod preferring to be away from api pods in its zone (weight 3).
  cluster_.AddPod(0, "shy")
      .Label("app", "shy")
      .Object(Obj(0x300))
      .Flags(CAPSTAN_SCHED_POD_HAS_AFFINITY);
  host_.SetObjectJson(Obj(0x300),
                      Preferred("podAntiAffinity", 3, Term(R"({"app":"api"})", "zone")));
  cluster_.Publish();
  host_.SetObjectJson(kIncoming, Preferred("podAffinity", 10, Term(R"({"app":"db"})", "zone")));
  TestPlugin<InterPodAffinity> p(host_);
  Pod in = Incoming("api");
  EXPECT_EQ(Scores(host_, cluster_, p, in), (std::vector<int64_t>{-3, -3, 10, 0}));
  cluster_.AddPod(1, "db-2").Label("app", "db");
  cluster_.RemovePod(0, "shy");
  cluster_.Publish();
  EXPECT_EQ(Scores(host_, cluster_, p, in), (std::vector<int64_t>{10, 10, 10, 0}));
  cluster_.RemovePod(2, "db");
  cluster_.RemovePod(1, "db-2");
  cluster_.Publish();
  EXPECT_EQ(Scores(host_, cluster_, p, in), (std::vector<int64_t>{0, 0, 0, 0}));
}

// Nodes added or removed move indices: the records of unchanged nodes are found by name and
// kept (their pods are not parsed again), the removed node's pods stop counting.
TEST_P(AffinityIndexTest, NodesMovingIndexKeepTheirPodsAndRemovedNodesDropThem) {
  FourNodes(cluster_);
  cluster_.AddPod(1, "guard").Label("app", "guard").Object(Obj(0x200)).Flags(kAntiFlags);
  host_.SetObjectJson(Obj(0x200), Required("podAntiAffinity", Term(R"({"app":"web"})", "zone")));
  cluster_.AddPod(2, "web-2").Label("app", "web");
  cluster_.Publish();
  host_.SetObjectJson(
      kIncoming, Required("podAntiAffinity", Term(R"({"app":"web"})", "kubernetes.io/hostname")));
  TestPlugin<InterPodAffinity> p(host_);
  Pod web = Incoming("web");
  EXPECT_EQ(Filter(host_, cluster_, p, web), (std::vector<capstan_rc>{kNo, kNo, kNo, kOk}));
  host_.SetObjectJson(Obj(0x200), "not json");  // the guard must not be parsed again
  cluster_.InsertNode(0, "m0", {{"zone", "c"}});
  cluster_.Publish();
  EXPECT_EQ(Filter(host_, cluster_, p, web), (std::vector<capstan_rc>{kOk, kNo, kNo, kNo, kOk}));
  cluster_.RemoveNode(3);  // n2 with web-2
  cluster_.Publish();
  EXPECT_EQ(Filter(host_, cluster_, p, web), (std::vector<capstan_rc>{kOk, kNo, kNo, kOk}));
  EXPECT_EQ(p.plugin().cached_pods(), 1u);
}

// Counts kept for a term follow pods added later whatever the selector's shape: a single-value
// requirement files the term under that label (term_gates.h), the others are always tried.
TEST_P(AffinityIndexTest, SelectorsOfEveryShapeCountPodsAddedLater) {
  struct Case {
    const char* name;
    const char* selector;  // labelSelector of the incoming pod's anti-affinity term (hostname)
    std::vector<capstan_rc> want;  // n0 (web, tier=front), n1 (db), n2 (nothing), n3 (web)
  };
  const Case cases[] = {
      {"matchLabels", R"({"matchLabels":{"app":"web"}})", {kNo, kOk, kOk, kNo}},
      {"two matchLabels", R"({"matchLabels":{"app":"web","tier":"front"}})", {kNo, kOk, kOk, kOk}},
      {"In two values",
       R"({"matchExpressions":[{"key":"app","operator":"In","values":["web","db"]}]})",
       {kNo, kNo, kOk, kNo}},
      {"NotIn",
       R"({"matchExpressions":[{"key":"app","operator":"NotIn","values":["web"]}]})",
       {kOk, kNo, kOk, kOk}},
      {"Exists",
       R"({"matchExpressions":[{"key":"tier","operator":"Exists"}]})",
       {kNo, kOk, kOk, kOk}},
      {"empty selector", R"({})", {kNo, kNo, kOk, kNo}},
  };
  FourNodes(cluster_);
  cluster_.Publish();
  TestPlugin<InterPodAffinity> p(host_);
  Pod in = Incoming("api");
  // The first cycles create the counts while no pod exists.
  for (const Case& c : cases) {
    host_.SetObjectJson(
        kIncoming, Required("podAntiAffinity", std::string(R"({"labelSelector":)") + c.selector +
                                                   R"(,"topologyKey":"kubernetes.io/hostname"})"));
    EXPECT_EQ(Filter(host_, cluster_, p, in), (std::vector<capstan_rc>{kOk, kOk, kOk, kOk}))
        << c.name;
  }
  cluster_.AddPod(0, "web-0").Label("app", "web").Label("tier", "front");
  cluster_.AddPod(1, "db-1").Label("app", "db");
  cluster_.AddPod(3, "web-3").Label("app", "web");
  cluster_.Publish();
  for (const Case& c : cases) {
    host_.SetObjectJson(
        kIncoming, Required("podAntiAffinity", std::string(R"({"labelSelector":)") + c.selector +
                                                   R"(,"topologyKey":"kubernetes.io/hostname"})"));
    EXPECT_EQ(Filter(host_, cluster_, p, in), c.want) << c.name;
  }
  EXPECT_EQ(p.plugin().maintained_counts(), std::size(cases));
}

INSTANTIATE_TEST_SUITE_P(Hosts, AffinityIndexTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return std::string(i.param ? "WithChangeLog" : "ComparingEveryNode");
                         });

// With the change log a cycle revisits only the nodes that changed, and an existing pod's JSON
// is read once in its life.
TEST(AffinityIndexChangeLogTest, CyclesRevisitOnlyChangedNodes) {
  FakeHost host;
  FakeCluster cluster(host, /*changes=*/true);
  for (int i = 0; i < 50; ++i)
    cluster.AddNode("n" + std::to_string(i), {{"zone", i < 25 ? "a" : "b"}});
  cluster.AddPod(30, "guard").Label("app", "guard").Object(Obj(0x200)).Flags(kAntiFlags);
  host.SetObjectJson(Obj(0x200), Required("podAntiAffinity", Term(R"({"app":"web"})", "zone")));
  cluster.Publish();
  host.SetObjectJson(
      kIncoming, Required("podAntiAffinity", Term(R"({"app":"web"})", "kubernetes.io/hostname")));
  TestPlugin<InterPodAffinity> p(host);
  Pod web;
  web.Name("default", "in").Uid("uid-in").Label("app", "web").Object(kIncoming);
  std::vector<capstan_rc> got = Filter(host, cluster, p, web);
  EXPECT_EQ(got[0], kOk);
  EXPECT_EQ(got[30], kNo);
  size_t first = cluster.node_visits();
  EXPECT_GE(first, 50u);
  host.SetObjectJson(Obj(0x200), "not json");  // must not be read again
  cluster.AddPod(7, "web-7").Label("app", "web");
  cluster.Publish();
  got = Filter(host, cluster, p, web);
  EXPECT_EQ(cluster.node_visits() - first, 1u);  // n7 only
  EXPECT_EQ(got[7], kNo);
  EXPECT_EQ(got[30], kNo);
  EXPECT_EQ(got[8], kOk);
  size_t second = cluster.node_visits();
  got = Filter(host, cluster, p, web);  // nothing changed
  EXPECT_EQ(cluster.node_visits(), second);
  EXPECT_EQ(got[7], kNo);
  EXPECT_EQ(cluster.full_answers(), 1u);  // only the first look was a full one
}

// The pod just scheduled comes back assumed with the same object handle and uid: its terms are
// taken from the scheduling cycle, not parsed again.
TEST(AffinityIndexChangeLogTest, AScheduledPodIsNotParsedAgainWhenItAppears) {
  FakeHost host;
  FakeCluster cluster(host, /*changes=*/true);
  FourNodes(cluster);
  cluster.Publish();
  host.SetObjectJson(kIncoming, Required("podAntiAffinity", Term(R"({"app":"web"})", "zone")));
  TestPlugin<InterPodAffinity> p(host);
  Pod guard;
  guard.Name("default", "in").Uid("uid-in").Label("app", "guard").Object(kIncoming);
  EXPECT_EQ(Filter(host, cluster, p, guard), (std::vector<capstan_rc>{kOk, kOk, kOk, kOk}));
  host.SetObjectJson(kIncoming, "not json");
  cluster.AddPod(2, "in").Uid("uid-in").Label("app", "guard").Object(kIncoming).Flags(kAntiFlags);
  cluster.Publish();
  host.SetObjectJson(Obj(0x400), R"({"metadata":{"name":"web"}})");
  Pod web;
  web.Name("default", "web").Uid("uid-web").Label("app", "web").Object(Obj(0x400));
  EXPECT_EQ(Filter(host, cluster, p, web), (std::vector<capstan_rc>{kOk, kOk, kNo, kOk}));
  EXPECT_EQ(p.plugin().cached_pods(), 1u);
}

// Filter and Score read the index in place, so a state whose index has changed since (a later
// cycle's PreFilter or PreScore ran) is refused instead of read.
TEST(AffinityIndexChangeLogTest, AnEarlierCyclesStateIsRefusedOnceTheIndexMoved) {
  FakeHost host;
  FakeCluster cluster(host, /*changes=*/true);
  FourNodes(cluster);
  cluster.AddPod(0, "web-1").Label("app", "web");
  cluster.Publish();
  host.SetObjectJson(kIncoming, Required("podAntiAffinity", Term(R"({"app":"web"})", "zone")));
  TestPlugin<InterPodAffinity> p(host);
  SchedDriver d(p);
  Pod in;
  in.Name("default", "in").Uid("uid-in").Label("app", "api").Object(kIncoming);
  capstan_sched_cycle* first = host.NewCycle();
  ASSERT_TRUE(d.PreFilter(first, in.get()).ok());
  EXPECT_EQ(d.Filter(first, in.get(), cluster.views()[0]).rc, kNo);
  capstan_sched_cycle* second = host.NewCycle();
  ASSERT_TRUE(d.PreFilter(second, in.get()).ok());
  EXPECT_EQ(d.Filter(first, in.get(), cluster.views()[0]).rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(d.Filter(second, in.get(), cluster.views()[0]).rc, kNo);
}

}  // namespace
}  // namespace capstan::sched
