// The server's local node agent (local_agent.h).
#include "core/cmd/local_agent.h"

#include <chrono>
#include <utility>

#include "capstan/abi/common.h"
#include "core/client/kubeconfig.h"
#include "core/common/log.h"

namespace capstan::cmd {

void AddImageGcFlags(flags::FlagSet* fs, ImageGcFlags* f) {
  fs->Int("image-gc-high-threshold", &f->high_threshold,
          "percent of the image filesystem in use at which unused images are removed (100: "
          "never)");
  fs->Int("image-gc-low-threshold", &f->low_threshold,
          "percent of the image filesystem in use that image garbage collection frees down to");
  fs->Duration("image-gc-period", &f->period_ns, "time between image garbage collection passes");
  fs->Duration("image-minimum-gc-age", &f->minimum_age_ns,
               "images pulled or used more recently than this are never removed");
}

Result<agent::ImageGcOptions> ImageGcOptionsFrom(const ImageGcFlags& f) {
  for (auto [name, v] : {std::pair{"high", f.high_threshold}, std::pair{"low", f.low_threshold}}) {
    if (v < 0 || v > 100) {
      return BadRequestError(std::string("--image-gc-") + name + "-threshold wants 0..100, got " +
                             std::to_string(v));
    }
  }
  agent::ImageGcOptions o;
  o.high_threshold_percent = static_cast<int>(f.high_threshold);
  o.low_threshold_percent = static_cast<int>(f.low_threshold);
  o.period =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(f.period_ns));
  o.minimum_age =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::nanoseconds(f.minimum_age_ns));
  if (f.minimum_age_ns < 0) o.minimum_age = std::chrono::seconds(-1);
  if (Status s = agent::ValidateImageGcOptions(o); !s.ok()) return BadRequestError(s.message());
  return o;
}

Result<std::unique_ptr<LocalAgent>> StartLocalAgent(const LocalAgentOptions& options) {
  const plugin::Chain* runtime = options.plugins->chain(CAPSTAN_KIND_RUNTIME);
  if (runtime == nullptr || runtime->entries.empty()) {
    return InvalidError("the local agent needs a runtime chain (or pass --disable-agent)");
  }
  Result<client::ClientConfig> client = client::LoadKubeconfig(options.api.kubeconfig);
  if (!client.ok()) return client.status().WithContext("local agent");
  std::unique_ptr<LocalAgent> local(new LocalAgent());
  agent::AgentLaunchOptions o;
  o.client = *client;
  ComponentApi api = options.api;
  o.open_client = [api] { return OpenComponentClient(api); };
  o.node_name = options.node_name;
  o.runtime = runtime->entries.front().instance;
  o.data_dir = options.data_dir;
  o.registry_config_file = options.registry_config_file;
  o.image_gc = options.image_gc;
  o.cluster_dns = options.cluster_dns;
  o.labels = options.labels;
  o.listen_address = options.listen_address;
  o.listen_port = options.listen_port;
  o.pod_cidr = options.pod_cidr;
  // The fake runtime runs nothing and needs no images; every other runtime gets a rootfs.
  const plugin::ChainEntry& entry = runtime->entries.front();
  std::string runtime_name = entry.library != nullptr ? entry.library->info().name : "";
  o.pull_images = runtime_name != "fake";
  const plugin::Chain* cni = options.plugins->chain(CAPSTAN_KIND_CNI);
  if (cni != nullptr && !cni->entries.empty()) {
    local->network_ = std::make_unique<CniPodNetwork>(cni);
    o.network = local->network_.get();
  }
  Result<std::unique_ptr<agent::RunningAgent>> running = agent::StartAgent(o);
  if (!running.ok()) return running.status().WithContext("local agent");
  local->agent_ = std::move(*running);
  Result<std::unique_ptr<proxy::AgentProxy>> proxy = proxy::StartAgentProxy(
      *client, {options.proxy_mode, options.node_name, options.proxy_table, options.cluster_cidr});
  if (!proxy.ok()) return proxy.status().WithContext("local agent");
  local->proxy_ = std::move(*proxy);
  Result<std::unique_ptr<netpol::AgentNetworkPolicy>> netpol = netpol::StartAgentNetworkPolicy(
      *client, {options.network_policy, options.node_name, options.network_policy_table});
  if (!netpol.ok()) return netpol.status().WithContext("local agent");
  local->netpol_ = std::move(*netpol);
  if (options.pod_routes) {
    Result<std::unique_ptr<network::AgentNodeRoutes>> routes =
        network::StartAgentNodeRoutes(*client, options.node_name);
    if (!routes.ok()) return routes.status().WithContext("local agent");
    local->routes_ = std::move(*routes);
  }
  log::Info("server", "local agent running",
            {{"node", options.node_name},
             {"runtime", runtime_name},
             {"transport",
              options.api.transport == ControlPlaneTransport::kHttps ? "https" : "in-process"},
             {"api", options.listen_address + ":" + std::to_string(local->agent_->api_port())}});
  return local;
}

}  // namespace capstan::cmd
