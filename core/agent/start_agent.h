// `StartAgent`: one call that brings a node agent up from plain settings — API client, image
// service (content store, registries config), DNS and pod-network hook — for `capstan agent`
// (core/cmd/agent_cmd.cc) and the local agent of `capstan server`. The runtime plugin instance
// comes from the caller's plugin registry. Implementation in start_agent.cc.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/agent/agent.h"
#include "core/agent/server/agent_server.h"
#include "core/client/api_client.h"
#include "core/client/kubeconfig.h"
#include "core/image/image_service.h"

namespace capstan::agent {

struct AgentLaunchOptions {
  client::ClientConfig client;  // the API and the node's identity
  // Opens the agent's API client; empty: HTTPS with `client`. `capstan server`'s local agent
  // passes the in-process transport (core/cmd/control_plane.h OpenComponentClient).
  std::function<Result<std::unique_ptr<client::ApiClient>>()> open_client;
  std::string node_name;
  std::shared_ptr<plugin::PluginInstance> runtime;  // a CAPSTAN_KIND_RUNTIME instance
  // Agent state: pod directories under <data_dir>/pods. Required.
  std::string data_dir;
  // Pull images and prepare overlay rootfs (needed by real runtimes such as runc; the fake
  // runtime runs nothing and needs no images).
  bool pull_images = true;
  // The image content store; empty: <data_dir>/images.
  std::string image_dir;
  // Registries config file (image/registry_config.h's JSON: mirrors, insecure, CA, auth);
  // empty: none.
  std::string registry_config_file;
  // Image garbage collection by disk usage of the image store's filesystem (image_gc_manager.h;
  // validated by Agent::Create).
  ImageGcOptions image_gc;
  std::vector<std::string> cluster_dns;
  std::string cluster_domain = "cluster.local";
  PodNetwork* network = nullptr;  // borrowed; null: runtime-reported pod IPs
  std::map<std::string, std::string> labels;
  int64_t max_pods = 110;
  // The node's pod subnet, written to the Node's spec.podCIDR and spec.podCIDRs once the Node
  // is registered (as the kubelet's --pod-cidr); empty: left alone.
  std::string pod_cidr;
  // The Node's InternalIP address; empty: detected (node_status.h DetectMachine).
  std::string node_ip;
  // The agent's HTTPS API (logs, exec, attach: core/agent/server/agent_server.h), with a
  // self-signed serving certificate in <data_dir>/pki/agent.{crt,key}. Port 0 is ephemeral;
  // a specific address (not 0.0.0.0 / ::) is also published in the Node annotation
  // node.capstan.io/agent-endpoint. `serve_api` false starts no server.
  bool serve_api = true;
  std::string listen_address = "0.0.0.0";
  uint16_t listen_port = 10250;
};

// Owns the client, the image service and the agent; stops the agent first on destruction.
class RunningAgent {
 public:
  ~RunningAgent() { Stop(); }
  // The API server first: no exec or log stream outlives the agent's pod cache.
  void Stop() {
    if (server_ != nullptr) server_->Stop();
    if (agent_ != nullptr) agent_->Stop();
  }
  Agent& agent() { return *agent_; }
  // The agent API's bound port; 0 without a server.
  uint16_t api_port() const { return server_ != nullptr ? server_->port() : 0; }
  image::ImageService* images() { return images_.get(); }

 private:
  friend Result<std::unique_ptr<RunningAgent>> StartAgent(const AgentLaunchOptions&);
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<image::ImageService> images_;
  std::unique_ptr<Agent> agent_;
  std::atomic<Agent*> published_{nullptr};       // agent_ for the server's threads, once created
  std::unique_ptr<server::AgentServer> server_;  // destroyed before agent_ (uses its cache)
};

// Creates the data dirs, opens the image store, starts the agent API server (so its port can
// be published), then creates and starts the agent (Node registered, Lease renewing, pods
// watched) and the pod CIDR set on the Node. Errors: kInvalid for missing settings, a bad
// registries file or pod CIDR; the client's, the image store's, the API server's (kUnavailable
// when the port is taken), Agent::Start's and the pod CIDR patch's errors otherwise.
Result<std::unique_ptr<RunningAgent>> StartAgent(const AgentLaunchOptions& options);

}  // namespace capstan::agent
