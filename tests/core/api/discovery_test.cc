// Tests for core/api/discovery.{h,cc}: bodies have the shapes kubectl accepted (testdata/),
// Accept negotiation picks the right format, and bodies follow registry changes.
#include "core/api/discovery.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/core/api/test_util.h"

namespace capstan::api {
namespace {

using nlohmann::json;

json Parse(const ServedDocument& doc) {
  EXPECT_NE(doc.body, nullptr);
  return doc.body ? json::parse(*doc.body, nullptr, false) : json();
}

class DiscoveryTest : public ::testing::Test {
 protected:
  Registry registry_{BuiltinResources()};
  Discovery discovery_{registry_, DiscoveryOptions{}};
};

// The element of `array` whose `key` equals `value`, or null json.
json FindBy(const json& array, const std::string& key, const json& value) {
  for (const json& item : array) {
    if (item.contains(key) && item[key] == value) return item;
  }
  return json();
}

// Sorts `subresources` by name so order differences between servers do not matter.
json SortedSubresources(json resource) {
  if (resource.contains("subresources")) {
    std::vector<json> subs = resource["subresources"];
    std::sort(subs.begin(), subs.end(),
              [](const json& a, const json& b) { return a["subresource"] < b["subresource"]; });
    resource["subresources"] = subs;
  }
  return resource;
}

// Compares an aggregated resource entry with a captured one. The fake's subresource lists are
// partial (jobs without status, pods without proxy), so each subresource it lists must be ours
// verbatim and everything else must be equal.
void ExpectSameResource(json actual, json expected) {
  SCOPED_TRACE(expected["resource"].get<std::string>());
  actual = SortedSubresources(actual);
  expected = SortedSubresources(expected);
  for (const json& sub : expected.value("subresources", json::array())) {
    EXPECT_EQ(FindBy(actual["subresources"], "subresource", sub["subresource"]), sub);
  }
  actual.erase("subresources");
  expected.erase("subresources");
  EXPECT_EQ(actual, expected);
}

TEST_F(DiscoveryTest, VersionReportsMinor32WithEveryFieldKubectlReads) {
  json ours = Parse(discovery_.Version());
  json example = testing::TestData("version.json");
  for (const auto& [key, value] : example.items()) {
    EXPECT_TRUE(ours.contains(key)) << key;
    EXPECT_TRUE(ours[key].is_string()) << key;
  }
  EXPECT_EQ(ours["major"], "1");
  EXPECT_EQ(ours["minor"], "32");
  EXPECT_EQ(ours["gitVersion"], "v1.32.0-capstan");
  EXPECT_TRUE(ours["platform"].get<std::string>().starts_with("linux/"));
}

TEST_F(DiscoveryTest, LegacyApiEqualsTheCapturedBody) {
  ServedDocument doc = discovery_.Api(DiscoveryFormat::kLegacy);
  EXPECT_EQ(doc.content_type, "application/json");
  EXPECT_EQ(Parse(doc), testing::TestData("legacy-api.json"));
}

TEST_F(DiscoveryTest, LegacyApisListsGroupsLikeTheCapturedBody) {
  json ours = Parse(discovery_.Apis(DiscoveryFormat::kLegacy));
  json example = testing::TestData("legacy-apis.json");
  EXPECT_EQ(ours["kind"], example["kind"]);
  EXPECT_EQ(ours["apiVersion"], example["apiVersion"]);
  int compared = 0;
  for (const json& group : example["groups"]) {
    if (group["name"] == "metrics.k8s.io") continue;  // served by the fake only
    EXPECT_EQ(FindBy(ours["groups"], "name", group["name"]), group) << group["name"];
    ++compared;
  }
  EXPECT_EQ(compared, 6);
  json autoscaling = FindBy(ours["groups"], "name", "autoscaling");
  EXPECT_EQ(autoscaling["preferredVersion"]["version"], "v2");
  EXPECT_EQ(autoscaling["versions"].size(), 2u);
  EXPECT_EQ(ours["groups"].size(), 14u);
}

TEST_F(DiscoveryTest, CoreResourceListMatchesTheCapturedEntries) {
  Result<ServedDocument> doc = discovery_.ResourceList("", "v1");
  ASSERT_TRUE(doc.ok());
  json ours = Parse(*doc);
  json example = testing::TestData("apiresourcelist-v1.json");
  EXPECT_EQ(ours["kind"], "APIResourceList");
  EXPECT_EQ(ours["apiVersion"], "v1");
  EXPECT_EQ(ours["groupVersion"], "v1");
  for (json entry : example["resources"]) {
    entry.erase("storageVersionHash");  // optional; only storage migration reads it
    EXPECT_EQ(FindBy(ours["resources"], "name", entry["name"]), entry) << entry["name"];
  }
  // Subresources follow their resource (what drain looks for: pods/eviction).
  std::vector<std::string> names;
  for (const json& r : ours["resources"]) names.push_back(r["name"]);
  auto pods = std::find(names.begin(), names.end(), "pods");
  ASSERT_NE(pods, names.end());
  EXPECT_EQ(*(pods + 1), "pods/attach");
}

TEST_F(DiscoveryTest, GroupResourceListQualifiesForeignSubresourceKinds) {
  Result<ServedDocument> doc = discovery_.ResourceList("apps", "v1");
  ASSERT_TRUE(doc.ok());
  json ours = Parse(*doc);
  EXPECT_EQ(ours["groupVersion"], "apps/v1");
  json scale = FindBy(ours["resources"], "name", "deployments/scale");
  EXPECT_EQ(scale["group"], "autoscaling");
  EXPECT_EQ(scale["version"], "v1");
  EXPECT_EQ(scale["kind"], "Scale");
  EXPECT_EQ(scale["verbs"], json({"get", "patch", "update"}));
  json status = FindBy(ours["resources"], "name", "deployments/status");
  EXPECT_FALSE(status.contains("group"));
  EXPECT_EQ(status["kind"], "Deployment");
}

TEST_F(DiscoveryTest, AggregatedApiMatchesTheCapturedResources) {
  ServedDocument doc = discovery_.Api(DiscoveryFormat::kAggregatedV2);
  EXPECT_EQ(doc.content_type, kAggregatedV2ContentType);
  EXPECT_FALSE(doc.etag.empty());
  json ours = Parse(doc);
  json example = testing::TestData("aggregated-discovery-api.json");
  EXPECT_EQ(ours["kind"], example["kind"]);
  EXPECT_EQ(ours["apiVersion"], example["apiVersion"]);
  EXPECT_EQ(ours["metadata"], example["metadata"]);
  ASSERT_EQ(ours["items"].size(), 1u);
  EXPECT_EQ(ours["items"][0]["metadata"], example["items"][0]["metadata"]);
  const json& version = ours["items"][0]["versions"][0];
  EXPECT_EQ(version["version"], "v1");
  EXPECT_EQ(version["freshness"], "Current");
  for (const json& resource : example["items"][0]["versions"][0]["resources"]) {
    ExpectSameResource(FindBy(version["resources"], "resource", resource["resource"]), resource);
  }
}

TEST_F(DiscoveryTest, AggregatedApisMatchesTheCapturedGroups) {
  json ours = Parse(discovery_.Apis(DiscoveryFormat::kAggregatedV2));
  json example = testing::TestData("aggregated-discovery-apis.json");
  EXPECT_EQ(ours["apiVersion"], "apidiscovery.k8s.io/v2");
  int compared = 0;
  for (const json& group : example["items"]) {
    if (group["metadata"]["name"] == "metrics.k8s.io") continue;  // served by the fake only
    json mine;
    for (const json& item : ours["items"]) {
      if (item["metadata"] == group["metadata"]) mine = item;
    }
    ASSERT_FALSE(mine.is_null()) << group["metadata"];
    const json& my_resources = mine["versions"][0]["resources"];
    for (const json& resource : group["versions"][0]["resources"]) {
      json expected = resource;
      // Upstream serves selfsubjectrulesreviews cluster-scoped (swagger.json, checked in
      // resource_test.cc); the fake said Namespaced.
      if (resource["resource"] == "selfsubjectrulesreviews") expected["scope"] = "Cluster";
      ExpectSameResource(FindBy(my_resources, "resource", resource["resource"]), expected);
      ++compared;
    }
  }
  EXPECT_EQ(compared, 11);
  // Preferred version first.
  for (const json& item : ours["items"]) {
    if (item["metadata"]["name"] == "autoscaling") {
      EXPECT_EQ(item["versions"][0]["version"], "v2");
      EXPECT_EQ(item["versions"][1]["version"], "v1");
    }
  }
}

TEST_F(DiscoveryTest, AggregatedV2Beta1DiffersOnlyInApiVersion) {
  ServedDocument beta = discovery_.Apis(DiscoveryFormat::kAggregatedV2Beta1);
  EXPECT_EQ(beta.content_type, kAggregatedV2Beta1ContentType);
  json b = Parse(beta);
  json v2 = Parse(discovery_.Apis(DiscoveryFormat::kAggregatedV2));
  EXPECT_EQ(b["apiVersion"], "apidiscovery.k8s.io/v2beta1");
  b["apiVersion"] = v2["apiVersion"];
  EXPECT_EQ(b, v2);
}

struct NegotiationCase {
  std::string accept;
  DiscoveryFormat format;
};

class NegotiateDiscoveryTest : public ::testing::TestWithParam<NegotiationCase> {};

TEST_P(NegotiateDiscoveryTest, PicksTheFormatAndContentType) {
  DiscoveryNegotiation n = NegotiateDiscovery(GetParam().accept);
  EXPECT_EQ(n.format, GetParam().format);
  switch (GetParam().format) {
    case DiscoveryFormat::kLegacy:
      EXPECT_EQ(n.content_type, "application/json");
      break;
    case DiscoveryFormat::kAggregatedV2:
      EXPECT_EQ(n.content_type, kAggregatedV2ContentType);
      break;
    case DiscoveryFormat::kAggregatedV2Beta1:
      EXPECT_EQ(n.content_type, kAggregatedV2Beta1ContentType);
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, NegotiateDiscoveryTest,
    ::testing::Values(
        // kubectl 1.32
        NegotiationCase{"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
                        "application/json",
                        DiscoveryFormat::kAggregatedV2},
        // kubectl 1.20 and curl
        NegotiationCase{"application/json, */*", DiscoveryFormat::kLegacy},
        NegotiationCase{"", DiscoveryFormat::kLegacy},
        NegotiationCase{"*/*", DiscoveryFormat::kLegacy},
        // client-go 1.26-1.27 asked for v2beta1 only
        NegotiationCase{"application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
                        "application/json",
                        DiscoveryFormat::kAggregatedV2Beta1},
        // spaces and parameter order do not matter
        NegotiationCase{"application/json; as=APIGroupDiscoveryList; v=v2; g=apidiscovery.k8s.io",
                        DiscoveryFormat::kAggregatedV2},
        // q-values reorder
        NegotiationCase{"application/json;q=0.5,"
                        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
                        DiscoveryFormat::kAggregatedV2},
        NegotiationCase{"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0,"
                        "application/json",
                        DiscoveryFormat::kLegacy},
        // protobuf and unknown versions are skipped; nothing usable still gives JSON, never 406
        NegotiationCase{"application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;"
                        "as=APIGroupDiscoveryList,application/json",
                        DiscoveryFormat::kLegacy},
        NegotiationCase{"application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList",
                        DiscoveryFormat::kLegacy},
        NegotiationCase{"application/yaml", DiscoveryFormat::kLegacy},
        NegotiationCase{";;,,garbage", DiscoveryFormat::kLegacy}));

struct PathCase {
  std::string path;
  bool discovery;
};

class IsDiscoveryPathTest : public ::testing::TestWithParam<PathCase> {};

TEST_P(IsDiscoveryPathTest, RecognizesOnlyDiscoveryUrls) {
  EXPECT_EQ(Discovery::IsDiscoveryPath(GetParam().path), GetParam().discovery) << GetParam().path;
}

INSTANTIATE_TEST_SUITE_P(
    Table, IsDiscoveryPathTest,
    ::testing::Values(PathCase{"/version", true}, PathCase{"/version/", true},
                      PathCase{"/api", true}, PathCase{"/api/", true}, PathCase{"/api/v1", true},
                      PathCase{"/apis", true}, PathCase{"/apis/apps", true},
                      PathCase{"/apis/apps/v1", true}, PathCase{"/api/v1/pods", false},
                      PathCase{"/apis/apps/v1/deployments", false}, PathCase{"/apis//v1", false},
                      PathCase{"/healthz", false}, PathCase{"", false},
                      PathCase{"/openapi/v2", false}));

TEST_F(DiscoveryTest, ServeRoutesEveryDiscoveryPath) {
  const std::string kKubectl =
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
  Result<ServedDocument> api = discovery_.Serve("/api", kKubectl);
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(api->content_type, kAggregatedV2ContentType);
  Result<ServedDocument> apis = discovery_.Serve("/apis", "application/json, */*");
  ASSERT_TRUE(apis.ok());
  EXPECT_EQ(Parse(*apis)["kind"], "APIGroupList");
  Result<ServedDocument> group = discovery_.Serve("/apis/autoscaling", "");
  ASSERT_TRUE(group.ok());
  json g = Parse(*group);
  EXPECT_EQ(g["kind"], "APIGroup");
  EXPECT_EQ(g["preferredVersion"]["groupVersion"], "autoscaling/v2");
  Result<ServedDocument> list = discovery_.Serve("/apis/batch/v1/", kKubectl);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->content_type, "application/json");
  EXPECT_EQ(Parse(*list)["groupVersion"], "batch/v1");
  Result<ServedDocument> version = discovery_.Serve("/version", "");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(Parse(*version)["minor"], "32");

  EXPECT_EQ(discovery_.Serve("/apis/nope.example.com", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(discovery_.Serve("/apis/apps/v1beta1", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(discovery_.Serve("/api/v2", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(discovery_.Serve("/api/v1/pods", "").status().code(), StatusCode::kNotFound);
}

TEST_F(DiscoveryTest, BodiesAreSharedUntilTheRegistryChanges) {
  ServedDocument first = discovery_.Apis(DiscoveryFormat::kAggregatedV2);
  ServedDocument again = discovery_.Apis(DiscoveryFormat::kAggregatedV2);
  EXPECT_EQ(first.body.get(), again.body.get());  // built once

  ResourceInfo widget;
  widget.group = "example.com";
  widget.version = "v1";
  widget.kind = "Widget";
  widget.plural = "widgets";
  widget.namespaced = true;
  widget.verbs = {"get", "list", "watch", "create"};
  widget.short_names = {"wd"};
  ASSERT_TRUE(registry_.Register(widget).ok());

  ServedDocument after = discovery_.Apis(DiscoveryFormat::kAggregatedV2);
  EXPECT_NE(after.body.get(), first.body.get());
  EXPECT_NE(after.etag, first.etag);
  json items = Parse(after)["items"];
  EXPECT_EQ(items.back()["metadata"]["name"], "example.com");
  EXPECT_EQ(items.back()["versions"][0]["resources"][0]["shortNames"], json({"wd"}));
  Result<ServedDocument> list = discovery_.ResourceList("example.com", "v1");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(Parse(*list)["resources"][0]["kind"], "Widget");
  EXPECT_TRUE(discovery_.Group("example.com").ok());

  ASSERT_TRUE(registry_.Unregister("example.com", "v1", "widgets").ok());
  EXPECT_EQ(discovery_.Group("example.com").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*discovery_.Apis(DiscoveryFormat::kAggregatedV2).body, *first.body);
}

TEST_F(DiscoveryTest, ServerAddressComesFromOptions) {
  DiscoveryOptions options;
  options.server_address = "10.0.0.1:443";
  options.version.git_commit = "abc123";
  Discovery discovery(registry_, options);
  json api = Parse(discovery.Api(DiscoveryFormat::kLegacy));
  EXPECT_EQ(api["serverAddressByClientCIDRs"][0]["serverAddress"], "10.0.0.1:443");
  EXPECT_EQ(Parse(discovery.Version())["gitCommit"], "abc123");
}

}  // namespace
}  // namespace capstan::api
