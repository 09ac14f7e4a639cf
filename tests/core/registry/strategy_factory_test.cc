// Tests for core/registry/strategy_factory.h: the factory's mapping, and strategies running
// inside a real `apiserver::RestStorage` on a LevelDbStore in a temporary directory (defaults in
// the stored object, 422 causes, cluster IPs released on delete).
#include "core/registry/strategy_factory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <tuple>

#include "core/store/leveldb_store.h"

namespace capstan::registry {
namespace {

using apiserver::ApiError;
using apiserver::ApiResult;
using apiserver::WriteResult;

TEST(StrategyForTest, KnowsTheBuiltInKinds) {
  StrategyDeps deps{ServiceAllocators::Default()};
  for (auto [group, kind] :
       std::vector<std::pair<const char*, const char*>>{{"", "Pod"},
                                                        {"", "Service"},
                                                        {"", "Namespace"},
                                                        {"", "Secret"},
                                                        {"", "ConfigMap"},
                                                        {"", "Node"},
                                                        {"", "PersistentVolumeClaim"},
                                                        {"", "ReplicationController"},
                                                        {"apps", "Deployment"},
                                                        {"apps", "ReplicaSet"},
                                                        {"apps", "StatefulSet"},
                                                        {"apps", "DaemonSet"},
                                                        {"batch", "Job"},
                                                        {"batch", "CronJob"}}) {
    EXPECT_NE(StrategyFor(group, kind, deps), nullptr) << group << "/" << kind;
  }
  EXPECT_EQ(StrategyFor("", "Event", deps), nullptr);
  EXPECT_EQ(StrategyFor("apps", "Pod", deps), nullptr);
}

// Every leaf and subtree of a valid object replaced by each JSON type: strategies must answer
// with a Status or causes, never throw, crash or read out of bounds.
void CollectPointers(const Json& j, const std::string& at, std::vector<std::string>* out) {
  out->push_back(at);
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) CollectPointers(v, at + "/" + k, out);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) CollectPointers(j[i], at + "/" + std::to_string(i), out);
  }
}

TEST(StrategyForTest, IllTypedBodiesNeverCrashAStrategy) {
  Json pod_spec = {
      {"containers",
       {{{"name", "a"},
         {"image", "x"},
         {"ports", {{{"containerPort", 80}}}},
         {"env",
          {{{"name", "A"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}}}},
         {"resources", {{"limits", {{"cpu", "1"}}}}},
         {"volumeMounts", {{{"name", "v"}, {"mountPath", "/v"}}}},
         {"livenessProbe", {{"httpGet", {{"port", 80}}}}}}}},
      {"volumes", {{{"name", "v"}, {"configMap", {{"name", "c"}}}}}},
      {"tolerations", {{{"key", "k"}, {"operator", "Exists"}}}}};
  Json tmpl = {{"metadata", {{"labels", {{"app", "a"}}}}}, {"spec", pod_spec}};
  Json selector = {{"matchLabels", {{"app", "a"}}}};
  std::vector<std::tuple<const char*, const char*, Json>> samples = {
      {"", "Pod", {{"spec", pod_spec}}},
      {"",
       "Service",
       {{"spec",
         {{"type", "NodePort"},
          {"selector", {{"app", "a"}}},
          {"ports", {{{"port", 80}, {"nodePort", 30001}}}}}}}},
      {"apps",
       "Deployment",
       {{"spec",
         {{"selector", selector}, {"template", tmpl}, {"strategy", {{"type", "RollingUpdate"}}}}}}},
      {"apps",
       "StatefulSet",
       {{"spec",
         {{"selector", selector},
          {"template", tmpl},
          {"volumeClaimTemplates", {{{"spec", {{"accessModes", {"ReadWriteOnce"}}}}}}}}}}},
      {"apps", "DaemonSet", {{"spec", {{"selector", selector}, {"template", tmpl}}}}},
      {"", "ReplicationController", {{"spec", {{"template", tmpl}}}}},
      {"batch", "Job", {{"spec", {{"template", tmpl}}}}},
      {"batch",
       "CronJob",
       {{"spec", {{"schedule", "* * * * *"}, {"jobTemplate", {{"spec", {{"template", tmpl}}}}}}}}},
      {"", "Namespace", {{"spec", {{"finalizers", {"kubernetes"}}}}}},
      {"", "Secret", {{"data", {{"k", "dg=="}}}, {"stringData", {{"s", "v"}}}}},
      {"", "ConfigMap", {{"data", {{"k", "v"}}}, {"binaryData", {{"b", "dg=="}}}}},
      {"", "Node", {{"status", {{"capacity", {{"cpu", "1"}}}}}}},
      {"",
       "PersistentVolumeClaim",
       {{"spec",
         {{"accessModes", {"ReadWriteOnce"}},
          {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}}},
  };
  const Json kinds_of_junk[] = {Json(),        Json(5),        Json(-1),   Json("x"),
                                Json::array(), Json::object(), Json(true), Json(1.5)};
  StrategyDeps deps{ServiceAllocators::Default()};
  size_t runs = 0;
  for (auto& [group, kind, body] : samples) {
    std::shared_ptr<apiserver::ResourceStrategy> s = StrategyFor(group, kind, deps);
    ASSERT_NE(s, nullptr) << kind;
    body["metadata"] = {{"name", "n"}, {"namespace", "default"}, {"uid", "u"}};
    std::vector<std::string> pointers;
    CollectPointers(body, "", &pointers);
    for (const std::string& p : pointers) {
      if (p.empty() || p.rfind("/metadata", 0) == 0) continue;
      for (const Json& junk : kinds_of_junk) {
        Json obj = body;
        obj[Json::json_pointer(p)] = junk;
        Json created = obj;
        std::vector<apiserver::StatusCause> causes;
        if (s->PrepareForCreate(created).ok()) s->Validate(created, &causes);
        Json updated = obj;
        if (s->PrepareForUpdate(updated, body).ok()) s->ValidateUpdate(updated, body, &causes);
        (void)s->DefaultGracePeriodSeconds(updated);
        ++runs;
      }
    }
    s->AfterDelete(body);
  }
  EXPECT_GT(runs, 500u);
}

class RegistryRestStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("capstan-registry-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store::LevelDbStore::Options opts;
    opts.sync = false;
    auto s = store::LevelDbStore::Open(dir_.string(), opts);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    hub_ = std::make_unique<apiserver::CacheHub>(store_.get());
    ASSERT_TRUE(hub_->Start().ok());
    pods_ = Storage("Pod", "pods");
    services_ = Storage("Service", "services");
  }
  void TearDown() override {
    pods_.reset();
    services_.reset();
    hub_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<apiserver::RestStorage> Storage(const std::string& kind,
                                                  const std::string& plural) {
    apiserver::ResourceInfo info;
    info.version = "v1";
    info.kind = kind;
    info.plural = plural;
    info.has_status = true;
    apiserver::WatchCache::Options copts;
    copts.prefix = apiserver::ResourcePrefix("", plural);
    copts.decoder = [](std::string_view key, std::string_view bytes, int64_t rev) {
      return apiserver::DecodeStoredObject(key, bytes, rev, {});
    };
    auto cache = hub_->AddResource(std::move(copts));
    EXPECT_TRUE(cache.ok());
    return std::make_unique<apiserver::RestStorage>(info, StrategyFor("", kind, deps_),
                                                    store_.get(), hub_.get(), *cache);
  }

  template <typename T>
  static T Ok(ApiResult<T> r) {
    if (const ApiError* e = std::get_if<ApiError>(&r)) {
      ADD_FAILURE() << e->status.ToString();
      return T{};
    }
    return std::get<T>(std::move(r));
  }

  StrategyDeps deps_{ServiceAllocators::Default()};
  std::filesystem::path dir_;
  std::unique_ptr<store::LevelDbStore> store_;
  std::unique_ptr<apiserver::CacheHub> hub_;
  std::unique_ptr<apiserver::RestStorage> pods_;
  std::unique_ptr<apiserver::RestStorage> services_;
};

TEST_F(RegistryRestStorageTest, CreatedPodIsStoredWithDefaultsAndStatus) {
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "web"}}},
              {"spec", {{"containers", {{{"name", "web"}, {"image", "nginx"}}}}}}};
  WriteResult w = Ok(pods_->Create({}, "default", pod));
  EXPECT_EQ(w.object["spec"]["restartPolicy"], "Always");
  EXPECT_EQ(w.object["status"]["phase"], "Pending");
  auto got = Ok(pods_->Get("default", "web"));
  ASSERT_TRUE(got);
  Json stored = Json::parse(got->json);
  EXPECT_EQ(stored["spec"]["containers"][0]["imagePullPolicy"], "Always");
  EXPECT_EQ(stored["spec"]["dnsPolicy"], "ClusterFirst");
  EXPECT_EQ(stored["status"]["qosClass"], "BestEffort");
  // Unscheduled: deleted at once, no grace period.
  WriteResult del = Ok(pods_->Delete({}, "default", "web", {}));
  EXPECT_TRUE(del.removed);
}

TEST_F(RegistryRestStorageTest, InvalidPodIs422WithCauses) {
  Json pod = {{"metadata", {{"name", "bad"}}},
              {"spec", {{"restartPolicy", "Sometimes"}, {"containers", {{{"name", "web"}}}}}}};
  ApiResult<WriteResult> r = pods_->Create({}, "default", pod);
  ASSERT_TRUE(std::holds_alternative<ApiError>(r));
  const ApiError& e = std::get<ApiError>(r);
  EXPECT_EQ(e.status.code(), StatusCode::kInvalid);
  EXPECT_EQ(e.status.message(),
            "Pod \"bad\" is invalid: [spec.containers[0].image: Required value, "
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
            "\"OnFailure\", \"Never\"]");
  ASSERT_EQ(e.details.causes.size(), 2u);
  EXPECT_EQ(e.details.causes[0].reason, "FieldValueRequired");
  EXPECT_EQ(e.details.causes[1].reason, "FieldValueNotSupported");
}

TEST_F(RegistryRestStorageTest, ClusterIpIsExclusiveUntilTheServiceIsDeleted) {
  Json svc = {
      {"metadata", {{"name", "dns"}}},
      {"spec", {{"clusterIP", "10.96.0.10"}, {"ports", {{{"port", 53}, {"protocol", "UDP"}}}}}}};
  WriteResult w = Ok(services_->Create({}, "default", svc));
  EXPECT_EQ(w.object["spec"]["clusterIPs"], Json::array({"10.96.0.10"}));
  EXPECT_EQ(w.object["spec"]["ports"][0]["targetPort"], 53);

  Json other = svc;
  other["metadata"]["name"] = "dns2";
  ApiResult<WriteResult> clash = services_->Create({}, "default", other);
  ASSERT_TRUE(std::holds_alternative<ApiError>(clash));
  const ApiError& e = std::get<ApiError>(clash);
  EXPECT_EQ(e.status.code(), StatusCode::kInvalid);
  ASSERT_EQ(e.details.causes.size(), 1u);
  EXPECT_EQ(e.details.causes[0].field, "spec.clusterIPs");

  Ok(services_->Delete({}, "default", "dns", {}));
  WriteResult again = Ok(services_->Create({}, "default", other));
  EXPECT_EQ(again.object["spec"]["clusterIP"], "10.96.0.10");

  // After a restart the allocator is rebuilt from what the store holds.
  ServiceAllocators fresh = ServiceAllocators::Default();
  auto stored = Ok(services_->Get("default", "dns2"));
  ASSERT_TRUE(stored);
  EXPECT_TRUE(fresh.Rebuild({Json::parse(stored->json)}).empty());
  EXPECT_FALSE(fresh.ips->Allocate("10.96.0.10", "someone-else").ok());
}

}  // namespace
}  // namespace capstan::registry
