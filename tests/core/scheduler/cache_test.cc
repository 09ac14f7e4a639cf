// Tests for core/scheduler/cache.h and snapshot.h.
#include "core/scheduler/cache.h"

#include <gtest/gtest.h>

#include "tests/core/scheduler/scheduler_testing.h"

namespace capstan::scheduler {
namespace {

using nlohmann::json;
using testing::NodeJson;
using testing::PodJson;
using testing::Shared;

std::shared_ptr<const NodeInfo> Node(const std::string& name, json extra_images = nullptr) {
  json n = NodeJson(name);
  if (!extra_images.is_null()) n["status"]["images"] = extra_images;
  return *NodeInfo::FromJson(Shared(n));
}

std::shared_ptr<const PodInfo> Pod(const std::string& name, const std::string& node,
                                   const std::string& cpu = "100m") {
  json p = PodJson(name, cpu, "1Mi");
  if (!node.empty()) p["spec"]["nodeName"] = node;
  p["spec"]["containers"][0]["ports"] = {{{"containerPort", 80}, {"hostPort", 9000}}};
  return *PodInfo::FromJson(Shared(p));
}

TEST(CacheTest, AssumedPodsCountOnTheirNodeUntilForgotten) {
  Cache cache;
  cache.AddNode(Node("a"));
  ASSERT_TRUE(cache.AssumePod(Pod("p", "a", "250m")).ok());
  EXPECT_EQ(cache.AssumePod(Pod("p", "a")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(cache.AssumePod(Pod("q", "")).code(), StatusCode::kInvalid);
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  ASSERT_EQ(snap.size(), 1u);
  const capstan_sched_node_view& v = snap.node(0).view;
  EXPECT_EQ(v.requested.milli_cpu, 250);
  EXPECT_EQ(v.requested.pods, 1);
  EXPECT_EQ(v.pod_count, 1u);
  ASSERT_EQ(v.used_host_port_count, 1u);
  EXPECT_EQ(v.used_host_ports[0].port, 9000);
  cache.ForgetPod("default/p");
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.node(0).view.requested.milli_cpu, 0);
  EXPECT_EQ(snap.node(0).view.pod_count, 0u);
  EXPECT_FALSE(cache.HasPod("default/p"));
}

TEST(CacheTest, TheInformerConfirmsAnAssumedPodAndForgetThenDoesNothing) {
  Cache cache;
  cache.AddNode(Node("a"));
  cache.AddNode(Node("b"));
  ASSERT_TRUE(cache.AssumePod(Pod("p", "a")).ok());
  cache.AddOrUpdatePod(Pod("p", "b"));  // bound elsewhere after all
  EXPECT_FALSE(cache.IsAssumed("default/p"));
  cache.ForgetPod("default/p");
  EXPECT_TRUE(cache.HasPod("default/p"));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.node(snap.Find("a")).view.pod_count, 0u);
  EXPECT_EQ(snap.node(snap.Find("b")).view.pod_count, 1u);
}

TEST(CacheTest, TerminalPodsReleaseTheirResources) {
  Cache cache;
  cache.AddNode(Node("a"));
  cache.AddOrUpdatePod(Pod("p", "a"));
  json done = PodJson("p");
  done["spec"]["nodeName"] = "a";
  done["status"]["phase"] = "Succeeded";
  cache.AddOrUpdatePod(*PodInfo::FromJson(Shared(done)));
  EXPECT_FALSE(cache.HasPod("default/p"));
}

TEST(CacheTest, SnapshotsCopyOnlyChangedNodes) {
  Cache cache;
  for (const char* n : {"a", "b", "c"}) cache.AddNode(Node(n));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  ASSERT_EQ(snap.size(), 3u);
  const SnapshotNode* a = &snap.node(0);
  uint64_t a_gen = a->generation;
  uint64_t b_gen = snap.node(1).generation;
  ASSERT_TRUE(cache.AssumePod(Pod("p", "b")).ok());
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(&snap.node(0), a);  // same object, untouched
  EXPECT_EQ(snap.node(0).generation, a_gen);
  EXPECT_NE(snap.node(1).generation, b_gen);
  EXPECT_EQ(snap.node(1).view.pod_count, 1u);
  uint64_t g = snap.generation();
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.generation(), g);  // nothing changed
}

// The change log behind "capstan_host_sched_changed_nodes_v1": every pod event (assume, forget,
// bind, delete) names its node once, tokens of other snapshots or from before a node was added
// are not understood, and an unchanged snapshot keeps its token.
TEST(CacheTest, SnapshotsListNodesChangedSinceAToken) {
  Cache cache;
  for (const char* n : {"a", "b", "c", "d"}) cache.AddNode(Node(n));
  Snapshot snap, other;
  cache.UpdateSnapshot(&snap);
  std::vector<uint32_t> changed;
  EXPECT_FALSE(snap.ChangedSince(0, &changed));
  uint64_t t0 = snap.change_token();
  EXPECT_NE(t0, 0u);
  ASSERT_TRUE(snap.ChangedSince(t0, &changed));
  EXPECT_TRUE(changed.empty());
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.change_token(), t0);  // nothing changed
  ASSERT_TRUE(cache.AssumePod(Pod("p", "b")).ok());
  cache.UpdateSnapshot(&snap);
  uint64_t t1 = snap.change_token();
  EXPECT_NE(t1, t0);
  ASSERT_TRUE(snap.ChangedSince(t0, &changed));
  EXPECT_EQ(changed, (std::vector<uint32_t>{1}));
  cache.ForgetPod("default/p");
  cache.AddOrUpdatePod(Pod("q", "d"));
  cache.UpdateSnapshot(&snap);
  uint64_t t2 = snap.change_token();
  cache.RemovePod("default/q");
  cache.AddOrUpdatePod(Pod("r", "a"));
  cache.UpdateSnapshot(&snap);
  ASSERT_TRUE(snap.ChangedSince(t0, &changed));
  EXPECT_EQ(changed, (std::vector<uint32_t>{0, 1, 3}));
  ASSERT_TRUE(snap.ChangedSince(t1, &changed));
  EXPECT_EQ(changed, (std::vector<uint32_t>{0, 1, 3}));
  ASSERT_TRUE(snap.ChangedSince(t2, &changed));
  EXPECT_EQ(changed, (std::vector<uint32_t>{0, 3}));
  // Another snapshot's token, or one this snapshot never issued, asks for a full resync.
  cache.AddNode(Node("a"));  // a changed node label set is a change of node a
  cache.UpdateSnapshot(&other);
  EXPECT_FALSE(snap.ChangedSince(other.change_token(), &changed));
  EXPECT_FALSE(snap.ChangedSince(snap.change_token() + 1000, &changed));
  // Adding a node moves indices: earlier tokens are no longer understood.
  uint64_t before = snap.change_token();
  cache.AddNode(Node("aa"));
  cache.UpdateSnapshot(&snap);
  EXPECT_FALSE(snap.ChangedSince(before, &changed));
  ASSERT_TRUE(snap.ChangedSince(snap.change_token(), &changed));
  EXPECT_TRUE(changed.empty());
}

TEST(CacheTest, TheChangeLogForgetsTokensOlderThanItsBound) {
  Cache cache;
  cache.AddNode(Node("a"));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  uint64_t first = snap.change_token();
  ASSERT_TRUE(cache.AssumePod(Pod("p", "a")).ok());
  cache.UpdateSnapshot(&snap);
  uint64_t second = snap.change_token();
  std::vector<uint32_t> changed;
  for (int i = 0; i < 5000; ++i) {
    cache.ForgetPod("default/p");
    ASSERT_TRUE(cache.AssumePod(Pod("p", "a")).ok());
    cache.UpdateSnapshot(&snap);
  }
  EXPECT_FALSE(snap.ChangedSince(first, &changed));
  EXPECT_FALSE(snap.ChangedSince(second, &changed));
  ASSERT_TRUE(snap.ChangedSince(snap.change_token(), &changed));
  EXPECT_TRUE(changed.empty());
}

TEST(CacheTest, AddingAndRemovingNodesRebuildsIndexes) {
  Cache cache;
  cache.AddNode(Node("b"));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  cache.AddNode(Node("a"));
  cache.AddNode(Node("c"));
  cache.UpdateSnapshot(&snap);
  ASSERT_EQ(snap.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(snap.node(i).view.index, i);
  EXPECT_EQ(snap.Find("c"), 2);
  cache.RemoveNode("a");
  cache.UpdateSnapshot(&snap);
  ASSERT_EQ(snap.size(), 2u);
  EXPECT_EQ(snap.Find("a"), -1);
  EXPECT_EQ(snap.Find("b"), 0);
  EXPECT_EQ(snap.node(1).view.index, 1u);
  EXPECT_EQ(cache.NodeCount(), 2u);
}

TEST(CacheTest, PodsSeenBeforeTheirNodeAppearWithIt) {
  Cache cache;
  cache.AddOrUpdatePod(Pod("p", "late"));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(snap.size(), 0u);
  cache.AddNode(Node("late"));
  cache.UpdateSnapshot(&snap);
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap.node(0).view.pod_count, 1u);
  ASSERT_EQ(snap.node(0).pod_views.size(), 1u);
  EXPECT_EQ(std::string(snap.node(0).pod_views[0].name.data, snap.node(0).pod_views[0].name.len),
            "p");
}

TEST(CacheTest, ImageCountsSpanNodes) {
  Cache cache;
  json shared = {{{"names", {"shared:1"}}, {"sizeBytes", 100}}};
  json both = {{{"names", {"shared:1"}}, {"sizeBytes", 100}},
               {{"names", {"only-b:1"}}, {"sizeBytes", 7}}};
  cache.AddNode(Node("a", shared));
  cache.AddNode(Node("b", both));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  const capstan_sched_node_view& b = snap.node(snap.Find("b")).view;
  ASSERT_EQ(b.image_count, 2u);
  EXPECT_EQ(b.images[0].node_count, 2);
  EXPECT_EQ(b.images[1].node_count, 1);
  EXPECT_EQ(b.images[1].size_bytes, 7);
}

}  // namespace
}  // namespace capstan::scheduler
