// Tests of plugins/controllers/replicaset/pod_change_filter.h: which pod events a ReplicaSet
// sync can skip, and the owner a pod left.
#include "plugins/controllers/replicaset/pod_change_filter.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::controllers {
namespace {

using sdk::EventType;

Json Pod(const std::string& owner_uid = "rs-1") {
  return Json{
      {"metadata",
       {{"name", "p"},
        {"namespace", "ns"},
        {"uid", "pod-1"},
        {"labels", {{"app", "a"}}},
        {"ownerReferences",
         Json::array({{{"kind", "ReplicaSet"}, {"uid", owner_uid}, {"controller", true}}})}}},
      {"spec", {{"nodeName", ""}}},
      {"status", {{"phase", "Pending"}}}};
}

TEST(PodChangeFilterTest, UpdatesThatChangeNothingASyncReadsAreDropped) {
  PodChangeFilter filter;
  std::string previous;
  Json pod = Pod();
  EXPECT_TRUE(filter.Relevant(pod, EventType::kAdded, "ns/rs", &previous));
  Json bound = pod;
  bound["spec"]["nodeName"] = "node-1";
  bound["metadata"]["resourceVersion"] = "9";
  bound["status"]["podIP"] = "10.0.0.1";
  EXPECT_FALSE(filter.Relevant(bound, EventType::kModified, "ns/rs", &previous));
  EXPECT_EQ(previous, "");
  // An ADDED event (a relist) always counts.
  EXPECT_TRUE(filter.Relevant(bound, EventType::kAdded, "ns/rs", &previous));
}

TEST(PodChangeFilterTest, ChangesToWhatASyncReadsAreKept) {
  struct Case {
    const char* name;
    void (*change)(Json&);
  };
  const Case cases[] = {
      {"labels", [](Json& p) { p["metadata"]["labels"]["app"] = "b"; }},
      {"deletion", [](Json& p) { p["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"; }},
      {"phase", [](Json& p) { p["status"]["phase"] = "Failed"; }},
      {"ready",
       [](Json& p) {
         p["status"]["conditions"] = Json::array({{{"type", "Ready"}, {"status", "True"}}});
       }},
      {"ready since",
       [](Json& p) {
         p["status"]["conditions"] =
             Json::array({{{"type", "Ready"}, {"status", "False"}, {"lastTransitionTime", "x"}}});
       }},
  };
  for (const Case& c : cases) {
    PodChangeFilter filter;
    std::string previous;
    Json pod = Pod();
    pod["status"]["conditions"] = Json::array({{{"type", "Ready"}, {"status", "False"}}});
    ASSERT_TRUE(filter.Relevant(pod, EventType::kAdded, "ns/rs", &previous));
    c.change(pod);
    EXPECT_TRUE(filter.Relevant(pod, EventType::kModified, "ns/rs", &previous)) << c.name;
    EXPECT_FALSE(filter.Relevant(pod, EventType::kModified, "ns/rs", &previous)) << c.name;
  }
}

TEST(PodChangeFilterTest, APodThatChangesOwnerNamesTheOwnerItLeft) {
  PodChangeFilter filter;
  std::string previous;
  ASSERT_TRUE(filter.Relevant(Pod("rs-1"), EventType::kAdded, "ns/old", &previous));
  // The host replays the previous version first: nothing new in it.
  EXPECT_FALSE(filter.Relevant(Pod("rs-1"), EventType::kModified, "ns/old", &previous));
  EXPECT_TRUE(filter.Relevant(Pod("rs-2"), EventType::kModified, "ns/new", &previous));
  EXPECT_EQ(previous, "ns/old");
  // Released (another controller's now, or an orphan): forgotten after naming its owner.
  Json released = Pod("rs-2");
  released["metadata"].erase("ownerReferences");
  EXPECT_TRUE(filter.Relevant(released, EventType::kModified, "", &previous));
  EXPECT_EQ(previous, "ns/new");
  EXPECT_EQ(filter.size(), 0u);
}

TEST(PodChangeFilterTest, DeletedPodsAreForgotten) {
  PodChangeFilter filter;
  std::string previous;
  ASSERT_TRUE(filter.Relevant(Pod(), EventType::kAdded, "ns/rs", &previous));
  EXPECT_EQ(filter.size(), 1u);
  EXPECT_TRUE(filter.Relevant(Pod(), EventType::kDeleted, "ns/rs", &previous));
  EXPECT_EQ(filter.size(), 0u);
  EXPECT_EQ(previous, "");
}

}  // namespace
}  // namespace capstan::controllers
