// Tests for plugins/controllers/replicaset/lean_pods: what the lean parses keep and drop, for
// one pod and for a list, and that malformed text is refused.
#include "plugins/controllers/replicaset/lean_pods.h"

#include <gtest/gtest.h>

namespace capstan::controllers {
namespace {

Json FullPod(const std::string& name) {
  return Json{{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"name", name},
                {"namespace", "default"},
                {"labels", {{"app", "web"}}},
                {"ownerReferences", Json::array({{{"kind", "ReplicaSet"}, {"name", "web"}}})},
                {"managedFields", Json::array({{{"manager", "kubectl"}}})}}},
              {"spec",
               {{"nodeName", "node-1"},
                {"containers", Json::array({{{"name", "c"}, {"image", "nginx"}}})},
                {"metadata", {{"name", "not-the-pods"}}}}},
              {"status", {{"phase", "Running"}, {"conditions", Json::array()}}}};
}

TEST(LeanPodsTest, PodMetadataKeepsMetadataWithoutManagedFields) {
  std::optional<Json> pod = ParsePodMetadata(FullPod("a").dump());
  ASSERT_TRUE(pod.has_value());
  Json want = FullPod("a");
  want["metadata"].erase("managedFields");
  want.erase("spec");
  want.erase("status");
  EXPECT_EQ(*pod, want);
}

TEST(LeanPodsTest, PodsForSyncKeepStatusAndOnlyTheNodeNameOfTheSpec) {
  Json list = Json::array({FullPod("a"), FullPod("b")});
  std::optional<Json> pods = ParsePodsForSync(list.dump());
  ASSERT_TRUE(pods.has_value());
  ASSERT_EQ(pods->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    Json want = list[i];
    want["metadata"].erase("managedFields");
    want["spec"] = {{"nodeName", "node-1"}};
    EXPECT_EQ((*pods)[i], want);
  }
}

TEST(LeanPodsTest, MalformedTextIsRefused) {
  EXPECT_FALSE(ParsePodMetadata("{\"metadata\":").has_value());
  EXPECT_FALSE(ParsePodsForSync("[{}").has_value());
  EXPECT_EQ(ParsePodsForSync("[]"), Json::array());
}

}  // namespace
}  // namespace capstan::controllers
