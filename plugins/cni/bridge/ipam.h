// host-local-style IPv4 address management for the `bridge` CNI plugin: one file per leased
// address under <stateDir>/<network>/ holding "<containerID>\n<ifname>", all changes under an
// flock on <stateDir>/<network>/lock, so several processes and threads may share a network.
// Used by bridge_cni.cc; tests in bridge_test.cc.
#ifndef CAPSTAN_PLUGINS_CNI_BRIDGE_IPAM_H_
#define CAPSTAN_PLUGINS_CNI_BRIDGE_IPAM_H_

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "capstan/sdk/status.h"

namespace capstan::cni {

struct Subnet {
  uint32_t base = 0;  // network address, host byte order
  int prefix = 0;
  uint32_t gateway = 0;  // host byte order; default base + 1

  static std::string Format(uint32_t ip);  // dotted quad
};

// Parses "10.99.1.0/24" (prefix 8..30); INVALID otherwise. `gateway` may be empty.
sdk::Status ParseSubnet(const std::string& cidr, const std::string& gateway, Subnet* out);

// Thread-safe (all state is on disk under the lock).
class Ipam {
 public:
  Ipam(std::string dir, Subnet subnet) : dir_(std::move(dir)), subnet_(subnet) {}

  // The address leased to (container, ifname): the existing lease, else the lowest free host
  // address that is not the gateway. ERROR when the subnet is full or the dir is unusable.
  sdk::Status Allocate(const std::string& container_id, const std::string& ifname, uint32_t* out);
  // Releases the lease of (container, ifname); OK when there is none.
  sdk::Status Release(const std::string& container_id, const std::string& ifname);
  // The address leased to (container, ifname), or 0.
  uint32_t Find(const std::string& container_id, const std::string& ifname);
  // Releases every lease whose (container, ifname) is not in `keep`; returns the released ones.
  sdk::Status Collect(const std::vector<std::pair<std::string, std::string>>& keep,
                      std::vector<std::pair<std::string, std::string>>* released);

 private:
  struct Lease {
    uint32_t ip;
    std::string container_id;
    std::string ifname;
  };
  std::vector<Lease> Leases() const;  // call under the lock

  std::string dir_;
  Subnet subnet_;
};

}  // namespace capstan::cni

#endif  // CAPSTAN_PLUGINS_CNI_BRIDGE_IPAM_H_
