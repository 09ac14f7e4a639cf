// Minimal rtnetlink client for the `bridge` CNI plugin: links (bridge, veth pair with the peer
// created inside a network namespace), master, up, IPv4 addresses and routes over a raw
// NETLINK_ROUTE socket, and running code inside a network namespace. Used by bridge_cni.cc.
#ifndef CAPSTAN_PLUGINS_CNI_BRIDGE_NETLINK_H_
#define CAPSTAN_PLUGINS_CNI_BRIDGE_NETLINK_H_

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <string>

#include "capstan/sdk/status.h"

namespace capstan::cni {

// One NETLINK_ROUTE socket, bound to the network namespace of the thread that opened it.
// Not thread-safe; one per operation.
class Netlink {
 public:
  Netlink();
  ~Netlink();
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  bool ok() const { return fd_ >= 0; }
  // Creates a bridge; OK when it exists already.
  sdk::Status AddBridge(const std::string& name);
  // Creates veth `host` here with its peer `peer` directly inside the namespace `netns_fd`.
  // ALREADY_EXISTS when `host` exists.
  sdk::Status AddVethPair(const std::string& host, const std::string& peer, int netns_fd);
  // Deletes a link; NOT_FOUND when absent.
  sdk::Status DelLink(const std::string& name);
  sdk::Status SetUp(const std::string& name);
  sdk::Status SetMaster(const std::string& name, const std::string& master);
  // Adds `addr`/`prefix` to `name`; OK when present already.
  sdk::Status AddAddress(const std::string& name, in_addr addr, int prefix);
  // Adds `dst`/`prefix` via `gw` on `name`; OK when present already.
  sdk::Status AddRoute(const std::string& name, in_addr dst, int prefix, in_addr gw);

 private:
  // Sends one request with NLM_F_ACK and returns the kernel's errno (0: success).
  int Request(void* msg, size_t len);

  int fd_ = -1;
  uint32_t seq_ = 1;
};

// Runs `fn` on a short-lived thread that has joined the network namespace at `netns_path`
// (setns affects only the calling thread). Errors: NOT_FOUND (no such namespace), ERROR.
sdk::Status InNetns(const std::string& netns_path, const std::function<sdk::Status()>& fn);

}  // namespace capstan::cni

#endif  // CAPSTAN_PLUGINS_CNI_BRIDGE_NETLINK_H_
