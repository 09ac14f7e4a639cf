// `PortBackends`: the userspace proxy's endpoint choice for one service port — a random ready
// endpoint with the next ones as connect retries, sessionAffinity ClientIP, and the Local policy
// of NodePort / external traffic (the behaviour of nft_rules.h). Pure logic with an injectable
// clock; used by userspace_forwarder.h, kept by userspace_data_plane.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <unordered_map>
#include <vector>

#include "core/proxy/service_model.h"

namespace capstan::proxy {

// One endpoint in the form sockets need.
struct Backend {
  uint32_t ip = 0;  // host byte order
  uint16_t port = 0;
  bool local = false;
  friend bool operator==(const Backend&, const Backend&) = default;
};

// Thread-compatible (the data plane's I/O thread owns it).
class PortBackends {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PortBackends(std::function<Clock::time_point()> now = Clock::now)
      : now_(std::move(now)) {}

  // Takes the endpoints, Local policy and affinity timeout of `state`; affinity entries whose
  // endpoint left are dropped (their clients choose afresh). Unparsable endpoint IPs are skipped.
  void Update(const ServicePortState& state);

  // Up to `max` endpoints for a new connection or UDP flow from `client_ip` (host order), in
  // the order to try them: the client's affine endpoint while its affinity is fresh, otherwise a
  // random one; then the endpoints after it, cyclically. `external`: traffic to a NodePort or
  // external IP, which a Local policy keeps to local endpoints. Empty: none to forward to.
  std::vector<Backend> Candidates(uint32_t client_ip, bool external, size_t max,
                                  std::mt19937* rng) const;
  // Records that `client_ip` is now served by `backend`; affinity lasts the timeout from here.
  // No-op without sessionAffinity.
  void Chose(uint32_t client_ip, const Backend& backend);
  // Whether `backend` still takes new traffic of this kind.
  bool Serves(const Backend& backend, bool external) const;
  bool HasEndpoints(bool external) const { return !Eligible(external).empty(); }
  // Forgets idle affinity entries (lookups ignore them anyway; this bounds memory).
  void ExpireAffinity();
  size_t affinity_entries() const { return affinity_.size(); }

 private:
  struct Affinity {
    Backend backend;
    Clock::time_point last_used;
  };
  const std::vector<Backend>& Eligible(bool external) const {
    return external && external_local_ ? local_ : all_;
  }

  std::function<Clock::time_point()> now_;
  std::vector<Backend> all_, local_;
  bool external_local_ = false;
  std::chrono::seconds affinity_timeout_{0};
  std::unordered_map<uint32_t, Affinity> affinity_;
};

}  // namespace capstan::proxy
