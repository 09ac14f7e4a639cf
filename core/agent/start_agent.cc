// StartAgent (start_agent.h).
#include "core/agent/start_agent.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace capstan::agent {

Result<std::unique_ptr<RunningAgent>> StartAgent(const AgentLaunchOptions& o) {
  if (o.data_dir.empty()) return InvalidError("agent: a data directory is required");
  std::error_code ec;
  std::filesystem::create_directories(o.data_dir + "/pods", ec);
  if (ec) return InvalidError("agent: cannot create " + o.data_dir + ": " + ec.message());
  auto running = std::unique_ptr<RunningAgent>(new RunningAgent());
  Result<std::unique_ptr<client::ApiClient>> client = client::ApiClient::Create(o.client);
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
  Result<std::unique_ptr<Agent>> agent = Agent::Create(std::move(ao));
  if (!agent.ok()) return agent.status();
  running->agent_ = std::move(*agent);
  CAPSTAN_RETURN_IF_ERROR(running->agent_->Start());
  return running;
}

}  // namespace capstan::agent
