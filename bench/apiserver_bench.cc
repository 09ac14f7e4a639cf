// `apiserver_bench`: the API server end to end. Starts an ApiServer + HttpServer in this process
// on a durable LevelDbStore (sync writes) in a temporary directory, with the PKI of core/pki and
// no auth plugins (every request is anonymous and allowed), and measures over real HTTPS on
// 127.0.0.1: creates of ~2 KiB pods, gets, watch fan-out latency, a large LIST from the watch
// cache, and RSS. Prints one JSON document on stdout (progress on stderr). Phases are in
// apiserver_bench_phases.h; what each figure means is in docs/performance.md.
#include <malloc.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>
#include <sstream>

#include "bench/apiserver_bench_phases.h"
#include "core/common/flags.h"
#include "core/registry/strategy_factory.h"

namespace capstan::bench {
namespace {

struct Flags {
  bool quick = false;
  int64_t seconds = 5;
  int64_t list_pods = 150000;
  int64_t list_repeats = 3;
  int64_t fill_threads = 32;
  int64_t watchers = 1000;
  int64_t watch_writes = 100;
  int64_t watch_rate = 5;
  int64_t watch_client_threads = 1;
  int64_t workers = 16;
  int64_t io_threads = 2;
  std::string phases = "create,get,watch,list";
  std::string data_dir;
  bool keep_data = false;
};

struct Setup {
  std::unique_ptr<BenchServer> server;
  std::shared_ptr<registry::StrategyDeps> strategies;
};

// Wired as `capstan server` does (core/cmd/server_cmd.cc), minus the auth plugin chains and the
// CRD controller.
Result<Setup> StartServer(const std::string& dir, const Flags& f) {
  Setup s;
  s.server = std::make_unique<BenchServer>();
  BenchServer& b = *s.server;
  b.dir = dir;
  Result<pki::ServerPki> pki = pki::EnsureServerPki(dir, {});
  if (!pki.ok()) return pki.status().WithContext("pki");
  b.pki = std::move(*pki);
  store::LevelDbStore::Options store_options;
  store_options.sync = true;
  Result<std::unique_ptr<store::LevelDbStore>> store =
      store::LevelDbStore::Open(dir + "/store", store_options);
  if (!store.ok()) return store.status().WithContext("store");
  b.store = std::move(*store);

  apiserver::ApiServerOptions options;
  options.worker_threads = static_cast<int>(f.workers);
  s.strategies = std::make_shared<registry::StrategyDeps>();
  s.strategies->service_allocators = registry::ServiceAllocators::Default();
  options.strategy_factory = [deps = s.strategies](const api::ResourceInfo& r) {
    return registry::StrategyFor(r.group, r.kind, *deps);
  };
  Result<std::unique_ptr<apiserver::ApiServer>> api =
      apiserver::ApiServer::Create(b.store.get(), nullptr, nullptr, nullptr, options);
  if (!api.ok()) return api.status().WithContext("api server");
  b.api = std::move(*api);
  for (const char* name : {"default", "bench"}) {
    nlohmann::json ns = {
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
    apiserver::ApiResult<apiserver::WriteResult> r =
        b.api->StorageFor("", "namespaces")->Create({}, "", ns);
    if (auto* e = std::get_if<apiserver::ApiError>(&r)) return e->status.WithContext(name);
  }

  apiserver::HttpServerOptions http;
  http.address = "127.0.0.1";
  http.port = 0;
  http.io_threads = static_cast<int>(f.io_threads);
  http.tls.cert_chain_pem = b.pki.server.cert_pem;
  http.tls.key_pem = b.pki.server.key_pem;
  http.tls.client_ca_pem = b.pki.ca.cert_pem;
  apiserver::ApiServer* raw = b.api.get();
  Result<std::unique_ptr<apiserver::HttpServer>> server = apiserver::HttpServer::Start(
      http, [raw](std::shared_ptr<apiserver::HttpExchange> ex) { raw->Handle(std::move(ex)); });
  if (!server.ok()) return server.status().WithContext("http server");
  b.http = std::move(*server);
  return s;
}

void StopServer(Setup& s) {
  if (!s.server) return;
  if (s.server->http) s.server->http->Stop(std::chrono::seconds(2));
  if (s.server->api) s.server->api->Shutdown();
  s.server->http.reset();
  s.server->api.reset();
  s.server->store.reset();
}

std::set<std::string> SplitPhases(const std::string& list) {
  std::set<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.insert(item);
  }
  return out;
}

std::string Today() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

nlohmann::json Machine() {
  utsname u{};
  uname(&u);
  return {{"cpus", std::thread::hardware_concurrency()},
          {"cpu_model", CpuModel()},
          {"kernel", std::string(u.release)},
          {"note", "shared machine: other processes run concurrently (see loadavg)"}};
}

// One HTTP-created pod: its served form gives the managedFields the in-process list fill copies
// and the size of a stored pod, and it is the object the GET phase reads.
Result<nlohmann::json> CreateProbePod(BenchServer& server, const PodTemplate& pod) {
  SyncClient client(server.ca_pem());
  CAPSTAN_RETURN_IF_ERROR(client.Connect(server.port()));
  ClientResponse r =
      client.Request(http::verb::post, "/api/v1/namespaces/bench/pods", pod.Body("probe-pod-00"));
  if (r.status != 201) {
    return InternalError("creating the probe pod: " + std::to_string(r.status) + " " + r.error +
                         " " + r.body);
  }
  nlohmann::json obj = nlohmann::json::parse(r.body, nullptr, false);
  if (!obj.is_object()) return InternalError("the probe pod's response is not JSON");
  return obj;
}

int Run(const Flags& f) {
  std::set<std::string> phases = SplitPhases(f.phases);
  std::string dir = f.data_dir;
  if (dir.empty()) {
    dir = (std::filesystem::temp_directory_path() / "apiserver_bench.XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) {
      std::fprintf(stderr, "cannot create a temporary directory\n");
      return 1;
    }
  }
  nlohmann::json out = {{"benchmark", "apiserver"}, {"date", Today()}, {"machine", Machine()}};
  out["loadavg_start"] = LoadAverage();
  out["rss_kb"]["before_server_start"] = RssKb();
  Log("starting the server in " + dir);
  Result<Setup> setup = StartServer(dir, f);
  if (!setup.ok()) {
    std::fprintf(stderr, "apiserver_bench: %s\n", setup.status().ToString().c_str());
    return 1;
  }
  BenchServer& server = *setup->server;
  out["setup"] = {{"store", "LevelDB, sync=true (fdatasync per group commit)"},
                  {"api_worker_threads", f.workers},
                  {"http_io_threads", f.io_threads},
                  {"tls", "TLS 1.3 (OpenSSL default), P-256 serving certificate"},
                  {"auth", "none (authn/authz null: anonymous, allowed)"},
                  {"strategies", "registry (pod defaulting and validation)"},
                  {"clients", "in-process Beast keep-alive TLS clients on 127.0.0.1"},
                  {"quick", f.quick}};
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let start-up allocations settle
  out["rss_kb"]["idle_after_start"] = RssKb();

  PodTemplate pod;
  Result<nlohmann::json> probe = CreateProbePod(server, pod);
  if (!probe.ok()) {
    std::fprintf(stderr, "apiserver_bench: %s\n", probe.status().ToString().c_str());
    return 1;
  }
  out["pod"] = {{"request_body_bytes", pod.Body("pod-00000000").size()},
                {"served_bytes", probe->dump().size()}};
  nlohmann::json managed_fields = (*probe)["metadata"]["managedFields"];
  out["pod"]["served_managed_fields_bytes"] = managed_fields.dump().size();

  double seconds = static_cast<double>(f.seconds);
  if (phases.count("create")) {
    for (int clients : {1, 16, 64}) {
      Log("create: " + std::to_string(clients) + " clients");
      out["create"][std::to_string(clients) + "_clients"] =
          RunLoad(server, {clients, 0.5, seconds}, [&pod, clients](int c, int64_t i) {
            char name[64];
            std::snprintf(name, sizeof(name), "c%d-%d-%lld", clients, c, static_cast<long long>(i));
            return LoadRequest{http::verb::post, "/api/v1/namespaces/bench/pods", pod.Body(name),
                               201};
          });
    }
  }
  if (phases.count("get")) {
    for (int clients : {1, 16}) {
      Log("get: " + std::to_string(clients) + " clients");
      out["get"][std::to_string(clients) +
                 "_clients"] = RunLoad(server, {clients, 0.5, seconds}, [](int, int64_t) {
        return LoadRequest{http::verb::get, "/api/v1/namespaces/bench/pods/probe-pod-00", "", 200};
      });
    }
  }
  if (phases.count("watch")) {
    Log("watch: " + std::to_string(f.watchers) + " watchers");
    out["watch"] =
        RunWatch(server, {static_cast<int>(f.watchers), static_cast<int>(f.watch_client_threads),
                          static_cast<int>(f.watch_writes), static_cast<int>(f.watch_rate)});
  }
  // Clients are gone; give the server a moment to drop their connections.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  out["rss_kb"]["idle_after_load"] = RssKb();
  // What glibc keeps in free lists (64 client threads' arenas included) versus what is live.
  malloc_trim(0);
  out["rss_kb"]["idle_after_load_malloc_trim"] = RssKb();
  out["rss_kb"]["pods_cached_after_load"] =
      server.api->StorageFor("", "pods")->cache()->ObjectCount();
  out["rss_kb"]["note"] =
      "one process: clients run here too; idle figures have no client connections open";
  if (phases.count("list")) {
    Log("list: " + std::to_string(f.list_pods) + " pods");
    out["list"] = RunList(
        server,
        {f.list_pods, static_cast<int>(f.fill_threads), static_cast<int>(f.list_repeats), 500}, pod,
        managed_fields);
  }
  out["store_totals"] = {{"commits", server.store->GetStats().commits},
                         {"writes", server.store->GetStats().writes}};
  out["loadavg_end"] = LoadAverage();
  Log("stopping");
  StopServer(*setup);
  if (f.data_dir.empty() && !f.keep_data) std::filesystem::remove_all(dir);
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace
}  // namespace capstan::bench

int main(int argc, char** argv) {
  capstan::bench::Flags f;
  capstan::flags::FlagSet fs("apiserver_bench");
  fs.Bool("quick", &f.quick, "scale everything down for a run of about 15 seconds");
  fs.Int("seconds", &f.seconds, "measured seconds per create/get run");
  fs.Int("list-pods", &f.list_pods, "pods in the LIST phase");
  fs.Int("list-repeats", &f.list_repeats, "full LISTs to time");
  fs.Int("fill-threads", &f.fill_threads, "concurrent in-process creates filling the LIST set");
  fs.Int("watchers", &f.watchers, "streaming watch connections");
  fs.Int("watch-writes", &f.watch_writes, "updates the watchers observe");
  fs.Int("watch-rate", &f.watch_rate, "updates per second during the watch phase");
  fs.Int("watch-client-threads", &f.watch_client_threads, "io threads reading the watch streams");
  fs.Int("workers", &f.workers, "API server worker threads (capstan server's default: 16)");
  fs.Int("io-threads", &f.io_threads, "HTTPS io threads (capstan server's default: 2)");
  fs.String("phases", &f.phases, "comma-separated subset of create,get,watch,list");
  fs.String("data-dir", &f.data_dir, "store and PKI directory (default: a new temporary one)");
  fs.Bool("keep-data", &f.keep_data, "keep the temporary directory");
  std::vector<std::string> args(argv + 1, argv + argc);
  capstan::Status parsed = fs.Parse(args);
  if (!parsed.ok() || fs.help_requested()) {
    if (!parsed.ok()) std::fprintf(stderr, "%s\n", parsed.message().c_str());
    std::fprintf(parsed.ok() ? stdout : stderr, "%s", fs.Usage().c_str());
    return parsed.ok() ? 0 : 2;
  }
  if (f.quick) {
    // --quick sets what was not given explicitly.
    bool seconds_set = false, pods_set = false, watchers_set = false, writes_set = false;
    for (const std::string& a : args) {
      seconds_set |= a.rfind("--seconds", 0) == 0;
      pods_set |= a.rfind("--list-pods", 0) == 0;
      watchers_set |= a.rfind("--watchers", 0) == 0;
      writes_set |= a.rfind("--watch-writes", 0) == 0;
    }
    if (!seconds_set) f.seconds = 1;
    if (!pods_set) f.list_pods = 3000;
    if (!watchers_set) f.watchers = 50;
    if (!writes_set) f.watch_writes = 40;
    f.list_repeats = std::min<int64_t>(f.list_repeats, 2);
  }
  std::signal(SIGPIPE, SIG_IGN);
  return capstan::bench::Run(f);
}
