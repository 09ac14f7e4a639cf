// Service proxy data-plane benchmark (core/proxy): S services x E ready endpoints; times the
// first load of the table (table_loader.h: split over the cores), a full resync over the existing
// table (generate + one atomic `nft -f -`) and single endpoint changes (delta generation + apply,
// i.e. until the kernel has them). Applies into a network namespace it
// creates and deletes (root and nft required). Prints JSON; results in bench/results/proxy_*.
// Usage: proxy_bench [services=10000] [endpoints=10] [changes=200]
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench/proxy_bench_util.h"
#include "core/proxy/nft_rules.h"
#include "core/proxy/nft_runner.h"
#include "core/proxy/table_loader.h"

namespace {

using capstan::bench::Ip;
using capstan::bench::Ms;
using capstan::bench::Percentile;

using Clock = std::chrono::steady_clock;
using capstan::proxy::ServicePortState;

// CPU time (user + system) of the finished children, i.e. of the nft runs so far.
double ChildCpuMs() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return (static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000.0) +
         (static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000.0);
}

}  // namespace

int main(int argc, char** argv) {
  int services = argc > 1 ? std::atoi(argv[1]) : 10000;
  int endpoints = argc > 2 ? std::atoi(argv[2]) : 10;
  int changes = argc > 3 ? std::atoi(argv[3]) : 200;
  if (geteuid() != 0 || capstan::proxy::NftRunner::FindNft().empty()) {
    std::fprintf(stderr, "proxy_bench: needs root and nft\n");
    return 2;
  }
  std::string netns = "capstan-proxy-bench-" + std::to_string(getpid());
  if (!capstan::bench::EnterNewNetns(netns)) {
    std::fprintf(stderr, "proxy_bench: cannot make and enter %s\n", netns.c_str());
    return 2;
  }
  capstan::proxy::NftRunner runner;
  capstan::proxy::RulesConfig config;

  std::vector<ServicePortState> states(static_cast<size_t>(services));
  for (int s = 0; s < services; ++s) {
    ServicePortState& st = states[static_cast<size_t>(s)];
    st.id = "ns" + std::to_string(s % 100) + "/svc" + std::to_string(s) + "/tcp/80";
    st.protocol = "tcp";
    st.port = 80;
    st.cluster_ips = {Ip(96, s)};
    st.group = static_cast<uint32_t>(s + 1);
    if (s % 10 == 0) st.node_port = static_cast<uint16_t>(30000 + s / 10);
    for (int e = 0; e < endpoints; ++e) st.endpoints.push_back({Ip(100 + e, s), 8080, e == 0});
  }
  std::vector<const ServicePortState*> ptrs;
  ptrs.reserve(states.size());
  for (const ServicePortState& st : states) ptrs.push_back(&st);

  capstan::proxy::SharedCounts shared;
  Clock::time_point t0 = Clock::now();
  std::string script = capstan::proxy::FullTableScript(config, ptrs, &shared);
  Clock::time_point t1 = Clock::now();
  // A node's first load (no table yet): split over the cores, as the proxy does.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  capstan::proxy::LoadStats cold_stats;
  double cold_cpu0 = ChildCpuMs();
  Clock::time_point c0 = Clock::now();
  capstan::Status applied =
      capstan::proxy::LoadTable(runner, config, ptrs, &shared, cores, &cold_stats);
  Clock::time_point c1 = Clock::now();
  double cold_cpu = ChildCpuMs() - cold_cpu0;
  // A resync over the existing table: one atomic transaction.
  double cpu0 = ChildCpuMs();
  Clock::time_point r0 = Clock::now();
  if (applied.ok()) applied = capstan::proxy::LoadTable(runner, config, ptrs, &shared, cores);
  Clock::time_point t2 = Clock::now();
  double full_cpu = ChildCpuMs() - cpu0;
  if (!applied.ok()) {
    std::fprintf(stderr, "proxy_bench: %s\n", applied.ToString().c_str());
    std::system(("ip netns del " + netns).c_str());
    return 1;
  }

  // Single endpoint changes: one endpoint of one service moves to a new address (the common
  // case: a pod replaced), spread over the services.
  std::vector<double> change_ms, generate_ms;
  double change_cpu0 = ChildCpuMs();
  int failures = 0;
  for (int c = 0; c < changes; ++c) {
    size_t s = static_cast<size_t>((c * 7919) % services);
    ServicePortState next = states[s];
    next.endpoints.back().ip = Ip(200, c);
    Clock::time_point a = Clock::now();
    capstan::proxy::RulesDelta delta(config, &shared);
    delta.Add(&states[s], &next);
    std::string d = delta.Script();
    Clock::time_point b = Clock::now();
    if (runner.Apply(d).ok()) {
      delta.Commit(&shared);
    } else {
      ++failures;
    }
    Clock::time_point e = Clock::now();
    generate_ms.push_back(Ms(b - a));
    change_ms.push_back(Ms(e - a));
    states[s] = std::move(next);
  }
  double change_cpu = changes > 0 ? (ChildCpuMs() - change_cpu0) / changes : 0;
  // An endpoint count change (chain refill) for comparison.
  std::vector<double> resize_ms;
  double resize_cpu0 = ChildCpuMs();
  for (int c = 0; c < changes / 4; ++c) {
    size_t s = static_cast<size_t>((c * 104729 + 1) % services);
    ServicePortState next = states[s];
    next.endpoints.pop_back();
    Clock::time_point a = Clock::now();
    capstan::proxy::RulesDelta delta(config, &shared);
    delta.Add(&states[s], &next);
    if (runner.Apply(delta.Script()).ok()) {
      delta.Commit(&shared);
    } else {
      ++failures;
    }
    resize_ms.push_back(Ms(Clock::now() - a));
    states[s] = std::move(next);
  }
  double resize_cpu = resize_ms.empty() ? 0 : (ChildCpuMs() - resize_cpu0) / resize_ms.size();
  std::system(("ip netns del " + netns).c_str());
  double load[1] = {0};
  getloadavg(load, 1);

  std::printf(
      "{\"benchmark\": \"proxy_nftables\", \"services\": %d, \"endpoints_per_service\": %d,\n"
      " \"script_bytes\": %zu, \"full_generate_ms\": %.1f,\n"
      " \"cold_load_ms\": %.1f, \"cold_load_split\": %s, \"cold_load_nft_cpu_ms\": %.1f,\n"
      " \"full_apply_ms\": %.1f, \"full_sync_ms\": %.1f, \"full_apply_nft_cpu_ms\": %.1f,\n"
      " \"endpoint_change\": {\"count\": %d, \"generate_p50_ms\": %.3f, \"p50_ms\": %.2f,\n"
      "   \"p99_ms\": %.2f, \"max_ms\": %.2f, \"nft_cpu_ms_mean\": %.2f},\n"
      " \"endpoint_count_change\": {\"count\": %zu, \"p50_ms\": %.2f, \"p99_ms\": %.2f,\n"
      "   \"nft_cpu_ms_mean\": %.2f},\n"
      " \"failures\": %d, \"loadavg_1m\": %.1f, \"nft\": \"%s\"}\n",
      services, endpoints, script.size(), Ms(t1 - t0), Ms(c1 - c0),
      cold_stats.split ? "true" : "false", cold_cpu, Ms(t2 - r0), Ms(t2 - r0) + Ms(t1 - t0),
      full_cpu, changes, Percentile(generate_ms, 0.5), Percentile(change_ms, 0.5),
      Percentile(change_ms, 0.99), Percentile(change_ms, 1.0), change_cpu, resize_ms.size(),
      Percentile(resize_ms, 0.5), Percentile(resize_ms, 0.99), resize_cpu, failures, load[0],
      capstan::proxy::NftRunner::FindNft().c_str());
  return failures == 0 ? 0 : 1;
}
