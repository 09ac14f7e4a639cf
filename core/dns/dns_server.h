// `DnsServer`: the cluster DNS on Boost.Asio — UDP and TCP on one port of one or more addresses,
// one io_context on one thread (no thread per request; UDP queries are read and answered in
// recvmmsg/sendmmsg batches), answering from `ClusterRecords` and forwarding names outside the
// cluster domain to upstream resolvers over UDP. `ClusterDns` (cluster_dns.h) feeds it from
// informers. Tests: tests/core/dns/dns_server_test.cc (with dig); bench/dns_bench.cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/dns/cluster_records.h"

namespace capstan::dns {

struct DnsServerOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  uint16_t port = 53;                 // 0: a free port (the same for UDP and TCP)
  // More addresses served on the same port, bound with IP_FREEBIND so that an address that
  // appears later works once it does (the pod bridge's gateway, created with the first pod).
  std::vector<std::string> extra_addresses;
  std::string cluster_domain = "cluster.local";
  // "ip" or "ip:port" (IPv4); tried in order, each for `upstream_timeout`. Empty: names
  // outside the cluster domain get SERVFAIL.
  std::vector<std::string> upstreams;
  std::chrono::milliseconds upstream_timeout{2000};
  uint32_t ttl = 5;
};

// Thread-safe: Start/Stop from any thread; requests run on the server's own thread.
class DnsServer {
 public:
  // Binds and starts serving. `view` is borrowed and must outlive the server. Errors:
  // kInvalid for a bad address or upstream; kUnavailable when the port cannot be bound on
  // every address.
  static Result<std::unique_ptr<DnsServer>> Start(const DnsServerOptions& options,
                                                  const ClusterView* view);
  ~DnsServer();  // Stop()s
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  uint16_t port() const;
  // Closes the sockets and joins the thread. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit DnsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capstan::dns
