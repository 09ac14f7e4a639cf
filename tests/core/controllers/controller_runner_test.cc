// Unit tests for core/controllers helpers: resource paths, watch descriptions and owner-kind
// matching (table-driven).
#include "core/controllers/controller_runner.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/controllers/informer_set.h"

namespace capstan::controllers {
namespace {

using nlohmann::json;

TEST(ResourcePathTest, MapsHostResourceNamesToApiPaths) {
  EXPECT_EQ(*ResourcePath("/v1/pods"), "/api/v1/pods");
  EXPECT_EQ(*ResourcePath("apps/v1/replicasets"), "/apis/apps/v1/replicasets");
  for (const char* bad : {"pods", "v1/pods", "/v1/", "apps/v1/replicasets/x", "/v1/Pods"}) {
    EXPECT_EQ(ResourcePath(bad).status().code(), StatusCode::kInvalid) << bad;
  }
}

TEST(WatchSpecTest, ParsesDescriptionsAndNamesTheBadField) {
  Result<WatchSpec> spec = WatchSpec::Parse(json::parse(R"({
    "primary": "apps/v1/replicasets",
    "watches": [{"resource": "/v1/pods", "map": "plugin"}, {"resource": "/v1/nodes"}],
    "workers": 3, "resyncSeconds": 30})"));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->primary, "apps/v1/replicasets");
  ASSERT_EQ(spec->watches.size(), 2u);
  EXPECT_EQ(spec->watches[0].map, WatchSpec::Map::kPlugin);
  EXPECT_EQ(spec->watches[1].map, WatchSpec::Map::kOwner);
  EXPECT_EQ(spec->workers, 3);
  EXPECT_EQ(spec->resync_seconds, 30);

  struct Case {
    const char* json;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {R"({})", "primary: required"},
           {R"({"primary": "pods"})", "primary"},
           {R"({"primary": "/v1/pods", "watches": {}})", "watches: must be an array"},
           {R"({"primary": "/v1/pods", "watches": [{"resource": "/v1/x", "map": "y"}]})",
            "watches[0].map"}}) {
    Result<WatchSpec> bad = WatchSpec::Parse(json::parse(c.json));
    ASSERT_FALSE(bad.ok()) << c.json;
    EXPECT_NE(bad.status().message().find(c.error), std::string::npos) << bad.status().message();
  }
}

TEST(OwnerRefTest, MatchesGroupAndPluralOfTheKind) {
  struct Case {
    const char* api_version;
    const char* kind;
    const char* resource;
    bool matches;
  };
  for (const Case& c : std::vector<Case>{
           {"apps/v1", "ReplicaSet", "apps/v1/replicasets", true},
           {"v1", "ReplicationController", "/v1/replicationcontrollers", true},
           {"networking.k8s.io/v1", "NetworkPolicy", "networking.k8s.io/v1/networkpolicies", true},
           {"v1", "ReplicaSet", "apps/v1/replicasets", false},
           {"apps/v1", "StatefulSet", "apps/v1/replicasets", false},
       }) {
    json ref = {{"apiVersion", c.api_version}, {"kind", c.kind}};
    EXPECT_EQ(OwnerRefMatchesResource(ref, c.resource), c.matches) << c.kind << " " << c.resource;
  }
}

}  // namespace
}  // namespace capstan::controllers
