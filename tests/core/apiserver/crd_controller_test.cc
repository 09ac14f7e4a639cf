// Integration tests for core/apiserver/crd_controller.h: a real ApiServer on a LevelDbStore in a
// temporary directory, CRDs written through its storage, custom resources served, validated,
// pruned and defaulted, status conditions, the cleanup finalizer, restarts, updates, conflicts.
#include "core/apiserver/crd_controller.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "core/store/leveldb_store.h"

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;

constexpr char kCrdName[] = "crontabs.stable.example.com";

Json CronTabCrd() {
  return Json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "crontabs.stable.example.com"},
    "spec": {
      "group": "stable.example.com",
      "scope": "Namespaced",
      "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab",
                "shortNames": ["ct"]},
      "versions": [{
        "name": "v1", "served": true, "storage": true,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {
            "cronSpec": {"type": "string"},
            "image": {"type": "string"},
            "replicas": {"type": "integer", "default": 1}}}}}},
        "subresources": {"status": {}}
      }]
    }
  })");
}

Json CronTab(const std::string& name, Json spec) {
  return {{"apiVersion", "stable.example.com/v1"},
          {"kind", "CronTab"},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

const Json* ConditionOf(const Json& crd, const std::string& type) {
  if (!crd.contains("status") || !crd["status"].contains("conditions")) return nullptr;
  for (const Json& c : crd["status"]["conditions"]) {
    if (c.value("type", "") == type) return &c;
  }
  return nullptr;
}

class CrdControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("capstan-crd-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store::LevelDbStore::Options opts;
    opts.sync = false;
    auto s = store::LevelDbStore::Open(dir_.string(), opts);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    StartServer();
  }
  void TearDown() override {
    StopServer();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartServer() {
    ApiServerOptions options;
    options.worker_threads = 2;
    auto api = ApiServer::Create(store_.get(), nullptr, nullptr, nullptr, options);
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(*api);
    CrdControllerOptions copts;
    copts.retry_delay_ms = 20;
    copts.clock = [] { return int64_t{1700000000000}; };
    auto controller = CrdController::Start(api_.get(), copts);
    ASSERT_TRUE(controller.ok()) << controller.status().ToString();
    controller_ = std::move(*controller);
  }
  void StopServer() {
    controller_.reset();
    if (api_) api_->Shutdown();
    api_.reset();
  }

  RestStorage* Crds() {
    return api_->StorageFor("apiextensions.k8s.io", "customresourcedefinitions");
  }
  RestStorage* CronTabs() { return api_->StorageFor("stable.example.com", "crontabs"); }

  void CreateCrd(const Json& crd) {
    ApiResult<WriteResult> r = Crds()->Create({}, "", crd);
    ASSERT_FALSE(std::holds_alternative<ApiError>(r)) << std::get<ApiError>(r).status.ToString();
  }
  void UpdateCrd(const std::string& name, const std::function<void(Json&)>& change) {
    ApiResult<WriteResult> r =
        Crds()->Modify({}, "", name, "", [&](const Json* current) -> ApiResult<Json> {
          Json obj = *current;
          change(obj);
          return obj;
        });
    ASSERT_FALSE(std::holds_alternative<ApiError>(r)) << std::get<ApiError>(r).status.ToString();
  }
  // The CRD as stored, or null when absent.
  Json GetCrd(const std::string& name) {
    ApiResult<CachedObjectPtr> r = Crds()->Get("", name);
    if (std::holds_alternative<ApiError>(r)) return nullptr;
    return Json::parse(std::get<CachedObjectPtr>(r)->json);
  }
  bool ConditionIs(const std::string& name, const std::string& type, const std::string& status) {
    Json crd = GetCrd(name);
    const Json* c = crd.is_null() ? nullptr : ConditionOf(crd, type);
    return c != nullptr && c->value("status", "") == status;
  }
  bool Served(const std::string& version, const std::string& plural = "crontabs") {
    return api_->registry().Find("stable.example.com", version, plural) != nullptr;
  }
  // Polls `predicate` until it holds or 10 s pass.
  static bool Eventually(const std::function<bool()>& predicate) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (predicate()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return predicate();
  }
  void CreateEstablishedCronTabCrd() {
    CreateCrd(CronTabCrd());
    ASSERT_TRUE(Eventually([&] { return ConditionIs(kCrdName, "Established", "True"); }));
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::LevelDbStore> store_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<CrdController> controller_;
};

TEST_F(CrdControllerTest, ServesACrdAndReportsItEstablished) {
  CreateEstablishedCronTabCrd();
  EXPECT_TRUE(Served("v1"));
  std::shared_ptr<const api::ResourceInfo> r =
      api_->registry().Find("stable.example.com", "v1", "crontabs");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->short_names, std::vector<std::string>{"ct"});
  EXPECT_NE(r->FindSubresource("status"), nullptr);
  Json crd = GetCrd(kCrdName);
  const Json* names = ConditionOf(crd, "NamesAccepted");
  ASSERT_NE(names, nullptr);
  EXPECT_EQ((*names)["status"], "True");
  EXPECT_EQ((*names)["reason"], "NoConflicts");
  EXPECT_EQ((*names)["lastTransitionTime"], "2023-11-14T22:13:20Z");
  EXPECT_EQ((*ConditionOf(crd, "Established"))["reason"], "InitialNamesAccepted");
  EXPECT_EQ(crd["status"]["acceptedNames"]["kind"], "CronTab");
  EXPECT_EQ(crd["status"]["acceptedNames"]["shortNames"], Json::array({"ct"}));
  EXPECT_EQ(crd["status"]["storedVersions"], Json::array({"v1"}));
  EXPECT_EQ(crd["metadata"]["finalizers"],
            Json::array({std::string(kCustomResourceCleanupFinalizer)}));
}

TEST_F(CrdControllerTest, PublishesAnOpenApiDocumentForTheGroupVersion) {
  CreateEstablishedCronTabCrd();
  std::vector<std::string> paths = api_->openapi().ServedV3Paths();
  EXPECT_NE(std::find(paths.begin(), paths.end(), "apis/stable.example.com/v1"), paths.end());
  Result<api::ServedDocument> doc = api_->openapi().ServeV3("apis/stable.example.com/v1", "");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  Json body = Json::parse(*doc->body);
  const Json& patch =
      body["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]["patch"];
  EXPECT_NE(patch.dump().find("fieldValidation"), std::string::npos);
  EXPECT_TRUE(
      body["components"]["schemas"].contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
  EXPECT_TRUE(api_->openapi().PatchMetaFor({"stable.example.com", "v1", "CronTab"}).ok());
}

TEST_F(CrdControllerTest, CustomResourcesArePrunedDefaultedAndValidated) {
  CreateEstablishedCronTabCrd();
  ASSERT_NE(CronTabs(), nullptr);
  Json obj = CronTab("a", {{"cronSpec", "* * * * */5"}, {"unknown", 1}});
  obj["extra"] = true;
  ApiResult<WriteResult> created = CronTabs()->Create({}, "default", obj);
  ASSERT_FALSE(std::holds_alternative<ApiError>(created))
      << std::get<ApiError>(created).status.ToString();
  const Json& stored = std::get<WriteResult>(created).object;
  EXPECT_FALSE(stored.contains("extra"));
  EXPECT_FALSE(stored["spec"].contains("unknown"));
  EXPECT_EQ(stored["spec"]["replicas"], 1);

  ApiResult<WriteResult> bad =
      CronTabs()->Create({}, "default", CronTab("b", {{"replicas", "three"}}));
  ASSERT_TRUE(std::holds_alternative<ApiError>(bad));
  const ApiError& e = std::get<ApiError>(bad);
  EXPECT_EQ(e.status.code(), StatusCode::kInvalid);
  EXPECT_EQ(e.status.message(),
            "CronTab \"b\" is invalid: spec.replicas: Invalid value: "
            "\"string\": spec.replicas in body must be of type integer: \"string\"");
  ASSERT_EQ(e.details.causes.size(), 1u);
  EXPECT_EQ(e.details.causes[0].field, "spec.replicas");
}

TEST_F(CrdControllerTest, InvalidCrdIsNotServedAndSaysWhy) {
  Json crd = CronTabCrd();
  crd["spec"]["scope"] = "Global";
  CreateCrd(crd);
  ASSERT_TRUE(Eventually([&] { return ConditionIs(kCrdName, "NamesAccepted", "False"); }));
  Json got = GetCrd(kCrdName);
  const Json* names = ConditionOf(got, "NamesAccepted");
  EXPECT_EQ((*names)["reason"], "InvalidSpec");
  EXPECT_NE((*names)["message"].get<std::string>().find("spec.scope: Unsupported value"),
            std::string::npos);
  const Json* established = ConditionOf(got, "Established");
  ASSERT_NE(established, nullptr);
  EXPECT_EQ((*established)["status"], "False");
  EXPECT_EQ((*established)["reason"], "NotAccepted");
  EXPECT_FALSE(Served("v1"));

  // Fixing it serves it.
  UpdateCrd(kCrdName, [](Json& obj) { obj["spec"]["scope"] = "Namespaced"; });
  ASSERT_TRUE(Eventually([&] { return ConditionIs(kCrdName, "Established", "True"); }));
  EXPECT_TRUE(Served("v1"));
}

TEST_F(CrdControllerTest, DeletingACrdDeletesItsCustomResourcesFirst) {
  CreateEstablishedCronTabCrd();
  for (const char* name : {"a", "b"}) {
    ApiResult<WriteResult> r = CronTabs()->Create({}, "default", CronTab(name, Json::object()));
    ASSERT_FALSE(std::holds_alternative<ApiError>(r));
  }
  ApiResult<WriteResult> del = Crds()->Delete({}, "", kCrdName, {});
  ASSERT_FALSE(std::holds_alternative<ApiError>(del));
  EXPECT_FALSE(std::get<WriteResult>(del).removed);  // the finalizer holds it
  ASSERT_TRUE(Eventually([&] { return GetCrd(kCrdName).is_null(); }));
  ASSERT_TRUE(CronTabs()->WaitForConsistentRead().ok());
  EXPECT_EQ(CronTabs()->cache()->ObjectCount(), 0u);
  EXPECT_TRUE(Eventually([&] { return !Served("v1"); }));
  EXPECT_TRUE(Eventually([&] {
    std::vector<std::string> paths = api_->openapi().ServedV3Paths();
    return std::find(paths.begin(), paths.end(), "apis/stable.example.com/v1") == paths.end();
  }));
}

TEST_F(CrdControllerTest, CrdsAreServedRightAfterARestart) {
  CreateEstablishedCronTabCrd();
  ApiResult<WriteResult> r = CronTabs()->Create({}, "default", CronTab("kept", Json::object()));
  ASSERT_FALSE(std::holds_alternative<ApiError>(r));
  StopServer();
  StartServer();
  // Start returns once existing CRDs are served: no window where they answer 404.
  EXPECT_TRUE(Served("v1"));
  ASSERT_NE(CronTabs(), nullptr);
  EXPECT_FALSE(std::holds_alternative<ApiError>(CronTabs()->Get("default", "kept")));
}

TEST_F(CrdControllerTest, VersionChangesRegisterAndUnregister) {
  CreateEstablishedCronTabCrd();
  UpdateCrd(kCrdName, [](Json& obj) {
    Json v2 = obj["spec"]["versions"][0];
    v2["name"] = "v2";
    v2["storage"] = false;
    obj["spec"]["versions"].push_back(v2);
  });
  ASSERT_TRUE(Eventually([&] { return Served("v2"); }));
  EXPECT_TRUE(Served("v1"));
  UpdateCrd(kCrdName, [](Json& obj) { obj["spec"]["versions"][0]["served"] = false; });
  ASSERT_TRUE(Eventually([&] { return !Served("v1"); }));
  EXPECT_TRUE(Served("v2"));
  EXPECT_TRUE(Eventually([&] {
    std::vector<std::string> paths = api_->openapi().ServedV3Paths();
    return std::find(paths.begin(), paths.end(), "apis/stable.example.com/v1") == paths.end() &&
           std::find(paths.begin(), paths.end(), "apis/stable.example.com/v2") != paths.end();
  }));
}

TEST_F(CrdControllerTest, ASecondCrdWithTheSameKindIsAConflict) {
  CreateEstablishedCronTabCrd();
  Json other = CronTabCrd();
  other["metadata"]["name"] = "crontabz.stable.example.com";
  other["spec"]["names"] = {{"plural", "crontabz"}, {"singular", "crontabz"}, {"kind", "CronTab"}};
  CreateCrd(other);
  const std::string name = "crontabz.stable.example.com";
  ASSERT_TRUE(Eventually([&] { return ConditionIs(name, "NamesAccepted", "False"); }));
  Json got = GetCrd(name);
  const Json* c = ConditionOf(got, "NamesAccepted");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ((*c)["reason"], "KindConflict");
  EXPECT_EQ((*c)["message"], "\"CronTab\" is already in use");
  EXPECT_FALSE(Served("v1", "crontabz"));
  EXPECT_TRUE(Served("v1"));
}

}  // namespace
}  // namespace capstan::apiserver
