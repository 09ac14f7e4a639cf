// Tests for plugins/sched/default-preemption: victim selection with reprieves, node choice,
// the API calls (DisruptionTarget apply, DELETE, nominatedNodeName patch) and refusals.
#include "plugins/sched/default-preemption/preemption.h"

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

capstan_sched_object* const kPreemptor = reinterpret_cast<capstan_sched_object*>(0x40);
constexpr int64_t kGi = int64_t{1} << 30;

capstan_sched_node_status St(const char* node, capstan_rc code, const char* reason) {
  return {sdk::ToHostStr(node), code, 0, sdk::ToHostStr(reason)};
}

// n0: low1 (prio 1, 2 cpu) + low2 (prio 2, 2 cpu); n1: mid (prio 5, 3 cpu) + tiny (prio 1,
// 1 cpu); n2: high (prio 100, 4 cpu); n3 rejected by a taint.
void BuildCluster(FakeSnapshot& snap) {
  snap.AddNode("n0").Requested(4000, 0);
  snap.AddNode("n1").Requested(4000, 0);
  snap.AddNode("n2").Requested(4000, 0);
  snap.AddNode("n3");
  snap.AddPod(0, "low1").Priority(1).Requests(2000, 0).Created(1);
  snap.AddPod(0, "low2").Priority(2).Requests(2000, 0).Created(2);
  snap.AddPod(1, "mid").Priority(5).Requests(3000, 0);
  snap.AddPod(1, "tiny").Priority(1).Requests(1000, 0);
  snap.AddPod(2, "high").Priority(100).Requests(4000, 0);
}

std::vector<capstan_sched_node_status> Statuses() {
  return {St("n0", CAPSTAN_RC_UNSCHEDULABLE, "Insufficient cpu"),
          St("n1", CAPSTAN_RC_UNSCHEDULABLE, "Insufficient cpu"),
          St("n2", CAPSTAN_RC_UNSCHEDULABLE, "Insufficient cpu, Insufficient memory"),
          St("n3", CAPSTAN_RC_UNRESOLVABLE, "node(s) had untolerated taint {a: b}")};
}

TEST(DefaultPreemptionTest, EvictsTheLeastImportantSufficientVictimsOnTheBestNode) {
  FakeHost host;
  FakeSnapshot snap(host);
  BuildCluster(snap);
  snap.Publish();
  host.SetObjectJson(kPreemptor, R"({"metadata":{"name":"big"},"spec":{}})");
  host.SetApiResponse("DELETE", "/api/v1/namespaces/default/pods/low1", 200, "{}");
  host.SetApiResponse("PATCH", "/api/v1/namespaces/default/pods/big/status", 200, "{}");
  TestPlugin<DefaultPreemption> p(host);
  ASSERT_TRUE(p.init().ok());
  SchedDriver d(p);
  Pod pod;
  pod.Name("default", "big").Priority(10).Requests(2000, kGi).Object(kPreemptor);
  Outcome o = d.PostFilter(host.NewCycle(), pod.get(), Statuses());
  ASSERT_TRUE(o.ok()) << o.error;
  // n0 needs only low1 (priority 1; low2 is reprieved); n1 would need mid (priority 5).
  EXPECT_EQ(o.output, "n0");
  std::vector<sdk::testing::ApiCall> calls = host.api_calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].method, "PATCH");
  EXPECT_EQ(calls[0].path,
            "/api/v1/namespaces/default/pods/low1/status?fieldManager=KubeScheduler&force=true");
  EXPECT_EQ(calls[0].content_type, "application/apply-patch+yaml");
  EXPECT_NE(calls[0].body.find(R"("type":"DisruptionTarget")"), std::string::npos);
  EXPECT_NE(
      calls[0].body.find("default-scheduler: preempting to accommodate a higher priority pod"),
      std::string::npos);
  EXPECT_EQ(calls[1].method, "DELETE");
  EXPECT_EQ(calls[1].path, "/api/v1/namespaces/default/pods/low1");
  EXPECT_EQ(calls[2].method, "PATCH");
  EXPECT_EQ(calls[2].path, "/api/v1/namespaces/default/pods/big/status");
  EXPECT_EQ(calls[2].content_type, "application/merge-patch+json");
  EXPECT_EQ(calls[2].body, R"({"status":{"nominatedNodeName":"n0"}})");
}

TEST(DefaultPreemptionTest, ReportsWhyNoNodeCanBeFreed) {
  FakeHost host;
  FakeSnapshot snap(host);
  BuildCluster(snap);
  snap.Publish();
  host.SetObjectJson(kPreemptor, R"({"metadata":{"name":"big"},"spec":{}})");
  TestPlugin<DefaultPreemption> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Name("default", "big").Priority(1).Requests(2000, 0).Object(kPreemptor);
  Outcome o = d.PostFilter(host.NewCycle(), pod.get(), Statuses());
  EXPECT_EQ(o.rc, CAPSTAN_RC_UNSCHEDULABLE);
  EXPECT_EQ(o.error,
            "preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, "
            "3 No preemption victims found for incoming pod.");
  EXPECT_TRUE(host.api_calls().empty());
}

TEST(DefaultPreemptionTest, PodsWithPreemptionPolicyNeverDoNotPreempt) {
  FakeHost host;
  FakeSnapshot snap(host);
  BuildCluster(snap);
  snap.Publish();
  host.SetObjectJson(kPreemptor, R"({"spec":{"preemptionPolicy":"Never"}})");
  TestPlugin<DefaultPreemption> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Priority(1000).Requests(2000, 0).Object(kPreemptor);
  Outcome o = d.PostFilter(host.NewCycle(), pod.get(), Statuses());
  EXPECT_EQ(o.rc, CAPSTAN_RC_UNSCHEDULABLE);
  EXPECT_EQ(o.error, "not eligible due to preemptionPolicy=Never.");
}

TEST(DefaultPreemptionTest, OnlyResourceAndPortFailuresAreWorthPreempting) {
  struct Case {
    capstan_rc code;
    const char* reason;
    bool want;
  };
  const Case cases[] = {
      {CAPSTAN_RC_UNSCHEDULABLE, "Insufficient cpu", true},
      {CAPSTAN_RC_UNSCHEDULABLE, "Insufficient cpu, Too many pods", true},
      {CAPSTAN_RC_UNSCHEDULABLE, "Insufficient nvidia.com/gpu", true},
      {CAPSTAN_RC_UNSCHEDULABLE, "node(s) didn't have free ports for the requested pod ports",
       true},
      {CAPSTAN_RC_UNSCHEDULABLE, "node(s) didn't match pod anti-affinity rules", false},
      {CAPSTAN_RC_UNRESOLVABLE, "Insufficient cpu", false},
  };
  for (const Case& c : cases) EXPECT_EQ(PreemptionMayHelp(c.code, c.reason), c.want) << c.reason;
}

TEST(DefaultPreemptionTest, HostPortsHeldByVictimsAreFreed) {
  FakeHost host;
  FakeSnapshot snap(host);
  snap.AddNode("n0").UsedPort("", 8080);
  snap.AddPod(0, "web").Priority(0).HostPort("", 8080);
  snap.Publish();
  host.SetObjectJson(kPreemptor, R"({"spec":{}})");
  TestPlugin<DefaultPreemption> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Name("default", "big").Priority(5).HostPort("", 8080).Object(kPreemptor);
  host.SetApiResponse("DELETE", "/api/v1/namespaces/default/pods/web", 200, "{}");
  Outcome o = d.PostFilter(host.NewCycle(), pod.get(),
                           {St("n0", CAPSTAN_RC_UNSCHEDULABLE,
                               "node(s) didn't have free ports for the requested pod ports")});
  ASSERT_TRUE(o.ok()) << o.error;
  EXPECT_EQ(o.output, "n0");
}

TEST(DefaultPreemptionTest, PickCandidatePrefersLowerPrioritiesThenFewerVictims) {
  Pod p1, p2, p5a, p5b;
  p1.Priority(1);
  p2.Priority(2);
  p5a.Priority(5).Created(10);
  p5b.Priority(5).Created(20);
  struct Case {
    const char* name;
    std::vector<Candidate> candidates;
    size_t want;
  };
  std::vector<Case> cases = {
      {"lowest highest-priority victim", {{"a", {p5a.get()}}, {"b", {p2.get(), p1.get()}}}, 1},
      {"lowest sum", {{"a", {p2.get(), p1.get()}}, {"b", {p2.get()}}}, 1},
      {"latest start among top victims", {{"a", {p5a.get()}}, {"b", {p5b.get()}}}, 1},
      {"first on a tie", {{"a", {p1.get()}}, {"b", {p1.get()}}}, 0},
  };
  for (const Case& c : cases) EXPECT_EQ(PickCandidate(c.candidates), c.want) << c.name;
}

}  // namespace
}  // namespace capstan::sched
