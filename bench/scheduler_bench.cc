// scheduler_bench: framework-only throughput of `scheduler::Scheduler` (core/scheduler/) — hollow
// Node objects (capacities, zone labels, some taints, images) and pending pods fed straight to
// the informer handlers, the default sched plugins loaded as .so through the real registry, and
// a binder that only records (no API). Prints one JSON object: pods/s, time per extension point
// per pod, plugin calls per pod and the cost of one ABI crossing. Not a pass/fail test.
// Usage: scheduler_bench [--quick] [--nodes=N] [--pods=M] [--plugins=default|noop]
//                        [--anti-affinity] [--anti-affinity-apps=A] (A apps: pods refuse
//                        their own app per hostname; default 200, 1 = all refuse all)
//                        [--parallelism=P] [--without=entry,...]
//                        [--min-calls-for-parallel=C] (0: every phase of 32+ nodes fans out)
//                        [--no-abi-cost] (skip the ABI call timing, e.g. under a profiler)
//                        [--plugin-dir=D] (plugins from D, e.g. a saved build to compare with)
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/hollow_cluster.h"
#include "core/plugin/chain_config.h"
#include "core/plugin/registry.h"
#include "core/scheduler/cache.h"
#include "core/scheduler/host_services.h"
#include "core/scheduler/scheduler.h"

namespace capstan::scheduler {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Flags {
  size_t nodes = 5000;
  size_t pods = 10000;
  std::string plugins = "default";
  bool anti_affinity = false;
  size_t apps = 200;  // distinct app labels (hence distinct anti-affinity terms)
  int parallelism = 2;
  size_t min_calls_for_parallel = SchedulerOptions{}.min_calls_for_parallel;
  std::vector<std::string> without;  // chain entries to leave out (to see one plugin's cost)
  bool abi_cost = true;              // false: skip the 3M-call ABI timing (profiling runs)
};

// The directory plugins load from (--plugin-dir); set once by main.
std::string& PluginDir() {
  static std::string dir = CAPSTAN_PLUGIN_DIR;
  return dir;
}

// The hollow node with the images image-locality scores.
std::shared_ptr<const json> NodeObject(size_t i) {
  json node = bench::HollowNode(i);
  node["status"]["images"] = json::array(
      {{{"names", {"registry.local/app:" + std::to_string(i % 4)}}, {"sizeBytes", 200000000}},
       {{"names", {"registry.local/base:1"}}, {"sizeBytes", 50000000}}});
  return std::make_shared<const json>(std::move(node));
}

// A pending pod as the informer would deliver it (uid, creation time, phase set).
std::shared_ptr<const json> PodObject(size_t i, bool anti_affinity, size_t apps = 200) {
  json pod = bench::PendingPod(i, "bench", anti_affinity);
  if (apps != 200) {
    std::string app = "app-" + std::to_string(i % std::max<size_t>(apps, 1));
    pod["metadata"]["labels"]["app"] = app;
    if (anti_affinity) {
      pod["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
         [0]["labelSelector"]["matchLabels"]["app"] = app;
    }
  }
  pod["metadata"]["uid"] = "uid-" + std::to_string(i);
  pod["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z";
  pod["status"] = {{"phase", "Pending"}};
  return std::make_shared<const json>(std::move(pod));
}

json Entry(const std::string& name, const std::string& library, int weight = 1) {
  return json{{"name", name}, {"library", library}, {"weight", weight}};
}

bool Exists(const std::string& library) {
  return std::ifstream(PluginDir() + "/" + library).good();
}

json Chain(const Flags& f, std::vector<std::string>* missing) {
  json entries = json::array();
  auto add = [&](const std::string& name, const std::string& lib, int weight) {
    if (std::find(f.without.begin(), f.without.end(), name) != f.without.end()) return;
    if (Exists(lib)) {
      entries.push_back(Entry(name, lib, weight));
    } else {
      missing->push_back(lib);
    }
  };
  if (f.plugins == "noop") {
    add("sort", "sched/prioritysort.so", 1);
    add("noop", "testsched/test-noop.so", 1);
  } else {
    // The default profile's plugins with upstream's score weights.
    for (const bench::ProfileEntry& e : bench::DefaultProfile()) add(e.name, e.library, e.weight);
  }
  add("binder", "testsched/test-binder.so", 1);
  return entries;
}

std::unique_ptr<plugin::Registry> Load(const json& entries,
                                       const std::shared_ptr<SchedHostServices>& services) {
  json doc = {{"apiVersion", "capstan.io/v1alpha1"},
              {"kind", "PluginConfiguration"},
              {"pluginDirs", {PluginDir()}},
              {"chains", {{"sched", {{"plugins", entries}}}}}};
  Result<plugin::PluginConfiguration> config =
      plugin::ParsePluginConfiguration(doc, "bench", PluginDir());
  if (!config.ok()) {
    fprintf(stderr, "%s\n", config.status().ToString().c_str());
    exit(1);
  }
  plugin::RegistryOptions options;
  options.configure_host = SchedHostConfigurer(services);
  std::unique_ptr<plugin::Registry> registry = plugin::Registry::Load(*config, options);
  if (!registry->status().ok()) {
    fprintf(stderr, "%s\n", registry->status().ToString().c_str());
    exit(1);
  }
  return registry;
}

double Us(const PhaseStat& s, size_t pods) {
  return pods == 0 ? 0 : static_cast<double>(s.ns.load()) / 1000.0 / static_cast<double>(pods);
}

// ns per call of test-noop's on_filter: the framework's fast path, PluginInstance::Invoke, and
// a bare C call through the vtable.
json AbiCost(const std::shared_ptr<SchedHostServices>& services) {
  json entries = json::array(
      {Entry("sort", "sched/prioritysort.so"), Entry("noop", "testsched/test-noop.so")});
  if (!Exists("sched/prioritysort.so") || !Exists("testsched/test-noop.so")) return nullptr;
  std::unique_ptr<plugin::Registry> registry = Load(entries, services);
  Result<std::unique_ptr<Framework>> fw =
      Framework::Create(*registry->chain(CAPSTAN_KIND_SCHED), "bench");
  if (!fw.ok()) return nullptr;
  const SchedPluginRef& p = (*fw)->plugins()[1];
  Cache cache;
  cache.AddNode(*NodeInfo::FromJson(NodeObject(1)));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  std::shared_ptr<const PodInfo> pod = *PodInfo::FromJson(PodObject(1, false));
  CycleState state(&snap);
  const capstan_sched_node_view* node = &snap.node(0).view;
  constexpr int kCalls = 1'000'000;
  auto time = [&](auto&& body) {
    Clock::time_point t0 = Clock::now();
    for (int i = 0; i < kCalls; ++i) body();
    return static_cast<double>(
               std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count()) /
           kCalls;
  };
  auto fn = [&](capstan_plugin_state* s, capstan_call* c) {
    return p.vt->on_filter(s, c, state.handle(), pod->view(), node);
  };
  double fast = time([&] { (void)(*fw)->Call(p, 0, "on_filter", nullptr, fn); });
  double invoke = time([&] { (void)p.instance->Invoke("on_filter", {}, fn); });
  CallSlot slot;
  capstan_call* call = slot.Prepare(0);
  double bare = time([&] { (void)fn(p.state, call); });
  return json{
      {"framework_call_ns", fast}, {"instance_invoke_ns", invoke}, {"bare_c_call_ns", bare}};
}

// User + system CPU seconds of the whole process (all threads) so far.
double CpuSeconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

json LoadAverage() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return nullptr;
  return json::array({l[0], l[1], l[2]});
}

int Run(const Flags& f) {
  auto services = std::make_shared<SchedHostServices>();
  std::vector<std::string> missing;
  json entries = Chain(f, &missing);
  std::unique_ptr<plugin::Registry> registry = Load(entries, services);
  SchedulerOptions options;
  options.chain = registry->chain(CAPSTAN_KIND_SCHED);
  options.parallelism = f.parallelism;
  options.min_calls_for_parallel = f.min_calls_for_parallel;
  options.seed = 1;
  Result<std::unique_ptr<Scheduler>> created = Scheduler::Create(options);
  if (!created.ok()) {
    fprintf(stderr, "%s\n", created.status().ToString().c_str());
    return 1;
  }
  Scheduler& s = **created;
  json load_before = LoadAverage();
  for (size_t i = 0; i < f.nodes; ++i) s.OnNodeAdd(NodeObject(i));
  Clock::time_point t_feed = Clock::now();
  for (size_t i = 0; i < f.pods; ++i) s.OnPodAdd(PodObject(i, f.anti_affinity, f.apps));
  Clock::time_point t0 = Clock::now();
  double cpu0 = CpuSeconds();
  size_t cycles = 0;
  while (s.ScheduleOne(false)) ++cycles;
  Clock::time_point t1 = Clock::now();
  s.WaitForBindings();
  Clock::time_point t2 = Clock::now();
  double cpu = CpuSeconds() - cpu0;
  const SchedulerStats& st = s.stats();
  double secs = std::chrono::duration<double>(t1 - t0).count();
  size_t n = f.pods;
  json plugin_names = json::array();
  for (const auto& e : entries) plugin_names.push_back(e["name"]);
  json out = {
      {"bench", "scheduler"},
      {"nodes", f.nodes},
      {"pods", f.pods},
      {"anti_affinity", f.anti_affinity},
      {"anti_affinity_apps", f.apps},
      {"parallelism", f.parallelism},
      {"min_calls_for_parallel", f.min_calls_for_parallel},
      {"plugins", plugin_names},
      {"missing_plugins", missing},
      {"cycles", cycles},
      {"scheduled", st.scheduled.load()},
      {"bound", st.bound.load()},
      {"unschedulable", st.unschedulable.load()},
      {"errors", st.errors.load()},
      {"scheduling_seconds", secs},
      {"pods_per_second", static_cast<double>(st.scheduled.load()) / secs},
      // On a shared box wall time includes waiting for a core; CPU time (all threads, binding
      // included) does not.
      {"cpu_seconds", cpu},
      {"pods_per_cpu_second", static_cast<double>(st.scheduled.load()) / cpu},
      {"bind_drain_seconds", std::chrono::duration<double>(t2 - t1).count()},
      {"pod_event_ingest_us_per_pod",
       std::chrono::duration<double, std::micro>(t0 - t_feed).count() / static_cast<double>(n)},
      {"us_per_pod",
       {{"cycle", Us(st.cycle, n)},
        {"snapshot", Us(st.snapshot, n)},
        {"pre_filter", Us(st.pre_filter, n)},
        {"filter", Us(st.filter, n)},
        {"post_filter", Us(st.post_filter, n)},
        {"pre_score", Us(st.pre_score, n)},
        {"score", Us(st.score, n)},
        {"normalize_score", Us(st.normalize_score, n)},
        {"reserve", Us(st.reserve, n)},
        {"permit", Us(st.permit, n)},
        {"pre_bind", Us(st.pre_bind, n)},
        {"bind", Us(st.bind, n)},
        {"post_bind", Us(st.post_bind, n)}}},
      {"filter_calls_per_pod",
       static_cast<double>(st.filter_calls.load()) / static_cast<double>(n)},
      {"score_calls_per_pod", static_cast<double>(st.score_calls.load()) / static_cast<double>(n)},
      {"abi_call_cost", f.abi_cost ? AbiCost(services) : json(nullptr)},
      {"load_average_before", load_before},
      {"load_average_after", LoadAverage()},
  };
  printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace
}  // namespace capstan::scheduler

int main(int argc, char** argv) {
  capstan::scheduler::Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* prefix) { return a.substr(strlen(prefix)); };
    if (a == "--quick") {
      f.nodes = 500;
      f.pods = 1000;
    } else if (a.rfind("--nodes=", 0) == 0) {
      f.nodes = std::stoul(value("--nodes="));
    } else if (a.rfind("--pods=", 0) == 0) {
      f.pods = std::stoul(value("--pods="));
    } else if (a.rfind("--plugins=", 0) == 0) {
      f.plugins = value("--plugins=");
    } else if (a == "--no-abi-cost") {
      f.abi_cost = false;
    } else if (a.rfind("--plugin-dir=", 0) == 0) {
      capstan::scheduler::PluginDir() = value("--plugin-dir=");
    } else if (a.rfind("--anti-affinity-apps=", 0) == 0) {
      f.apps = std::stoul(value("--anti-affinity-apps="));
    } else if (a == "--anti-affinity") {
      f.anti_affinity = true;
    } else if (a.rfind("--without=", 0) == 0) {
      std::string list = value("--without=");
      for (size_t p = 0, q; p <= list.size(); p = q + 1) {
        q = list.find(',', p);
        if (q == std::string::npos) q = list.size();
        if (q > p) f.without.push_back(list.substr(p, q - p));
      }
    } else if (a.rfind("--min-calls-for-parallel=", 0) == 0) {
      f.min_calls_for_parallel = std::stoul(value("--min-calls-for-parallel="));
    } else if (a.rfind("--parallelism=", 0) == 0) {
      f.parallelism = std::stoi(value("--parallelism="));
    } else {
      fprintf(stderr,
              "usage: scheduler_bench [--quick] [--nodes=N] [--pods=M] [--plugins=default|noop] "
              "[--anti-affinity] [--anti-affinity-apps=A] [--parallelism=P] [--without=entry,...] "
              "[--min-calls-for-parallel=C] [--no-abi-cost] [--plugin-dir=D]\n");
      return 2;
    }
  }
  return capstan::scheduler::Run(f);
}
