// The userspace data plane (data_plane.h), for hosts without nftables or iptables: service
// addresses live as /32s on a link of their own (userspace_interface.h) so the kernel delivers
// them locally, and one Boost.Asio thread listens on every VIP:port and 0.0.0.0:NodePort and
// relays to endpoints (userspace_forwarder.h, choice by userspace_backends.h). Tests:
// tests/core/proxy/userspace_data_plane_test.cc; figures: bench/userspace_proxy_bench.cc.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/proxy/data_plane.h"

namespace capstan::proxy {

struct UserspacePlaneOptions {
  std::string interface = "capstan-svc0";  // the link holding the service addresses
  // Empty: this process's network namespace. Otherwise a name as `ip netns` knows it
  // (/run/netns/<name>) or a path; the link and every socket live there (tests use their own).
  std::string netns;
  std::chrono::seconds udp_idle_timeout{60};  // a UDP client's flow ends after this idle
};

// Counters for tests, benchmarks and logs (a snapshot).
struct UserspacePlaneStats {
  int64_t listeners = 0;      // bound now
  int64_t bind_failures = 0;  // failed bind attempts so far (a failed bind is retried every 5 s)
  int64_t tcp_accepted = 0;   // connections accepted so far
  int64_t tcp_active = 0;     // relayed connections open now
  int64_t tcp_connect_failures = 0;  // accepted connections no endpoint took
  int64_t udp_flows = 0;             // UDP clients seen so far
  int64_t udp_active = 0;            // UDP flows open now
};

// Behaviour, as the nftables mode's (nft_rules.h) where a userspace proxy can: a random ready
// endpoint per connection (the next ones when a connect fails or stays unanswered), one per UDP
// client; sessionAffinity ClientIP; Local policy for NodePort and external IPs. A port without
// endpoints (or, for NodePort/external traffic of Local policy, without local ones) gets no
// listener, so the kernel refuses connections (TCP reset, ICMP port unreachable) as the nft
// mode's reject does, instead of the old kube-proxy userspace accept-then-close that looked
// like a working service to health checks. Endpoints see the proxy's address as the source
// (as with masquerading). SCTP ports are not served (logged once per port). NodePorts answer on
// every local address, loopback included. Limit of the design: a program of the node listening
// on 0.0.0.0:<p> keeps every service port <p> from binding (the kernel refuses a specific
// address beside a listening wildcard), and the other way round; such listeners are logged
// and retried every 5 s.
//
// Full/Delta/Clear come from one thread (data_plane.h); they run their work on the I/O thread
// and wait for it. Stats() is thread-safe.
class UserspaceDataPlane : public DataPlane {
 public:
  // Starts the I/O thread (nothing else happens until Full). Raises the process's soft limit
  // of open descriptors to its hard limit: every listener and relayed connection holds some.
  explicit UserspaceDataPlane(UserspacePlaneOptions options);
  ~UserspaceDataPlane() override;  // stops the I/O thread; leaves the link (Clear removes it)
  UserspaceDataPlane(const UserspaceDataPlane&) = delete;
  UserspaceDataPlane& operator=(const UserspaceDataPlane&) = delete;

  const char* Name() const override { return "userspace"; }
  // Errors: kUnavailable when the network namespace cannot be entered; the link's errors
  // (userspace_interface.h). A listener that cannot bind (port taken) is not an error: it is
  // logged, counted and retried.
  Status Full(const std::vector<const ServicePortState*>& ports) override;
  Status Delta(const std::vector<PortChange>& changes) override;
  // Closes every listener and UDP flow and deletes the link; TCP relays run on.
  void Clear() override;

  UserspacePlaneStats Stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace capstan::proxy
