// The controller host (see controller_host.h).
#include "core/controllers/controller_host.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "core/common/log.h"

namespace capstan::controllers {
namespace {

constexpr char kLog[] = "controllers";

std::string DefaultIdentity() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "capstan") + "_" + std::to_string(getpid());
}

}  // namespace

plugin::PluginConfiguration WithoutControllerChain(const plugin::PluginConfiguration& config) {
  plugin::PluginConfiguration out = config;
  std::erase_if(out.chains,
                [](const plugin::ChainConfig& c) { return c.kind == CAPSTAN_KIND_CONTROLLER; });
  return out;
}

plugin::PluginConfiguration OnlyControllerChain(const plugin::PluginConfiguration& config) {
  plugin::PluginConfiguration out = config;
  std::erase_if(out.chains,
                [](const plugin::ChainConfig& c) { return c.kind != CAPSTAN_KIND_CONTROLLER; });
  return out;
}

ControllerHost::~ControllerHost() {
  Stop();
  // Runners before the registry (they call instances), bindings after it (instances use them).
  runners_.clear();
  registry_.reset();
  bindings_.clear();
  informers_.reset();
}

void ControllerHost::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (elector_) elector_->Stop();
  SetActive(false);
  if (informers_) informers_->StopAll();
  for (auto& r : runners_) r->Stop();
}

void ControllerHost::SetActive(bool active) {
  for (auto& r : runners_) r->SetActive(active);
}

std::vector<std::string> ControllerHost::Controllers() const {
  std::vector<std::string> out;
  out.reserve(runners_.size());
  for (const auto& r : runners_) out.push_back(r->name());
  return out;
}

const ControllerRunner* ControllerHost::Runner(const std::string& name) const {
  for (const auto& r : runners_) {
    if (r->name() == name) return r.get();
  }
  return nullptr;
}

bool ControllerHost::IsLeader() const { return elector_ == nullptr || elector_->IsLeader(); }

Result<std::unique_ptr<ControllerHost>> StartControllerHost(const ControllerHostOptions& options) {
  std::unique_ptr<ControllerHost> host(new ControllerHost());
  host->client_ = options.client;
  if (host->client_ == nullptr) {
    if (options.kubeconfig.empty()) {
      return InvalidError("controller host: neither an API client nor a kubeconfig");
    }
    Result<std::unique_ptr<client::ApiClient>> c =
        client::ApiClient::FromKubeconfig(options.kubeconfig, options.client_options);
    if (!c.ok()) return c.status().WithContext("controller host");
    host->owned_client_ = std::move(*c);
    host->client_ = host->owned_client_.get();
  }
  host->informers_ = std::make_unique<InformerSet>(host->client_);

  // Every controller instance gets its own binding before on_init; the registry is loaded
  // single-threaded, so the vector needs no lock here.
  plugin::RegistryOptions ropts = options.registry;
  ropts.executor_threads = std::max(1, options.executor_threads);
  ControllerHost* raw = host.get();
  ropts.configure_host = [raw](uint32_t kind, plugin::HostContext& ctx) {
    if (kind != CAPSTAN_KIND_CONTROLLER) return;
    raw->bindings_.push_back(std::make_unique<ServiceBinding>(raw->client_, raw->informers_.get()));
    RegisterHostServices(ctx, raw->bindings_.back().get());
  };
  host->registry_ = plugin::Registry::Load(OnlyControllerChain(options.plugins), ropts);

  RunnerOptions run_opts{options.workers, options.max_workers};
  if (const plugin::Chain* chain = host->registry_->chain(CAPSTAN_KIND_CONTROLLER)) {
    for (const plugin::ChainEntry& entry : chain->entries) {
      bool ignore = entry.config.failure_policy == plugin::FailurePolicy::kIgnore;
      Status st = entry.status;
      ServiceBinding* binding = nullptr;
      if (st.ok() && entry.instance != nullptr) {
        binding = static_cast<ServiceBinding*>(
            entry.instance->host_context().UserData("capstan.controllers.binding"));
        if (binding == nullptr) st = InternalError("instance has no host-service binding");
      }
      if (st.ok()) {
        Result<std::unique_ptr<ControllerRunner>> runner = ControllerRunner::Create(
            entry, binding, *host->informers_, host->registry_->metrics(), run_opts);
        if (runner.ok()) {
          host->runners_.push_back(std::move(*runner));
          continue;
        }
        st = runner.status();
      }
      Status named = st.WithContext("controller '" + entry.config.name + "'");
      if (!ignore) return InvalidError(named.message());
      log::Warn(kLog, "skipping controller (failurePolicy Ignore)", {{"error", named.message()}});
    }
  }

  host->informers_->StartAll();
  if (!host->informers_->WaitForSync(options.sync_timeout)) {
    log::Warn(kLog, "informers did not sync in time; starting anyway");
  }
  for (auto& r : host->runners_) r->Start();

  if (!options.leader_election.enabled) {
    host->SetActive(true);
  } else {
    const LeaderElectionOptions& le = options.leader_election;
    client::LeaderElectorOptions eo;
    eo.lease_namespace = le.lease_namespace;
    eo.lease_name = le.lease_name;
    eo.identity = le.identity.empty() ? DefaultIdentity() : le.identity;
    eo.lease_duration = le.lease_duration;
    eo.renew_deadline = le.renew_deadline;
    eo.retry_period = le.retry_period;
    eo.on_started_leading = [raw] {
      log::Info(kLog, "became leader; controllers start");
      raw->SetActive(true);
    };
    eo.on_stopped_leading = [raw] {
      log::Warn(kLog, "lost leadership; controllers pause");
      raw->SetActive(false);
    };
    Result<std::unique_ptr<client::LeaderElector>> elector =
        client::LeaderElector::Start(host->client_, std::move(eo));
    if (!elector.ok()) return elector.status().WithContext("controller host leader election");
    host->elector_ = std::move(*elector);
  }
  std::string names;
  for (const auto& r : host->runners_) names += (names.empty() ? "" : ",") + r->name();
  log::Info(kLog, "controller host started", {{"controllers", names}});
  return host;
}

}  // namespace capstan::controllers
