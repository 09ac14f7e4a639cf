// Test fixture for tests/core/client: a real in-process Capstan API server (LevelDB store in a
// temporary directory, the registry's strategies, HTTPS on 127.0.0.1:0 with a generated PKI from
// tests/core/apiserver/http_test_client.h) that the client layer talks to over TLS. A small
// authenticator accepts the admin client certificate or one bearer token and rejects the rest,
// so credentials are really checked.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/apiserver/api_server.h"
#include "core/apiserver/http_server.h"
#include "core/client/api_client.h"
#include "core/store/leveldb_store.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::client::testing {

inline constexpr char kTestToken[] = "client-test-token";

class TestCluster {
 public:
  // Starts everything; aborts the binary on failure (helpers cannot ASSERT). Namespaces
  // "default" and "kube-system" exist. `idle_timeout`: how long the server keeps an idle
  // keep-alive connection.
  explicit TestCluster(std::chrono::milliseconds idle_timeout = std::chrono::seconds(90));
  ~TestCluster();
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  // Admin client certificate credentials / bearer token credentials.
  ClientConfig CertConfig() const;
  ClientConfig TokenConfig() const;
  std::unique_ptr<ApiClient> NewClient(ApiClientOptions options = {}) const;

  uint16_t port() const { return port_; }
  // Connections the HTTPS server currently serves.
  size_t ServerConnections() const { return http_->open_connections(); }
  const apiserver::testing::TestPki& pki() const { return pki_; }
  const std::string& dir() const { return pki_.dir(); }

  // Holds every new request until ResumeWithNewApiServer; requests already dispatched continue.
  void Pause();
  // Requests held since Pause().
  size_t HeldRequests() const;
  // Dispatches the held requests to the running API server and stops holding.
  void Resume();
  // Shuts the API server down, runs `offline` against a temporary API server on the same store
  // (writes made there land at revisions the new server's watch cache starts after, so watches
  // resuming from older revisions get 410 Gone), starts a fresh API server and dispatches the
  // held requests to it.
  void ResumeWithNewApiServer(const std::function<void(apiserver::ApiServer&)>& offline);

 private:
  std::unique_ptr<apiserver::ApiServer> NewApiServer();
  void Dispatch(std::shared_ptr<apiserver::HttpExchange> ex);

  apiserver::testing::TestPki pki_;
  std::unique_ptr<store::LevelDbStore> store_;
  std::unique_ptr<apiserver::Authenticator> authn_;
  mutable std::mutex mu_;  // guards api_, paused_, held_
  std::unique_ptr<apiserver::ApiServer> api_;
  bool paused_ = false;
  std::vector<std::shared_ptr<apiserver::HttpExchange>> held_;
  std::unique_ptr<apiserver::HttpServer> http_;
  uint16_t port_ = 0;
};

// Polls `pred` every 2 ms until it holds or `timeout` passes; returns its last value.
bool Eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace capstan::client::testing
