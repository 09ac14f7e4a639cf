// scheduler_api_bench: scheduling throughput including the binding writes — an in-process API
// server over HTTPS (LevelDB store without fsync, as in tests/core/scheduler/
// scheduler_runner_test.cc), N Node and M pending Pod objects created through the API, then the
// real scheduler (StartScheduler, core/scheduler/scheduler_runner.h) with the default sched
// plugins as .so; timed until a pods watch has seen all M pods bound. Prints one JSON object.
// `--transport=in-process` gives the scheduler the in-process client
// (core/apiserver/local_api_client.h) instead of HTTPS; objects are created and the pods watch
// runs over HTTPS either way.
// Usage: scheduler_api_bench [--nodes=N] [--pods=M] [--parallelism=P] [--creators=C]
//                            [--binding-threads=B] [--transport=https|in-process]
#include <stdlib.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/hollow_cluster.h"
#include "core/apiserver/api_server.h"
#include "core/apiserver/http_server.h"
#include "core/apiserver/local_api_client.h"
#include "core/plugin/chain_config.h"
#include "core/plugin/registry.h"
#include "core/registry/strategy_factory.h"
#include "core/scheduler/scheduler_runner.h"
#include "core/store/leveldb_store.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::scheduler {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Flags {
  size_t nodes = 5000;
  size_t pods = 5000;
  int parallelism = 2;
  int creators = 8;  // client threads creating the objects
  int binding_threads = SchedulerOptions{}.binding_threads;
  std::string transport = "https";  // the scheduler's: https or in-process
};

class CertAuthenticator : public apiserver::Authenticator {
 public:
  Result<apiserver::UserInfo> Authenticate(const apiserver::HttpRequest& request) override {
    if (request.client_cert_verified) return apiserver::UserInfo{"admin", "", {"system:masters"}};
    return Status(StatusCode::kUnauthenticated, "Unauthorized");
  }
};

[[noreturn]] void Die(const std::string& what, const Status& s) {
  fprintf(stderr, "%s: %s\n", what.c_str(), s.ToString().c_str());
  exit(1);
}

// A hollow node as a kubelet would report it (capacity and Ready).
json NodeObject(size_t i) {
  json node = bench::HollowNode(i);
  node["status"]["capacity"] = node["status"]["allocatable"];
  node["status"]["conditions"] = json::array({{{"type", "Ready"}, {"status", "True"}}});
  return node;
}

json PodObject(size_t i) { return bench::PendingPod(i, "default", /*anti_affinity=*/false); }

// Creates objects [0, count) with `creators` threads sharing one client.
void CreateAll(client::ApiClient* c, size_t count, int creators, const std::string& path,
               json (*make)(size_t)) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(creators));
  for (int t = 0; t < creators; ++t) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < count; i = next++) {
        json obj = make(i);
        Result<json> created = c->Create(path, obj);
        if (!created.ok()) Die("create " + path, created.status());
        if (obj["kind"] == "Node" && !(*created)["status"].contains("allocatable")) {
          Result<json> patched =
              c->Patch(path + "/" + obj["metadata"]["name"].get<std::string>() + "/status",
                       "application/merge-patch+json", {{"status", obj["status"]}});
          if (!patched.ok()) Die("patch node status", patched.status());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
}

std::unique_ptr<plugin::Registry> LoadDefault(const std::shared_ptr<SchedHostServices>& services) {
  json entries = json::array();
  for (const bench::ProfileEntry& e : bench::DefaultProfile()) {
    entries.push_back({{"name", e.name}, {"library", e.library}, {"weight", e.weight}});
  }
  entries.push_back({{"name", "default-binder"}, {"library", "sched/default-binder.so"}});
  json doc = {{"apiVersion", "capstan.io/v1alpha1"},
              {"kind", "PluginConfiguration"},
              {"pluginDirs", {CAPSTAN_PLUGIN_DIR}},
              {"chains", {{"sched", {{"plugins", entries}}}}}};
  Result<plugin::PluginConfiguration> config =
      plugin::ParsePluginConfiguration(doc, "bench", CAPSTAN_PLUGIN_DIR);
  if (!config.ok()) Die("plugin configuration", config.status());
  plugin::RegistryOptions ro;
  ro.configure_host = SchedHostConfigurer(services);
  std::unique_ptr<plugin::Registry> registry = plugin::Registry::Load(*config, ro);
  if (!registry->status().ok()) Die("registry", registry->status());
  return registry;
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int Main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (strncmp(a, "--nodes=", 8) == 0) {
      f.nodes = strtoul(a + 8, nullptr, 10);
    } else if (strncmp(a, "--pods=", 7) == 0) {
      f.pods = strtoul(a + 7, nullptr, 10);
    } else if (strncmp(a, "--parallelism=", 14) == 0) {
      f.parallelism = atoi(a + 14);
    } else if (strncmp(a, "--binding-threads=", 18) == 0) {
      f.binding_threads = atoi(a + 18);
    } else if (strncmp(a, "--creators=", 11) == 0) {
      f.creators = atoi(a + 11);
    } else if (strcmp(a, "--transport=https") == 0 || strcmp(a, "--transport=in-process") == 0) {
      f.transport = a + 12;
    } else {
      fprintf(stderr, "unknown flag %s\n", a);
      return 2;
    }
  }
  apiserver::testing::TestPki pki;
  CertAuthenticator authn;
  store::LevelDbStore::Options so;
  so.sync = false;
  Result<std::unique_ptr<store::LevelDbStore>> store =
      store::LevelDbStore::Open(pki.dir() + "/store", so);
  if (!store.ok()) Die("store", store.status());
  apiserver::ApiServerOptions options;
  options.worker_threads = 2;
  auto deps = std::make_shared<registry::StrategyDeps>();
  deps->service_allocators = registry::ServiceAllocators::Default();
  options.strategy_factory = [deps](const api::ResourceInfo& r) {
    return registry::StrategyFor(r.group, r.kind, *deps);
  };
  Result<std::unique_ptr<apiserver::ApiServer>> api =
      apiserver::ApiServer::Create(store->get(), &authn, nullptr, nullptr, options);
  if (!api.ok()) Die("api server", api.status());
  json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "default"}}}};
  (void)(*api)->StorageFor("", "namespaces")->Create({}, "", ns);
  std::unique_ptr<apiserver::HttpServer> http = apiserver::testing::StartTestServer(
      pki, [&](std::shared_ptr<apiserver::HttpExchange> ex) { (*api)->Handle(std::move(ex)); });
  client::ClientConfig config;
  config.server_url = "https://127.0.0.1:" + std::to_string(http->port());
  config.ca_pem = pki.pki().ca.cert_pem;
  config.client_cert_pem = pki.pki().admin.cert_pem;
  config.client_key_pem = pki.pki().admin.key_pem;
  client::ApiClientOptions co;
  co.max_connections = f.creators;
  Result<std::unique_ptr<client::ApiClient>> c = client::ApiClient::Create(config, co);
  if (!c.ok()) Die("client", c.status());

  Clock::time_point t_create = Clock::now();
  CreateAll(c->get(), f.nodes, f.creators, "/api/v1/nodes", NodeObject);
  double nodes_seconds = Since(t_create);
  t_create = Clock::now();
  CreateAll(c->get(), f.pods, f.creators, "/api/v1/namespaces/default/pods", PodObject);
  double pods_seconds = Since(t_create);

  // Watch from the current revision: count pods that gain spec.nodeName.
  Result<json> list = (*c)->Get("/api/v1/namespaces/default/pods?limit=1");
  if (!list.ok()) Die("list pods", list.status());
  std::string rv = (*list)["metadata"].value("resourceVersion", "");
  std::mutex mu;
  std::condition_variable cv;
  size_t bound = 0;
  std::unique_ptr<client::WatchHandle> watch = (*c)->Watch(
      "/api/v1/namespaces/default/pods?watch=true&resourceVersion=" + rv,
      [&](client::WatchEventType type, const std::shared_ptr<const json>& obj) {
        if (type != client::WatchEventType::kModified || !obj) return;
        const json& spec = (*obj)["spec"];
        if (!spec.contains("nodeName")) return;
        std::lock_guard lock(mu);
        ++bound;
        cv.notify_all();
      },
      [](const Status& s) {
        if (!s.ok()) fprintf(stderr, "watch ended: %s\n", s.ToString().c_str());
      });

  std::unique_ptr<client::ApiClient> local;
  if (f.transport == "in-process") {
    Result<std::unique_ptr<apiserver::LocalApiClient>> l = apiserver::LocalApiClient::Open(
        config,
        [&](std::shared_ptr<apiserver::HttpExchange> ex) { (*api)->Handle(std::move(ex)); });
    if (!l.ok()) Die("in-process client", l.status());
    local = std::move(*l);
  }
  auto services = std::make_shared<SchedHostServices>();
  std::unique_ptr<plugin::Registry> registry = LoadDefault(services);
  SchedulerRunnerOptions ro;
  ro.client = local ? local.get() : c->get();
  ro.chain = registry->chain(CAPSTAN_KIND_SCHED);
  ro.services = services;
  ro.scheduler.parallelism = f.parallelism;
  ro.scheduler.binding_threads = f.binding_threads;
  ro.sync_timeout = std::chrono::milliseconds(120'000);
  double cpu0 = CpuSeconds();
  Clock::time_point t0 = Clock::now();
  Result<std::unique_ptr<SchedulerRunner>> runner = StartScheduler(ro);
  if (!runner.ok()) Die("scheduler", runner.status());
  double sync_seconds = Since(t0);
  bool done = false;
  {
    std::unique_lock lock(mu);
    // One MODIFIED event with spec.nodeName per pod: the scheduler writes no status or
    // other update for pods it scheduled.
    done = cv.wait_for(lock, std::chrono::seconds(300), [&] { return bound >= f.pods; });
  }
  double seconds = Since(t0);
  double cpu = CpuSeconds() - cpu0;
  const SchedulerStats& st = (*runner)->scheduler().stats();
  json out = {{"bench", "scheduler_api"},
              {"nodes", f.nodes},
              {"pods", f.pods},
              {"parallelism", f.parallelism},
              {"binding_threads", f.binding_threads},
              {"transport", f.transport},
              {"completed", done},
              {"bound_seen_by_watch", bound},
              {"scheduled", st.scheduled.load()},
              {"bound", st.bound.load()},
              {"bind_failures", st.bind_failures.load()},
              {"create_nodes_per_second", static_cast<double>(f.nodes) / nodes_seconds},
              {"create_pods_per_second", static_cast<double>(f.pods) / pods_seconds},
              {"informer_sync_seconds", sync_seconds},
              {"seconds", seconds},
              {"pods_per_second", static_cast<double>(bound) / seconds},
              // Without the informers' initial LIST: from the scheduler's start to the last
              // binding seen by the watch.
              {"pods_per_second_after_sync", static_cast<double>(bound) / (seconds - sync_seconds)},
              {"cpu_seconds", cpu},
              {"pods_per_cpu_second", static_cast<double>(bound) / cpu},
              {"note",
               "one process: API server (2 workers, LevelDB no fsync) + scheduler + watch; "
               "seconds and CPU from StartScheduler (informer LIST included) to the last "
               "binding seen by the watch"}};
  printf("%s\n", out.dump(2).c_str());
  watch->Stop();
  (*runner)->Stop();
  runner->reset();
  local.reset();
  http->Stop(std::chrono::milliseconds(500));
  (*api)->Shutdown();
  return done ? 0 : 1;
}

}  // namespace
}  // namespace capstan::scheduler

int main(int argc, char** argv) { return capstan::scheduler::Main(argc, argv); }
