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
