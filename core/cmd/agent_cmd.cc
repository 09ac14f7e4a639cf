// `capstan agent`: the node agent (core/agent/start_agent.h) — connects to the API server,
// loads the runtime plugin (default: runtime/fake.so from the default plugin directory; runc
// with the bridge CNI chain on --pod-cidr, server_defaults.h AddAgentChains), opens the image
// store (unless the runtime is the fake one), keeps routes to other nodes' pod CIDRs
// (core/network/node_routes.h) and runs until SIGINT/SIGTERM. Flags and wiring only.
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/agent/start_agent.h"
#include "core/client/kubeconfig.h"
#include "core/cmd/cmd_env.h"
#include "core/cmd/local_agent.h"
#include "core/cmd/pod_network_cni.h"
#include "core/cmd/server_defaults.h"
#include "core/cmd/subcommands.h"
#include "core/common/flags.h"
#include "core/common/log.h"
#include "core/common/resident_code.h"
#include "core/netpol/agent_netpol.h"
#include "core/network/node_routes.h"
#include "core/plugin/chain_config.h"
#include "core/plugin/registry.h"
#include "core/proxy/agent_proxy.h"

namespace capstan::cmd {
namespace {

std::atomic<int> g_agent_signal{0};

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return BadRequestError("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct AgentFlags {
  std::string kubeconfig, server, token_file, ca_file, node_name, data_dir, plugin_config;
  std::string runtime = "fake";
  std::string image_dir, registry_config, cluster_domain = "cluster.local", pull_images = "auto";
  std::vector<std::string> labels, cluster_dns;
  int64_t max_pods = 110;
  std::string proxy_mode, proxy_table, cluster_cidr;  // the service proxy (core/proxy)
  std::string network_policy, network_policy_table;   // core/netpol
  std::string listen_address = "0.0.0.0";
  int64_t listen_port = 10250;
  std::string pod_cidr, node_ip, bridge = "capstan0", pod_routes;  // multi-node networking
  ImageGcFlags image_gc;
  agent::ImageGcOptions image_gc_options;  // from `image_gc`, validated after parsing
};

Result<client::ClientConfig> ClientConfigFrom(const AgentFlags& f) {
  if (!f.kubeconfig.empty()) return client::LoadKubeconfig(f.kubeconfig);
  if (f.server.empty() || f.token_file.empty()) {
    return BadRequestError("--kubeconfig, or --server with --token-file, is required");
  }
  client::ClientConfig c;
  c.server_url = f.server;
  Result<std::string> token = ReadFile(f.token_file);
  if (!token.ok()) return token.status();
  c.bearer_token = *token;
  while (!c.bearer_token.empty() &&
         std::isspace(static_cast<unsigned char>(c.bearer_token.back()))) {
    c.bearer_token.pop_back();
  }
  if (!f.ca_file.empty()) {
    Result<std::string> ca = ReadFile(f.ca_file);
    if (!ca.ok()) return ca.status();
    c.ca_pem = *ca;
  }
  return c;
}

int RunAgentWith(const AgentFlags& f) {
  // One malloc arena: the agent's threads mostly wait, and glibc's arena per thread (up to 8 per
  // core) would hold their free memory apart (17 MB idle RSS against 14 MB with one).
  mallopt(M_ARENA_MAX, 1);
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "capstan agent: %s\n", s.ToString().c_str());
    return kExitFailure;
  };
  Result<client::ClientConfig> cc = ClientConfigFrom(f);
  if (!cc.ok()) return fail(cc.status());
  if (!f.pod_routes.empty() && f.pod_routes != "host-gw" && f.pod_routes != "none") {
    return fail(BadRequestError("--pod-routes wants host-gw or none"));
  }

  std::string data_dir = f.data_dir.empty() ? "/var/lib/capstan/agent-" + f.node_name : f.data_dir;
  std::string plugin_dir = DefaultPluginDir("runtime");
  nlohmann::json doc = {
      {"apiVersion", "capstan.io/v1alpha1"},
      {"kind", "PluginConfiguration"},
      {"pluginDirs", nlohmann::json::array({plugin_dir})},
      {"chains",
       {{"runtime",
         {{"plugins", nlohmann::json::array({{{"name", f.runtime},
                                              {"library", "runtime/" + f.runtime + ".so"}}})}}}}}};
  if (f.runtime == "runc") {
    // The server's local-agent defaults: runc state and CNI leases under this agent's data dir
    // (agents sharing a host never share them), pods on a bridge on --pod-cidr.
    AddAgentChains({f.runtime, data_dir, f.pod_cidr, f.bridge, f.cluster_cidr}, &doc);
    if (f.pod_cidr.empty()) doc["chains"].erase("cni");
  }
  Result<plugin::PluginConfiguration> config =
      f.plugin_config.empty()
          ? plugin::ParsePluginConfiguration(doc, "built-in defaults", plugin_dir)
          : plugin::LoadPluginConfiguration(f.plugin_config);
  if (!config.ok()) return fail(config.status());
  std::unique_ptr<plugin::Registry> plugins = plugin::Registry::Load(*config);
  if (!plugins->status().ok()) return fail(plugins->status());
  const plugin::Chain* chain = plugins->chain(CAPSTAN_KIND_RUNTIME);
  if (chain == nullptr || chain->entries.empty()) {
    return fail(InvalidError("the plugin configuration has no runtime chain"));
  }

  agent::AgentLaunchOptions o;
  o.client = *cc;
  o.node_name = f.node_name;
  o.runtime = chain->entries.front().instance;
  o.max_pods = f.max_pods;
  o.data_dir = data_dir;
  o.pod_cidr = f.pod_cidr;
  o.node_ip = f.node_ip;
  std::unique_ptr<CniPodNetwork> pod_network;  // outlives the agent (declared first)
  if (const plugin::Chain* cni = plugins->chain(CAPSTAN_KIND_CNI);
      cni != nullptr && !cni->entries.empty()) {
    pod_network = std::make_unique<CniPodNetwork>(cni);
    o.network = pod_network.get();
  }
  o.image_dir = f.image_dir;
  o.registry_config_file = f.registry_config;
  o.image_gc = f.image_gc_options;
  o.cluster_dns = f.cluster_dns;
  o.cluster_domain = f.cluster_domain;
  if (f.listen_port < 0 || f.listen_port > 65535) {
    return fail(BadRequestError("--listen-port wants 0..65535"));
  }
  o.listen_address = f.listen_address;
  o.listen_port = static_cast<uint16_t>(f.listen_port);
  if (f.pull_images != "auto" && f.pull_images != "true" && f.pull_images != "false") {
    return fail(BadRequestError("--pull-images wants auto, true or false"));
  }
  // The fake runtime runs nothing, so by default it needs no images (hollow nodes stay offline).
  o.pull_images = f.pull_images == "auto" ? f.runtime != "fake" : f.pull_images == "true";
  for (const std::string& l : f.labels) {
    size_t eq = l.find('=');
    if (eq == std::string::npos) return fail(BadRequestError("--label wants key=value: " + l));
    o.labels[l.substr(0, eq)] = l.substr(eq + 1);
  }
  Result<std::unique_ptr<agent::RunningAgent>> a = agent::StartAgent(o);
  if (!a.ok()) return fail(a.status());
  Result<std::unique_ptr<proxy::AgentProxy>> services =
      proxy::StartAgentProxy(*cc, {f.proxy_mode, f.node_name, f.proxy_table, f.cluster_cidr});
  if (!services.ok()) return fail(services.status());
  Result<std::unique_ptr<netpol::AgentNetworkPolicy>> policies =
      netpol::StartAgentNetworkPolicy(*cc, {f.network_policy, f.node_name, f.network_policy_table});
  if (!policies.ok()) return fail(policies.status());
  std::unique_ptr<network::AgentNodeRoutes> routes;
  if (f.pod_routes == "host-gw" || (f.pod_routes.empty() && !f.pod_cidr.empty())) {
    Result<std::unique_ptr<network::AgentNodeRoutes>> r =
        network::StartAgentNodeRoutes(*cc, f.node_name);
    if (!r.ok()) return fail(r.status());
    routes = std::move(*r);
  }
  std::fprintf(stderr, "capstan agent: node %s running (runtime %s, API on %s:%u)\n",
               f.node_name.c_str(), f.runtime.c_str(), f.listen_address.c_str(),
               static_cast<unsigned>((*a)->api_port()));
  // Start-up ran code of every subsystem once; an idle agent need not keep it resident.
  memory::TrimStats trimmed = memory::TrimResidentCode();
  log::Debug(
      "agent", "trimmed resident code",
      {{"mappings", std::to_string(trimmed.mappings)}, {"kb", std::to_string(trimmed.dropped_kb)}});
  std::signal(SIGINT, [](int s) { g_agent_signal = s; });
  std::signal(SIGTERM, [](int s) { g_agent_signal = s; });
  while (g_agent_signal.load() == 0) pause();
  if (routes) routes->Stop();          // leaves the routes for the running pods
  if (*policies) (*policies)->Stop();  // deletes its nftables table
  if (*services) (*services)->Stop();  // deletes its nftables table
  (*a)->Stop();
  return kExitOk;
}

}  // namespace

int RunAgent(const Args& args) {
  AgentFlags f;
  flags::FlagSet fs("capstan agent");
  fs.String("kubeconfig", &f.kubeconfig, "kubeconfig of the API server to join");
  fs.String("server", &f.server, "API server URL (https://host:port), with --token-file");
  fs.String("token-file", &f.token_file, "file holding the bearer token");
  fs.String("ca-file", &f.ca_file, "PEM CA bundle the API server certificate must chain to");
  fs.String("node-name", &f.node_name, "name of this node (required)");
  fs.String("data-dir", &f.data_dir,
            "directory for the agent's state (pods/<uid>: volumes, hosts, resolv.conf); default "
            "/var/lib/capstan/agent-<node>");
  fs.String("image-dir", &f.image_dir, "image content store (default <data-dir>/images)");
  fs.String("registry-config", &f.registry_config,
            "registries JSON: mirrors, insecure registries, CA files, credentials");
  fs.String("pull-images", &f.pull_images,
            "pull images and prepare rootfs: auto (all runtimes but fake), true, false");
  fs.StringList("cluster-dns", &f.cluster_dns, "cluster DNS server IP for ClusterFirst pods");
  fs.String("cluster-domain", &f.cluster_domain, "cluster DNS domain");
  fs.String("runtime", &f.runtime, "runtime plugin loaded as runtime/<name>.so");
  fs.String("plugin-config", &f.plugin_config,
            "plugin configuration file with a runtime chain (overrides --runtime)");
  fs.StringList("label", &f.labels, "extra node label key=value");
  fs.Int("max-pods", &f.max_pods, "pods capacity of the node");
  fs.String("proxy-mode", &f.proxy_mode,
            "service proxy: nftables, iptables, userspace or none (default: nftables when nft is "
            "installed, else userspace)");
  fs.String("proxy-table", &f.proxy_table, "nftables table of the service proxy (capstan-proxy)");
  fs.String(
      "network-policy", &f.network_policy,
      "NetworkPolicy enforcement: nftables or none (default: nftables when nft is installed)");
  fs.String("network-policy-table", &f.network_policy_table,
            "nftables (inet) table of NetworkPolicy enforcement (capstan-netpol)");
  fs.String("cluster-cidr", &f.cluster_cidr,
            "pod addresses of the cluster; set: masquerade only service traffic from outside "
            "it, and pods' traffic to it keeps their address (bridge CNI chain)");
  fs.String("listen-address", &f.listen_address,
            "address of the agent API (logs, exec, attach); a specific one is published in the "
            "node annotation node.capstan.io/agent-endpoint");
  fs.Int("listen-port", &f.listen_port, "port of the agent API (0: ephemeral)");
  fs.String("pod-cidr", &f.pod_cidr,
            "this node's pod addresses: the Node's spec.podCIDR and, with --runtime runc and no "
            "--plugin-config, the subnet of the bridge CNI chain");
  fs.String("bridge-name", &f.bridge, "Linux bridge this node's pods attach to (capstan0)");
  fs.String("bridge", &f.bridge, "same as --bridge-name");
  fs.String("node-ip", &f.node_ip,
            "the Node's InternalIP, which other nodes route this node's pod CIDR to (default: "
            "the first non-loopback IPv4 address)");
  fs.String("pod-routes", &f.pod_routes,
            "routes to other nodes' pod CIDRs via their InternalIP: host-gw or none (default: "
            "host-gw with --pod-cidr)");
  AddImageGcFlags(&fs, &f.image_gc);
  if (Status s = fs.Parse(args); !s.ok()) {
    std::fprintf(stderr, "capstan agent: %s\n\n%s", s.message().c_str(), fs.Usage().c_str());
    return kExitUsage;
  }
  if (fs.help_requested()) {
    std::printf("%s", fs.Usage().c_str());
    return kExitOk;
  }
  Result<agent::ImageGcOptions> image_gc = ImageGcOptionsFrom(f.image_gc);
  if (!image_gc.ok()) {
    std::fprintf(stderr, "capstan agent: %s\n", image_gc.status().message().c_str());
    return kExitUsage;
  }
  f.image_gc_options = *image_gc;
  if (f.node_name.empty()) f.node_name = HostName();
  if (f.node_name.empty()) {
    std::fprintf(stderr, "capstan agent: --node-name is required\n");
    return kExitUsage;
  }
  return RunAgentWith(f);
}

}  // namespace capstan::cmd
