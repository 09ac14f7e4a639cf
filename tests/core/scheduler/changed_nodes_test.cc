// The snapshot's change log ("capstan_host_sched_changed_nodes_v1", cache.h/snapshot.h) driving
// the real inter-pod-affinity plugin (plugins/sched/inter-pod-affinity/, loaded as .so) through
// whole scheduling cycles: its index of existing pods follows assumed pods forgotten after a
// failed binding, deleted pods and added nodes.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/scheduler/scheduler.h"
#include "tests/core/scheduler/scheduler_testing.h"

namespace capstan::scheduler {
namespace {

using nlohmann::json;
using testing::FakeApi;
using testing::LoadedChain;
using testing::NodeJson;
using testing::PodJson;
using testing::Shared;

// The chain: the test queue sort, inter-pod-affinity and the test binder (binding through the
// API), from the plugin output directory.
LoadedChain LoadAffinityChain() {
  json entries = json::array();
  for (const char* lib : {"testsched/test-sort.so", "sched/inter-pod-affinity.so"}) {
    entries.push_back(
        {{"name", std::string(lib).substr(std::string(lib).find('/') + 1)}, {"library", lib}});
  }
  entries.push_back({{"name", "binder"},
                     {"library", "testsched/test-binder.so"},
                     {"config", {{"useApi", true}}}});
  return testing::LoadChain(entries, CAPSTAN_PLUGIN_DIR);
}

// A web pod refusing other web pods on its host.
std::shared_ptr<const json> WebPod(const std::string& name) {
  json pod = PodJson(name);
  pod["metadata"]["labels"] = {{"app", "web"}};
  json term = {{"topologyKey", "kubernetes.io/hostname"},
               {"labelSelector", {{"matchLabels", {{"app", "web"}}}}}};
  pod["spec"]["affinity"] = {
      {"podAntiAffinity", {{"requiredDuringSchedulingIgnoredDuringExecution", {term}}}}};
  return Shared(pod);
}

std::shared_ptr<const json> Node(const std::string& name) {
  return Shared(NodeJson(name, "4", "8Gi", {{"kubernetes.io/hostname", name}}));
}

class ChangedNodesTest : public ::testing::Test {
 protected:
  ChangedNodesTest() : chain_(LoadAffinityChain()) {
    chain_.services->SetApi(api_);
    SchedulerOptions options;
    options.chain = chain_.chain();
    options.api = api_;
    options.seed = 7;
    Result<std::unique_ptr<Scheduler>> s = Scheduler::Create(std::move(options));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) scheduler_ = std::move(*s);
    // Binding web-1 fails; every other write succeeds.
    api_->responder = [](const FakeApi::Recorded& r) {
      if (r.path.find("/pods/web-1/binding") != std::string::npos) return 500;
      return r.method == "POST" ? 201 : 200;
    };
  }
  void RunAll() {
    while (scheduler_->ScheduleOne(false)) {
    }
    scheduler_->WaitForBindings();
  }
  // The node `pod` was bound to last, or "" when it never was.
  std::string BoundTo(const std::string& pod) {
    std::string node;
    for (auto& r : api_->Matching("/pods/" + pod + "/binding")) {
      node = json::parse(r.body)["target"]["name"];
    }
    return node;
  }

  LoadedChain chain_;
  std::shared_ptr<FakeApi> api_ = std::make_shared<FakeApi>();
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(ChangedNodesTest, ForgottenAndDeletedPodsFreeTheirNodesForAntiAffinePods) {
  ASSERT_NE(scheduler_, nullptr);
  scheduler_->OnNodeAdd(Node("a"));
  scheduler_->OnNodeAdd(Node("b"));
  // web-1 is assumed on a node, its binding fails and it is forgotten; then it is deleted (so
  // it does not come back from backoff).
  scheduler_->OnPodAdd(WebPod("web-1"));
  RunAll();
  ASSERT_EQ(api_->Matching("/pods/web-1/binding").size(), 1u);
  EXPECT_FALSE(scheduler_->cache().HasPod("default/web-1"));
  scheduler_->OnPodDelete(WebPod("web-1"));
  // Two nodes, two anti-affine pods: both fit only if web-1 no longer counts anywhere.
  scheduler_->OnPodAdd(WebPod("web-2"));
  scheduler_->OnPodAdd(WebPod("web-3"));
  RunAll();
  std::string node2 = BoundTo("web-2"), node3 = BoundTo("web-3");
  EXPECT_FALSE(node2.empty());
  EXPECT_FALSE(node3.empty());
  EXPECT_NE(node2, node3);
  // A third finds no node until web-2 is deleted; then it takes web-2's node.
  scheduler_->OnPodAdd(WebPod("web-4"));
  RunAll();
  EXPECT_EQ(BoundTo("web-4"), "");
  json deleted = *WebPod("web-2");
  deleted["spec"]["nodeName"] = node2;
  scheduler_->OnPodDelete(Shared(deleted));
  // The delete moves web-4 back to the queue, into backoff first (flushed here, as the running
  // loop's timer would).
  EXPECT_TRUE(testing::Eventually([&] {
    scheduler_->queue().Flush();
    RunAll();
    return !BoundTo("web-4").empty();
  }));
  EXPECT_EQ(BoundTo("web-4"), node2);
  // A new node (indices move, the plugin starts over) takes the next one.
  scheduler_->OnNodeAdd(Node("0-first"));
  scheduler_->OnPodAdd(WebPod("web-5"));
  RunAll();
  EXPECT_EQ(BoundTo("web-5"), "0-first");
}

}  // namespace
}  // namespace capstan::scheduler
