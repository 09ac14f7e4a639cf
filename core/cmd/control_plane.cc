// In-process control-plane components (control_plane.h).
#include "core/cmd/control_plane.h"

#include "capstan/abi/common.h"
#include "core/apiserver/local_api_client.h"
#include "core/client/kubeconfig.h"
#include "core/common/log.h"

namespace capstan::cmd {

void ControlPlane::Stop() {
  if (controllers_) controllers_->Stop();
  controllers_.reset();
  if (scheduler_) scheduler_->Stop();
  scheduler_.reset();
  client_.reset();
}

Result<ControlPlaneTransport> ParseControlPlaneTransport(std::string_view text) {
  if (text == "in-process") return ControlPlaneTransport::kInProcess;
  if (text == "https") return ControlPlaneTransport::kHttps;
  return InvalidError("--control-plane-transport wants in-process or https, not \"" +
                      std::string(text) + "\"");
}

Result<std::unique_ptr<client::ApiClient>> OpenComponentClient(const ComponentApi& api) {
  if (api.transport == ControlPlaneTransport::kHttps) {
    return client::ApiClient::FromKubeconfig(api.kubeconfig);
  }
  Result<client::ClientConfig> config = client::LoadKubeconfig(api.kubeconfig);
  if (!config.ok()) return config.status();
  Result<std::unique_ptr<apiserver::LocalApiClient>> local =
      apiserver::LocalApiClient::Open(*config, api.api_handler);
  if (!local.ok()) return local.status();
  return std::unique_ptr<client::ApiClient>(std::move(*local));
}

Result<std::unique_ptr<ControlPlane>> StartControlPlane(const ControlPlaneOptions& options) {
  std::unique_ptr<ControlPlane> cp(new ControlPlane());
  Result<std::unique_ptr<client::ApiClient>> client =
      OpenComponentClient({options.kubeconfig, options.transport, options.api_handler});
  if (!client.ok()) return client.status().WithContext("control-plane API client");
  cp->client_ = std::move(*client);
  log::Info(
      "server", "control plane API transport",
      {{"transport", options.transport == ControlPlaneTransport::kHttps ? "https" : "in-process"}});

  const plugin::Chain* sched = options.plugins->chain(CAPSTAN_KIND_SCHED);
  if (!options.scheduler) {
    log::Info("server", "scheduler disabled");
  } else if (sched == nullptr || sched->entries.empty()) {
    log::Warn("server", "no sched plugins configured; pods will not be scheduled");
  } else {
    scheduler::SchedulerRunnerOptions so;
    so.client = cp->client_.get();
    so.chain = sched;
    so.services = options.sched_services;
    Result<std::unique_ptr<scheduler::SchedulerRunner>> runner = scheduler::StartScheduler(so);
    if (!runner.ok()) return runner.status().WithContext("scheduler");
    cp->scheduler_ = std::move(*runner);
    log::Info("server", "scheduler running", {{"plugins", std::to_string(sched->entries.size())}});
  }
  if (!options.controllers) {
    log::Info("server", "controllers disabled");
  } else {
    controllers::ControllerHostOptions co;
    co.client = cp->client_.get();
    co.plugins = options.plugin_config;
    Result<std::unique_ptr<controllers::ControllerHost>> host =
        controllers::StartControllerHost(co);
    if (!host.ok()) return host.status().WithContext("controller host");
    cp->controllers_ = std::move(*host);
    log::Info("server", "controller host running");
  }
  return cp;
}

std::unique_ptr<RunningIngress> StartIngress(const IngressStartOptions& options) {
  ingress::IngressOptions io;
  io.proxy.address = options.address;
  io.proxy.http_port = options.http_port;
  io.proxy.https_port = options.https_port;
  io.status_address = options.status_address;
  auto running = std::make_unique<RunningIngress>();
  Result<std::unique_ptr<client::ApiClient>> client = OpenComponentClient(options.api);
  Status error = client.status();
  if (client.ok()) {
    running->client = std::move(*client);
    Result<std::unique_ptr<ingress::IngressController>> started =
        ingress::IngressController::Start(io, running->client.get());
    if (started.ok()) {
      running->controller = std::move(*started);
    } else {
      error = started.status();
    }
  }
  if (!error.ok()) {
    const std::string& m = error.message();
    const char* flag = m.find("https listener") != std::string::npos  ? "--ingress-https-port"
                       : m.find("http listener") != std::string::npos ? "--ingress-http-port"
                                                                      : "--ingress-address";
    log::Error("server", "ingress not started; the server runs without it",
               {{"error", error.ToString()},
                {"flag", flag},
                {"hint", "change the flag or pass --disable-ingress"}});
    return nullptr;
  }
  std::string host = io.proxy.address.find(':') != std::string::npos ? "[" + io.proxy.address + "]"
                                                                     : io.proxy.address;
  auto url = [&host](const char* scheme, uint16_t port) {
    return port == 0 ? std::string("off") : scheme + host + ":" + std::to_string(port);
  };
  log::Info("server", "ingress serving",
            {{"http", url("http://", running->controller->http_port())},
             {"https", url("https://", running->controller->https_port())}});
  return running;
}

}  // namespace capstan::cmd
