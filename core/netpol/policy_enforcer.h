// `PolicyEnforcer`: the node's NetworkPolicy enforcement — informers of NetworkPolicies, Pods
// (all namespaces: peers may be anywhere) and Namespaces (core/client) feed the model
// (policy_model.h); one sync thread evaluates the local pods, renders their chains
// (nft_script.h) and applies the changed ones in one `nft -f -` transaction
// (core/proxy/nft_runner.h). Full table on start and after any nft error; deleted on Stop.
//
// Why the `inet` forward hook and not a `bridge` table: pods of one node share the bridge of
// plugins/cni/bridge, so their traffic is bridged, not routed. This kernel has br_netfilter
// built in (net.bridge.bridge-nf-call-iptables=1, also the default of every new netns), which
// passes bridged IPv4 through the inet forward hook with conntrack, while it lacks
// nf_conntrack_bridge, so a `bridge` table could not tell replies from new connections. One
// inet table thus sees same-bridge and routed pod traffic alike, post-DNAT (service traffic is
// judged on the backend pod). agent_netpol.cc turns the sysctl on when it is off. Traffic
// between a pod and its node (probes, the agent, host-network pods) takes the input/output
// hooks and stays allowed, as with upstream CNIs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/client/api_client.h"
#include "core/client/informer.h"
#include "core/common/status.h"
#include "core/netpol/nft_script.h"
#include "core/netpol/policy_model.h"
#include "core/proxy/nft_runner.h"

namespace capstan::netpol {

struct EnforcerOptions {
  std::string node_name;                 // whose pods are enforced (spec.nodeName)
  std::string table = "capstan-netpol";  // `inet` table
  std::string nft_path;                  // empty: nft from PATH
  std::string netns;                     // empty: this process's network namespace (tests)
  std::chrono::milliseconds sync_timeout{30'000};   // for the informers' first lists
  std::chrono::milliseconds retry_interval{1'000};  // after a failed full sync
};

struct EnforcerStats {
  int64_t full_syncs = 0;   // successful full table loads
  int64_t delta_syncs = 0;  // successful incremental transactions (non-empty)
  int64_t errors = 0;       // nft failures (each followed by a full sync)
  std::string last_error;
};

// Thread-safe. Informer handlers only update the parsed view and count an event; the sync
// thread owns the applied state and talks to nft. Events arriving during a sync are batched.
class PolicyEnforcer {
 public:
  // Starts the informers, waits for their first lists, loads the full table, then follows
  // changes. `client` is borrowed and must outlive the enforcer. Errors: kUnavailable when nft
  // is missing or the informers do not sync in time; nft's error when the first load fails.
  static Result<std::unique_ptr<PolicyEnforcer>> Start(client::ApiClient* client,
                                                       EnforcerOptions options);
  ~PolicyEnforcer();  // Stop()s
  PolicyEnforcer(const PolicyEnforcer&) = delete;
  PolicyEnforcer& operator=(const PolicyEnforcer&) = delete;

  // Stops the informers and the sync thread, then deletes the table. Idempotent.
  void Stop();

  // Events seen / included in the data plane: AppliedEvents() >= SeenEvents() means the kernel
  // reflects everything observed so far (tests poll on it).
  uint64_t SeenEvents() const;
  uint64_t AppliedEvents() const;
  EnforcerStats Stats() const;

 private:
  explicit PolicyEnforcer(EnforcerOptions options);
  template <typename Info>
  void Record(std::map<std::string, Info>* into, const Info& info, const std::string& key,
              bool deleted);
  void Run();
  std::map<std::string, PodChains> Desired(uint64_t* seen);
  Status Sync(bool full);

  const EnforcerOptions options_;
  proxy::NftRunner runner_;
  std::unique_ptr<client::Informer> policies_, pods_, namespaces_;

  mutable std::mutex mu_;  // guards the members up to `thread_`
  std::condition_variable cv_;
  ClusterView view_;
  uint64_t seen_ = 0, applied_ = 0;
  bool stopping_ = false;
  EnforcerStats stats_;
  std::thread thread_;

  // Sync thread only (and Stop after joining it).
  std::map<std::string, PodChains> applied_state_;  // by pod IP
  bool table_loaded_ = false;
};

}  // namespace capstan::netpol
