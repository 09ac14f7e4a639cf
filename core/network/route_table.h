// `RouteTable`: the kernel routes the agent owns for other nodes' pod subnets ("<podCIDR> via
// <node IP>", as flannel's host-gw backend), and `NetlinkRouteTable`, which keeps them in the
// main IPv4 table over rtnetlink, tagged with their own protocol number so a restarted agent
// finds (and prunes) the routes it made. Used by node_routes.h; tests in
// tests/core/network/route_table_test.cc (root, in a network namespace of their own).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "core/common/status.h"

namespace capstan::network {

// One IPv4 route: `destination` a canonical CIDR ("10.244.1.0/24"), `gateway` an address.
struct PodRoute {
  std::string destination;
  std::string gateway;
  bool operator==(const PodRoute& o) const {
    return destination == o.destination && gateway == o.gateway;
  }
  bool operator<(const PodRoute& o) const {
    return std::tie(destination, gateway) < std::tie(o.destination, o.gateway);
  }
};

// The routes of one owner. Implementations say their thread-safety.
class RouteTable {
 public:
  virtual ~RouteTable() = default;
  // Adds the route or replaces the one to the same destination. Errors: kInvalid for a bad
  // CIDR or address; kUnavailable when the kernel refuses (e.g. the gateway is not on a
  // directly connected network).
  virtual Status Replace(const PodRoute& route) = 0;
  // Deletes the owned route to `route.destination`; OK when it is absent.
  virtual Status Delete(const PodRoute& route) = 0;
  // The owned routes now in the table.
  virtual Result<std::vector<PodRoute>> List() = 0;
};

// rtnetlink on a socket opened in this process's network namespace, or in the one at `netns`
// (e.g. /run/netns/x): the socket stays in the namespace it was created in. Thread-safe: one
// mutex around the socket.
class NetlinkRouteTable final : public RouteTable {
 public:
  // RTPROT value of the routes this table owns ("proto 77" in `ip route`).
  static constexpr unsigned char kProtocol = 77;

  // Errors: kUnavailable when the socket cannot be opened or `netns` entered.
  static Result<std::unique_ptr<NetlinkRouteTable>> Open(const std::string& netns = "");
  ~NetlinkRouteTable() override;
  NetlinkRouteTable(const NetlinkRouteTable&) = delete;
  NetlinkRouteTable& operator=(const NetlinkRouteTable&) = delete;

  Status Replace(const PodRoute& route) override;
  Status Delete(const PodRoute& route) override;
  Result<std::vector<PodRoute>> List() override;

 private:
  explicit NetlinkRouteTable(int fd) : fd_(fd) {}
  // Sends one request and reads until its ACK (or, for a dump, NLMSG_DONE), handing every
  // RTM_NEWROUTE message of a dump to `on_route`.
  Status Transact(void* request, size_t size, std::vector<PodRoute>* on_route);

  std::mutex mu_;
  int fd_;
  unsigned seq_ = 0;  // guarded by mu_
};

// "10.244.1.7/24" -> "10.244.1.0/24". Errors: kInvalid unless an IPv4 CIDR.
Result<std::string> CanonicalIpv4Cidr(const std::string& cidr);

}  // namespace capstan::network
