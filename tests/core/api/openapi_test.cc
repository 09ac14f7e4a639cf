// Tests for core/api/openapi.{h,cc}: the data directory is found, `/openapi/v3` lists the served
// group-versions with stable hashes, documents are the real upstream ones (their PATCH
// operations declare `fieldValidation`), and caching headers follow the hash.
#include "core/api/openapi.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "core/api/content_hash.h"
#include "tests/core/api/test_util.h"

namespace capstan::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// SHA-512 of the upstream v1.32 apis/apps/v1 document: pins the data to the real upstream bytes.
constexpr char kAppsV1Hash[] =
    "0B0CD30E87A3FE5CC880F3AEA3CB35A683DF19A1CBCE66F2214C403A6378FFB46721CD1C172ECF7C3F53A971EE7"
    "5CED6154AF8610E2F6D8C542C6A34DFA23CB6";

// "apis/apps/v1" -> "apis__apps__v1_openapi.json", the upstream file naming.
std::string V3FileName(std::string path) {
  for (size_t i; (i = path.find('/')) != std::string::npos;) path.replace(i, 1, "__");
  return path + "_openapi.json";
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<OpenApi>> loaded = OpenApi::Load(testing::OpenApiDir(), &registry_);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    openapi_ = std::move(*loaded);
  }

  json Root() { return json::parse(*openapi_->ServeV3Root().body, nullptr, false); }

  Registry registry_{BuiltinResources()};
  std::unique_ptr<OpenApi> openapi_;
};

TEST_F(OpenApiTest, RootListsEveryServedGroupVersionWithItsContentHash) {
  json root = Root();
  std::set<std::string> expected;
  for (const ResourceInfo& r : BuiltinResources()) expected.insert(r.group_version().Path());
  std::set<std::string> listed;
  for (const auto& [path, entry] : root["paths"].items()) {
    listed.insert(path);
    std::string bytes = testing::ReadFileOrDie(testing::OpenApiDir() / "v3" / V3FileName(path));
    EXPECT_EQ(entry["serverRelativeURL"], "/openapi/v3/" + path + "?hash=" + Sha512Hex(bytes));
  }
  EXPECT_EQ(listed, expected);
  EXPECT_EQ(listed.size(), 16u);
  EXPECT_EQ(root["paths"]["apis/apps/v1"]["serverRelativeURL"],
            std::string("/openapi/v3/apis/apps/v1?hash=") + kAppsV1Hash);
}

TEST_F(OpenApiTest, RootHasTheCapturedShapeAndIsStable) {
  json example = testing::TestData("openapi-v3-root.json");
  json root = Root();
  for (const auto& [path, entry] : example["paths"].items()) {
    if (path.find("metrics.k8s.io") != std::string::npos) continue;  // served by the fake only
    ASSERT_TRUE(root["paths"].contains(path)) << path;
    std::string url = root["paths"][path]["serverRelativeURL"];
    EXPECT_TRUE(url.starts_with("/openapi/v3/" + path + "?hash=")) << url;
    EXPECT_EQ(url.size(), entry["serverRelativeURL"].get<std::string>().size()) << "128 hex digits";
  }
  ServedDocument again = openapi_->ServeV3Root();
  EXPECT_EQ(*again.body, root.dump());
  Result<std::unique_ptr<OpenApi>> reloaded = OpenApi::Load(testing::OpenApiDir(), &registry_);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(*(*reloaded)->ServeV3Root().body, *again.body);
}

TEST_F(OpenApiTest, DeploymentPatchOperationDeclaresFieldValidation) {
  Result<ServedDocument> doc = openapi_->ServeV3("apis/apps/v1", kAppsV1Hash);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  json v3 = json::parse(*doc->body, nullptr, false);
  ASSERT_TRUE(v3.is_object());
  const json& patch =
      v3["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"],
            json({{"group", "apps"}, {"version", "v1"}, {"kind", "Deployment"}}));
  bool field_validation = false;
  for (const json& p : patch["parameters"]) {
    if (p["name"] == "fieldValidation" && p["in"] == "query") field_validation = true;
  }
  EXPECT_TRUE(field_validation);
}

TEST_F(OpenApiTest, HashedUrlsAreImmutableAndStaleHashesRedirect) {
  Result<ServedDocument> hashed = openapi_->ServeV3("apis/apps/v1", kAppsV1Hash);
  ASSERT_TRUE(hashed.ok());
  EXPECT_EQ(hashed->http_status, 200);
  EXPECT_EQ(hashed->content_type, "application/json");
  EXPECT_EQ(hashed->cache_control, "public, immutable");
  EXPECT_EQ(hashed->etag, std::string("\"") + kAppsV1Hash + "\"");

  Result<ServedDocument> plain = openapi_->ServeV3("apis/apps/v1", "");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->cache_control, "no-cache, private");
  EXPECT_EQ(plain->etag, hashed->etag);
  // Concurrent responses share one copy of the bytes.
  EXPECT_EQ(plain->body.get(), hashed->body.get());

  Result<ServedDocument> stale = openapi_->ServeV3("apis/apps/v1", "DEADBEEF");
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->http_status, 301);
  EXPECT_EQ(stale->location, std::string("/openapi/v3/apis/apps/v1?hash=") + kAppsV1Hash);
}

TEST_F(OpenApiTest, UnservedDocumentsAreNotFound) {
  EXPECT_EQ(openapi_->ServeV3("apis/nope/v1", "").status().code(), StatusCode::kNotFound);
  Registry core_only(std::vector<ResourceInfo>{*registry_.Find("", "v1", "pods")});
  Result<std::unique_ptr<OpenApi>> narrow = OpenApi::Load(testing::OpenApiDir(), &core_only);
  ASSERT_TRUE(narrow.ok());
  EXPECT_EQ((*narrow)->ServedV3Paths(), std::vector<std::string>{"api/v1"});
  EXPECT_EQ((*narrow)->ServeV3("apis/apps/v1", "").status().code(), StatusCode::kNotFound);
}

TEST_F(OpenApiTest, ServeRoutesOpenApiPaths) {
  EXPECT_TRUE(OpenApi::IsOpenApiPath("/openapi/v2"));
  EXPECT_TRUE(OpenApi::IsOpenApiPath("/openapi/v3"));
  EXPECT_TRUE(OpenApi::IsOpenApiPath("/openapi/v3/api/v1"));
  EXPECT_FALSE(OpenApi::IsOpenApiPath("/openapi/v3/"));
  EXPECT_FALSE(OpenApi::IsOpenApiPath("/openapi"));
  EXPECT_FALSE(OpenApi::IsOpenApiPath("/api/v1"));

  Result<ServedDocument> root = openapi_->Serve("/openapi/v3", "", "application/json");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(json::parse(*root->body).contains("paths"));
  Result<ServedDocument> core = openapi_->Serve("/openapi/v3/api/v1", "", "application/json");
  ASSERT_TRUE(core.ok());
  EXPECT_EQ(json::parse(*core->body)["openapi"], "3.0.0");
  EXPECT_EQ(openapi_->Serve("/openapi/v4", "", "").status().code(), StatusCode::kNotFound);
}

TEST_F(OpenApiTest, V2IsJsonAndRefusesProtobufOnlyClients) {
  Result<ServedDocument> v2 = openapi_->ServeV2("application/json");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->content_type, "application/json");
  EXPECT_EQ(v2->etag.size(), 130u);
  json swagger = json::parse(*v2->body, nullptr, false);
  EXPECT_EQ(swagger["swagger"], "2.0");
  EXPECT_TRUE(swagger["definitions"].contains("io.k8s.api.apps.v1.Deployment"));
  EXPECT_TRUE(openapi_->ServeV2("").ok());
  EXPECT_TRUE(openapi_->ServeV2("application/json, */*").ok());
  // kubectl 1.20's only Accept: no protobuf rendering exists, so say so instead of sending JSON.
  EXPECT_EQ(openapi_->ServeV2("application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
                .status()
                .code(),
            StatusCode::kNotAcceptable);
}

TEST_F(OpenApiTest, V2CarriesAddedDefinitionsUntilTheyAreRemoved) {
  Result<ServedDocument> plain = openapi_->ServeV2("application/json");
  ASSERT_TRUE(plain.ok());
  const json widget = {{"type", "object"}, {"description", "a widget"}};
  openapi_->SetV2Definitions("apis/example.com/v1", {{"com.example.v1.Widget", widget}});

  Result<ServedDocument> merged = openapi_->ServeV2("application/json");
  ASSERT_TRUE(merged.ok());
  EXPECT_NE(merged->etag, plain->etag);
  json swagger = json::parse(*merged->body, nullptr, false);
  EXPECT_EQ(swagger["definitions"]["com.example.v1.Widget"], widget);
  EXPECT_TRUE(swagger["definitions"].contains("io.k8s.api.apps.v1.Deployment"));
  EXPECT_EQ(swagger["swagger"], "2.0");
  Result<ServedDocument> again = openapi_->ServeV2("application/json");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->etag, merged->etag);
  EXPECT_EQ(again->body.get(), merged->body.get()) << "built once, then served from memory";

  openapi_->SetV2Definitions("apis/example.com/v1", json::object());
  Result<ServedDocument> removed = openapi_->ServeV2("application/json");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->etag, plain->etag);
  EXPECT_FALSE(
      json::parse(*removed->body, nullptr, false)["definitions"].contains("com.example.v1.Widget"));
}

TEST_F(OpenApiTest, InMemoryDocumentsJoinTheRootWhenTheirGroupIsServed) {
  const std::string doc = R"({"openapi":"3.0.0","paths":{},"components":{"schemas":{}}})";
  openapi_->SetV3Document("apis/example.com/v1", doc);
  EXPECT_FALSE(Root()["paths"].contains("apis/example.com/v1"));  // registry lacks the group

  ResourceInfo widget;
  widget.group = "example.com";
  widget.version = "v1";
  widget.kind = "Widget";
  widget.plural = "widgets";
  widget.verbs = {"get"};
  ASSERT_TRUE(registry_.Register(widget).ok());
  json root = Root();
  ASSERT_TRUE(root["paths"].contains("apis/example.com/v1"));
  EXPECT_EQ(root["paths"]["apis/example.com/v1"]["serverRelativeURL"],
            "/openapi/v3/apis/example.com/v1?hash=" + Sha512Hex(doc));
  Result<ServedDocument> served = openapi_->ServeV3("apis/example.com/v1", Sha512Hex(doc));
  ASSERT_TRUE(served.ok());
  EXPECT_EQ(*served->body, doc);

  ASSERT_TRUE(openapi_->RemoveV3Document("apis/example.com/v1").ok());
  EXPECT_FALSE(Root()["paths"].contains("apis/example.com/v1"));
  EXPECT_EQ(openapi_->RemoveV3Document("apis/apps/v1").code(), StatusCode::kNotFound);
}

TEST(FindOpenApiDirTest, FindsTheSourceDataAndHonoursTheEnvironment) {
  Result<fs::path> found = FindOpenApiDir();
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_TRUE(fs::is_regular_file(*found / "swagger.json"));
  EXPECT_TRUE(fs::is_regular_file(*found / "v3" / "api__v1_openapi.json"));

  fs::path tmp = fs::temp_directory_path() / ("capstan_openapi_test_" + std::to_string(::getpid()));
  fs::create_directories(tmp / "k8s-openapi" / "v3");
  std::ofstream(tmp / "k8s-openapi" / "swagger.json") << "{}";
  ::setenv("CAPSTAN_DATA_DIR", tmp.c_str(), 1);
  Result<fs::path> from_env = FindOpenApiDir();
  ::unsetenv("CAPSTAN_DATA_DIR");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(*from_env, (tmp / "k8s-openapi").lexically_normal());

  Result<fs::path> explicit_dir = FindOpenApiDir((tmp / "k8s-openapi").string());
  ASSERT_TRUE(explicit_dir.ok());
  EXPECT_EQ(FindOpenApiDir((tmp / "missing").string()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(OpenApi::Load(tmp / "missing", nullptr).status().code(), StatusCode::kNotFound);
  fs::remove_all(tmp);
}

}  // namespace
}  // namespace capstan::api
