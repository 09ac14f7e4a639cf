// Tests for plugins/controllers/kit/discovery.h: parsing discovery documents, paths of
// discovered resources and finding a resource by apiVersion and kind.
#include "plugins/controllers/kit/discovery.h"

#include <gtest/gtest.h>

#include <vector>

namespace capstan::controllers {
namespace {

TEST(DiscoveryTest, ParseResourceListSkipsSubresourcesAndKeepsScopeAndVerbs) {
  Json list = {{"groupVersion", "apps/v1"},
               {"resources",
                {{{"name", "deployments"},
                  {"kind", "Deployment"},
                  {"namespaced", true},
                  {"verbs", {"list", "delete"}}},
                 {{"name", "deployments/scale"}, {"kind", "Scale"}, {"namespaced", true}}}}};
  std::vector<ApiResource> r = ParseResourceList(list);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].kind, "Deployment");
  EXPECT_TRUE(r[0].namespaced);
  EXPECT_TRUE(r[0].Can("delete"));
  EXPECT_FALSE(r[0].Can("watch"));
  EXPECT_EQ(r[0].HostResource(), "apps/v1/deployments");
  EXPECT_EQ(r[0].Path("ns", "web"), "/apis/apps/v1/namespaces/ns/deployments/web");
}

TEST(DiscoveryTest, CoreAndClusterScopedPaths) {
  ApiResource pods{"v1", "Pod", "pods", true, {}};
  ApiResource nodes{"v1", "Node", "nodes", false, {}};
  EXPECT_EQ(pods.HostResource(), "/v1/pods");
  EXPECT_EQ(pods.Path("default"), "/api/v1/namespaces/default/pods");
  EXPECT_EQ(nodes.Path("default", "n1"), "/api/v1/nodes/n1");
}

TEST(DiscoveryTest, FindByKindPrefersTheExactVersionThenTheSameGroup) {
  std::vector<ApiResource> all = {
      {"v1", "Pod", "pods", true, {}},
      {"autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, {}},
      {"apps/v1", "ReplicaSet", "replicasets", true, {}}};
  EXPECT_EQ(FindByKind(all, "apps/v1", "ReplicaSet"), &all[2]);
  EXPECT_EQ(FindByKind(all, "autoscaling/v1", "HorizontalPodAutoscaler"), &all[1]);
  EXPECT_EQ(FindByKind(all, "v1", "Pod"), &all[0]);
  EXPECT_EQ(FindByKind(all, "example.com/v1", "Pod"), nullptr);
}

}  // namespace
}  // namespace capstan::controllers
