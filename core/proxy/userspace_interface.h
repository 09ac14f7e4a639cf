// `ServiceInterface`: the link that holds the userspace proxy's service addresses as /32s, so the
// kernel delivers packets to them locally (as kube-proxy's kube-ipvs0), managed over rtnetlink
// in the network namespace of the calling thread. Partner: userspace_data_plane.h.
#pragma once

#include <string>
#include <vector>

#include "core/common/status.h"

namespace capstan::proxy {

class Message;  // a netlink request (userspace_interface.cc)

// Thread-compatible; every call must come from threads of the same network namespace (the
// netlink socket is opened by the first call, in that thread's namespace).
class ServiceInterface {
 public:
  explicit ServiceInterface(std::string name) : name_(std::move(name)) {}
  ~ServiceInterface();  // closes the netlink socket; the link stays
  ServiceInterface(const ServiceInterface&) = delete;
  ServiceInterface& operator=(const ServiceInterface&) = delete;

  // Creates the link unless a link of that name exists (which is then used as it is). Kind
  // "dummy"; a bridge without ports where the kernel has no dummy driver (it behaves alike for
  // this). The link stays down: the local routes of its addresses exist all the same, and a
  // down link answers no ARP. Errors: kUnavailable (no netlink), kInternal (kernel refused).
  Status Ensure();
  // Adds `ipv4`/32 (idempotent). Errors: kInvalid for a bad address; the kernel's as kInternal.
  Status Add(const std::string& ipv4);
  // Removes `ipv4`/32; an absent address is OK.
  Status Remove(const std::string& ipv4);
  // The IPv4 addresses of the link.
  Result<std::vector<std::string>> List();
  // Deletes the link with its addresses; an absent link is OK.
  Status Delete();

  const std::string& name() const { return name_; }
  // "dummy" or "bridge" once Ensure created the link; empty when it found it.
  const std::string& kind() const { return kind_; }

 private:
  Status Open();
  Result<int> Index();
  // Sends one request (NLM_F_ACK set here) and waits for its ack; returns the kernel's errno
  // (0: done) or an error for a broken socket.
  Result<int> Transact(Message* message);
  Status Address(bool add, const std::string& ipv4);

  const std::string name_;
  std::string kind_;
  int fd_ = -1;
  uint32_t seq_ = 0;
};

}  // namespace capstan::proxy
