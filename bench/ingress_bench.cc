// Ingress proxy throughput and latency: keep-alive clients hammer the same 127.0.0.1 backend
// directly and through `ProxyServer` (core/ingress/proxy_server.h) in one run, and print JSON
// with requests/s and p50/p99 for both. Usage: ingress_bench [seconds-per-phase] [connections].
// Results: bench/results/ingress_*.json.
#if defined(__clang__) && !defined(BOOST_ASIO_HAS_CO_AWAIT)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#endif
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
//
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/apiserver/http_beast.h"
#include "core/ingress/proxy_server.h"

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

auto Token(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// The backend: answers every request with a 2-byte body, keep-alive.
asio::awaitable<void> Backend(tcp::socket socket) {
  boost::beast::flat_buffer buf;
  error_code ec;
  for (;;) {
    http::request<http::string_body> req;
    co_await http::async_read(socket, buf, req, Token(ec));
    if (ec) co_return;
    http::response<http::string_body> res{http::status::ok, 11};
    res.body() = "ok";
    res.prepare_payload();
    co_await http::async_write(socket, res, Token(ec));
    if (ec) co_return;
  }
}

asio::awaitable<void> Accept(tcp::acceptor* acceptor) {
  for (;;) {
    error_code ec;
    tcp::socket s = co_await acceptor->async_accept(Token(ec));
    if (ec) co_return;
    asio::co_spawn(acceptor->get_executor(), Backend(std::move(s)), asio::detached);
  }
}

// One keep-alive client: requests until `end`, appending each latency in microseconds.
asio::awaitable<void> Client(uint16_t port, Clock::time_point end, std::vector<double>* lat,
                             int* errors) {
  tcp::socket s(co_await asio::this_coro::executor);
  error_code ec;
  co_await s.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), Token(ec));
  if (ec) {
    ++*errors;
    co_return;
  }
  boost::beast::flat_buffer buf;
  http::request<http::empty_body> req{http::verb::get, "/bench", 11};
  req.set(http::field::host, "bench.test");
  while (Clock::now() < end) {
    auto start = Clock::now();
    co_await http::async_write(s, req, Token(ec));
    http::response<http::string_body> res;
    if (!ec) co_await http::async_read(s, buf, res, Token(ec));
    if (ec || res.result_int() != 200) {
      ++*errors;
      co_return;
    }
    lat->push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
}

nlohmann::json Phase(uint16_t port, int connections, double seconds) {
  asio::io_context io(1);
  std::vector<std::vector<double>> lat(connections);
  int errors = 0;
  auto start = Clock::now();
  auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int i = 0; i < connections; ++i) {
    asio::co_spawn(io, Client(port, end, &lat[i], &errors), asio::detached);
  }
  io.run();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&all](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  return {{"requests", all.size()},
          {"errors", errors},
          {"requests_per_s", static_cast<int64_t>(all.size() / elapsed)},
          {"p50_us", static_cast<int64_t>(pct(0.50))},
          {"p99_us", static_cast<int64_t>(pct(0.99))}};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace capstan::ingress;  // NOLINT(google-build-using-namespace)
  double seconds = argc > 1 ? std::atof(argv[1]) : 5.0;
  int connections = argc > 2 ? std::atoi(argv[2]) : 16;

  asio::io_context backend_io(1);
  tcp::acceptor acceptor(backend_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t backend_port = acceptor.local_endpoint().port();
  asio::co_spawn(backend_io, Accept(&acceptor), asio::detached);
  std::thread backend_thread([&backend_io] { backend_io.run(); });

  ProxyOptions o;
  o.http_port = 0;
  o.https_port = -1;
  auto proxy = ProxyServer::Start(o, nullptr);
  if (!proxy.ok()) {
    std::fprintf(stderr, "ingress_bench: %s\n", proxy.status().ToString().c_str());
    return 1;
  }
  ClusterObjects objects;
  auto obj = [](nlohmann::json j) { return std::make_shared<const nlohmann::json>(std::move(j)); };
  objects.services.push_back(obj({{"metadata", {{"namespace", "default"}, {"name", "svc"}}},
                                  {"spec", {{"ports", {{{"name", "http"}, {"port", 80}}}}}}}));
  objects.endpoint_slices.push_back(obj({{"metadata",
                                          {{"namespace", "default"},
                                           {"name", "svc-1"},
                                           {"labels", {{"kubernetes.io/service-name", "svc"}}}}},
                                         {"ports", {{{"name", "http"}, {"port", backend_port}}}},
                                         {"endpoints", {{{"addresses", {"127.0.0.1"}}}}}}));
  objects.ingresses.push_back(
      obj({{"metadata", {{"namespace", "default"}, {"name", "bench"}}},
           {"spec",
            {{"rules",
              {{{"host", "bench.test"},
                {"http",
                 {{"paths",
                   {{{"path", "/"},
                     {"pathType", "Prefix"},
                     {"backend",
                      {{"service", {{"name", "svc"}, {"port", {{"number", 80}}}}}}}}}}}}}}}}}}));
  (*proxy)->SetRoutes(RouteTable::Build(objects));

  nlohmann::json direct = Phase(backend_port, connections, seconds);
  nlohmann::json proxied = Phase((*proxy)->http_port(), connections, seconds);
  ProxyStats stats = (*proxy)->stats();
  nlohmann::json out = {{"benchmark", "ingress_proxy"},
                        {"connections", connections},
                        {"seconds_per_phase", seconds},
                        {"proxy_io_threads", o.io_threads},
                        {"direct", direct},
                        {"through_proxy", proxied},
                        {"proxy_upstream_dials", stats.upstream_dials},
                        {"hardware_threads", std::thread::hardware_concurrency()}};
  std::printf("%s\n", out.dump(2).c_str());
  (*proxy)->Stop();
  backend_io.stop();
  backend_thread.join();
  return 0;
}
