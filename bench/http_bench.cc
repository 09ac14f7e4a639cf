// HTTPS server benchmark (core/apiserver/http_server.h): requests/s and latency percentiles of
// a trivial handler with 1 and 64 keep-alive TLS clients on loopback, and the server's RSS
// idle and with many idle connections. The server runs in a child process (this binary with
// --serve) so its RSS is its own; clients are Beast async clients on threads of this process.
// Prints one JSON object. Usage: http_bench [--seconds N] [--client-threads N]
//   [--server-threads N] [--idle-connections N]
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/apiserver/http_beast.h"
#include "core/apiserver/http_server.h"
#include "core/pki/server_pki.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

extern char** environ;

namespace {

constexpr char kReply[] = R"({"kind":"Status","ok":true})";  // 27 bytes, as in perf-anchors
constexpr char kRequest[] =
    "GET /api/v1/namespaces/default/pods/bench HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "User-Agent: kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07\r\n"
    "Accept: application/json\r\n\r\n";

double CpuUs() {
  struct rusage ru = {};
  getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& tv) { return tv.tv_sec * 1e6 + static_cast<double>(tv.tv_usec); };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one + " " + five;
}

long RssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// ---- child: the server ----

int Serve(const std::string& dir, int threads) {
  capstan::Result<capstan::pki::ServerPki> pki = capstan::pki::EnsureServerPki(dir, {});
  if (!pki.ok()) {
    std::fprintf(stderr, "pki: %s\n", pki.status().ToString().c_str());
    return 1;
  }
  capstan::apiserver::HttpServerOptions options;
  options.io_threads = threads;
  options.tls.cert_chain_pem = pki->server.cert_pem;
  options.tls.key_pem = pki->server.key_pem;
  options.tls.client_ca_pem = pki->ca.cert_pem;
  auto server = capstan::apiserver::HttpServer::Start(
      options, [](std::shared_ptr<capstan::apiserver::HttpExchange> ex) {
        ex->Respond(200, {{"Content-Type", "application/json"}}, kReply);
      });
  if (!server.ok()) {
    std::fprintf(stderr, "server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::printf("PORT %u\n", (*server)->port());
  std::fflush(stdout);
  std::string cmd;
  while (std::getline(std::cin, cmd) && cmd != "quit") {
    if (cmd == "trim") malloc_trim(0);
    if (cmd == "stat") {
      struct mallinfo2 mi = mallinfo2();
      std::printf("STAT %ld %zu %.0f %zu\n", RssKb(), (*server)->open_connections(), CpuUs(),
                  (mi.uordblks + mi.hblkhd) / 1024);
      std::fflush(stdout);
    }
  }
  (*server)->Stop(std::chrono::seconds(1));
  return 0;
}

// ---- parent: clients ----

struct Child {
  pid_t pid = -1;
  FILE* to = nullptr;
  FILE* from = nullptr;

  struct Stat {
    long rss_kb = -1;
    size_t connections = 0;
    double cpu_us = 0;
    size_t heap_kb = 0;  // malloc'd and not freed
  };
  Stat Query() {
    std::fprintf(to, "stat\n");
    std::fflush(to);
    Stat st;
    if (std::fscanf(from, " STAT %ld %zu %lf %zu", &st.rss_kb, &st.connections, &st.cpu_us,
                    &st.heap_kb) != 4) {
      st.rss_kb = -1;
    }
    return st;
  }
};

bool SpawnServer(const std::string& dir, int threads, Child* child, unsigned* port) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addclose(&actions, in[1]);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::string threads_arg = std::to_string(threads);
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  char* argv[] = {self.data(), const_cast<char*>("--serve"), const_cast<char*>(dir.c_str()),
                  threads_arg.data(), nullptr};
  int rc = posix_spawn(&child->pid, self.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  if (rc != 0) return false;
  child->to = fdopen(in[1], "w");
  child->from = fdopen(out[0], "r");
  return std::fscanf(child->from, " PORT %u", port) == 1;
}

// One keep-alive client issuing requests back to back until `stop`.
class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& ioc, asio::ssl::context& ctx) : stream_(asio::make_strand(ioc), ctx) {}

  void Connect(const asio::ip::tcp::endpoint& ep, std::function<void(bool)> done) {
    beast::get_lowest_layer(stream_).async_connect(
        ep, [self = shared_from_this(), done](const error_code& ec) {
          if (ec) return done(false);
          beast::get_lowest_layer(self->stream_).socket().set_option(asio::ip::tcp::no_delay(true));
          self->stream_.async_handshake(asio::ssl::stream_base::client,
                                        [self, done](const error_code& hec) { done(!hec); });
        });
  }

  void Run(const std::atomic<bool>* stop, const std::atomic<bool>* measuring,
           std::function<void()> done) {
    stop_ = stop;
    measuring_ = measuring;
    done_ = std::move(done);
    Next();
  }

  std::vector<double> latencies_us;
  uint64_t errors = 0;
  uint64_t completed = 0;  // including warm-up, for CPU per request

 private:
  void Next() {
    if (stop_->load(std::memory_order_relaxed)) return done_();
    start_ = Clock::now();
    asio::async_write(stream_, asio::buffer(kRequest, sizeof(kRequest) - 1),
                      [self = shared_from_this()](const error_code& ec, size_t) {
                        if (ec) return self->Fail();
                        self->parser_.emplace();
                        http::async_read(self->stream_, self->buf_, *self->parser_,
                                         [self](const error_code& rec, size_t) {
                                           if (rec) return self->Fail();
                                           ++self->completed;
                                           self->Record();
                                           self->Next();
                                         });
                      });
  }
  void Record() {
    if (!measuring_->load(std::memory_order_relaxed)) return;
    latencies_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - start_).count());
  }
  void Fail() {
    ++errors;
    done_();
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buf_;
  std::optional<http::response_parser<http::string_body>> parser_;
  const std::atomic<bool>* stop_ = nullptr;
  const std::atomic<bool>* measuring_ = nullptr;
  std::function<void()> done_;
  Clock::time_point start_;
};

struct RunResult {
  int clients = 0;
  double seconds = 0;
  size_t requests = 0;
  uint64_t errors = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  double server_cpu_us_per_request = 0;
  double client_cpu_us_per_request = 0;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

struct ClientPool {
  asio::io_context ioc;
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  std::vector<std::shared_ptr<Client>> clients;

  bool Connect(const std::string& ca_pem, unsigned port, int n, int threads) {
    ctx.set_verify_mode(asio::ssl::verify_peer);
    ctx.add_certificate_authority(asio::buffer(ca_pem));
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port));
    std::atomic<int> ok{0}, finished{0};
    for (int i = 0; i < n; ++i) {
      auto c = std::make_shared<Client>(ioc, ctx);
      clients.push_back(c);
      c->Connect(ep, [&](bool good) {
        ok += good ? 1 : 0;
        ++finished;
      });
    }
    RunThreads(threads);
    return ok.load() == n;
  }

  void RunThreads(int threads) {
    ioc.restart();
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i) pool.emplace_back([this] { ioc.run(); });
    for (auto& t : pool) t.join();
  }
};

RunResult Measure(Child& child, ClientPool& pool, double seconds, int threads) {
  std::atomic<bool> stop{false}, measuring{false};
  Child::Stat before = child.Query();
  double client_before = CpuUs();
  for (auto& c : pool.clients) {
    c->completed = 0;
    c->latencies_us.clear();
    c->Run(&stop, &measuring, [] {});
  }
  std::thread timer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // warm-up
    measuring = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    measuring = false;
    stop = true;
  });
  pool.RunThreads(threads);
  timer.join();
  double client_cpu = CpuUs() - client_before;
  Child::Stat after = child.Query();
  uint64_t completed = 0;
  for (auto& c : pool.clients) completed += c->completed;
  RunResult r;
  if (completed > 0) {
    r.server_cpu_us_per_request = (after.cpu_us - before.cpu_us) / static_cast<double>(completed);
    r.client_cpu_us_per_request = client_cpu / static_cast<double>(completed);
  }
  r.clients = static_cast<int>(pool.clients.size());
  r.seconds = seconds;
  std::vector<double> all;
  for (auto& c : pool.clients) {
    all.insert(all.end(), c->latencies_us.begin(), c->latencies_us.end());
    r.errors += c->errors;
  }
  r.requests = all.size();
  r.p50 = Percentile(all, 0.50);
  r.p90 = Percentile(all, 0.90);
  r.p99 = Percentile(all, 0.99);
  r.max = all.empty() ? 0 : *std::max_element(all.begin(), all.end());
  return r;
}

void PrintRun(const char* name, const RunResult& r, bool last) {
  std::printf(
      "    \"%s\": {\"clients\": %d, \"seconds\": %.1f, \"requests\": %zu, \"errors\": %llu, "
      "\"requests_per_second\": %.0f, \"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, "
      "\"p99\": %.1f, \"max\": %.1f}, \"server_cpu_us_per_request\": %.1f, "
      "\"client_cpu_us_per_request\": %.1f}%s\n",
      name, r.clients, r.seconds, r.requests, static_cast<unsigned long long>(r.errors),
      static_cast<double>(r.requests) / r.seconds, r.p50, r.p90, r.p99, r.max,
      r.server_cpu_us_per_request, r.client_cpu_us_per_request, last ? "" : ",");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--serve") == 0) {
    return Serve(argv[2], argc >= 4 ? std::atoi(argv[3]) : 2);
  }
  double seconds = 3;
  int client_threads = 1, server_threads = 2, idle_connections = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--seconds") seconds = std::atof(argv[i + 1]);
    if (flag == "--client-threads") client_threads = std::atoi(argv[i + 1]);
    if (flag == "--server-threads") server_threads = std::atoi(argv[i + 1]);
    if (flag == "--idle-connections") idle_connections = std::atoi(argv[i + 1]);
  }
  signal(SIGPIPE, SIG_IGN);
  std::string dir = (std::filesystem::temp_directory_path() / "http_bench.XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return 1;

  Child child;
  unsigned port = 0;
  if (!SpawnServer(dir, server_threads, &child, &port)) {
    std::fprintf(stderr, "could not start the server child\n");
    return 1;
  }
  capstan::Result<capstan::pki::ServerPki> pki = capstan::pki::EnsureServerPki(dir, {});
  if (!pki.ok()) return 1;
  std::string load_before = LoadAverage();
  Child::Stat idle_start = child.Query();

  ClientPool one;
  if (!one.Connect(pki->ca.cert_pem, port, 1, 1)) return 1;
  RunResult r1 = Measure(child, one, seconds, 1);

  ClientPool many;
  if (!many.Connect(pki->ca.cert_pem, port, 64, client_threads)) return 1;
  RunResult r64 = Measure(child, many, seconds, client_threads);
  Child::Stat after_load = child.Query();

  ClientPool idle;
  bool idle_ok = idle.Connect(pki->ca.cert_pem, port, idle_connections, client_threads);
  Child::Stat many_idle = child.Query();
  std::fprintf(child.to, "trim\n");
  Child::Stat trimmed = child.Query();
  // Idle CPU: the server with all those connections open and nothing to do.
  Clock::time_point idle_from = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  Child::Stat idle_later = child.Query();
  double idle_seconds = std::chrono::duration<double>(Clock::now() - idle_from).count();

  std::printf("{\n  \"benchmark\": \"http_server\",\n");
  std::printf(
      "  \"setup\": {\"tls\": \"TLS 1.3, P-256 server cert, client certs requested\", "
      "\"server_io_threads\": %d, \"client_threads\": %d, \"cpus\": %u, "
      "\"server_process\": \"separate\", \"reply_bytes\": %zu, "
      "\"loadavg_before\": \"%s\", \"loadavg_after\": \"%s\"},\n",
      server_threads, client_threads, std::thread::hardware_concurrency(), sizeof(kReply) - 1,
      load_before.c_str(), LoadAverage().c_str());
  std::printf("  \"runs\": {\n");
  PrintRun("keepalive_1_client", r1, false);
  PrintRun("keepalive_64_clients", r64, true);
  size_t extra = many_idle.connections - after_load.connections;
  std::printf(
      "  },\n  \"server_rss_kb\": {\"idle_no_connections\": %ld, "
      "\"after_load_%zu_open\": %ld, \"with_%zu_idle_connections\": %ld, "
      "\"per_idle_connection\": %.1f, \"heap_per_idle_connection\": %.1f, "
      "\"with_%zu_idle_connections_after_malloc_trim\": %ld, \"idle_connections_ok\": %s},\n"
      "  \"server_idle_cpu_percent_with_%zu_connections\": %.2f\n}\n",
      idle_start.rss_kb, after_load.connections, after_load.rss_kb, many_idle.connections,
      many_idle.rss_kb,
      extra > 0
          ? static_cast<double>(many_idle.rss_kb - after_load.rss_kb) / static_cast<double>(extra)
          : 0.0,
      extra > 0
          ? (static_cast<double>(many_idle.heap_kb) - static_cast<double>(after_load.heap_kb)) /
                static_cast<double>(extra)
          : 0.0,
      trimmed.connections, trimmed.rss_kb, idle_ok ? "true" : "false", idle_later.connections,
      (idle_later.cpu_us - many_idle.cpu_us) / 1e6 * 100.0 / idle_seconds);

  std::fprintf(child.to, "quit\n");
  std::fflush(child.to);
  int status = 0;
  waitpid(child.pid, &status, 0);
  std::filesystem::remove_all(dir);
  return 0;
}
