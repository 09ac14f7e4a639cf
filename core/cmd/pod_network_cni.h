// `CniPodNetwork`: adapts core/network's CNI chain runner to the agent's `PodNetwork` hook
// (core/agent/pod_network.h), so `capstan agent` and the server's local agent attach pod
// sandboxes through the operator's `cni` chain. Wiring only; tests drive it through the agent.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "core/agent/pod_network.h"
#include "core/network/cni_chain.h"

namespace capstan::cmd {

// Thread-safe: the agent's workers call it for different pods at once; the ADD results are
// kept per sandbox so DEL can hand them back as `prevResult`.
class CniPodNetwork : public agent::PodNetwork {
 public:
  // `chain` is owned by the plugin Registry, which must outlive this object.
  explicit CniPodNetwork(const plugin::Chain* chain) : chain_(chain) {}

  Result<agent::PodNetworkResult> Add(const agent::PodNetworkRequest& request) override;
  Status Del(const agent::PodNetworkRequest& request) override;

 private:
  network::CniChain chain_;
  std::mutex mu_;
  std::map<std::string, std::string> results_;  // sandbox ID -> ADD result JSON
};

}  // namespace capstan::cmd
