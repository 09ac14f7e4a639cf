// StartAgent (start_agent.h).
#include "core/agent/start_agent.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/agent/node_status.h"
#include "core/agent/resource_metrics.h"

namespace capstan::agent {

Result<std::unique_ptr<RunningAgent>> StartAgent(const AgentLaunchOptions& o) {
  if (o.data_dir.empty()) return InvalidError("agent: a data directory is required");
  if (!o.pod_cidr.empty() && o.pod_cidr.find('/') == std::string::npos) {
    return InvalidError("agent: the pod CIDR '" + o.pod_cidr + "' is not a CIDR");
  }
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir + "/pods", ec);
  if (ec) return InvalidError("agent: cannot create " + o.data_dir + ": " + ec.message());
  auto running = std::unique_ptr<RunningAgent>(new RunningAgent());
  Result<std::unique_ptr<client::ApiClient>> client =
      o.open_client ? o.open_client() : client::ApiClient::Create(o.client);
  if (!client.ok()) return client.status();
  running->client_ = std::move(*client);
  if (o.pull_images) {
    image::ImageServiceOptions io;
    io.data_dir = o.image_dir.empty() ? o.data_dir + "/images" : o.image_dir;
    if (!o.registry_config_file.empty()) {
      std::ifstream in(o.registry_config_file);
      if (!in) return InvalidError("agent: cannot read " + o.registry_config_file);
      std::stringstream ss;
      ss << in.rdbuf();
      Result<image::RegistriesConfig> regs = image::ParseRegistriesConfig(ss.str());
      if (!regs.ok()) return regs.status().WithContext(o.registry_config_file);
      io.registries = std::move(*regs);
    }
    Result<std::unique_ptr<image::ImageService>> images = image::ImageService::Open(io);
    if (!images.ok()) return images.status().WithContext("opening the image store");
    running->images_ = std::move(*images);
  }
  if (o.serve_api) {
    Result<pki::CertKeyPair> cert =
        server::EnsureServingCert(o.data_dir, o.node_name, {o.listen_address});
    if (!cert.ok()) return cert.status().WithContext("agent serving certificate");
    server::AgentServerOptions so;
    so.address = o.listen_address;
    so.port = o.listen_port;
    so.tls.cert_chain_pem = cert->cert_pem;
    so.tls.key_pem = cert->key_pem;
    so.tls.client_ca_pem = o.client.ca_pem;
    so.pods_dir = o.data_dir + "/pods";
    // Until the agent exists the server finds no pods (404); the RunningAgent outlives it.
    RunningAgent* r = running.get();
    so.get_pod = [r](const std::string& ns, const std::string& name) -> client::ObjectPtr {
      Agent* a = r->published_.load(std::memory_order_acquire);
      return a != nullptr ? a->GetPod(ns, name) : nullptr;
    };
    so.exec = [r](const server::ExecCall& c) -> Result<int32_t> {
      Agent* a = r->published_.load(std::memory_order_acquire);
      if (a == nullptr) return UnavailableError("the node agent is starting");
      return a->runtime().Exec(c.container_id, c.cmd,
                               {c.stdin_fd, c.stdout_fd, c.stderr_fd, c.tty, c.resize_fd},
                               c.cancel);
    };
    so.attach_stdin = [r](const server::ExecCall& c) -> Result<int32_t> {
      Agent* a = r->published_.load(std::memory_order_acquire);
      if (a == nullptr) return UnavailableError("the node agent is starting");
      CAPSTAN_RETURN_IF_ERROR(
          a->runtime().Attach(c.container_id, {c.stdin_fd, -1, -1, c.tty, c.resize_fd}, c.cancel));
      return 0;
    };
    so.resource_metrics = [r]() -> Result<std::string> {
      Agent* a = r->published_.load(std::memory_order_acquire);
      if (a == nullptr) return UnavailableError("the node agent is starting");
      int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
      NodeUsage node = ReadNodeUsage("/proc", now);
      // As the kubelet: node figures still go out when the runtime fails (scrape_error 1).
      Result<std::vector<RuntimeClient::ContainerStats>> stats = a->runtime().ListContainerStats();
      if (!stats.ok()) return RenderResourceMetrics(node, {}, true);
      return RenderResourceMetrics(node, ContainerUsages(*stats, now), false);
    };
    so.runtime_call = [r](std::string_view method,
                          const nlohmann::json& request) -> Result<nlohmann::json> {
      Agent* a = r->published_.load(std::memory_order_acquire);
      if (a == nullptr) return UnavailableError("the node agent is starting");
      return a->runtime().Call(method, request);
    };
    Result<std::unique_ptr<server::AgentServer>> srv = server::AgentServer::Start(std::move(so));
    if (!srv.ok()) return srv.status();
    running->server_ = std::move(*srv);
  }
  AgentOptions ao;
  ao.client = running->client_.get();
  ao.node_name = o.node_name;
  ao.runtime = o.runtime;
  ao.data_dir = o.data_dir;
  ao.images = running->images_.get();
  ao.network = o.network;
  ao.dns.cluster_dns = o.cluster_dns;
  ao.dns.cluster_domain = o.cluster_domain;
  ao.labels = o.labels;
  ao.max_pods = o.max_pods;
  ao.image_gc = o.image_gc;
  if (running->server_ != nullptr) {
    ao.daemon_port = running->server_->port();
    bool any =
        o.listen_address == "0.0.0.0" || o.listen_address == "::" || o.listen_address.empty();
    if (!any) {
      bool v6 = o.listen_address.find(':') != std::string::npos;
      ao.agent_endpoint = (v6 ? "[" + o.listen_address + "]" : o.listen_address) + ":" +
                          std::to_string(ao.daemon_port);
    }
  }
  if (!o.node_ip.empty()) {
    ao.machine = DetectMachine();
    ao.machine->internal_ip = o.node_ip;
  }
  Result<std::unique_ptr<Agent>> agent = Agent::Create(std::move(ao));
  if (!agent.ok()) return agent.status();
  running->agent_ = std::move(*agent);
  running->published_.store(running->agent_.get(), std::memory_order_release);
  CAPSTAN_RETURN_IF_ERROR(running->agent_->Start());
  if (!o.pod_cidr.empty()) {
    // After registration, as the kubelet does; other nodes route this subnet to us from it.
    Result<nlohmann::json> patched =
        running->client_->Patch("/api/v1/nodes/" + o.node_name, "application/merge-patch+json",
                                {{"spec", NodePodCidrSpec(o.pod_cidr)}});
    if (!patched.ok()) return patched.status().WithContext("setting the node's pod CIDR");
  }
  return running;
}

}  // namespace capstan::agent
