// ControllerTestCluster (test_cluster.h).
#include "tests/core/controllers/test_cluster.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "core/plugin/chain_config.h"
#include "core/registry/strategy_factory.h"

namespace capstan::controllers::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "ControllerTestCluster: %s\n", what.c_str());
  std::abort();
}

// Only the admin certificate (verified by the TLS layer against the CA) gets in.
class CertAuthenticator : public apiserver::Authenticator {
 public:
  Result<apiserver::UserInfo> Authenticate(const apiserver::HttpRequest& request) override {
    if (request.client_cert_verified) return apiserver::UserInfo{"admin", "", {"system:masters"}};
    return Status(StatusCode::kUnauthenticated, "Unauthorized");
  }
};

}  // namespace

ControllerTestCluster::ControllerTestCluster() {
  // Client and server share this process: a write to a connection the other side closed would
  // raise SIGPIPE here (the capstan binary ignores it too).
  std::signal(SIGPIPE, SIG_IGN);
  store::LevelDbStore::Options opts;
  opts.sync = false;
  auto s = store::LevelDbStore::Open(pki_.dir() + "/store", opts);
  if (!s.ok()) Die(s.status().ToString());
  store_ = std::move(*s);
  authn_ = std::make_unique<CertAuthenticator>();
  apiserver::ApiServerOptions options;
  options.worker_threads = 2;
  auto deps = std::make_shared<registry::StrategyDeps>();
  deps->service_allocators = registry::ServiceAllocators::Default();
  options.strategy_factory = [deps](const api::ResourceInfo& r) {
    return registry::StrategyFor(r.group, r.kind, *deps);
  };
  auto api = apiserver::ApiServer::Create(store_.get(), authn_.get(), nullptr, nullptr, options);
  if (!api.ok()) Die(api.status().ToString());
  api_ = std::move(*api);
  apiserver::RestStorage* ns = api_->StorageFor("", "namespaces");
  for (const char* name : {"default", "kube-system"}) {
    nlohmann::json obj = {
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
    auto r = ns->Create({}, "", obj);
    if (auto* e = std::get_if<apiserver::ApiError>(&r)) Die(e->status.ToString());
  }
  http_ = apiserver::testing::StartTestServer(
      pki_, [this](std::shared_ptr<apiserver::HttpExchange> ex) { api_->Handle(std::move(ex)); });
}

ControllerTestCluster::~ControllerTestCluster() {
  http_->Stop(std::chrono::milliseconds(500));
  api_->Shutdown();
}

std::unique_ptr<client::ApiClient> ControllerTestCluster::NewClient() const {
  client::ClientConfig c;
  c.server_url = "https://127.0.0.1:" + std::to_string(http_->port());
  c.ca_pem = pki_.pki().ca.cert_pem;
  c.client_cert_pem = pki_.pki().admin.cert_pem;
  c.client_key_pem = pki_.pki().admin.key_pem;
  auto client = client::ApiClient::Create(c);
  if (!client.ok()) Die(client.status().ToString());
  return std::move(*client);
}

bool Eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

Result<std::unique_ptr<ControllerHost>> StartHostWithPlugins(client::ApiClient* client,
                                                             const std::string& plugin_dir,
                                                             const nlohmann::json& plugins) {
  nlohmann::json doc = {{"apiVersion", "capstan.io/v1alpha1"},
                        {"kind", "PluginConfiguration"},
                        {"pluginDirs", nlohmann::json::array({plugin_dir})},
                        {"chains", {{"controller", {{"plugins", plugins}}}}}};
  Result<plugin::PluginConfiguration> config = plugin::ParsePluginConfiguration(doc, "test", "/");
  if (!config.ok()) return config.status();
  ControllerHostOptions options;
  options.client = client;
  options.plugins = *config;
  return StartControllerHost(options);
}

}  // namespace capstan::controllers::testing
