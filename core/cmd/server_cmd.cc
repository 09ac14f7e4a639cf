// `capstan server`: the control plane on one machine — PKI in the data dir, the embedded store,
// the plugin chains, the API server on HTTPS, DIR/admin.kubeconfig once it serves, and the
// in-process components (control_plane.h). Wiring only; defaults are in server_defaults.cc, the
// pieces in core/pki, core/store, core/plugin, core/apiserver and core/scheduler.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/apiserver/api_server.h"
#include "core/apiserver/crd_controller.h"
#include "core/apiserver/http_server.h"
#include "core/apiserver/plugin_admission.h"
#include "core/apiserver/plugin_auth.h"
#include "core/apiserver/plugin_cache_services.h"
#include "core/apiserver/service_network.h"
#include "core/cmd/cmd_env.h"
#include "core/cmd/control_plane.h"
#include "core/cmd/local_agent.h"
#include "core/cmd/server_defaults.h"
#include "core/cmd/subcommands.h"
#include "core/common/flags.h"
#include "core/common/log.h"
#include "core/dns/cluster_dns.h"
#include "core/dns/kube_dns_service.h"
#include "core/pki/server_pki.h"
#include "core/plugin/chain_config.h"
#include "core/plugin/registry.h"
#include "core/registry/strategy_factory.h"
#include "core/store/leveldb_store.h"

namespace capstan::cmd {
namespace {

struct ServerFlags {
  std::string data_dir;
  std::string bind_address = "127.0.0.1";
  int64_t secure_port = 6443;
  std::string plugin_config;
  std::string plugin_dir;
  std::string advertise_address;
  std::string log_level = "info";
  bool disable_agent = false;
  bool disable_scheduler = false;
  bool disable_controllers = false;
  // How the scheduler and controller host reach the API (control_plane.h).
  std::string control_plane_transport = "in-process";
  ControlPlaneTransport transport = ControlPlaneTransport::kInProcess;
  std::vector<std::string> disabled_controllers;  // names in the default controller chain
  // The local agent (without --disable-agent).
  std::string node_name;
  std::string runtime = "runc";
  std::string pod_cidr = "10.244.0.0/24";
  std::string bridge = "capstan0";
  std::string cluster_cidr;  // all nodes' pods: not masqueraded (bridge CNI, service proxy)
  std::string pod_routes;    // "host-gw": routes to other nodes' pod CIDRs (node_routes.h)
  std::string registry_config;
  ImageGcFlags image_gc;                   // the local agent's image GC
  agent::ImageGcOptions image_gc_options;  // from `image_gc`, validated after parsing
  std::vector<std::string> cluster_dns;
  std::string proxy_mode;   // the local agent's service proxy; empty: nftables when nft exists
  std::string proxy_table;  // empty: capstan-proxy
  // The local agent's NetworkPolicy enforcement (core/netpol); empty table: capstan-netpol.
  std::string network_policy;
  std::string network_policy_table;
  // Services and cluster DNS.
  std::string service_cluster_ip_range = "10.96.0.0/12";
  std::string service_node_port_range = "30000-32767";
  std::string dns_address = "127.0.0.1";
  int64_t dns_port = 0;
  std::string cluster_domain = "cluster.local";
  std::vector<std::string> dns_upstreams;
  bool disable_dns = false;
  // The built-in ingress (core/ingress; control_plane.h StartIngress).
  std::string ingress_address;  // empty: --bind-address
  int64_t ingress_http_port = 80;
  int64_t ingress_https_port = 443;
  bool disable_ingress = false;
  int64_t metrics_resolution_ns = 15'000'000'000;  // metrics.k8s.io scrape period
};

// A random token for the admin entry of DIR/tokens.csv (kept across restarts).
Result<std::string> EnsureTokenFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return path;
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  unsigned char bytes[24];
  if (!urandom.read(reinterpret_cast<char*>(bytes), sizeof(bytes))) {
    return InternalError("cannot read /dev/urandom");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  std::ofstream out(path, std::ios::trunc);
  out << "# token,user,uid,\"groups\" (kube-apiserver --token-auth-file format)\n"
      << token << ",admin,admin,\"system:masters\"\n";
  out.close();
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  if (!out) return InternalError("cannot write " + path);
  return path;
}

std::atomic<int> g_signal{0};

int Serve(const ServerFlags& f) {
  std::error_code ec;
  std::filesystem::create_directories(f.data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "capstan server: cannot create %s: %s\n", f.data_dir.c_str(),
                 ec.message().c_str());
    return kExitFailure;
  }
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "capstan server: %s\n", s.ToString().c_str());
    return kExitFailure;
  };
  pki::ServerPkiOptions pki_options;
  if (!f.advertise_address.empty()) pki_options.extra_ip_addresses.push_back(f.advertise_address);
  Result<pki::ServerPki> pki = pki::EnsureServerPki(f.data_dir, pki_options);
  if (!pki.ok()) return fail(pki.status());

  Result<std::string> tokens = EnsureTokenFile(f.data_dir + "/tokens.csv");
  if (!tokens.ok()) return fail(tokens.status());
  std::string plugin_dir = f.plugin_dir.empty() ? DefaultPluginDir("auth") : f.plugin_dir;
  Result<nlohmann::json> defaults = DefaultPluginConfig(*tokens);
  if (!defaults.ok()) return fail(defaults.status());
  std::string agent_dir = f.data_dir + "/agent";
  if (!f.disable_agent) {
    AgentChainDefaults agent_chains;
    agent_chains.runtime = f.runtime;
    agent_chains.state_dir = agent_dir;
    agent_chains.pod_cidr = f.pod_cidr;
    agent_chains.bridge = f.bridge;
    agent_chains.cluster_cidr = f.cluster_cidr;
    AddAgentChains(agent_chains, &*defaults);
  }
  if (Status s = DisableControllers(f.disabled_controllers, &*defaults); !s.ok()) return fail(s);
  Result<plugin::PluginConfiguration> config =
      f.plugin_config.empty()
          ? plugin::ParsePluginConfiguration(*defaults, "built-in defaults", plugin_dir)
          : plugin::LoadPluginConfiguration(f.plugin_config);
  if (!config.ok()) return fail(config.status());
  if (f.plugin_config.empty()) config->plugin_dirs = {plugin_dir};
  // In-process plugins (admission) read the API server's caches; bound once it exists.
  auto cache_binding = std::make_shared<apiserver::CacheServiceBinding>();
  plugin::RegistryOptions registry_options;
  auto sched_services = std::make_shared<scheduler::SchedHostServices>();
  registry_options.configure_host = scheduler::SchedHostConfigurer(
      sched_services, [cache_binding](uint32_t kind, plugin::HostContext& ctx) {
        if (kind == CAPSTAN_KIND_ADMISSION) apiserver::RegisterCacheServices(ctx, cache_binding);
      });
  // The controller host loads the `controller` chain itself, with its own host services.
  std::unique_ptr<plugin::Registry> plugins =
      plugin::Registry::Load(controllers::WithoutControllerChain(*config), registry_options);
  if (!plugins->status().ok()) return fail(plugins->status());

  Result<std::unique_ptr<store::LevelDbStore>> store =
      store::LevelDbStore::Open(f.data_dir + "/store");
  if (!store.ok()) return fail(store.status());

  apiserver::PluginAuthenticator authn(plugins->chain(CAPSTAN_KIND_AUTHN));
  apiserver::PluginAuthorizer authz(plugins->chain(CAPSTAN_KIND_AUTHZ));
  apiserver::PluginAdmission admission(plugins->chain(CAPSTAN_KIND_ADMISSION));
  apiserver::ApiServerOptions options;
  std::string advertise = f.advertise_address.empty() ? f.bind_address : f.advertise_address;
  if (advertise == "0.0.0.0") advertise = "127.0.0.1";
  options.advertise_address = advertise + ":" + std::to_string(f.secure_port);
  options.kubelet_client_cert_pem = pki->kubelet_client.cert_pem;
  options.kubelet_client_key_pem = pki->kubelet_client.key_pem;
  options.metrics_resolution = std::chrono::milliseconds(f.metrics_resolution_ns / 1'000'000);
  auto strategies = std::make_shared<registry::StrategyDeps>();
  apiserver::ServiceNetworkOptions service_net{f.service_cluster_ip_range,
                                               f.service_node_port_range};
  Result<registry::ServiceAllocators> allocators = apiserver::MakeServiceAllocators(service_net);
  if (!allocators.ok()) return fail(allocators.status());
  strategies->service_allocators = std::move(*allocators);
  options.strategy_factory = [strategies](const api::ResourceInfo& r) {
    return registry::StrategyFor(r.group, r.kind, *strategies);
  };
  Result<std::unique_ptr<apiserver::ApiServer>> api =
      apiserver::ApiServer::Create(store->get(), &authn, &authz, &admission, options);
  if (!api.ok()) return fail(api.status());
  cache_binding->Bind(api->get());
  // Serves the custom resources CRDs define; destroyed (stopped) before `api`.
  Result<std::unique_ptr<apiserver::CrdController>> crds =
      apiserver::CrdController::Start(api->get());
  if (!crds.ok()) return fail(crds.status());
  Status primed = apiserver::RestoreServiceAllocations(**api, strategies->service_allocators);
  if (!primed.ok()) return fail(primed);
  Status namespaces = CreateSystemNamespaces(**api);
  if (!namespaces.ok()) return fail(namespaces);
  Status classes = CreateSystemPriorityClasses(**api);
  if (!classes.ok()) return fail(classes);

  apiserver::HttpServerOptions http;
  http.address = f.bind_address;
  http.port = static_cast<uint16_t>(f.secure_port);
  http.tls.cert_chain_pem = pki->server.cert_pem;
  http.tls.key_pem = pki->server.key_pem;
  http.tls.client_ca_pem = pki->ca.cert_pem;
  apiserver::ApiServer* raw_api = api->get();
  Result<std::unique_ptr<apiserver::HttpServer>> server = apiserver::HttpServer::Start(
      http,
      [raw_api](std::shared_ptr<apiserver::HttpExchange> ex) { raw_api->Handle(std::move(ex)); });
  if (!server.ok()) return fail(server.status());
  std::string url = "https://" + advertise + ":" + std::to_string((*server)->port());
  Status kubeconfig = pki::WriteAdminKubeconfig(*pki, url);
  if (!kubeconfig.ok()) return fail(kubeconfig);
  Status kubernetes_service = apiserver::EnsureKubernetesService(
      **api, service_net, advertise, static_cast<int>((*server)->port()));
  if (!kubernetes_service.ok()) {
    log::Warn("server", "the kubernetes Service is not in place",
              {{"error", kubernetes_service.ToString()}});
  }
  // The server's own components reach the API in-process unless told otherwise.
  const ComponentApi component_api{
      pki->paths.admin_kubeconfig, f.transport,
      [raw_api](std::shared_ptr<apiserver::HttpExchange> ex) { raw_api->Handle(std::move(ex)); }};
  ControlPlaneOptions cp_options;
  cp_options.kubeconfig = component_api.kubeconfig;
  cp_options.transport = component_api.transport;
  cp_options.api_handler = component_api.api_handler;
  cp_options.plugins = plugins.get();
  cp_options.sched_services = sched_services;
  cp_options.scheduler = !f.disable_scheduler;
  cp_options.plugin_config = *config;
  cp_options.controllers = !f.disable_controllers;
  Result<std::unique_ptr<ControlPlane>> control_plane = StartControlPlane(cp_options);
  if (!control_plane.ok()) return fail(control_plane.status());
  // Cluster DNS over its own client (informers of Services and EndpointSlices).
  std::unique_ptr<client::ApiClient> dns_client;
  std::unique_ptr<dns::ClusterDns> cluster_dns;
  std::string kube_dns_ip;  // set once kube-dns fronts the DNS: the local pods' nameserver
  if (!f.disable_dns) {
    Result<std::unique_ptr<client::ApiClient>> c = OpenComponentClient(component_api);
    if (!c.ok()) return fail(c.status());
    dns_client = std::move(*c);
    dns::DnsServerOptions d;
    d.address = f.dns_address;
    d.port = static_cast<uint16_t>(f.dns_port);
    d.cluster_domain = f.cluster_domain;
    d.upstreams = f.dns_upstreams;
    // Pods reach the DNS through kube-dns's ClusterIP, DNATed by the local proxy to the pod
    // bridge's gateway, where it also listens (bound before the first pod creates the bridge).
    std::string endpoint = f.dns_address;
    if (Result<std::string> gw = dns::NthAddress(f.pod_cidr, 1); gw.ok() && !f.disable_agent) {
      endpoint = *gw;
      if (f.dns_address != "0.0.0.0" && f.dns_address != *gw) d.extra_addresses.push_back(*gw);
    }
    Result<std::unique_ptr<dns::ClusterDns>> started = dns::ClusterDns::Start(d, dns_client.get());
    if (!started.ok()) return fail(started.status().WithContext("cluster DNS"));
    cluster_dns = std::move(*started);
    log::Info("server", "cluster DNS serving",
              {{"address", f.dns_address}, {"port", std::to_string(cluster_dns->port())}});
    Result<std::string> ip = dns::KubeDnsServiceIp(f.service_cluster_ip_range);
    Status s = ip.ok()
                   ? dns::EnsureKubeDnsService(*dns_client, {*ip, endpoint, cluster_dns->port()})
                   : ip.status();
    if (s.ok()) {
      kube_dns_ip = *ip;
    } else {
      log::Warn("server", "the kube-dns Service is not in place", {{"error", s.ToString()}});
    }
  }
  std::unique_ptr<RunningIngress> ingress;
  if (!f.disable_ingress) {
    std::string address = f.ingress_address.empty() ? f.bind_address : f.ingress_address;
    ingress = StartIngress({component_api, address, static_cast<int>(f.ingress_http_port),
                            static_cast<int>(f.ingress_https_port),
                            address == "0.0.0.0" || address == "::" ? advertise : address});
  }
  std::unique_ptr<LocalAgent> local_agent;
  if (!f.pod_routes.empty() && f.pod_routes != "host-gw" && f.pod_routes != "none") {
    return fail(BadRequestError("--pod-routes wants host-gw or none"));
  }
  if (!f.disable_agent) {
    LocalAgentOptions ao;
    ao.api = component_api;
    ao.plugins = plugins.get();
    ao.node_name = f.node_name;
    ao.data_dir = agent_dir;
    ao.registry_config_file = f.registry_config;
    ao.image_gc = f.image_gc_options;
    ao.cluster_dns = f.cluster_dns;
    // kube-dns's ClusterIP works only through the proxy's DNAT.
    if (ao.cluster_dns.empty() && !kube_dns_ip.empty() && f.proxy_mode != "none") {
      ao.cluster_dns = {kube_dns_ip};
    }
    ao.proxy_mode = f.proxy_mode;
    ao.proxy_table = f.proxy_table;
    ao.network_policy = f.network_policy;
    ao.network_policy_table = f.network_policy_table;
    // The bridge chain built above serves --pod-cidr: other nodes route it here.
    if (f.plugin_config.empty() && f.runtime == "runc") ao.pod_cidr = f.pod_cidr;
    ao.cluster_cidr = f.cluster_cidr;
    ao.pod_routes = f.pod_routes == "host-gw";
    Result<std::unique_ptr<LocalAgent>> started = StartLocalAgent(ao);
    if (!started.ok()) return fail(started.status());
    local_agent = std::move(*started);
  }
  log::Info("server", "serving", {{"url", url}, {"kubeconfig", pki->paths.admin_kubeconfig}});
  std::printf("capstan server: serving %s; kubeconfig %s\n", url.c_str(),
              pki->paths.admin_kubeconfig.c_str());
  std::fflush(stdout);

  std::signal(SIGINT, [](int s) { g_signal = s; });
  std::signal(SIGTERM, [](int s) { g_signal = s; });
  while (g_signal.load() == 0) pause();
  log::Info("server", "shutting down");
  if (local_agent) local_agent->Stop();
  ingress.reset();
  if (cluster_dns) cluster_dns->Stop();
  (*control_plane)->Stop();
  (*server)->Stop(std::chrono::seconds(2));
  (*api)->Shutdown();
  cache_binding->Unbind();
  return kExitOk;
}

}  // namespace

int RunServer(const Args& args) {
  ServerFlags f;
  flags::FlagSet fs("capstan server");
  fs.String("data-dir", &f.data_dir,
            "directory for the store, PKI and admin.kubeconfig (required)");
  fs.String("bind-address", &f.bind_address, "address to serve HTTPS on");
  fs.Int("secure-port", &f.secure_port, "HTTPS port (0 picks a free one)");
  fs.String("plugin-config", &f.plugin_config, "operator plugin configuration (YAML)");
  fs.String("plugin-dir", &f.plugin_dir, "where the default plugins are");
  fs.String("advertise-address", &f.advertise_address, "address clients use to reach the server");
  fs.String("log-level", &f.log_level, "debug, info, warn or error");
  fs.Bool("disable-agent", &f.disable_agent, "do not run a local node agent");
  fs.String("node-name", &f.node_name, "the local agent's node name (default: the host name)");
  fs.String("runtime", &f.runtime, "the local agent's runtime plugin: runc or fake");
  fs.String("pod-cidr", &f.pod_cidr, "pod addresses of the local node (bridge CNI subnet)");
  fs.String("bridge-name", &f.bridge, "Linux bridge the local node's pods attach to");
  fs.String("cluster-cidr", &f.cluster_cidr,
            "pod addresses of all nodes: the local node's pods keep their address towards them, "
            "and its service proxy masquerades only traffic from outside them");
  fs.String("pod-routes", &f.pod_routes,
            "the local node's routes to other nodes' pod CIDRs: host-gw or none (default none)");
  fs.String("registry-config", &f.registry_config,
            "registries JSON for image pulls: mirrors, insecure registries, CA files, auth");
  fs.StringList("cluster-dns", &f.cluster_dns,
                "DNS server IP for ClusterFirst pods (default: the kube-dns Service's ClusterIP)");
  fs.String("proxy-mode", &f.proxy_mode,
            "the local agent's service proxy: nftables, iptables, userspace or none (default: "
            "nftables when nft is installed, else userspace)");
  fs.String("proxy-table", &f.proxy_table, "nftables table of the service proxy (capstan-proxy)");
  fs.String("network-policy", &f.network_policy,
            "the local agent's NetworkPolicy enforcement: nftables or none (default: "
            "nftables when nft is installed)");
  fs.String("network-policy-table", &f.network_policy_table,
            "nftables (inet) table of NetworkPolicy enforcement (capstan-netpol)");
  fs.String("service-cluster-ip-range", &f.service_cluster_ip_range,
            "CIDR Service cluster IPs come from (its first address is the kubernetes Service)");
  fs.String("service-node-port-range", &f.service_node_port_range,
            "port range NodePorts come from (first-last)");
  fs.String("dns-address", &f.dns_address, "address the cluster DNS server listens on");
  fs.Int("dns-port", &f.dns_port, "UDP and TCP port of the cluster DNS server (0: a free one)");
  fs.String("cluster-domain", &f.cluster_domain, "the cluster's DNS domain");
  fs.StringList("dns-upstream", &f.dns_upstreams,
                "resolver (ip or ip:port) for names outside the cluster domain; repeatable");
  fs.Bool("disable-dns", &f.disable_dns, "do not run the cluster DNS server");
  fs.Duration("metrics-resolution", &f.metrics_resolution_ns,
              "how often the metrics API (kubectl top) scrapes node agents; 0: never");
  fs.String("ingress-address", &f.ingress_address,
            "address the built-in ingress listens on (default: --bind-address)");
  fs.Int("ingress-http-port", &f.ingress_http_port, "ingress HTTP port (0: a free one)");
  fs.Int("ingress-https-port", &f.ingress_https_port, "ingress HTTPS port (0: a free one)");
  fs.Bool("disable-ingress", &f.disable_ingress, "do not run the built-in ingress controller");
  fs.Bool("disable-scheduler", &f.disable_scheduler, "do not run the scheduler in this process");
  fs.StringList("disable-controller", &f.disabled_controllers,
                "leave this controller out of the default chain (e.g. node-lifecycle); repeatable");
  fs.Bool("disable-controllers", &f.disable_controllers,
          "do not run the controller host in this process");
  fs.String("control-plane-transport", &f.control_plane_transport,
            "how the server's own scheduler, controller host, DNS, ingress and local agent reach "
            "the API server: in-process (handed to it directly, with the admin identity) or "
            "https (over loopback, as separate processes would)");
  AddImageGcFlags(&fs, &f.image_gc);
  Status parsed = fs.Parse(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s\n%s", parsed.message().c_str(), fs.Usage().c_str());
    return kExitUsage;
  }
  if (fs.help_requested()) {
    std::printf("%s", fs.Usage().c_str());
    return kExitOk;
  }
  if (f.data_dir.empty()) {
    std::fprintf(stderr, "capstan server: --data-dir is required\n%s", fs.Usage().c_str());
    return kExitUsage;
  }
  if (f.dns_port < 0 || f.dns_port > 65535) {
    std::fprintf(stderr, "capstan server: --dns-port must be in 0..65535\n");
    return kExitUsage;
  }
  if (f.ingress_http_port < 0 || f.ingress_http_port > 65535 || f.ingress_https_port < 0 ||
      f.ingress_https_port > 65535) {
    std::fprintf(stderr,
                 "capstan server: --ingress-http-port/--ingress-https-port must be in 0..65535\n");
    return kExitUsage;
  }
  if (f.secure_port < 0 || f.secure_port > 65535) {
    std::fprintf(stderr, "capstan server: --secure-port must be in 0..65535\n");
    return kExitUsage;
  }
  Result<ControlPlaneTransport> transport = ParseControlPlaneTransport(f.control_plane_transport);
  if (!transport.ok()) {
    std::fprintf(stderr, "capstan server: %s\n", transport.status().message().c_str());
    return kExitUsage;
  }
  f.transport = *transport;
  Result<agent::ImageGcOptions> image_gc = ImageGcOptionsFrom(f.image_gc);
  if (!image_gc.ok()) {
    std::fprintf(stderr, "capstan server: %s\n", image_gc.status().message().c_str());
    return kExitUsage;
  }
  f.image_gc_options = *image_gc;
  if (f.node_name.empty()) f.node_name = HostName();
  log::Level level;
  if (!log::ParseLevel(f.log_level, &level)) {
    std::fprintf(stderr, "capstan server: unknown --log-level %s\n", f.log_level.c_str());
    return kExitUsage;
  }
  log::SetLevel(level);
  return Serve(f);
}

}  // namespace capstan::cmd
