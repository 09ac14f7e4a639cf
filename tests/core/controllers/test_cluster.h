// Test fixture for tests/core/controllers: a real in-process Capstan API server (LevelDB store in
// a temporary directory, the registry's strategies, HTTPS on 127.0.0.1:0 with a generated PKI)
// and an admin `client::ApiClient` for it; a controller host with chosen plugins; and
// `Eventually` for polling with a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/apiserver/api_server.h"
#include "core/apiserver/http_server.h"
#include "core/client/api_client.h"
#include "core/controllers/controller_host.h"
#include "core/store/leveldb_store.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::controllers::testing {

class ControllerTestCluster {
 public:
  // Aborts the binary on failure. Namespaces "default" and "kube-system" exist.
  ControllerTestCluster();
  ~ControllerTestCluster();
  ControllerTestCluster(const ControllerTestCluster&) = delete;
  ControllerTestCluster& operator=(const ControllerTestCluster&) = delete;

  // An admin client (client certificate).
  std::unique_ptr<client::ApiClient> NewClient() const;

 private:
  apiserver::testing::TestPki pki_;
  std::unique_ptr<store::LevelDbStore> store_;
  std::unique_ptr<apiserver::Authenticator> authn_;
  std::unique_ptr<apiserver::ApiServer> api_;
  std::unique_ptr<apiserver::HttpServer> http_;
};

// Starts a controller host over `client` whose `controller` chain is `plugins` (entries as in
// the operator configuration: name, library, config, timeout), loading from `plugin_dir`.
// Errors: the configuration's and StartControllerHost's.
Result<std::unique_ptr<ControllerHost>> StartHostWithPlugins(client::ApiClient* client,
                                                             const std::string& plugin_dir,
                                                             const nlohmann::json& plugins);

// Polls `pred` every 10 ms until it holds or `timeout` passes; returns its last value.
bool Eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace capstan::controllers::testing
