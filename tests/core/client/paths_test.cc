// Tests for core/client/paths.h: resource paths for core and group resources, namespaced or not,
// with subresources; query escaping of selectors.
#include "core/client/paths.h"

#include <gtest/gtest.h>

namespace capstan::client {
namespace {

TEST(PathsTest, ResourcePathsForCoreAndGroupResources) {
  struct Case {
    std::string got;
    const char* want;
  };
  const Case cases[] = {
      {ResourcePath("", "v1", "pods"), "/api/v1/pods"},
      {ResourcePath("", "v1", "pods", "default"), "/api/v1/namespaces/default/pods"},
      {ResourcePath("", "v1", "pods", "default", "web-0", "binding"),
       "/api/v1/namespaces/default/pods/web-0/binding"},
      {ResourcePath("", "v1", "nodes", "", "n1", "status"), "/api/v1/nodes/n1/status"},
      {ResourcePath("apps", "v1", "replicasets", "prod"),
       "/apis/apps/v1/namespaces/prod/replicasets"},
      {ResourcePath("coordination.k8s.io", "v1", "leases", "kube-system", "sched"),
       "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/sched"},
      {ResourcePath("", "v1", "pods", "", "", "status"), "/api/v1/pods"},
  };
  for (const Case& c : cases) EXPECT_EQ(c.got, c.want);
}

TEST(PathsTest, QueryEscapeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(QueryEscape("app in (web),tier!=db"), "app%20in%20%28web%29%2Ctier%21%3Ddb");
  EXPECT_EQ(QueryEscape("spec.nodeName=n-1_x~"), "spec.nodeName%3Dn-1_x~");
  EXPECT_EQ(QueryEscape(""), "");
}

}  // namespace
}  // namespace capstan::client
