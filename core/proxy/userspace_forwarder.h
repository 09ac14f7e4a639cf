// The userspace proxy's relays on Boost.Asio: a TCP listener that forwards each accepted
// connection to an endpoint (trying the next ones when a connect fails) and relays both
// directions with half-close; a UDP listener that forwards each client (source ip:port) to one
// endpoint until it idles. TCP: userspace_forwarder.cc; UDP: userspace_forwarder_udp.cc.
// Endpoint choice: userspace_backends.h; owner: userspace_data_plane.h.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "core/common/status.h"
#include "core/proxy/userspace_backends.h"

namespace capstan::proxy {

// Counters of one data plane; written on its I/O thread, readable from any thread.
struct ForwarderStats {
  std::atomic<int64_t> tcp_accepted{0};
  std::atomic<int64_t> tcp_active{0};  // relayed connections open now
  // Accepted connections closed because no endpoint took them.
  std::atomic<int64_t> tcp_connect_failures{0};
  std::atomic<int64_t> udp_flows{0};   // created
  std::atomic<int64_t> udp_active{0};  // open now
  std::atomic<int64_t> bind_failures{0};
};

// State shared by the listeners of one data plane. Everything that uses it runs on the one
// thread that runs `io`, which is what makes the unlocked `rng` and `scratch` safe.
struct ForwarderContext {
  boost::asio::io_context& io;
  ForwarderStats* stats;
  std::chrono::seconds udp_idle_timeout{60};
  std::mt19937 rng{std::random_device{}()};
  std::vector<char> scratch = std::vector<char>(65536);  // one UDP datagram at a time
};

// Relay buffer per direction of a TCP connection, held only while that direction has data in
// flight: an idle connection costs its sockets and no relay memory.
inline constexpr size_t kTcpRelayBuffer = 64 * 1024;
// Endpoints tried per TCP connection (as the old kube-proxy userspace mode: 4 dials).
inline constexpr size_t kMaxConnectAttempts = 4;

// One listening socket (address:port, TCP or UDP) of one service port. Its own methods run on
// the I/O thread only.
class Listener {
 public:
  virtual ~Listener() = default;
  // Stops accepting; established TCP relays run on until their peers finish, UDP flows end
  // (they need the listening socket to answer). Idempotent.
  virtual void Close() = 0;
  // The port's endpoints changed: UDP flows to endpoints that no longer serve end (the
  // client's next datagram picks another); TCP relays run on.
  virtual void EndpointsChanged() {}
};

// Binds `ipv4`:`port` (host order; 0.0.0.0 for a NodePort) with SO_REUSEADDR and starts serving.
// `external`: NodePort or external IP traffic (Local policy). `ctx` must outlive the listener;
// `backends` is shared with the owner, which updates it in place. Call on the I/O thread.
// Errors: kUnavailable with the socket error (e.g. address in use).
Result<std::shared_ptr<Listener>> ListenTcp(ForwarderContext* ctx,
                                            std::shared_ptr<PortBackends> backends, uint32_t ipv4,
                                            uint16_t port, bool external);
Result<std::shared_ptr<Listener>> ListenUdp(ForwarderContext* ctx,
                                            std::shared_ptr<PortBackends> backends, uint32_t ipv4,
                                            uint16_t port, bool external);

}  // namespace capstan::proxy
