// Tests for core/scheduler/scheduler.h and algorithm.h: whole cycles through test plugins loaded
// by the real plugin loader (plugins/), with a recording API.
#include "core/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include "tests/core/scheduler/scheduler_testing.h"

namespace capstan::scheduler {
namespace {

using nlohmann::json;
using testing::Entry;
using testing::FakeApi;
using testing::LoadChain;
using testing::LoadedChain;
using testing::NodeJson;
using testing::PodJson;
using testing::Shared;

struct Harness {
  LoadedChain chain;
  std::shared_ptr<FakeApi> api = std::make_shared<FakeApi>();
  std::unique_ptr<Scheduler> scheduler;

  // NOLINTNEXTLINE(performance-unnecessary-value-param): by value, as Basic() below.
  explicit Harness(json entries, SchedulerOptions options = {}) : chain(LoadChain(entries)) {
    chain.services->SetApi(api);
    options.chain = chain.chain();
    options.api = api;
    options.seed = 42;
    Result<std::unique_ptr<Scheduler>> s = Scheduler::Create(std::move(options));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) scheduler = std::move(*s);
  }
  // Runs every active pod once and waits for bindings and writes.
  int RunAll() {
    int n = 0;
    while (scheduler->ScheduleOne(false)) ++n;
    scheduler->WaitForBindings();
    return n;
  }
  std::vector<std::string> BoundTo(const std::string& pod) {
    std::vector<std::string> nodes;
    for (auto& r : api->Matching("/pods/" + pod + "/binding")) {
      nodes.push_back(json::parse(r.body)["target"]["name"]);
    }
    return nodes;
  }
  std::vector<std::string> EventMessages(const std::string& reason) {
    std::vector<std::string> out;
    for (auto& r : api->Matching("/events")) {
      json e = json::parse(r.body);
      if (e["reason"] == reason) out.push_back(e["message"]);
    }
    return out;
  }
};

// By value: callers pass `{Entry(...)}`, which a `const json&` would take as the entry itself.
json Basic(json extra = json::array()) {  // NOLINT(performance-unnecessary-value-param)
  json entries = json::array({Entry("sort", "test-sort")});
  for (const auto& e : extra) entries.push_back(e);
  entries.push_back(Entry("binder", "test-binder", {{"useApi", true}}));
  return entries;
}

TEST(SchedulerTest, BindsAPodToTheOnlyNodeThatPassesTheFilterAndEmitsScheduled) {
  Harness h(Basic({Entry("gpu", "test-label-filter", {{"label", "gpu"}})}));
  h.scheduler->OnNodeAdd(Shared(NodeJson("a")));
  h.scheduler->OnNodeAdd(Shared(NodeJson("b", "4", "8Gi", {{"gpu", "yes"}})));
  h.scheduler->OnNodeAdd(Shared(NodeJson("c")));
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  EXPECT_EQ(h.RunAll(), 1);
  EXPECT_EQ(h.BoundTo("p"), std::vector<std::string>{"b"});
  EXPECT_EQ(h.EventMessages("Scheduled"),
            std::vector<std::string>{"Successfully assigned default/p to b"});
  EXPECT_TRUE(h.scheduler->cache().IsAssumed("default/p"));
  EXPECT_EQ(h.api->Matching("/test/postbind/default/p").size(), 1u);
}

TEST(SchedulerTest, ConfirmsTheAssumedPodWhenTheBoundPodArrives) {
  Harness h(Basic());
  h.scheduler->OnNodeAdd(Shared(NodeJson("a")));
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  h.RunAll();
  ASSERT_TRUE(h.scheduler->cache().IsAssumed("default/p"));
  json bound = PodJson("p");
  bound["spec"]["nodeName"] = "a";
  h.scheduler->OnPodUpdate(Shared(PodJson("p")), Shared(bound));
  EXPECT_TRUE(h.scheduler->cache().HasPod("default/p"));
  EXPECT_FALSE(h.scheduler->cache().IsAssumed("default/p"));
  EXPECT_FALSE(h.scheduler->queue().Contains("default/p"));
}

TEST(SchedulerTest, PicksTheHighestWeightedScore) {
  // "prefer b" with weight 1 (b:100, c:10) loses to "prefer c" with weight 3 (c:300, b:30).
  Harness h(Basic({Entry("likes-b", "test-name-score", {{"prefer", "b"}}, 1),
                   Entry("likes-c", "test-name-score", {{"prefer", "c"}}, 3)}));
  for (const char* n : {"a", "b", "c"}) h.scheduler->OnNodeAdd(Shared(NodeJson(n)));
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  h.RunAll();
  EXPECT_EQ(h.BoundTo("p"), std::vector<std::string>{"c"});
}

TEST(SchedulerTest, ScoresPluginsWithAndWithoutOnScoreNodesTogether) {
  // test-legacy-score (sched 1.2: on_score per node) prefers b; test-name-score (SDK: scored
  // through on_score_nodes) prefers c. Weights decide: 1 vs 3 gives c, 5 vs 3 gives b.
  for (auto [legacy_weight, want] : {std::pair{1, "c"}, std::pair{5, "b"}}) {
    Harness h(Basic({Entry("legacy", "test-legacy-score", json::object(), legacy_weight),
                     Entry("likes-c", "test-name-score", {{"prefer", "c"}}, 3)}));
    for (const char* n : {"a", "b", "c"}) h.scheduler->OnNodeAdd(Shared(NodeJson(n)));
    h.scheduler->OnPodAdd(Shared(PodJson("p")));
    h.RunAll();
    EXPECT_EQ(h.BoundTo("p"), std::vector<std::string>{want}) << "legacy weight " << legacy_weight;
  }
}

TEST(SchedulerTest, ScoresEveryNodeAcrossSlicesOfOnScoreNodes) {
  // 70 nodes span three on_score_nodes slices; node i scores i, so only a score written to the
  // right node's place makes n69 win (and n68 when n69 is gone).
  for (bool without_best : {false, true}) {
    Harness h(Basic({Entry("label", "test-name-score", {{"fromLabel", true}}),
                     Entry("legacy", "test-legacy-score")}));
    for (int i = 0; i < 70; ++i) {
      if (without_best && i == 69) continue;
      std::string name = "n" + std::to_string(i);
      h.scheduler->OnNodeAdd(Shared(NodeJson(name, "4", "8Gi", {{"score", std::to_string(i)}})));
    }
    h.scheduler->OnPodAdd(Shared(PodJson("p")));
    h.RunAll();
    EXPECT_EQ(h.BoundTo("p"), std::vector<std::string>{without_best ? "n68" : "n69"});
  }
}

TEST(SchedulerTest, AScoreErrorOnAnyNodeFailsTheCycleNamingThePlugin) {
  Harness h(Basic({Entry("faulty", "test-faulty", {{"errorIn", {"score"}}})}));
  for (const char* n : {"a", "b", "c"}) h.scheduler->OnNodeAdd(Shared(NodeJson(n)));
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  h.RunAll();
  EXPECT_TRUE(h.BoundTo("p").empty());
  std::vector<std::string> events = h.EventMessages("FailedScheduling");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].find("running Score plugin \"faulty\": ERROR"), std::string::npos)
      << events[0];
  EXPECT_TRUE(h.scheduler->queue().Contains("default/p"));
}

TEST(SchedulerTest, NormalizeScoreBringsRawScoresIntoRange) {
  json entries = Basic({Entry("label", "test-name-score",
                              {{"fromLabel", true}, {"normalize", true}, {"scale", 10}})});
  Harness h(entries);
  h.scheduler->OnNodeAdd(Shared(NodeJson("a", "4", "8Gi", {{"score", "50"}})));
  h.scheduler->OnNodeAdd(Shared(NodeJson("b", "4", "8Gi", {{"score", "90"}})));
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  h.RunAll();
  EXPECT_EQ(h.BoundTo("p"), std::vector<std::string>{"b"});
}

TEST(SchedulerTest, AScoreOutsideTheRangeIsASchedulerError) {
  Harness h(Basic({Entry("label", "test-name-score", {{"fromLabel", true}, {"scale", 10}})}));
  h.scheduler->OnNodeAdd(Shared(NodeJson("a", "4", "8Gi", {{"score", "50"}})));
  h.scheduler->OnNodeAdd(Shared(NodeJson("b", "4", "8Gi", {{"score", "90"}})));
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  h.RunAll();
  EXPECT_TRUE(h.BoundTo("p").empty());
  std::vector<std::string> events = h.EventMessages("FailedScheduling");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].find("returns an invalid score 500"), std::string::npos) << events[0];
  EXPECT_EQ(h.scheduler->queue().Sizes().backoff, 1u);
}

TEST(SchedulerTest, UnschedulablePodGetsUpstreamMessageConditionAndEvent) {
  Harness h(
      Basic({Entry("gpu", "test-label-filter", {{"label", "gpu"}}),
             Entry("zone", "test-label-filter",
                   {{"label", "zone"}, {"reason", "node(s) had untolerated taint {a: b}"}})}));
  h.scheduler->OnNodeAdd(Shared(NodeJson("a")));
  h.scheduler->OnNodeAdd(Shared(NodeJson("b")));
  h.scheduler->OnNodeAdd(Shared(NodeJson("c", "4", "8Gi", {{"gpu", "1"}})));
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  h.RunAll();
  const std::string want =
      "0/3 nodes are available: 1 node(s) had untolerated taint {a: b}, 2 node(s) lacked label "
      "gpu.";
  EXPECT_EQ(h.EventMessages("FailedScheduling"), std::vector<std::string>{want});
  auto patches = h.api->Matching("/pods/p/status");
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].method, "PATCH");
  EXPECT_EQ(patches[0].content_type, "application/strategic-merge-patch+json");
  json cond = json::parse(patches[0].body)["status"]["conditions"][0];
  EXPECT_EQ(cond["type"], "PodScheduled");
  EXPECT_EQ(cond["status"], "False");
  EXPECT_EQ(cond["reason"], "Unschedulable");
  EXPECT_EQ(cond["message"], want);
  json event = json::parse(h.api->Matching("/events")[0].body);
  EXPECT_EQ(event["type"], "Warning");
  EXPECT_EQ(event["involvedObject"]["name"], "p");
  EXPECT_EQ(event["reportingComponent"], "default-scheduler");
  EXPECT_EQ(h.scheduler->queue().Sizes().unschedulable, 1u);
}

TEST(SchedulerTest, ANodeEventMovesAnUnschedulablePodBackAndItSchedules) {
  SchedulerOptions options;
  options.initial_backoff = std::chrono::milliseconds(20);
  Harness h(Basic({Entry("gpu", "test-label-filter", {{"label", "gpu"}})}), options);
  h.scheduler->OnNodeAdd(Shared(NodeJson("a")));
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  h.RunAll();
  ASSERT_EQ(h.scheduler->queue().Sizes().unschedulable, 1u);
  h.scheduler->OnNodeUpdate(nullptr, Shared(NodeJson("a", "4", "8Gi", {{"gpu", "1"}})));
  // One attempt so far: a 20 ms backoff, so the pod waits in backoffQ rather than activeQ.
  QueueSizes sizes = h.scheduler->queue().Sizes();
  EXPECT_EQ(sizes.unschedulable, 0u);
  EXPECT_EQ(sizes.active + sizes.backoff, 1u);
  ASSERT_TRUE(testing::Eventually([&] {
    h.scheduler->queue().Flush();
    return h.scheduler->queue().Sizes().active == 1;
  }));
  h.RunAll();
  EXPECT_EQ(h.BoundTo("p"), std::vector<std::string>{"a"});
}

TEST(SchedulerTest, PreFilterNodeRestrictionLimitsNodesAndIsReported) {
  Harness h(Basic({Entry("only-b", "test-label-filter", {{"restrictTo", {"b"}}}),
                   Entry("gpu", "test-label-filter", {{"label", "gpu"}})}));
  h.scheduler->OnNodeAdd(Shared(NodeJson("a", "4", "8Gi", {{"gpu", "1"}})));
  h.scheduler->OnNodeAdd(Shared(NodeJson("b")));
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  h.RunAll();
  EXPECT_EQ(h.EventMessages("FailedScheduling"),
            std::vector<std::string>{"0/2 nodes are available: 1 node(s) didn't satisfy "
                                     "plugin(s) [only-b], 1 node(s) lacked label gpu."});
}

struct FaultCase {
  const char* name;
  json config;
  std::string policy;
  bool binds;
  const char* message_part;
};

class FaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(FaultTest, PluginFailuresFollowTheFailurePolicy) {
  const FaultCase& c = GetParam();
  Harness h(Basic({Entry("faulty", "test-faulty", c.config, 1, c.policy)}));
  h.scheduler->OnNodeAdd(Shared(NodeJson("a")));
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  h.RunAll();
  EXPECT_EQ(h.BoundTo("p").size(), c.binds ? 1u : 0u);
  if (!c.binds) {
    std::vector<std::string> events = h.EventMessages("FailedScheduling");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_NE(events[0].find(c.message_part), std::string::npos) << events[0];
    EXPECT_FALSE(h.scheduler->cache().HasPod("default/p"));
    EXPECT_TRUE(h.scheduler->queue().Contains("default/p"));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FaultTest,
    ::testing::Values(
        FaultCase{"FilterError",
                  {{"errorIn", {"filter"}}},
                  "Fail",
                  false,
                  "running Filter plugin \"faulty\" on node \"a\": ERROR: faulty fails in filter"},
        FaultCase{"FilterErrorIgnored", {{"errorIn", {"filter"}}}, "Ignore", true, ""},
        FaultCase{"FilterThrows", {{"throwIn", {"filter"}}}, "Fail", false, "faulty throws"},
        FaultCase{"PreFilterError",
                  {{"errorIn", {"prefilter"}}},
                  "Fail",
                  false,
                  "running PreFilter plugin \"faulty\""},
        FaultCase{"ScoreThrows", {{"throwIn", {"score"}}}, "Fail", true, ""},  // 1 node: no scoring
        FaultCase{"ReserveRejects",
                  {{"rejectIn", {"reserve"}}},
                  "Fail",
                  false,
                  "running Reserve plugin \"faulty\": UNSCHEDULABLE: faulty says no"},
        FaultCase{"PermitDenies",
                  {{"rejectIn", {"permit"}}},
                  "Fail",
                  false,
                  "pod rejected by Permit plugin \"faulty\""},
        FaultCase{"PermitWaitTimesOut",
                  {{"waitMs", 20}},
                  "Fail",
                  false,
                  "rejected due to timeout after waiting 20ms at plugin faulty"},
        FaultCase{"PreBindError",
                  {{"errorIn", {"prebind"}}},
                  "Fail",
                  false,
                  "running PreBind plugin \"faulty\""},
        FaultCase{
            "BindError", {{"errorIn", {"bind"}}}, "Fail", false, "running Bind plugin \"faulty\""}),
    [](const ::testing::TestParamInfo<FaultCase>& c) { return std::string(c.param.name); });

TEST(SchedulerTest, FailedBindingUnreservesForgetsAndBacksOff) {
  Harness h(Basic());
  h.api->responder = [](const FakeApi::Recorded& r) {
    return r.path.find("/binding") != std::string::npos ? 500 : 201;
  };
  h.scheduler->OnNodeAdd(Shared(NodeJson("a")));
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  h.RunAll();
  EXPECT_EQ(h.api->Matching("/test/unreserve/default/p").size(), 1u);
  EXPECT_FALSE(h.scheduler->cache().HasPod("default/p"));
  EXPECT_EQ(h.scheduler->queue().Sizes().backoff, 1u);
  EXPECT_EQ(h.scheduler->stats().bind_failures.load(), 1);
}

TEST(SchedulerTest, PostFilterNominationIsPatchedAndItsMessageAppended) {
  Harness nominate(Basic({Entry("gpu", "test-label-filter", {{"label", "gpu"}}),
                          Entry("preempt", "test-postfilter", {{"nominate", "a"}})}));
  nominate.scheduler->OnNodeAdd(Shared(NodeJson("a")));
  nominate.scheduler->OnPodAdd(Shared(PodJson("p")));
  nominate.RunAll();
  auto patches = nominate.api->Matching("/pods/p/status");
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(json::parse(patches[0].body)["status"]["nominatedNodeName"], "a");

  Harness refuse(Basic({Entry("gpu", "test-label-filter", {{"label", "gpu"}}),
                        Entry("preempt", "test-postfilter")}));
  refuse.scheduler->OnNodeAdd(Shared(NodeJson("a")));
  refuse.scheduler->OnPodAdd(Shared(PodJson("p")));
  refuse.RunAll();
  EXPECT_EQ(refuse.EventMessages("FailedScheduling"),
            std::vector<std::string>{"0/1 nodes are available: 1 node(s) lacked label gpu. "
                                     "preemption: 0/1 nodes are available: 1 No preemption "
                                     "victims found for incoming pod."});
}

TEST(SchedulerTest, HigherPriorityPodsAreScheduledFirst) {
  Harness h(Basic());
  h.scheduler->OnNodeAdd(Shared(NodeJson("a")));
  h.scheduler->OnPodAdd(Shared(PodJson("low", "100m", "64Mi", 1)));
  h.scheduler->OnPodAdd(Shared(PodJson("high", "100m", "64Mi", 100)));
  h.RunAll();
  std::vector<std::string> order;
  for (auto& r : h.api->Matching("/binding"))
    order.push_back(json::parse(r.body)["metadata"]["name"]);
  EXPECT_EQ(order, (std::vector<std::string>{"high", "low"}));
}

TEST(SchedulerTest, PodsOfOtherSchedulersAndBoundPodsAreNotQueued) {
  Harness h(Basic());
  json other = PodJson("other");
  other["spec"]["schedulerName"] = "my-scheduler";
  json bound = PodJson("bound");
  bound["spec"]["nodeName"] = "a";
  h.scheduler->OnNodeAdd(Shared(NodeJson("a")));
  h.scheduler->OnPodAdd(Shared(other));
  h.scheduler->OnPodAdd(Shared(bound));
  EXPECT_EQ(h.RunAll(), 0);
  EXPECT_TRUE(h.scheduler->cache().HasPod("default/bound"));
  Snapshot snap;
  h.scheduler->cache().UpdateSnapshot(&snap);
  EXPECT_EQ(snap.node(0).view.requested.milli_cpu, 100);
}

TEST(SchedulerTest, FilterRunsAcrossManyNodesInParallelAndStopsAtTheFeasibleTarget) {
  SchedulerOptions options;
  options.parallelism = 2;
  options.min_calls_for_parallel = 0;  // fan out even for these cheap plugins
  Harness h(Basic({Entry("gpu", "test-label-filter", {{"label", "gpu"}})}), options);
  for (int i = 0; i < 1000; ++i) {
    json labels = i % 2 == 0 ? json{{"gpu", "1"}} : json::object();
    h.scheduler->OnNodeAdd(Shared(NodeJson("n" + std::to_string(i), "4", "8Gi", labels)));
  }
  for (int i = 0; i < 20; ++i) h.scheduler->OnPodAdd(Shared(PodJson("p" + std::to_string(i))));
  EXPECT_EQ(h.RunAll(), 20);
  EXPECT_EQ(h.scheduler->stats().bound.load(), 20);
  // 1000 nodes: adaptive 42% -> 420 feasible wanted of 500; never all 1000 nodes each time.
  EXPECT_LT(h.scheduler->stats().filter_calls.load(), 20 * 1000);
  for (auto& r : h.api->Matching("/binding")) {
    std::string node = json::parse(r.body)["target"]["name"];
    EXPECT_EQ(std::stoi(node.substr(1)) % 2, 0) << node;
  }
}

TEST(SchedulerTest, CheapFilterPhasesRunSeriallyAndEvaluateExactlyTheFeasibleTarget) {
  SchedulerOptions options;
  options.parallelism = 2;  // 1000 nodes x 1 filter plugin is below min_calls_for_parallel
  Harness h(Basic({Entry("gpu", "test-label-filter", {{"label", "gpu"}})}), options);
  for (int i = 0; i < 1000; ++i) {
    h.scheduler->OnNodeAdd(Shared(NodeJson("n" + std::to_string(i), "4", "8Gi", {{"gpu", "1"}})));
  }
  for (int i = 0; i < 20; ++i) h.scheduler->OnPodAdd(Shared(PodJson("p" + std::to_string(i))));
  EXPECT_EQ(h.RunAll(), 20);
  // Serial Filter stops at the 420th feasible node: no worker overshoots the target.
  EXPECT_EQ(h.scheduler->stats().filter_calls.load(), 20 * 420);
}

TEST(SchedulerTest, TheStartedLoopSchedulesPodsAsTheyArrive) {
  Harness h(Basic());
  h.scheduler->Start();
  h.scheduler->OnNodeAdd(Shared(NodeJson("a")));
  for (int i = 0; i < 5; ++i) h.scheduler->OnPodAdd(Shared(PodJson("p" + std::to_string(i))));
  EXPECT_TRUE(testing::Eventually([&] { return h.scheduler->stats().bound.load() == 5; }));
  h.scheduler->Stop();
}

TEST(SchedulerTest, AProfileNeedsExactlyOneQueueSortPlugin) {
  LoadedChain chain = LoadChain(json::array({Entry("binder", "test-binder")}));
  SchedulerOptions options;
  options.chain = chain.chain();
  Result<std::unique_ptr<Scheduler>> s = Scheduler::Create(options);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("exactly one QueueSort"), std::string::npos);
}

TEST(SchedulerTest, NoNodesMeansNoNodesAvailable) {
  Harness h(Basic());
  h.scheduler->OnPodAdd(Shared(PodJson("p")));
  h.RunAll();
  EXPECT_EQ(h.EventMessages("FailedScheduling"),
            std::vector<std::string>{"no nodes available to schedule pods"});
}

struct FeasibleCase {
  size_t nodes;
  int percentage;
  size_t want;
};

TEST(AlgorithmTest, NumFeasibleNodesToFindFollowsUpstream) {
  for (const FeasibleCase& c : std::vector<FeasibleCase>{{50, 0, 50},
                                                         {99, 0, 99},
                                                         {100, 0, 100},
                                                         {1000, 0, 420},
                                                         {5000, 0, 500},
                                                         {6000, 0, 300},
                                                         {10000, 0, 500},
                                                         {5000, 30, 1500},
                                                         {200, 10, 100},
                                                         {5000, 100, 5000}}) {
    SchedulerStats stats;
    Algorithm a(nullptr, nullptr, &stats, c.percentage, 1);
    EXPECT_EQ(a.NumFeasibleNodesToFind(c.nodes), c.want) << c.nodes << " " << c.percentage;
  }
}

}  // namespace
}  // namespace capstan::scheduler
