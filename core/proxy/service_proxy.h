// `ServiceProxy`: the node's service proxy — informers of Services and EndpointSlices
// (core/client) feed the typed model (service_model.h); one sync thread turns changed services
// into port changes for its data plane (data_plane.h: nftables by default, iptables or
// userspace). Full sync on start and after any data-plane error; clears the data plane on Stop.
// Wired by core/proxy/agent_proxy.h. Tests: tests/core/proxy/service_proxy_test.cc.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/client/api_client.h"
#include "core/client/informer.h"
#include "core/common/status.h"
#include "core/proxy/data_plane.h"
#include "core/proxy/nft_rules.h"
#include "core/proxy/service_model.h"

namespace capstan::proxy {

struct ProxyOptions {
  std::string node_name;  // marks local endpoints (externalTrafficPolicy: Local)
  // The nftables data plane's settings (nft_data_plane.h), used by the Start without a plane.
  RulesConfig rules;     // table name, cluster CIDR, masquerade mark
  std::string nft_path;  // empty: nft from PATH
  std::string netns;     // empty: this process's network namespace (tests use their own)
  // nft runs at once for a first load (table_loader.h); 0: one per core.
  int load_parallelism = 0;
  // Waited for the informers' first lists in Start.
  std::chrono::milliseconds sync_timeout{30'000};
  // Pause after a failed full sync before the next attempt.
  std::chrono::milliseconds retry_interval{1'000};
};

struct ProxyStats {
  int64_t full_syncs = 0;   // successful full table loads
  int64_t delta_syncs = 0;  // successful incremental transactions
  int64_t errors = 0;       // data-plane failures (each followed by a full sync)
  std::string last_error;
};

// Thread-safe. Informer handlers only record parsed objects and mark services dirty; the sync
// thread owns the applied state and talks to nft. Events arriving during a sync are batched
// into the next transaction, so a burst costs one nft run, not one per event.
class ServiceProxy {
 public:
  // Starts the informers, waits for their first lists, gives `plane` every port (Full), then
  // follows changes. `client` is borrowed and must outlive the proxy. Errors: kUnavailable when
  // the informers do not sync in time; the plane's error when the first Full fails.
  static Result<std::unique_ptr<ServiceProxy>> Start(client::ApiClient* client,
                                                     ProxyOptions options,
                                                     std::unique_ptr<DataPlane> plane);
  // The same with the nftables data plane of `options`; also kUnavailable when nft is missing.
  static Result<std::unique_ptr<ServiceProxy>> Start(client::ApiClient* client,
                                                     ProxyOptions options);
  ~ServiceProxy();  // Stop()s
  ServiceProxy(const ServiceProxy&) = delete;
  ServiceProxy& operator=(const ServiceProxy&) = delete;

  // Stops the informers and the sync thread, then clears the data plane. Idempotent.
  void Stop();

  // Events (service or slice changes) seen so far / included in the data plane. Tests wait for
  // AppliedEvents() >= SeenEvents() to know the kernel has everything they wrote and observed.
  uint64_t SeenEvents() const;
  uint64_t AppliedEvents() const;
  ProxyStats Stats() const;

 private:
  ServiceProxy(ProxyOptions options, std::unique_ptr<DataPlane> plane);
  void OnService(const client::ObjectPtr& object, bool deleted);
  void OnSlice(const client::ObjectPtr& object, bool deleted);
  void MarkDirty(const std::string& key);  // requires mu_
  void Run();
  // Builds the desired port states of service `key` from the cache (requires mu_).
  std::vector<ServicePortState> Desired(const std::string& key);
  // Gives every port a stable group; frees the groups of ports gone (sync thread).
  void AssignGroups(std::vector<ServicePortState>* ports);
  Status FullSync();
  Status DeltaSync(const std::set<std::string>& keys, uint64_t seen);

  const ProxyOptions options_;
  const std::unique_ptr<DataPlane> plane_;
  std::unique_ptr<client::Informer> services_informer_, slices_informer_;

  mutable std::mutex mu_;  // guards the members up to `thread_`
  std::condition_variable cv_;
  std::map<std::string, ServiceInfo> services_;                     // "ns/name"
  std::map<std::string, std::map<std::string, SliceInfo>> slices_;  // "ns/service" -> by name
  std::map<std::string, std::string> slice_owner_;                  // "ns/slice" -> "ns/service"
  std::set<std::string> dirty_;
  uint64_t seen_ = 0, applied_ = 0;
  bool stopping_ = false, started_ = false;
  ProxyStats stats_;
  std::thread thread_;

  // Sync thread only.
  std::map<std::string, std::vector<ServicePortState>> applied_state_;  // by service key
  std::map<std::string, uint32_t> groups_;                              // port id -> group
  std::vector<uint32_t> free_groups_;
  uint32_t next_group_ = 1;
  bool plane_loaded_ = false;
};

}  // namespace capstan::proxy
