// An in-process API server that dials node agents with the test PKI's kubelet-client
// certificate, on a non-durable store; shared by node_proxy_test and metrics_api_test.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>

#include "core/apiserver/api_server.h"
#include "core/registry/strategy_factory.h"
#include "core/store/leveldb_store.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::apiserver::testing {

// Admits verified client certificates as system:masters; everything else is 401.
class CertAuthenticator : public Authenticator {
 public:
  Result<UserInfo> Authenticate(const HttpRequest& request) override {
    if (request.client_cert_verified) return UserInfo{"admin", "", {"system:masters"}};
    return Status(StatusCode::kUnauthenticated, "Unauthorized");
  }
};

// Opens `pki.dir()/store` into `*store` and starts an API server with the built-in strategies
// on it; null (with a test failure) when either fails.
inline std::unique_ptr<ApiServer> StartAgentFacingApiServer(
    const TestPki& pki, Authenticator* authn, std::unique_ptr<store::LevelDbStore>* store,
    std::chrono::milliseconds metrics_resolution = std::chrono::milliseconds(15'000)) {
  std::signal(SIGPIPE, SIG_IGN);
  store::LevelDbStore::Options opts;
  opts.sync = false;
  auto opened = store::LevelDbStore::Open(pki.dir() + "/store", opts);
  EXPECT_TRUE(opened.ok());
  if (!opened.ok()) return nullptr;
  *store = std::move(*opened);
  ApiServerOptions options;
  options.worker_threads = 4;
  auto deps = std::make_shared<registry::StrategyDeps>();
  deps->service_allocators = registry::ServiceAllocators::Default();
  options.strategy_factory = [deps](const api::ResourceInfo& r) {
    return registry::StrategyFor(r.group, r.kind, *deps);
  };
  options.kubelet_client_cert_pem = pki.pki().kubelet_client.cert_pem;
  options.kubelet_client_key_pem = pki.pki().kubelet_client.key_pem;
  options.metrics_resolution = metrics_resolution;
  auto api = ApiServer::Create(store->get(), authn, nullptr, nullptr, options);
  EXPECT_TRUE(api.ok()) << api.status().ToString();
  if (!api.ok()) return nullptr;
  return std::move(*api);
}

}  // namespace capstan::apiserver::testing
