// Tests for plugins/controllers/garbage-collector/dependency_graph.h: which UIDs each informer
// event hands to the collector, and the owner -> dependents index.
#include "plugins/controllers/garbage-collector/dependency_graph.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers {
namespace {

using sdk::EventType;
using testing::OwnerRef;
using testing::Pod;

constexpr char kPods[] = "/v1/pods";
constexpr char kRs[] = "apps/v1/replicasets";

Json Rs(const std::string& name, const std::string& uid) {
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "ReplicaSet"},
              {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", uid}}}};
}

Json OwnedPod(const std::string& name, const std::string& owner_uid) {
  Json pod = Pod(name, {{"app", "web"}});
  pod["metadata"]["ownerReferences"] = Json::array({OwnerRef("ReplicaSet", "web", owner_uid)});
  return pod;
}

TEST(DependencyGraphTest, AnObjectWithOwnersIsExaminedWhenAddedButNotOnUnrelatedUpdates) {
  DependencyGraph g;
  EXPECT_EQ(g.Observe(kPods, EventType::kAdded, OwnedPod("a", "rs-1")),
            std::vector<std::string>{"uid-a"});
  Json changed = OwnedPod("a", "rs-1");
  changed["metadata"]["labels"]["x"] = "y";
  EXPECT_TRUE(g.Observe(kPods, EventType::kModified, changed).empty());
  EXPECT_TRUE(g.Observe(kPods, EventType::kAdded, Pod("lonely", {})).empty());
  EXPECT_EQ(g.Dependents("rs-1").size(), 1u);
}

TEST(DependencyGraphTest, DeletingAnOwnerHandsOverItsDependents) {
  DependencyGraph g;
  (void)g.Observe(kRs, EventType::kAdded, Rs("web", "rs-1"));
  (void)g.Observe(kPods, EventType::kAdded, OwnedPod("a", "rs-1"));
  (void)g.Observe(kPods, EventType::kAdded, OwnedPod("b", "rs-1"));
  (void)g.Observe(kPods, EventType::kAdded, OwnedPod("c", "rs-other"));
  std::vector<std::string> out = g.Observe(kRs, EventType::kDeleted, Rs("web", "rs-1"));
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, (std::vector<std::string>{"uid-a", "uid-b"}));
  EXPECT_FALSE(g.Get("rs-1").has_value());
}

TEST(DependencyGraphTest, ForegroundOwnerIsExaminedWhenItStartsAndWhenADependentGoes) {
  DependencyGraph g;
  (void)g.Observe(kRs, EventType::kAdded, Rs("web", "rs-1"));
  (void)g.Observe(kPods, EventType::kAdded, OwnedPod("a", "rs-1"));
  Json deleting = Rs("web", "rs-1");
  deleting["metadata"]["deletionTimestamp"] = "2023-11-14T22:13:20Z";
  deleting["metadata"]["finalizers"] = {kForegroundFinalizer};
  EXPECT_EQ(g.Observe(kRs, EventType::kModified, deleting), std::vector<std::string>{"rs-1"});
  ASSERT_TRUE(g.Get("rs-1").has_value());
  EXPECT_TRUE(g.Get("rs-1")->WaitingForDependents());
  EXPECT_EQ(g.Observe(kPods, EventType::kDeleted, OwnedPod("a", "rs-1")),
            std::vector<std::string>{"rs-1"});
  EXPECT_TRUE(g.Dependents("rs-1").empty());
}

TEST(DependencyGraphTest, OrphanFinalizerAndOwnerChangesAreNoticed) {
  DependencyGraph g;
  (void)g.Observe(kPods, EventType::kAdded, OwnedPod("a", "rs-1"));
  Json orphaning = Rs("web", "rs-1");
  orphaning["metadata"]["deletionTimestamp"] = "2023-11-14T22:13:20Z";
  orphaning["metadata"]["finalizers"] = {kOrphanFinalizer};
  EXPECT_EQ(g.Observe(kRs, EventType::kAdded, orphaning), std::vector<std::string>{"rs-1"});
  EXPECT_TRUE(g.Get("rs-1")->orphan);
  // Released: the pod no longer names the owner.
  Json released = Pod("a", {{"app", "web"}});
  (void)g.Observe(kPods, EventType::kModified, released);
  EXPECT_TRUE(g.Dependents("rs-1").empty());
}

TEST(DependencyGraphTest, ObjectsWithoutUidAreIgnored) {
  DependencyGraph g;
  Json pod = OwnedPod("a", "rs-1");
  pod["metadata"].erase("uid");
  EXPECT_TRUE(g.Observe(kPods, EventType::kAdded, pod).empty());
  EXPECT_EQ(g.size(), 0u);
}

}  // namespace
}  // namespace capstan::controllers
