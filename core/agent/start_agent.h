// `StartAgent`: one call that brings a node agent up from plain settings — API client, image
// service (content store, registries config), DNS and pod-network hook — for `capstan agent`
// (core/cmd/agent_cmd.cc) and the local agent of `capstan server`. The runtime plugin instance
// comes from the caller's plugin registry. Implementation in start_agent.cc.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/agent/agent.h"
#include "core/client/api_client.h"
#include "core/client/kubeconfig.h"
#include "core/image/image_service.h"

namespace capstan::agent {

struct AgentLaunchOptions {
  client::ClientConfig client;  // the API and the node's identity
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
  std::vector<std::string> cluster_dns;
  std::string cluster_domain = "cluster.local";
  PodNetwork* network = nullptr;  // borrowed; null: runtime-reported pod IPs
  std::map<std::string, std::string> labels;
  int64_t max_pods = 110;
};

// Owns the client, the image service and the agent; stops the agent first on destruction.
class RunningAgent {
 public:
  ~RunningAgent() { Stop(); }
  void Stop() {
    if (agent_ != nullptr) agent_->Stop();
  }
  Agent& agent() { return *agent_; }
  image::ImageService* images() { return images_.get(); }

 private:
  friend Result<std::unique_ptr<RunningAgent>> StartAgent(const AgentLaunchOptions&);
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<image::ImageService> images_;
  std::unique_ptr<Agent> agent_;
};

// Creates the data dirs, opens the image store, creates and starts the agent (Node registered,
// Lease renewing, pods watched). Errors: kInvalid for missing settings or a bad registries
// file; the client's, the image store's and Agent::Start's errors otherwise.
Result<std::unique_ptr<RunningAgent>> StartAgent(const AgentLaunchOptions& options);

}  // namespace capstan::agent
