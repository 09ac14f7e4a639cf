// deployment_bench: the controller + scheduler path end to end. Spawns the built `capstan server
// --disable-agent` (API server, scheduler, controller host with the default controller chain)
// with a temp --data-dir, registers N hollow Nodes (bench/hollow_cluster.h) through
// DIR/admin.kubeconfig, creates one Deployment of R replicas and watches its pods until all R
// exist and all R are bound. Prints one JSON object with times, server CPU (from /proc) and RSS.
// `--idle-rss` instead measures the idle server with and without its controller host.
// `--control-plane-transport` is passed to the server (how its scheduler and controllers reach
// the API: in-process, its default, or https).
// Usage: deployment_bench [--capstan=BIN] [--plugin-dir=DIR] [--plugin-config=YAML]
//                         [--nodes=N] [--replicas=R] [--control-plane-transport=T]
//                         [--creators=C] [--timeout=S] [--idle-rss] [--keep]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "bench/hollow_cluster.h"
#include "core/client/api_client.h"

extern char** environ;

namespace capstan::bench {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Flags {
  std::string capstan = CAPSTAN_BIN;
  std::string plugin_dir;     // empty: the server's default
  std::string plugin_config;  // empty: the server's default chains
  std::string transport;      // --control-plane-transport; empty: the server's default
  size_t nodes = 1000;
  size_t replicas = 10000;
  int creators = 8;  // client threads registering nodes
  int timeout_seconds = 120;
  bool idle_rss = false;
  bool keep = false;  // keep the temp dir (server log, store)
};

[[noreturn]] void Die(const std::string& what) {
  fprintf(stderr, "deployment_bench: %s\n", what.c_str());
  exit(1);
}

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A running `capstan server`; killed (SIGTERM, then SIGKILL) on destruction.
class Server {
 public:
  Server(const Flags& f, const std::string& dir, bool controllers) : dir_(dir) {
    std::vector<std::string> args = {f.capstan, "server", "--data-dir=" + dir + "/data",
                                     "--secure-port=0", "--disable-agent",
                                     // Hollow nodes post no heartbeats: node-lifecycle would
                                     // taint them (as tests/e2e/capstan_cluster.py does).
                                     "--disable-controller=node-lifecycle", "--ingress-http-port=0",
                                     "--ingress-https-port=0", "--dns-port=0"};
    if (!f.plugin_dir.empty()) args.push_back("--plugin-dir=" + f.plugin_dir);
    if (!f.plugin_config.empty()) args.push_back("--plugin-config=" + f.plugin_config);
    if (!f.transport.empty()) args.push_back("--control-plane-transport=" + f.transport);
    if (!controllers) args.push_back("--disable-controllers");
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (pipe(out) != 0) Die("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    std::string log = dir + "/server.log";
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
      Die("cannot run " + f.capstan);
    }
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    // "capstan server: serving URL; kubeconfig PATH" once everything runs.
    std::string line;
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (line.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 1000) <= 0) continue;
      char buf[512];
      ssize_t n = read(out[0], buf, sizeof(buf));
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    stdout_fd_ = out[0];
    size_t k = line.find("kubeconfig ");
    if (line.find("serving") == std::string::npos || k == std::string::npos) {
      Die("server did not start (see " + log + "): " + line);
    }
    kubeconfig_ = line.substr(k + 11, line.find('\n') - k - 11);
  }
  ~Server() {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (i == 99) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    close(stdout_fd_);
  }
  pid_t pid() const { return pid_; }
  const std::string& kubeconfig() const { return kubeconfig_; }

  // utime + stime of the whole process.
  double CpuSeconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t paren = text.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream fields(text.substr(paren + 2));
    std::string skip;
    for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt (fields 3-13)
    double utime = 0, stime = 0;
    fields >> utime >> stime;
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  // A /proc/PID/status field in KiB ("VmRSS", "VmHWM").
  int64_t StatusKb(const std::string& field) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(field + ":", 0) == 0)
        return strtoll(line.c_str() + field.size() + 1, nullptr, 10);
    }
    return -1;
  }

 private:
  std::string dir_;
  pid_t pid_ = 0;
  int stdout_fd_ = -1;
  std::string kubeconfig_;
};

std::unique_ptr<client::ApiClient> Connect(const Server& server, int connections) {
  client::ApiClientOptions o;
  o.max_connections = connections;
  Result<std::unique_ptr<client::ApiClient>> c =
      client::ApiClient::FromKubeconfig(server.kubeconfig(), o);
  if (!c.ok()) Die("client: " + c.status().ToString());
  return std::move(*c);
}

// Hollow node i as a kubelet would report it: capacity = allocatable, Ready.
void RegisterNode(client::ApiClient* c, size_t i) {
  json node = HollowNode(i);
  json status = node["status"];
  status["capacity"] = status["allocatable"];
  status["conditions"] = json::array({{{"type", "Ready"}, {"status", "True"}}});
  node["status"] = status;
  Result<json> created = c->Create("/api/v1/nodes", node);
  if (!created.ok()) Die("create node: " + created.status().ToString());
  std::string path = "/api/v1/nodes/" + node["metadata"]["name"].get<std::string>();
  Result<json> patched =
      c->Patch(path + "/status", "application/merge-patch+json", {{"status", status}});
  if (!patched.ok()) Die("node status: " + patched.status().ToString());
}

// Thread t registers nodes t, t + creators, t + 2 * creators, ...
void RegisterNodes(client::ApiClient* c, size_t count, int creators) {
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(creators));
  for (size_t t = 0; t < static_cast<size_t>(creators); ++t) {
    threads.emplace_back([c, count, creators, t] {
      for (size_t i = t; i < count; i += static_cast<size_t>(creators)) RegisterNode(c, i);
    });
  }
  for (std::thread& t : threads) t.join();
}

json Deployment(size_t replicas) {
  json labels = {{"app", "bench"}};
  json container = {{"name", "c"},
                    {"image", "registry.local/app:1"},
                    {"resources", {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}}}}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", "bench"}, {"namespace", "bench"}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", labels}}},
            {"template",
             {{"metadata", {{"labels", labels}}},
              {"spec", {{"containers", json::array({container})}}}}}}}};
}

// Counts distinct pods seen and bound by one watch; times the first/last of each.
class PodWatch {
 public:
  PodWatch(client::ApiClient* c, const std::string& rv, size_t want, Clock::time_point* t0)
      : want_(want), t0_(t0) {
    watch_ = c->Watch(
        "/api/v1/namespaces/bench/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=600&"
        "resourceVersion=" +
            rv,
        [this](client::WatchEventType type, const std::shared_ptr<const json>& obj) {
          if (obj && (type == client::WatchEventType::kAdded ||
                      type == client::WatchEventType::kModified)) {
            See(*obj);
          }
        },
        [](const Status& s) {
          if (!s.ok()) fprintf(stderr, "pod watch ended: %s\n", s.ToString().c_str());
        });
  }
  ~PodWatch() { watch_->Stop(); }

  // True when all were bound before `deadline`.
  bool Wait(Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, deadline, [&] { return bound_.size() >= want_; });
  }
  json Report() {
    std::lock_guard lock(mu_);
    return {{"pods_seen", seen_.size()},
            {"pods_bound", bound_.size()},
            {"seconds_to_first_created", first_created_},
            {"seconds_to_all_created", all_created_},
            {"seconds_to_all_bound", all_bound_}};
  }

 private:
  void See(const json& pod) {
    auto meta = pod.find("metadata");
    auto spec = pod.find("spec");
    if (meta == pod.end() || spec == pod.end()) return;
    std::string name = meta->value("name", "");
    bool is_bound = spec->contains("nodeName");
    std::lock_guard lock(mu_);
    double now = Since(*t0_);
    if (seen_.insert(name).second) {
      if (seen_.size() == 1) first_created_ = now;
      if (seen_.size() == want_) all_created_ = now;
    }
    if (is_bound && bound_.insert(name).second && bound_.size() == want_) {
      all_bound_ = now;
      cv_.notify_all();
    }
  }

  const size_t want_;
  Clock::time_point* t0_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_set<std::string> seen_, bound_;
  double first_created_ = -1, all_created_ = -1, all_bound_ = -1;
  std::unique_ptr<client::WatchHandle> watch_;
};

// apiserver_request_total and capstan_store_revision from the server's /metrics.
std::map<std::string, int64_t> ServerCounters(client::ApiClient* c) {
  std::map<std::string, int64_t> out;
  Result<client::ApiResponse> r = c->Request("GET", "/metrics", "", "");
  if (!r.ok()) return out;
  std::istringstream lines(r->body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.find(' ');
    if (sp != std::string::npos)
      out[line.substr(0, sp)] = strtoll(line.c_str() + sp + 1, nullptr, 10);
  }
  return out;
}

size_t CountItems(client::ApiClient* c, const std::string& path) {
  Result<json> list = c->Get(path);
  return list.ok() && (*list)["items"].is_array() ? (*list)["items"].size() : 0;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

json RunThroughput(const Flags& f, const std::string& dir) {
  json out = {{"bench", "deployment"},
              {"nodes", f.nodes},
              {"replicas", f.replicas},
              {"load_average_at_start", LoadAverage()}};
  Clock::time_point t_start = Clock::now();
  Server server(f, dir, /*controllers=*/true);
  out["server_start_seconds"] = Since(t_start);
  std::unique_ptr<client::ApiClient> c = Connect(server, f.creators);
  json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "bench"}}}};
  if (Result<json> r = c->Create("/api/v1/namespaces", ns); !r.ok()) {
    Die("namespace: " + r.status().ToString());
  }
  Clock::time_point t_nodes = Clock::now();
  RegisterNodes(c.get(), f.nodes, f.creators);
  out["register_nodes_seconds"] = Since(t_nodes);
  // Give the scheduler's node informer a moment to see the last nodes (it lags by one watch
  // delivery, not by anything the bench measures).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  Result<json> list = c->Get("/api/v1/namespaces/bench/pods?limit=1");
  if (!list.ok()) Die("list pods: " + list.status().ToString());
  Clock::time_point t0 = Clock::now();
  PodWatch watch(c.get(), (*list)["metadata"].value("resourceVersion", "0"), f.replicas, &t0);
  std::map<std::string, int64_t> counters0 = ServerCounters(c.get());
  int64_t rss0 = server.StatusKb("VmRSS");
  double cpu0 = server.CpuSeconds();
  t0 = Clock::now();
  if (Result<json> r =
          c->Create("/apis/apps/v1/namespaces/bench/deployments", Deployment(f.replicas));
      !r.ok()) {
    Die("deployment: " + r.status().ToString());
  }
  bool done = watch.Wait(Clock::now() + std::chrono::seconds(f.timeout_seconds));
  double cpu = server.CpuSeconds() - cpu0;
  std::map<std::string, int64_t> counters1 = ServerCounters(c.get());
  json r = watch.Report();
  out.update(r);
  double bound_s = r["seconds_to_all_bound"].get<double>();
  out["completed"] = done;
  out["pods_per_second"] = done ? static_cast<double>(f.replicas) / bound_s : 0.0;
  out["server_cpu_seconds"] = cpu;
  out["server_cpu_ms_per_pod"] = 1000.0 * cpu / static_cast<double>(f.replicas);
  out["server_rss_mb_before"] = static_cast<double>(rss0) / 1024.0;
  out["server_rss_mb_after"] = static_cast<double>(server.StatusKb("VmRSS")) / 1024.0;
  out["server_peak_rss_mb"] = static_cast<double>(server.StatusKb("VmHWM")) / 1024.0;
  auto delta = [&](const char* k) { return counters1[k] - counters0[k]; };
  out["api_requests"] = delta("apiserver_request_total");
  out["store_writes"] = delta("capstan_store_revision");
  out["store_writes_per_pod"] =
      static_cast<double>(delta("capstan_store_revision")) / static_cast<double>(f.replicas);
  out["events_in_namespace"] = CountItems(c.get(), "/api/v1/namespaces/bench/events");
  out["replicasets"] = CountItems(c.get(), "/apis/apps/v1/namespaces/bench/replicasets");
  out["method"] =
      "spawned `capstan server --disable-agent --disable-controller=node-lifecycle` "
      "(default plugin chains, LevelDB with fsync) with a temp --data-dir; N hollow Nodes "
      "registered (create + status patch); clock and server CPU (/proc/PID/stat utime+stime "
      "of the whole server: API server + scheduler + controllers) from the Deployment POST "
      "until a pods watch saw all R pods with spec.nodeName; store_writes = store revision "
      "delta; peak RSS = VmHWM";
  return out;
}

json RunIdleRss(const Flags& f, const std::string& dir) {
  json out = {{"bench", "deployment_idle_rss"}, {"load_average_at_start", LoadAverage()}};
  for (bool controllers : {false, true}) {
    std::string sub = dir + (controllers ? "/with" : "/without");
    std::filesystem::create_directories(sub);
    Server server(f, sub, controllers);
    // Let informers sync and start-up allocations settle.
    std::this_thread::sleep_for(std::chrono::seconds(3));
    int64_t rss = server.StatusKb("VmRSS");
    std::this_thread::sleep_for(std::chrono::seconds(2));
    rss = std::max(rss, server.StatusKb("VmRSS"));
    double mb = static_cast<double>(rss) / 1024.0;
    out[controllers ? "server_rss_mb_with_controllers" : "server_rss_mb_without_controllers"] = mb;
    out[controllers ? "threads_with_controllers" : "threads_without_controllers"] =
        server.StatusKb("Threads");
  }
  out["controller_host_idle_rss_mb"] = out["server_rss_mb_with_controllers"].get<double>() -
                                       out["server_rss_mb_without_controllers"].get<double>();
  out["method"] =
      "VmRSS of an idle, empty `capstan server --disable-agent "
      "--disable-controller=node-lifecycle` 3-5 s after it printed `serving`, once with "
      "--disable-controllers and once without; the controller host's share is the "
      "difference (its .so pages, threads, informers, clients' buffers)";
  return out;
}

int Main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string v;
    auto is = [&](const char* name) {
      size_t n = strlen(name);
      if (a.compare(0, n, name) != 0) return false;
      v = a.substr(n);
      return true;
    };
    if (is("--capstan=")) {
      f.capstan = v;
    } else if (is("--plugin-dir=")) {
      f.plugin_dir = v;
    } else if (is("--plugin-config=")) {
      f.plugin_config = v;
    } else if (is("--control-plane-transport=")) {
      f.transport = v;
    } else if (is("--nodes=")) {
      f.nodes = strtoul(v.c_str(), nullptr, 10);
    } else if (is("--replicas=")) {
      f.replicas = strtoul(v.c_str(), nullptr, 10);
    } else if (is("--creators=")) {
      f.creators = atoi(v.c_str());
    } else if (is("--timeout=")) {
      f.timeout_seconds = atoi(v.c_str());
    } else if (a == "--idle-rss") {
      f.idle_rss = true;
    } else if (a == "--keep") {
      f.keep = true;
    } else {
      fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  // Every 10th hollow node is tainted and the template tolerates nothing; 110 pods per node.
  if (!f.idle_rss && f.replicas > (f.nodes - f.nodes / 10) * 110) {
    Die("too many replicas for " + std::to_string(f.nodes) + " nodes (110 pods each)");
  }
  char tmpl[] = "/tmp/capstan-deploybench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) Die("mkdtemp");
  std::string dir = tmpl;
  json out = f.idle_rss ? RunIdleRss(f, dir) : RunThroughput(f, dir);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  out["bench_client_cpu_seconds"] =
      static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
      static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  out["capstan"] = f.capstan;
  if (!f.plugin_config.empty()) out["plugin_config"] = f.plugin_config;
  out["control_plane_transport"] = f.transport.empty() ? "server default" : f.transport;
  printf("%s\n", out.dump(2).c_str());
  if (f.keep) {
    fprintf(stderr, "kept %s\n", dir.c_str());
  } else {
    std::filesystem::remove_all(dir);
  }
  return f.idle_rss || out.value("completed", false) ? 0 : 1;
}

}  // namespace
}  // namespace capstan::bench

int main(int argc, char** argv) { return capstan::bench::Main(argc, argv); }
