// Tests for core/apiserver/request_info.h.
#include "core/apiserver/request_info.h"

#include <gtest/gtest.h>

namespace capstan::apiserver {
namespace {

struct Case {
  const char* method;
  const char* path;
  bool watch;
  bool resource;
  const char* verb;
  const char* group;
  const char* version;
  const char* ns;
  const char* res;
  const char* name;
  const char* sub;
};

TEST(RequestInfoTest, ParsesUrlShapesAsTheUpstreamApiserver) {
  const Case cases[] = {
      {"GET", "/api/v1/pods", false, true, "list", "", "v1", "", "pods", "", ""},
      {"GET", "/api/v1/namespaces/default/pods", false, true, "list", "", "v1", "default", "pods",
       "", ""},
      {"GET", "/api/v1/namespaces/default/pods/web", false, true, "get", "", "v1", "default",
       "pods", "web", ""},
      {"GET", "/api/v1/namespaces/default/pods/web/log", false, true, "get", "", "v1", "default",
       "pods", "web", "log"},
      {"GET", "/api/v1/namespaces/default/pods", true, true, "watch", "", "v1", "default", "pods",
       "", ""},
      {"GET", "/api/v1/watch/namespaces/default/pods", false, true, "watch", "", "v1", "default",
       "pods", "", ""},
      {"GET", "/api/v1/namespaces/kube-system", false, true, "get", "", "v1", "kube-system",
       "namespaces", "kube-system", ""},
      {"PUT", "/api/v1/namespaces/gone/finalize", false, true, "update", "", "v1", "gone",
       "namespaces", "gone", "finalize"},
      {"PUT", "/api/v1/namespaces/x/status", false, true, "update", "", "v1", "x", "namespaces",
       "x", "status"},
      {"POST", "/apis/apps/v1/namespaces/a/deployments", false, true, "create", "apps", "v1", "a",
       "deployments", "", ""},
      {"PATCH", "/apis/apps/v1/namespaces/a/deployments/d/scale", false, true, "patch", "apps",
       "v1", "a", "deployments", "d", "scale"},
      {"DELETE", "/apis/apps/v1/namespaces/a/deployments", false, true, "deletecollection", "apps",
       "v1", "a", "deployments", "", ""},
      {"DELETE", "/api/v1/nodes/n1", false, true, "delete", "", "v1", "", "nodes", "n1", ""},
      {"GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", false, true, "list",
       "rbac.authorization.k8s.io", "v1", "", "clusterroles", "", ""},
      {"GET", "/api", false, false, "get", "", "", "", "", "", ""},
      {"GET", "/api/v1", false, false, "get", "", "", "", "", "", ""},
      {"GET", "/apis/apps", false, false, "get", "apps", "", "", "", "", ""},
      {"GET", "/apis/apps/v1", false, false, "get", "apps", "v1", "", "", "", ""},
      {"GET", "/healthz", false, false, "get", "", "", "", "", "", ""},
      {"POST", "/openapi/v3", false, false, "post", "", "", "", "", "", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.path);
    RequestInfo info = ParseRequestInfo(c.method, c.path, c.watch);
    EXPECT_EQ(info.is_resource_request, c.resource);
    EXPECT_EQ(info.verb, c.verb);
    if (!c.resource) continue;
    EXPECT_EQ(info.api_group, c.group);
    EXPECT_EQ(info.api_version, c.version);
    EXPECT_EQ(info.namespace_name, c.ns);
    EXPECT_EQ(info.resource, c.res);
    EXPECT_EQ(info.name, c.name);
    EXPECT_EQ(info.subresource, c.sub);
  }
}

}  // namespace
}  // namespace capstan::apiserver
