// TestCluster (test_cluster.h).
#include "tests/core/client/test_cluster.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "core/registry/strategy_factory.h"

namespace capstan::client::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "TestCluster: %s\n", what.c_str());
  std::abort();
}

// The admin certificate (verified by the TLS layer against the CA) or the one test token.
class TestAuthenticator : public apiserver::Authenticator {
 public:
  Result<apiserver::UserInfo> Authenticate(const apiserver::HttpRequest& request) override {
    if (request.client_cert_verified) return apiserver::UserInfo{"admin", "", {"system:masters"}};
    std::optional<std::string_view> auth = request.Header("authorization");
    if (auth && *auth == std::string("Bearer ") + kTestToken) {
      return apiserver::UserInfo{"token-user", "", {"system:masters"}};
    }
    return Status(StatusCode::kUnauthenticated, "Unauthorized");
  }
};

}  // namespace

TestCluster::TestCluster(std::chrono::milliseconds idle_timeout) {
  // The server's TLS sockets write with OpenSSL on the fd (plain write(2)), so a client that
  // closes a connection mid-response would raise SIGPIPE in this process.
  std::signal(SIGPIPE, SIG_IGN);
  store::LevelDbStore::Options opts;
  opts.sync = false;
  auto s = store::LevelDbStore::Open(pki_.dir() + "/store", opts);
  if (!s.ok()) Die(s.status().ToString());
  store_ = std::move(*s);
  authn_ = std::make_unique<TestAuthenticator>();
  api_ = NewApiServer();
  apiserver::RestStorage* ns = api_->StorageFor("", "namespaces");
  for (const char* name : {"default", "kube-system"}) {
    nlohmann::json obj = {
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
    auto r = ns->Create({}, "", obj);
    if (auto* e = std::get_if<apiserver::ApiError>(&r)) Die(e->status.ToString());
  }
  http_ = apiserver::testing::StartTestServer(
      pki_, [this](std::shared_ptr<apiserver::HttpExchange> ex) { Dispatch(std::move(ex)); },
      [idle_timeout](apiserver::HttpServerOptions& o) { o.idle_timeout = idle_timeout; });
  port_ = http_->port();
}

TestCluster::~TestCluster() {
  http_->Stop(std::chrono::milliseconds(500));
  std::lock_guard l(mu_);
  if (api_) api_->Shutdown();
  api_.reset();
}

std::unique_ptr<apiserver::ApiServer> TestCluster::NewApiServer() {
  apiserver::ApiServerOptions options;
  options.worker_threads = 4;
  auto deps = std::make_shared<registry::StrategyDeps>();
  deps->service_allocators = registry::ServiceAllocators::Default();
  options.strategy_factory = [deps](const api::ResourceInfo& r) {
    return registry::StrategyFor(r.group, r.kind, *deps);
  };
  auto api = apiserver::ApiServer::Create(store_.get(), authn_.get(), nullptr, nullptr, options);
  if (!api.ok()) Die(api.status().ToString());
  return std::move(*api);
}

void TestCluster::Dispatch(std::shared_ptr<apiserver::HttpExchange> ex) {
  std::lock_guard l(mu_);
  if (paused_) {
    held_.push_back(std::move(ex));
    return;
  }
  api_->Handle(std::move(ex));
}

void TestCluster::Pause() {
  std::lock_guard l(mu_);
  paused_ = true;
}

size_t TestCluster::HeldRequests() const {
  std::lock_guard l(mu_);
  return held_.size();
}

void TestCluster::Resume() {
  std::lock_guard l(mu_);
  paused_ = false;
  for (auto& ex : held_) api_->Handle(std::move(ex));
  held_.clear();
}

void TestCluster::ResumeWithNewApiServer(
    const std::function<void(apiserver::ApiServer&)>& offline) {
  std::unique_ptr<apiserver::ApiServer> old;
  {
    std::lock_guard l(mu_);
    old = std::move(api_);
  }
  old->Shutdown();
  old.reset();
  {
    std::unique_ptr<apiserver::ApiServer> temp = NewApiServer();
    offline(*temp);
    temp->Shutdown();
  }
  std::unique_ptr<apiserver::ApiServer> fresh = NewApiServer();
  std::lock_guard l(mu_);
  api_ = std::move(fresh);
  paused_ = false;
  for (auto& ex : held_) api_->Handle(std::move(ex));
  held_.clear();
}

ClientConfig TestCluster::CertConfig() const {
  ClientConfig c;
  c.server_url = "https://127.0.0.1:" + std::to_string(port_);
  c.ca_pem = pki_.pki().ca.cert_pem;
  c.client_cert_pem = pki_.pki().admin.cert_pem;
  c.client_key_pem = pki_.pki().admin.key_pem;
  return c;
}

ClientConfig TestCluster::TokenConfig() const {
  ClientConfig c;
  c.server_url = "https://127.0.0.1:" + std::to_string(port_);
  c.ca_pem = pki_.pki().ca.cert_pem;
  c.bearer_token = kTestToken;
  return c;
}

std::unique_ptr<ApiClient> TestCluster::NewClient(ApiClientOptions options) const {
  auto c = ApiClient::Create(CertConfig(), std::move(options));
  if (!c.ok()) Die(c.status().ToString());
  return std::move(*c);
}

bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

}  // namespace capstan::client::testing
