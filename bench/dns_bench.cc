// Cluster DNS benchmark (core/dns): a `DnsServer` on 127.0.0.1 answering from N Services held in
// a mutex-guarded map (as the informer cache holds them), driven over UDP by C client threads
// that each keep W queries in flight (batched sendmmsg/recvmmsg, so the clients stay cheap).
// Every query is a hit (an A record). Prints JSON (queries/s, p50/p99 latency, queries lost
// or answered wrongly); results in bench/results/dns_*.json.
// Usage: dns_bench [services=10000] [clients=4] [window=8] [seconds=5]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/dns/dns_server.h"

namespace {

using Clock = std::chrono::steady_clock;
using capstan::dns::ObjectPtr;
using nlohmann::json;

// Services by "ns/name" behind one mutex, like client::Informer's cache.
class MapView : public capstan::dns::ClusterView {
 public:
  void Add(const std::string& ns, const std::string& name, json svc) {
    services_[ns + "/" + name] = std::make_shared<const json>(std::move(svc));
  }
  ObjectPtr Service(const std::string& ns, const std::string& name) const override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = services_.find(ns + "/" + name);
    return it == services_.end() ? nullptr : it->second;
  }
  std::vector<ObjectPtr> AllServices() const override {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<ObjectPtr> out;
    for (const auto& [k, v] : services_) out.push_back(v);
    return out;
  }
  std::vector<ObjectPtr> EndpointSlices(const std::string&, const std::string&) const override {
    return {};
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, ObjectPtr> services_;
};

std::string Name(int i) { return "svc-" + std::to_string(i); }
std::string Ns(int i) { return "ns-" + std::to_string(i % 20); }

// A standard query (RD set) for `name` type A with `id`.
std::string Query(uint16_t id, const std::string& name) {
  std::string q = {
      static_cast<char>(id >> 8), static_cast<char>(id & 0xff), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.push_back(static_cast<char>(dot - start));
    q.append(name, start, dot - start);
    start = dot + 1;
  }
  q.push_back(0);
  q.append({0, 1, 0, 1});
  return q;
}

// CPU seconds of the calling thread / the whole process.
double ThreadCpu() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}
double ProcessCpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct ClientResult {
  uint64_t answered = 0, lost = 0, bad = 0;
  double cpu_seconds = 0;
  std::vector<uint32_t> latencies_us;
};

// One client: keeps `window` queries in flight on one connected UDP socket, sending and
// receiving in batches (sendmmsg / recvmmsg) so that the clients cost little next to the server.
void RunClient(uint16_t port, int services, int window, Clock::time_point start,
               Clock::time_point end, unsigned seed, ClientResult* out) {
  constexpr size_t kBatch = 64;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) return;
  timeval tv{0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, services - 1);
  std::vector<Clock::time_point> sent_at(65536);
  std::vector<char> pending(65536, 0);
  size_t in_flight = 0;
  uint16_t next_id = static_cast<uint16_t>(seed * 7919);
  std::vector<std::string> queries(kBatch);
  std::vector<std::array<char, 512>> replies(kBatch);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  while (Clock::now() < end) {
    size_t want = std::min(kBatch, static_cast<size_t>(window) - in_flight);
    Clock::time_point now = Clock::now();
    for (size_t i = 0; i < want; ++i) {
      int svc = pick(rng);
      ++next_id;
      if (pending[next_id] != 0) --in_flight;  // an id reused after 64k: count the old as lost
      queries[i] = Query(next_id, Name(svc) + "." + Ns(svc) + ".svc.cluster.local");
      sent_at[next_id] = now;
      pending[next_id] = 1;
      iov[i] = {queries[i].data(), queries[i].size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    size_t sent = 0;
    while (sent < want) {
      int m = sendmmsg(fd, msgs.data() + sent, static_cast<unsigned>(want - sent), 0);
      if (m <= 0) break;
      sent += static_cast<size_t>(m);
    }
    in_flight += sent;
    for (size_t i = 0; i < kBatch; ++i) {
      iov[i] = {replies[i].data(), replies[i].size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
    now = Clock::now();
    if (n < 0) {  // timed out: whatever was in flight is lost
      out->lost += in_flight;
      in_flight = 0;
      std::fill(pending.begin(), pending.end(), 0);
      continue;
    }
    for (int r = 0; r < n; ++r) {
      const char* buf = replies[static_cast<size_t>(r)].data();
      if (msgs[static_cast<size_t>(r)].msg_len < 12) continue;
      uint16_t id =
          static_cast<uint16_t>((static_cast<uint8_t>(buf[0]) << 8) | static_cast<uint8_t>(buf[1]));
      if (pending[id] == 0) continue;
      pending[id] = 0;
      --in_flight;
      bool ok = (buf[3] & 0x0f) == 0 && buf[7] == 1;  // NOERROR, one answer
      if (sent_at[id] < start) continue;              // warm-up
      if (!ok) {
        ++out->bad;
        continue;
      }
      ++out->answered;
      out->latencies_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - sent_at[id]).count()));
    }
  }
  close(fd);
  out->cpu_seconds = ThreadCpu();
}

}  // namespace

int main(int argc, char** argv) {
  int services = argc > 1 ? std::atoi(argv[1]) : 10000;
  int clients = argc > 2 ? std::atoi(argv[2]) : 4;
  int window = argc > 3 ? std::atoi(argv[3]) : 8;
  int seconds = argc > 4 ? std::atoi(argv[4]) : 5;
  if (services < 1 || clients < 1 || window < 1 || seconds < 1) {
    std::fprintf(stderr, "usage: dns_bench [services] [clients] [window] [seconds]\n");
    return 2;
  }
  MapView view;
  for (int i = 0; i < services; ++i) {
    std::string ip = "10.96." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    view.Add(Ns(i), Name(i),
             {{"metadata", {{"name", Name(i)}, {"namespace", Ns(i)}}},
              {"spec",
               {{"type", "ClusterIP"},
                {"clusterIP", ip},
                {"clusterIPs", json::array({ip})},
                {"ports", json::array({{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}})}}}});
  }
  capstan::dns::DnsServerOptions options;
  options.port = 0;
  auto server = capstan::dns::DnsServer::Start(options, &view);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 0) load[0] = -1;
  Clock::time_point start = Clock::now() + std::chrono::milliseconds(500);  // warm-up
  Clock::time_point end = start + std::chrono::seconds(seconds);
  std::vector<ClientResult> results(static_cast<size_t>(clients));
  double cpu_before = ProcessCpu();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(clients));
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back(RunClient, (*server)->port(), services, window, start, end,
                         static_cast<unsigned>(c + 1), &results[static_cast<size_t>(c)]);
  }
  for (std::thread& t : threads) t.join();
  (*server)->Stop();
  double cpu = ProcessCpu() - cpu_before;
  ClientResult all;
  for (ClientResult& r : results) {
    all.answered += r.answered;
    all.lost += r.lost;
    all.bad += r.bad;
    cpu -= r.cpu_seconds;  // what is left is the server thread's
    all.latencies_us.insert(all.latencies_us.end(), r.latencies_us.begin(), r.latencies_us.end());
  }
  std::sort(all.latencies_us.begin(), all.latencies_us.end());
  auto pct = [&](double p) {
    if (all.latencies_us.empty()) return uint32_t{0};
    return all
        .latencies_us[static_cast<size_t>(p * static_cast<double>(all.latencies_us.size() - 1))];
  };
  json out = {{"benchmark", "dns_udp_loopback"},
              {"services", services},
              {"clients", clients},
              {"window_per_client", window},
              {"seconds", seconds},
              {"answered", all.answered},
              {"lost", all.lost},
              {"wrong_answers", all.bad},
              {"queries_per_second", static_cast<double>(all.answered) / seconds},
              {"p50_us", pct(0.50)},
              {"p99_us", pct(0.99)},
              // Load-independent: the server thread's CPU per answered query, and the rate one
              // core would sustain at that cost (warm-up queries included, so slightly high).
              {"server_cpu_us_per_query", all.answered == 0 ? 0 : cpu * 1e6 / all.answered},
              {"server_qps_per_core", cpu <= 0 ? 0 : all.answered / cpu},
              {"loadavg_1m_at_start", load[0]},
              {"cpus", std::thread::hardware_concurrency()}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
