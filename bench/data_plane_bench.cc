// Service proxy data planes side by side (core/proxy/data_plane.h): S services x E ready
// endpoints through one mode's plane — the first Full (a node's cold sync), a second Full (a
// resync), single endpoint changes and new services (Delta, until the kernel or the relay has
// them), and Clear. Runs in a network namespace it creates and deletes (root required; the
// mode's tool: nft, iptables-restore). Prints JSON; results in bench/results/data_plane_*.
// Usage: data_plane_bench nftables|iptables|userspace [services=10000] [endpoints=10]
//        [changes=100]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/proxy_bench_util.h"
#include "core/proxy/iptables_data_plane.h"
#include "core/proxy/nft_data_plane.h"
#include "core/proxy/userspace_data_plane.h"

namespace {

using capstan::bench::Ip;
using capstan::bench::Ms;
using capstan::bench::Percentile;

using capstan::proxy::DataPlane;
using capstan::proxy::PortChange;
using capstan::proxy::ServicePortState;
using Clock = std::chrono::steady_clock;

ServicePortState Service(int s, int endpoints) {
  ServicePortState st;
  st.id = "ns" + std::to_string(s % 100) + "/svc" + std::to_string(s) + "/tcp/80";
  st.protocol = "tcp";
  st.port = 80;
  st.cluster_ips = {Ip(96, s)};
  st.group = static_cast<uint32_t>(s + 1);
  if (s % 10 == 0) st.node_port = static_cast<uint16_t>(30000 + s / 10);
  for (int e = 0; e < endpoints; ++e) st.endpoints.push_back({Ip(100 + e, s), 8080, e == 0});
  return st;
}

std::unique_ptr<DataPlane> MakePlane(const std::string& mode) {
  if (mode == "nftables") {
    return std::make_unique<capstan::proxy::NftDataPlane>(capstan::proxy::NftPlaneOptions{});
  }
  if (mode == "iptables") {
    return std::make_unique<capstan::proxy::IptablesDataPlane>(
        capstan::proxy::IptablesPlaneOptions{});
  }
  if (mode == "userspace") {
    return std::make_unique<capstan::proxy::UserspaceDataPlane>(
        capstan::proxy::UserspacePlaneOptions{});
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  const int services = argc > 2 ? std::atoi(argv[2]) : 10000;
  const int endpoints = argc > 3 ? std::atoi(argv[3]) : 10;
  const int changes = argc > 4 ? std::atoi(argv[4]) : 100;
  if (geteuid() != 0 || MakePlane(mode) == nullptr || services < 1 || endpoints < 1) {
    std::fprintf(stderr,
                 "usage (as root): data_plane_bench nftables|iptables|userspace [services] "
                 "[endpoints] [changes]\n");
    return 2;
  }
  // The whole process (and the threads it starts later) in a namespace of its own, as the agent
  // runs its plane in the node's: no `ip netns exec` per call in the measurement.
  const std::string netns = "capstan-plane-bench-" + std::to_string(getpid());
  if (!capstan::bench::EnterNewNetns(netns)) {
    std::fprintf(stderr, "data_plane_bench: cannot make and enter %s\n", netns.c_str());
    return 2;
  }
  std::system("ip link set lo up");
  std::unique_ptr<DataPlane> plane = MakePlane(mode);

  std::vector<ServicePortState> states;
  states.reserve(static_cast<size_t>(services));
  for (int s = 0; s < services; ++s) states.push_back(Service(s, endpoints));
  std::vector<const ServicePortState*> all;
  all.reserve(states.size());
  for (const ServicePortState& st : states) all.push_back(&st);

  int failures = 0;
  Clock::time_point t0 = Clock::now();
  failures += plane->Full(all).ok() ? 0 : 1;
  Clock::time_point t1 = Clock::now();
  failures += plane->Full(all).ok() ? 0 : 1;
  Clock::time_point t2 = Clock::now();

  // One endpoint of one service moves to a new address (a pod replaced), spread over services.
  std::vector<double> change_ms;
  for (int c = 0; c < changes; ++c) {
    const auto s = static_cast<size_t>((c * 7919) % services);
    ServicePortState next = states[s];
    next.endpoints.back().ip = Ip(200, c);
    Clock::time_point a = Clock::now();
    failures += plane->Delta({PortChange{&states[s], &next}}).ok() ? 0 : 1;
    change_ms.push_back(Ms(Clock::now() - a));
    states[s] = std::move(next);
  }
  // New services, one per Delta.
  std::vector<double> add_ms;
  std::vector<ServicePortState> added;
  added.reserve(static_cast<size_t>(changes));
  for (int c = 0; c < changes; ++c) {
    added.push_back(Service(services + c, endpoints));
    Clock::time_point a = Clock::now();
    failures += plane->Delta({PortChange{nullptr, &added.back()}}).ok() ? 0 : 1;
    add_ms.push_back(Ms(Clock::now() - a));
  }
  Clock::time_point c0 = Clock::now();
  plane->Clear();
  Clock::time_point c1 = Clock::now();
  plane.reset();
  std::system(("ip netns del " + netns).c_str());
  double load[1] = {0};
  getloadavg(load, 1);

  std::printf(
      "{\"benchmark\": \"data_plane\", \"mode\": \"%s\", \"services\": %d, "
      "\"endpoints_per_service\": %d,\n"
      " \"cold_full_ms\": %.1f, \"resync_full_ms\": %.1f,\n"
      " \"endpoint_change\": {\"count\": %d, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": "
      "%.3f},\n"
      " \"service_add\": {\"count\": %d, \"p50_ms\": %.3f, \"p99_ms\": %.3f},\n"
      " \"clear_ms\": %.1f, \"failures\": %d, \"loadavg_1m\": %.1f}\n",
      mode.c_str(), services, endpoints, Ms(t1 - t0), Ms(t2 - t1), changes,
      Percentile(change_ms, 0.5), Percentile(change_ms, 0.99), Percentile(change_ms, 1.0), changes,
      Percentile(add_ms, 0.5), Percentile(add_ms, 0.99), Ms(c1 - c0), failures, load[0]);
  return failures == 0 ? 0 : 1;
}
