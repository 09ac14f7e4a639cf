// The in-process control-plane components `capstan server` runs next to the API server: the
// scheduler and the controller host. They reach the API through a `client::ApiClient` with the
// admin identity — by default the in-process one (core/apiserver/local_api_client.h: exchanges
// handed to the API server's handler, no socket or TLS), or HTTPS as when they run as separate
// processes — so nothing here touches the store. Used by server_cmd.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/apiserver/http_server.h"
#include "core/client/api_client.h"
#include "core/common/status.h"
#include "core/controllers/controller_host.h"
#include "core/ingress/ingress_controller.h"
#include "core/plugin/registry.h"
#include "core/scheduler/host_services.h"
#include "core/scheduler/scheduler_runner.h"

namespace capstan::cmd {

// How the components reach the API server (`capstan server --control-plane-transport`).
enum class ControlPlaneTransport { kInProcess, kHttps };

// "in-process" or "https". Errors: kInvalid naming the accepted values.
Result<ControlPlaneTransport> ParseControlPlaneTransport(std::string_view text);

// How one of the server's own components (scheduler, controller host, DNS, ingress) reaches
// the API: the kubeconfig gives the API and the admin identity either way.
struct ComponentApi {
  std::string kubeconfig;
  ControlPlaneTransport transport = ControlPlaneTransport::kInProcess;
  // kInProcess: the API server's handler (`ApiServer::Handle`); it must outlive every client
  // opened with it.
  apiserver::HttpHandler api_handler;
};

// A client for one component. Errors: the kubeconfig's, the client's.
Result<std::unique_ptr<client::ApiClient>> OpenComponentClient(const ComponentApi& api);

struct ControlPlaneOptions {
  std::string kubeconfig;  // the API and the identity the components use
  ControlPlaneTransport transport = ControlPlaneTransport::kInProcess;
  // kInProcess: the API server's handler (`ApiServer::Handle`); it must outlive the control
  // plane.
  apiserver::HttpHandler api_handler;
  const plugin::Registry* plugins = nullptr;  // borrowed; must outlive the control plane
  // The services configured into the registry's sched instances (SchedHostConfigurer).
  std::shared_ptr<scheduler::SchedHostServices> sched_services;
  bool scheduler = true;
  // The operator's configuration: the controller host loads its `controller` chain itself.
  plugin::PluginConfiguration plugin_config;
  bool controllers = true;
};

// Stops its components in reverse start order on destruction (or Stop()).
class ControlPlane {
 public:
  ~ControlPlane() { Stop(); }
  void Stop();

 private:
  friend Result<std::unique_ptr<ControlPlane>> StartControlPlane(const ControlPlaneOptions&);
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<scheduler::SchedulerRunner> scheduler_;
  std::unique_ptr<controllers::ControllerHost> controllers_;
};

// Starts the enabled components. A component whose chain is empty is skipped with a log line
// (an operator may run, say, only the API server). Errors: the client's, the components'.
Result<std::unique_ptr<ControlPlane>> StartControlPlane(const ControlPlaneOptions& options);

// The built-in ingress (core/ingress) over its own API client. `address` "" means the API
// server's bind address; `status_address` is what Ingress status reports.
struct IngressStartOptions {
  ComponentApi api;
  std::string address;
  int http_port = 80;
  int https_port = 443;
  std::string status_address;
};

// Stops the ingress on destruction.
struct RunningIngress {
  ~RunningIngress() {
    if (controller) controller->Stop();
  }
  std::unique_ptr<client::ApiClient> client;
  std::unique_ptr<ingress::IngressController> controller;
};

// Starts the ingress and logs `ingress serving http=http://ADDR:PORT https=https://ADDR:PORT`.
// Never fails the server: when a port cannot be bound (or anything else fails) it logs an error
// naming the flag to change and returns null, and the server keeps running without ingress.
std::unique_ptr<RunningIngress> StartIngress(const IngressStartOptions& options);

}  // namespace capstan::cmd
