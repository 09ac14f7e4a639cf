// `StartScheduler`: runs a `Scheduler` (scheduler.h) against the API server the way kube-scheduler
// does — informers on all pods (pending ones are queued, bound ones fill the node cache) and on
// nodes, a `SchedulerApi` over client::ApiClient for outcomes and for plugins'
// "capstan_host_api_request_v1", and optional leader election on a Lease. Called by
// `capstan server` (core/cmd) or a standalone scheduler. Tests in
// tests/core/scheduler/scheduler_runner_test.cc.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/client/api_client.h"
#include "core/client/informer.h"
#include "core/client/leader_elector.h"
#include "core/common/status.h"
#include "core/plugin/registry.h"
#include "core/scheduler/host_services.h"
#include "core/scheduler/scheduler.h"

namespace capstan::scheduler {

// `SchedulerApi` over an ApiClient (borrowed; must outlive this object). Thread-safe.
class ApiClientSchedulerApi : public SchedulerApi {
 public:
  explicit ApiClientSchedulerApi(client::ApiClient* client) : client_(client) {}
  Result<ApiReply> Request(std::string_view method, std::string_view path,
                           std::string_view content_type, std::string body,
                           std::chrono::milliseconds timeout) override;

 private:
  client::ApiClient* client_;
};

struct SchedulerRunnerOptions {
  // The API: `client` (borrowed, must outlive the runner) or else a kubeconfig to build one.
  client::ApiClient* client = nullptr;
  std::string kubeconfig;
  // Required: the loaded `sched` chain, and the services object whose `SchedHostConfigurer`
  // was `RegistryOptions::configure_host` when the registry was loaded (the runner attaches
  // the API to it). Both must outlive the runner.
  const plugin::Chain* chain = nullptr;
  std::shared_ptr<SchedHostServices> services;
  // Profile, parallelism, backoff...; `chain` and `api` are filled in by StartScheduler.
  SchedulerOptions scheduler;
  // How long to wait for the first LIST of pods and nodes before scheduling.
  std::chrono::milliseconds sync_timeout{30'000};
  // Leader election on Lease kube-system/<lease_name>; schedule only while leading.
  bool leader_elect = false;
  std::string lease_name = "capstan-scheduler";
  std::string identity;  // default: "<hostname>_<pid>"
};

// Owns the informers, the scheduler and (optionally) the elector. Stop order: elector,
// informers, scheduler (binding tasks and outcome writes finish).
class SchedulerRunner {
 public:
  ~SchedulerRunner();
  SchedulerRunner(const SchedulerRunner&) = delete;
  SchedulerRunner& operator=(const SchedulerRunner&) = delete;

  // Idempotent.
  void Stop();
  Scheduler& scheduler() { return *scheduler_; }

 private:
  friend Result<std::unique_ptr<SchedulerRunner>> StartScheduler(
      const SchedulerRunnerOptions& options);
  SchedulerRunner() = default;

  std::unique_ptr<client::ApiClient> owned_client_;
  std::shared_ptr<SchedHostServices> services_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<client::Informer> nodes_;
  std::unique_ptr<client::Informer> pods_;
  std::unique_ptr<client::LeaderElector> elector_;
  bool stopped_ = false;
};

// Creates the scheduler, starts the informers, waits for their first sync, then starts
// scheduling (at once, or when this candidate becomes leader). Errors: kInvalid (no chain or
// services, a chain that is not a valid profile, bad elector options), the kubeconfig/client
// errors, kTimeout when the informers did not sync within `sync_timeout`.
Result<std::unique_ptr<SchedulerRunner>> StartScheduler(const SchedulerRunnerOptions& options);

}  // namespace capstan::scheduler
