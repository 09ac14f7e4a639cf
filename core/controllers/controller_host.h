// The controller host: loads the `controller` plugin chain (core/plugin) with the object-access
// host services registered on every instance, shares one informer per watched resource across
// the controllers, runs a work queue and workers per controller (controller_runner.h), and
// optionally waits for a coordination.k8s.io Lease before acting. `capstan server` starts it
// with StartControllerHost once the API server serves. Tests: tests/core/controllers/.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/client/api_client.h"
#include "core/client/leader_elector.h"
#include "core/common/status.h"
#include "core/controllers/controller_runner.h"
#include "core/controllers/host_services.h"
#include "core/controllers/informer_set.h"
#include "core/plugin/chain_config.h"
#include "core/plugin/registry.h"

namespace capstan::controllers {

struct LeaderElectionOptions {
  bool enabled = false;
  std::string lease_namespace = "kube-system";
  std::string lease_name = "capstan-controller-manager";
  std::string identity;  // empty: "<hostname>_<pid>"
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

struct ControllerHostOptions {
  // The API: an existing client (borrowed; must outlive the host) or, when NULL, a client made
  // from `kubeconfig` (owned by the host).
  client::ApiClient* client = nullptr;
  std::string kubeconfig;
  client::ApiClientOptions client_options;
  // The operator's plugin configuration; only its `controller` chain is loaded, by a registry
  // of the host's own (so the host services exist before on_init). Load the other chains
  // without it (see WithoutControllerChain).
  plugin::PluginConfiguration plugins;
  // Loader paths and the metrics registry to expose (NULL: the registry's own).
  // `configure_host` and `executor_threads` are set by the host.
  plugin::RegistryOptions registry;
  // Threads behind the plugins' "post" service. The replicaset controller runs the pod creates
  // of a sync there concurrently (upstream's slow-start batches), so this bounds creates in
  // flight; idle threads cost a few KiB each.
  int executor_threads = 16;
  // > 0: workers per controller instead of what each plugin describes; capped by max_workers.
  int workers = 0;
  int max_workers = 16;
  // How long to wait for the informers' first LIST before the workers start anyway.
  std::chrono::milliseconds sync_timeout{30'000};
  LeaderElectionOptions leader_election;
};

// `config` without its controller chain (what the apiserver's registry should load), and with
// only it.
plugin::PluginConfiguration WithoutControllerChain(const plugin::PluginConfiguration& config);
plugin::PluginConfiguration OnlyControllerChain(const plugin::PluginConfiguration& config);

// Owns the registry of controller instances, the informers, the runners and the elector.
// Thread-safety: Stop and the accessors may be called from any thread (not from a plugin).
class ControllerHost {
 public:
  ~ControllerHost();  // Stop()
  ControllerHost(const ControllerHost&) = delete;
  ControllerHost& operator=(const ControllerHost&) = delete;

  // Stops leader election (releasing the Lease), the informers and the workers, in that order;
  // idempotent. Instances are destroyed with the host.
  void Stop();

  // The controllers running, in chain order (instance names).
  std::vector<std::string> Controllers() const;
  const ControllerRunner* Runner(const std::string& name) const;
  bool IsLeader() const;
  plugin::MetricsRegistry& metrics() const { return registry_->metrics(); }
  const plugin::Registry& registry() const { return *registry_; }

 private:
  friend Result<std::unique_ptr<ControllerHost>> StartControllerHost(const ControllerHostOptions&);
  ControllerHost() = default;
  void SetActive(bool active);

  std::unique_ptr<client::ApiClient> owned_client_;
  client::ApiClient* client_ = nullptr;
  std::unique_ptr<InformerSet> informers_;
  std::vector<std::unique_ptr<ServiceBinding>> bindings_;
  std::unique_ptr<plugin::Registry> registry_;
  std::vector<std::unique_ptr<ControllerRunner>> runners_;
  std::unique_ptr<client::LeaderElector> elector_;
  bool stopped_ = false;
};

// Loads the controller chain, describes every controller, starts the informers, waits for them
// to sync (up to `sync_timeout`), then starts the workers — at once, or when this process
// becomes leader. A chain entry that fails to load or describe is an error unless its
// failurePolicy is Ignore (then it is skipped with a warning). No controller chain: a host
// that runs nothing. Errors: kInvalid (no client and no kubeconfig; a failing entry; a bad
// watch description), the kubeconfig/client errors of client::ApiClient::FromKubeconfig,
// LeaderElector option errors.
Result<std::unique_ptr<ControllerHost>> StartControllerHost(const ControllerHostOptions& options);

}  // namespace capstan::controllers
