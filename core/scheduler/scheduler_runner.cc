// Scheduler wiring to the API server (scheduler_runner.h).
#include "core/scheduler/scheduler_runner.h"

#include <unistd.h>

#include "core/common/log.h"

namespace capstan::scheduler {

Result<ApiReply> ApiClientSchedulerApi::Request(std::string_view method, std::string_view path,
                                                std::string_view content_type, std::string body,
                                                std::chrono::milliseconds timeout) {
  Result<client::ApiResponse> r =
      client_->Request(method, path, content_type, std::move(body), timeout);
  if (!r.ok()) return r.status();
  return ApiReply{r->status, std::move(r->body)};
}

SchedulerRunner::~SchedulerRunner() { Stop(); }

void SchedulerRunner::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (elector_) elector_->Stop();
  if (pods_) pods_->Stop();
  if (nodes_) nodes_->Stop();
  if (scheduler_) scheduler_->Stop();
  if (services_) services_->SetApi(nullptr);
}

Result<std::unique_ptr<SchedulerRunner>> StartScheduler(const SchedulerRunnerOptions& options) {
  if (options.chain == nullptr || options.services == nullptr) {
    return InvalidError("StartScheduler: the sched chain and its host services are required");
  }
  std::unique_ptr<SchedulerRunner> runner(new SchedulerRunner());
  client::ApiClient* client = options.client;
  if (client == nullptr) {
    Result<std::unique_ptr<client::ApiClient>> c =
        client::ApiClient::FromKubeconfig(options.kubeconfig);
    if (!c.ok()) return c.status().WithContext("scheduler");
    runner->owned_client_ = std::move(*c);
    client = runner->owned_client_.get();
  }
  auto api = std::make_shared<ApiClientSchedulerApi>(client);
  runner->services_ = options.services;
  runner->services_->SetApi(api);
  SchedulerOptions so = options.scheduler;
  so.chain = options.chain;
  so.api = api;
  Result<std::unique_ptr<Scheduler>> s = Scheduler::Create(std::move(so));
  if (!s.ok()) return s.status();
  runner->scheduler_ = std::move(*s);
  Scheduler* sched = runner->scheduler_.get();

  client::InformerOptions node_options;
  node_options.path = "/api/v1/nodes";
  runner->nodes_ = std::make_unique<client::Informer>(client, node_options);
  runner->nodes_->AddHandler(
      client::EventHandler{[sched](const client::ObjectPtr& o) { sched->OnNodeAdd(o); },
                           [sched](const client::ObjectPtr& a, const client::ObjectPtr& b) {
                             if (a != b) sched->OnNodeUpdate(a, b);  // skip resyncs
                           },
                           [sched](const client::ObjectPtr& o) { sched->OnNodeDelete(o); }});
  client::InformerOptions pod_options;
  pod_options.path = "/api/v1/pods";
  runner->pods_ = std::make_unique<client::Informer>(client, pod_options);
  runner->pods_->AddHandler(
      client::EventHandler{[sched](const client::ObjectPtr& o) { sched->OnPodAdd(o); },
                           [sched](const client::ObjectPtr& a, const client::ObjectPtr& b) {
                             if (a != b) sched->OnPodUpdate(a, b);
                           },
                           [sched](const client::ObjectPtr& o) { sched->OnPodDelete(o); }});
  runner->nodes_->Start();
  runner->pods_->Start();
  if (!runner->nodes_->WaitForSync(options.sync_timeout) ||
      !runner->pods_->WaitForSync(options.sync_timeout)) {
    return TimeoutError("scheduler: pod and node informers did not sync within " +
                        std::to_string(options.sync_timeout.count()) + "ms");
  }
  if (!options.leader_elect) {
    sched->Start();
    log::Info("scheduler", "scheduling", {{"profile", sched->framework().profile_name()}});
    return runner;
  }
  client::LeaderElectorOptions eo;
  eo.lease_name = options.lease_name;
  eo.identity = options.identity;
  if (eo.identity.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    eo.identity = std::string(host) + "_" + std::to_string(getpid());
  }
  // Upstream exits when it loses the lease; a stopped Scheduler cannot restart, so losing it
  // stops scheduling until the process restarts.
  eo.on_started_leading = [sched] { sched->Start(); };
  eo.on_stopped_leading = [sched] { sched->Stop(); };
  Result<std::unique_ptr<client::LeaderElector>> elector =
      client::LeaderElector::Start(client, std::move(eo));
  if (!elector.ok()) return elector.status();
  runner->elector_ = std::move(*elector);
  return runner;
}

}  // namespace capstan::scheduler
