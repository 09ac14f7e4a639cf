// The measured phases of bench/apiserver_bench.cc, each returning its figures as JSON: a
// closed-loop load of N keep-alive HTTPS clients (creates, gets), watch fan-out latency, and a
// large LIST from the watch cache. The server they drive is `BenchServer` (set up in
// apiserver_bench.cc); clients are in apiserver_bench_client.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/apiserver_bench_client.h"
#include "bench/apiserver_bench_util.h"
#include "core/apiserver/api_server.h"
#include "core/apiserver/http_server.h"
#include "core/pki/server_pki.h"
#include "core/store/leveldb_store.h"

namespace capstan::bench {

// The server under test, in this process. Members are owned; destroyed in reverse order.
struct BenchServer {
  std::string dir;
  pki::ServerPki pki;
  std::unique_ptr<store::LevelDbStore> store;
  std::unique_ptr<apiserver::ApiServer> api;
  std::unique_ptr<apiserver::HttpServer> http;

  uint16_t port() const { return http->port(); }
  const std::string& ca_pem() const { return pki.ca.cert_pem; }
};

// Progress on stderr with the seconds since start, so a long run shows where it is.
void Log(const std::string& message);

// One request of a load run and the status that counts as success.
struct LoadRequest {
  http::verb method = http::verb::get;
  std::string target;
  std::string body;
  int expect_status = 200;
};
// Request number `index` of client `client` (called on that client's thread).
using RequestMaker = std::function<LoadRequest(int client, int64_t index)>;

struct LoadOptions {
  int clients = 1;
  double warmup_seconds = 0.5;
  double seconds = 5;
};

// `clients` threads, each with its own keep-alive TLS connection, send requests back to back
// (closed loop) for warm-up + `seconds`; only the measured window counts. Figures: requests/s,
// latency in ms, errors (first error text), CPU per request split into server (everything in
// the process but the client threads) and client, and the store's commits per write.
nlohmann::json RunLoad(BenchServer& server, const LoadOptions& options,
                       const RequestMaker& make_request);

struct WatchOptions {
  int watchers = 1000;
  int client_threads = 1;  // io threads reading all watch streams
  int writes = 100;
  int writes_per_second = 5;
};

// Opens `watchers` streaming watches on namespace bench-watch, then one writer PATCHes a pod
// there at a fixed rate. For every event at every watcher: arrival minus the write's response
// (commit acknowledged) and minus its request; missing events; CPU per write (fan-out).
nlohmann::json RunWatch(BenchServer& server, const WatchOptions& options);

struct ListOptions {
  int64_t pods = 150000;
  int fill_threads = 32;  // concurrent in-process creates, so sync writes batch
  int repeats = 3;
  int64_t page_size = 500;  // for the paginated walk (kubectl's chunk size)
};

// Fills namespace bench-list with `pods` pods through RestStorage::Create (in-process, durable,
// `managed_fields` copied into each as the HTTP path would have set them), then LISTs them over
// HTTPS with one client: time to the response head and to the last byte, size, and a walk in
// pages of `page_size`.
nlohmann::json RunList(BenchServer& server, const ListOptions& options, const PodTemplate& pod,
                       const nlohmann::json& managed_fields);

}  // namespace capstan::bench
