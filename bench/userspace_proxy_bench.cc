// The userspace proxy mode (core/proxy/userspace_data_plane.h) against going direct, in one run
// inside a scratch network namespace (root): one TCP stream's throughput, connections/s
// (connect, 1-byte greeting, close) and UDP round trips/s on one flow; then the cost of syncing
// N more ClusterIP services (Full, and single endpoint changes as Deltas). Prints JSON. Usage:
// userspace_proxy_bench [seconds-per-phase] [services]. Results:
// bench/results/userspace_proxy_*.json.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/proxy/userspace_data_plane.h"
#include "core/proxy/userspace_forwarder.h"

namespace {

using Clock = std::chrono::steady_clock;
using capstan::proxy::Endpoint;
using capstan::proxy::ServicePortState;

constexpr const char* kEndpoint = "10.250.0.1";
constexpr const char* kVip = "10.96.0.10";
constexpr uint16_t kStreamPort = 8080, kConnPort = 8081, kUdpPort = 8082;

std::string g_netns_path;

// Runs `f` on a thread inside the bench namespace; sockets made there stay there.
template <typename F>
int InNetns(F f) {
  int out = -1;
  std::thread([&] {
    int ns = open(g_netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) return;
    close(ns);
    out = f();
  }).join();
  return out;
}

Clock::duration Span(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

sockaddr_in Addr(const std::string& ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

int Listen(int type, uint16_t port) {
  return InNetns([&] {
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in a = Addr(kEndpoint, port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return -1;
    if (type == SOCK_STREAM && listen(fd, 4096) != 0) return -1;
    return fd;
  });
}

int Connect(const std::string& ip, uint16_t port, int type = SOCK_STREAM) {
  return InNetns([&] {
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in a = Addr(ip, port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  });
}

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 50) > 0;
}

// The endpoint: a stream sink that answers the byte count at EOF, a greeter that writes one
// byte and closes, and a UDP echo. One thread each; stream connections one at a time.
struct Servers {
  std::atomic<bool> stop{false};
  int stream = Listen(SOCK_STREAM, kStreamPort), conn = Listen(SOCK_STREAM, kConnPort),
      udp = Listen(SOCK_DGRAM, kUdpPort);
  std::vector<std::thread> threads;
  Servers() {
    threads.emplace_back([this] {
      std::vector<char> buf(1 << 18);
      while (!stop) {
        if (!Readable(stream)) continue;
        int c = accept4(stream, nullptr, nullptr, SOCK_CLOEXEC);
        uint64_t total = 0;
        ssize_t n;
        while ((n = recv(c, buf.data(), buf.size(), 0)) > 0) total += static_cast<uint64_t>(n);
        send(c, &total, sizeof(total), MSG_NOSIGNAL);
        close(c);
      }
    });
    threads.emplace_back([this] {
      while (!stop) {
        if (!Readable(conn)) continue;
        int c = accept4(conn, nullptr, nullptr, SOCK_CLOEXEC);
        send(c, "k", 1, MSG_NOSIGNAL);
        close(c);
      }
    });
    threads.emplace_back([this] {
      char buf[2048];
      while (!stop) {
        if (!Readable(udp)) continue;
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(udp, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0)
          sendto(udp, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    });
  }
  ~Servers() {
    stop = true;
    for (std::thread& t : threads) t.join();
    for (int fd : {stream, conn, udp}) close(fd);
  }
};

// One stream for `seconds`; returns MiB/s as the sink counted it.
double Stream(const std::string& ip, uint16_t port, double seconds) {
  int fd = Connect(ip, port);
  if (fd < 0) return -1;
  std::vector<char> buf(1 << 18, 'x');
  Clock::time_point start = Clock::now(), end = start + Span(seconds);
  while (Clock::now() < end) {
    if (send(fd, buf.data(), buf.size(), MSG_NOSIGNAL) <= 0) break;
  }
  shutdown(fd, SHUT_WR);
  uint64_t total = 0;
  ssize_t n = recv(fd, &total, sizeof(total), MSG_WAITALL);
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  close(fd);
  return n == sizeof(total) ? static_cast<double>(total) / (1 << 20) / elapsed : -1;
}

// Sequential connect + greeting + close for `seconds`; returns connections/s (-1 on an error).
double Connections(const std::string& ip, uint16_t port, double seconds, int* errors) {
  // Sockets made once in the namespace thread would be few; make each there, in batches.
  int done = 0;
  Clock::time_point start = Clock::now(), end = start + Span(seconds);
  int err = InNetns([&] {
    int failures = 0;
    while (Clock::now() < end) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      timeval tv{10, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      // No TIME_WAIT pile-up on the client side across tens of thousands of connections.
      linger l{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
      sockaddr_in a = Addr(ip, port);
      char c = 0;
      if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || recv(fd, &c, 1, 0) != 1) {
        ++failures;
      }
      close(fd);
      ++done;
    }
    return failures;
  });
  *errors += err;
  return done / std::chrono::duration<double>(Clock::now() - start).count();
}

// Sequential 64-byte UDP round trips on one flow for `seconds`; returns round trips/s.
double UdpRoundTrips(const std::string& ip, uint16_t port, double seconds, int* errors) {
  int fd = Connect(ip, port, SOCK_DGRAM);
  if (fd < 0) return -1;
  char buf[64] = {};
  int done = 0;
  Clock::time_point start = Clock::now(), end = start + Span(seconds);
  while (Clock::now() < end) {
    if (send(fd, buf, sizeof(buf), 0) != sizeof(buf) || recv(fd, buf, sizeof(buf), 0) < 0) {
      ++*errors;
    }
    ++done;
  }
  close(fd);
  return done / std::chrono::duration<double>(Clock::now() - start).count();
}

ServicePortState Port(const std::string& protocol, uint16_t port, uint16_t target) {
  ServicePortState s;
  s.id = "bench/svc/" + protocol + "/" + std::to_string(port);
  s.protocol = protocol;
  s.port = port;
  s.cluster_ips = {kVip};
  s.endpoints = {Endpoint{kEndpoint, target, true}};
  return s;
}

// Full with `base` plus `n` ClusterIP services (10.97.x.y:80, one endpoint each), then 100
// single-endpoint Deltas; times in ms.
nlohmann::json Sync(capstan::proxy::UserspaceDataPlane* plane,
                    const std::vector<const ServicePortState*>& base, int n) {
  std::vector<ServicePortState> many(static_cast<size_t>(n));
  std::vector<const ServicePortState*> all = base;
  for (int i = 0; i < n; ++i) {
    ServicePortState& s = many[static_cast<size_t>(i)];
    s = Port("tcp", 80, kStreamPort);
    s.id = "bench/many-" + std::to_string(i) + "/tcp/80";
    s.cluster_ips = {"10.97." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)};
    all.push_back(&s);
  }
  Clock::time_point start = Clock::now();
  capstan::Status full = plane->Full(all);
  double full_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::vector<double> deltas;
  for (int i = 0; i < 100 && full.ok() && n > 0; ++i) {
    ServicePortState changed = many[static_cast<size_t>(i % n)];
    changed.endpoints = {Endpoint{kEndpoint, static_cast<uint16_t>(kStreamPort + 1 + i), true}};
    Clock::time_point t = Clock::now();
    if (!plane->Delta({{&many[static_cast<size_t>(i % n)], &changed}}).ok()) break;
    deltas.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
    many[static_cast<size_t>(i % n)] = changed;
  }
  std::sort(deltas.begin(), deltas.end());
  auto pct = [&](double q) {
    return deltas.empty() ? -1.0 : deltas[static_cast<size_t>(q * (deltas.size() - 1))];
  };
  return {{"services", n},
          {"full_ok", full.ok()},
          {"full_ms", full_ms},
          {"listeners", plane->Stats().listeners},
          {"endpoint_delta_p50_ms", pct(0.5)},
          {"endpoint_delta_p99_ms", pct(0.99)}};
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  int services = argc > 2 ? std::atoi(argv[2]) : 1000;
  if (geteuid() != 0) {
    std::fprintf(stderr, "needs root (network namespace)\n");
    return 1;
  }
  std::string netns = "capstan-us-bench-" + std::to_string(getpid());
  g_netns_path = "/run/netns/" + netns;
  auto ip = [&](const std::string& args) { return std::system(("ip " + args).c_str()); };
  if (ip("netns add " + netns) != 0) return 1;
  int rc = 1;
  {
    ip("-n " + netns + " link set lo up");
    if (ip("-n " + netns + " link add ep0 type dummy 2>/dev/null") != 0) {
      ip("-n " + netns + " link add ep0 type bridge");
    }
    ip("-n " + netns + " addr add " + std::string(kEndpoint) + "/32 dev ep0");
    Servers servers;
    capstan::proxy::UserspacePlaneOptions o;
    o.netns = netns;
    capstan::proxy::UserspaceDataPlane plane(o);
    ServicePortState stream = Port("tcp", 80, kStreamPort), conn = Port("tcp", 81, kConnPort),
                     udp = Port("udp", 82, kUdpPort);
    capstan::Status s = plane.Full({&stream, &conn, &udp});
    if (!s.ok()) {
      std::fprintf(stderr, "Full: %s\n", s.ToString().c_str());
    } else {
      int errors = 0;
      nlohmann::json out = {{"benchmark", "userspace_proxy"},
                            {"seconds_per_phase", seconds},
                            {"hardware_threads", std::thread::hardware_concurrency()},
                            {"relay_buffer_bytes", capstan::proxy::kTcpRelayBuffer},
                            {"tcp_stream_mib_per_s",
                             {{"direct", Stream(kEndpoint, kStreamPort, seconds)},
                              {"through_proxy", Stream(kVip, 80, seconds)}}},
                            {"tcp_connections_per_s",
                             {{"direct", Connections(kEndpoint, kConnPort, seconds, &errors)},
                              {"through_proxy", Connections(kVip, 81, seconds, &errors)}}},
                            {"udp_round_trips_per_s",
                             {{"direct", UdpRoundTrips(kEndpoint, kUdpPort, seconds, &errors)},
                              {"through_proxy", UdpRoundTrips(kVip, 82, seconds, &errors)}}},
                            {"errors", errors},
                            {"proxy_tcp_connect_failures", plane.Stats().tcp_connect_failures}};
      out["sync"] = Sync(&plane, {&stream, &conn, &udp}, services);
      std::printf("%s\n", out.dump(2).c_str());
      rc = errors == 0 ? 0 : 1;
    }
    plane.Clear();
  }
  ip("netns del " + netns);
  return rc;
}
