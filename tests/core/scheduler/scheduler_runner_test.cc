// Integration test for core/scheduler/scheduler_runner.h: a real in-process API server over
// HTTPS, the default sched plugins (plugins/sched, loaded as .so) and the runner's informers
// scheduling pods onto Node objects through pods/binding.
#include "core/scheduler/scheduler_runner.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/apiserver/api_server.h"
#include "core/apiserver/http_server.h"
#include "core/registry/strategy_factory.h"
#include "core/store/leveldb_store.h"
#include "tests/core/apiserver/http_test_client.h"
#include "tests/core/scheduler/scheduler_testing.h"

namespace capstan::scheduler {
namespace {

using nlohmann::json;

// Accepts the admin client certificate only.
class CertAuthenticator : public apiserver::Authenticator {
 public:
  Result<apiserver::UserInfo> Authenticate(const apiserver::HttpRequest& request) override {
    if (request.client_cert_verified) return apiserver::UserInfo{"admin", "", {"system:masters"}};
    return Status(StatusCode::kUnauthenticated, "Unauthorized");
  }
};

class SchedulerRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::LevelDbStore::Options so;
    so.sync = false;
    auto store = store::LevelDbStore::Open(pki_.dir() + "/store", so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    apiserver::ApiServerOptions options;
    options.worker_threads = 2;
    auto deps = std::make_shared<registry::StrategyDeps>();
    deps->service_allocators = registry::ServiceAllocators::Default();
    options.strategy_factory = [deps](const api::ResourceInfo& r) {
      return registry::StrategyFor(r.group, r.kind, *deps);
    };
    auto api = apiserver::ApiServer::Create(store_.get(), &authn_, nullptr, nullptr, options);
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(*api);
    json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "default"}}}};
    (void)api_->StorageFor("", "namespaces")->Create({}, "", ns);
    http_ = apiserver::testing::StartTestServer(
        pki_, [this](std::shared_ptr<apiserver::HttpExchange> ex) { api_->Handle(std::move(ex)); });
    client::ClientConfig config;
    config.server_url = "https://127.0.0.1:" + std::to_string(http_->port());
    config.ca_pem = pki_.pki().ca.cert_pem;
    config.client_cert_pem = pki_.pki().admin.cert_pem;
    config.client_key_pem = pki_.pki().admin.key_pem;
    auto c = client::ApiClient::Create(config);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(*c);
  }
  void TearDown() override {
    if (runner_) runner_->Stop();
    runner_.reset();
    registry_.reset();
    client_.reset();
    if (http_) http_->Stop(std::chrono::milliseconds(500));
    if (api_) api_->Shutdown();
  }

  void LoadDefaultPlugins() {
    json entries = json::array();
    for (auto [name, weight] :
         std::vector<std::pair<std::string, int>>{{"prioritysort", 1},
                                                  {"node-unschedulable", 1},
                                                  {"node-name", 1},
                                                  {"taint-toleration", 3},
                                                  {"node-affinity", 2},
                                                  {"node-ports", 1},
                                                  {"node-resources-fit", 1},
                                                  {"node-resources-balanced-allocation", 1},
                                                  {"image-locality", 1},
                                                  {"default-binder", 1}}) {
      entries.push_back({{"name", name}, {"library", "sched/" + name + ".so"}, {"weight", weight}});
    }
    json doc = {{"apiVersion", "capstan.io/v1alpha1"},
                {"kind", "PluginConfiguration"},
                {"pluginDirs", {CAPSTAN_PLUGIN_DIR}},
                {"chains", {{"sched", {{"plugins", entries}}}}}};
    auto config = plugin::ParsePluginConfiguration(doc, "test", CAPSTAN_PLUGIN_DIR);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    plugin::RegistryOptions ro;
    ro.configure_host = SchedHostConfigurer(services_);
    registry_ = plugin::Registry::Load(*config, ro);
    ASSERT_TRUE(registry_->status().ok()) << registry_->status().ToString();
  }

  void CreateNode(const std::string& name, const std::string& cpu, json taints = json::array()) {
    json node = testing::NodeJson(name, cpu, "8Gi", {{"kubernetes.io/hostname", name}}, taints);
    auto created = client_->Create("/api/v1/nodes", node);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    if (!created->contains("status") || !(*created)["status"].contains("allocatable")) {
      auto patched = client_->Patch("/api/v1/nodes/" + name + "/status",
                                    "application/merge-patch+json", {{"status", node["status"]}});
      ASSERT_TRUE(patched.ok()) << patched.status().ToString();
    }
  }
  void CreatePod(const std::string& name, const std::string& cpu) {
    json pod = testing::PodJson(name, cpu, "64Mi");
    pod["metadata"].erase("uid");
    pod["metadata"].erase("creationTimestamp");
    pod.erase("status");
    auto created = client_->Create("/api/v1/namespaces/default/pods", pod);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  json Pod(const std::string& name) {
    auto p = client_->Get("/api/v1/namespaces/default/pods/" + name);
    return p.ok() ? *p : json();
  }
  std::string NodeOf(const std::string& name) {
    json p = Pod(name);
    return p.is_object() ? p["spec"].value("nodeName", "") : "";
  }
  std::vector<json> Events(const std::string& reason) {
    std::vector<json> out;
    auto list = client_->Get("/api/v1/namespaces/default/events");
    if (!list.ok()) return out;
    for (const json& e : (*list)["items"]) {
      if (e.value("reason", "") == reason) out.push_back(e);
    }
    return out;
  }

  apiserver::testing::TestPki pki_;
  CertAuthenticator authn_;
  std::unique_ptr<store::LevelDbStore> store_;
  std::unique_ptr<apiserver::ApiServer> api_;
  std::unique_ptr<apiserver::HttpServer> http_;
  std::unique_ptr<client::ApiClient> client_;
  std::shared_ptr<SchedHostServices> services_ = std::make_shared<SchedHostServices>();
  std::unique_ptr<plugin::Registry> registry_;
  std::unique_ptr<SchedulerRunner> runner_;
};

TEST_F(SchedulerRunnerTest, SchedulesPodsOntoNodesWithTheDefaultPluginsThroughTheApi) {
  LoadDefaultPlugins();
  CreateNode("n1", "4");
  CreateNode("n2", "4",
             json::array({{{"key", "dedicated"}, {"value", "infra"}, {"effect", "NoSchedule"}}}));
  SchedulerRunnerOptions options;
  options.client = client_.get();
  options.chain = registry_->chain(CAPSTAN_KIND_SCHED);
  options.services = services_;
  options.scheduler.initial_backoff = std::chrono::milliseconds(50);
  options.scheduler.max_backoff = std::chrono::milliseconds(200);
  auto runner = StartScheduler(options);
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  runner_ = std::move(*runner);

  for (int i = 0; i < 3; ++i) CreatePod("web-" + std::to_string(i), "500m");
  CreatePod("huge", "100");
  for (int i = 0; i < 3; ++i) {
    std::string pod = "web-" + std::to_string(i);
    ASSERT_TRUE(testing::Eventually([&] { return !NodeOf(pod).empty(); })) << pod;
    EXPECT_EQ(NodeOf(pod), "n1") << pod << " must avoid the tainted node";
  }
  // The oversized pod: condition and event with the upstream-style message.
  ASSERT_TRUE(testing::Eventually([&] {
    json p = Pod("huge");
    for (const json& c : p["status"].value("conditions", json::array())) {
      if (c.value("type", "") == "PodScheduled" && c.value("reason", "") == "Unschedulable") {
        return true;
      }
    }
    return false;
  }));
  std::string message;
  json huge = Pod("huge");
  for (const json& c : huge["status"]["conditions"]) {
    if (c.value("type", "") == "PodScheduled") message = c.value("message", "");
  }
  EXPECT_EQ(message.rfind("0/2 nodes are available: ", 0), 0u) << message;
  EXPECT_EQ(message,
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint "
            "{dedicated: infra}.");
  ASSERT_TRUE(testing::Eventually([&] { return Events("Scheduled").size() >= 3; }));
  EXPECT_FALSE(Events("FailedScheduling").empty());
  json scheduled = Events("Scheduled")[0];
  EXPECT_EQ(scheduled["involvedObject"]["kind"], "Pod");
  EXPECT_EQ(scheduled["reportingComponent"], "default-scheduler");

  // A big node arrives: the node event moves the pod back and it lands there.
  CreateNode("big", "200");
  ASSERT_TRUE(testing::Eventually([&] { return NodeOf("huge") == "big"; }));
  // Bound pods reached the cache through the informer (confirmed, no longer assumed).
  ASSERT_TRUE(
      testing::Eventually([&] { return !runner_->scheduler().cache().IsAssumed("default/huge"); }));
  EXPECT_TRUE(runner_->scheduler().cache().HasPod("default/web-0"));
}

}  // namespace
}  // namespace capstan::scheduler
