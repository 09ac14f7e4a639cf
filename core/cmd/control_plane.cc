// In-process control-plane components (control_plane.h).
#include "core/cmd/control_plane.h"

#include "capstan/abi/common.h"
#include "core/common/log.h"

namespace capstan::cmd {

void ControlPlane::Stop() {
  if (controllers_) controllers_->Stop();
  controllers_.reset();
  if (scheduler_) scheduler_->Stop();
  scheduler_.reset();
  client_.reset();
}

Result<std::unique_ptr<ControlPlane>> StartControlPlane(const ControlPlaneOptions& options) {
  std::unique_ptr<ControlPlane> cp(new ControlPlane());
  Result<std::unique_ptr<client::ApiClient>> client =
      client::ApiClient::FromKubeconfig(options.kubeconfig);
  if (!client.ok()) return client.status().WithContext("control-plane API client");
  cp->client_ = std::move(*client);

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

}  // namespace capstan::cmd
