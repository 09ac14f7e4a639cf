// `LocalApiClient`: a `client::ApiClient` (core/client/api_client.h) for components that run
// in the API server's own process (`capstan server`'s scheduler and controller host,
// core/cmd/control_plane.h). Each request becomes an `HttpExchange` handed straight to the
// server's handler (`ApiServer::Handle`) — no socket, TLS or HTTP text — with the identity the
// component has over HTTPS. The sink side: local_exchange_sink.h; threads: local_threads.h.
// Tests: tests/core/apiserver/local_api_client_test.cc.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/apiserver/http_request.h"
#include "core/apiserver/http_server.h"
#include "core/apiserver/local_threads.h"
#include "core/client/api_client.h"
#include "core/common/status.h"

namespace capstan::apiserver {

class LocalExchangeSink;

struct LocalApiClientOptions {
  // Threads that deliver watch events (never the server's workers nor the caller's thread).
  int threads = 2;
  // Used when a call passes a zero timeout.
  std::chrono::milliseconds default_timeout{30'000};
  std::string user_agent = "capstan-client";
  // Per watch: bytes the server has written but the watcher has not yet taken before the
  // server cuts the stream (HttpExchange's back-pressure bound). The HTTPS path cuts at the
  // server's 4 MiB plus whatever the kernel's socket buffers hold, hence the larger default.
  size_t max_stream_queued_bytes = 8u << 20;
  // Larger request bodies get 413, as from the HTTPS server (HttpServerOptions::max_body_bytes).
  size_t max_body_bytes = 3u << 20;
  // The CA the server verifies client certificates against (HttpServerOptions'
  // tls.client_ca_pem). Empty: the config's `ca_pem` (capstan's PKI has one CA for both).
  std::string client_ca_pem;
};

// Thread-safe, with the semantics api_client.h documents: blocking calls with timeouts
// (kTimeout), kCancelled for calls still waiting when the client is destroyed (the destructor
// waits for them to return), watch callbacks serial per watch on the client's threads, Stop()
// fencing them. What differs from the HTTPS client: no connections (`OpenConnections()` and
// `ConnectionsOpened()` are 0) and no protocol upgrades (exec/attach/port-forward need HTTPS).
// The handler must stay valid until the client is destroyed; exchanges the server still holds
// afterwards stay safe to use (their writes go nowhere).
class LocalApiClient final : public client::ApiClient {
 public:
  // (Named `Open`, not `Create`, so that it does not hide ApiClient's `Create` verb.)
  // Identity: requests carry exactly what the HTTPS server would record for `config` — with a
  // client certificate, the verified chain (leaf to CA) marked verified; with a bearer token,
  // the `Authorization` header — so authentication and authorization see the same user.
  // Errors: kInvalid for a malformed server URL, half a certificate/key pair or a key that does
  // not match the certificate; kBadRequest for unparseable PEM; kUnauthenticated when the
  // certificate does not verify against the client CA (over HTTPS it would not be accepted).
  static Result<std::unique_ptr<LocalApiClient>> Open(const client::ClientConfig& config,
                                                      HttpHandler handler,
                                                      LocalApiClientOptions options = {});
  ~LocalApiClient() override;
  LocalApiClient(const LocalApiClient&) = delete;
  LocalApiClient& operator=(const LocalApiClient&) = delete;

  Result<client::ApiResponse> Request(std::string_view method, std::string_view path,
                                      std::string_view content_type, std::string body,
                                      std::chrono::milliseconds timeout) override;
  std::unique_ptr<client::WatchHandle> Watch(std::string path_with_query,
                                             client::WatchEventCallback on_event,
                                             client::WatchEndCallback on_end) override;
  const client::ClientConfig& config() const override { return config_; }
  int OpenConnections() const override { return 0; }
  int64_t ConnectionsOpened() const override { return 0; }

  class WatchRecord;  // local_api_client.cc

 private:
  LocalApiClient(client::ClientConfig config, HttpHandler handler, LocalApiClientOptions options);

  // The request as the HTTPS server would parse it (names lower-case, client identity set).
  // Errors: kBadRequest for a target the server would reject with 400.
  Result<HttpRequest> MakeRequest(std::string_view method, std::string_view path,
                                  std::string_view content_type, std::string body) const;
  // Hands the exchange to the handler (a handler that throws: the exchange answers 500).
  void Dispatch(std::shared_ptr<HttpExchange> exchange);

  const client::ClientConfig config_;
  const HttpHandler handler_;
  const LocalApiClientOptions options_;
  std::string host_header_;
  std::string path_prefix_;
  std::string client_chain_pem_;  // verified chain; empty without a client certificate
  const std::shared_ptr<LocalThreads> threads_;

  std::mutex mu_;  // guards everything below
  std::condition_variable idle_cv_;
  bool closing_ = false;
  uint64_t next_request_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<LocalExchangeSink>> requests_;  // in flight
  std::vector<std::weak_ptr<WatchRecord>> watches_;
};

}  // namespace capstan::apiserver
