// Service cluster-IP and NodePort allocation (upstream pkg/registry/core/service/ipallocator and
// portallocator): bitmap-based, thread-safe, owner-tracked (metadata.uid), rebuilt from the
// stored Services at start-up and repaired of leaks. `ServiceStrategy` (service_strategy.h)
// allocates on create/update and releases on delete. Tests: service_allocators_test.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/registry/bitmap_allocator.h"
#include "core/registry/json_util.h"

namespace capstan::registry {

// Monotonic milliseconds, for allocation ages (repair); tests inject their own.
using MonotonicClock = std::function<int64_t()>;
MonotonicClock SteadyClockMs();

// Cluster IPs from one IPv4 CIDR. The network and broadcast addresses are never handed out, and
// the first host address (.1, the `kubernetes` Service's) only on explicit request. Dynamic
// allocation prefers the upper part of the range, leaving the lower band for static requests.
// Thread-safe.
class ServiceIpAllocator {
 public:
  // Errors: kInvalid for a malformed or non-IPv4 CIDR, or one smaller than /30.
  static Result<std::unique_ptr<ServiceIpAllocator>> Create(std::string_view cidr,
                                                            MonotonicClock clock = SteadyClockMs(),
                                                            uint64_t seed = 0);
  const std::string& cidr() const { return cidr_; }

  // Errors (kInvalid), worded as upstream: "provided IP is already allocated", "the provided IP
  // (x) is not in the valid range. The range of valid IPs is <cidr>", or not an IPv4 address.
  // Re-allocating an address the same owner holds succeeds.
  Status Allocate(std::string_view ip, std::string_view owner);
  // Errors: kInternal "range is full".
  Result<std::string> AllocateNext(std::string_view owner);
  void Release(std::string_view ip, std::string_view owner);
  // Frees what `owner` holds except `keep` and values taken after `taken_before_ms`.
  void ReleaseOwnerExcept(std::string_view owner, const std::set<std::string>& keep,
                          int64_t taken_before_ms = INT64_MAX);
  bool IsOwnedBy(std::string_view ip, std::string_view owner) const;
  bool InRange(std::string_view ip) const;
  size_t Used() const { return bitmap_->Used(); }
  size_t Capacity() const { return bitmap_->size(); }
  BitmapAllocator& bitmap() { return *bitmap_; }
  std::string AddressAt(uint32_t offset) const;

 private:
  ServiceIpAllocator(std::string cidr, uint32_t first, std::unique_ptr<BitmapAllocator> bitmap);
  // Offset in the bitmap of a parsed address; false when outside the usable range.
  bool OffsetOf(std::string_view ip, uint32_t* offset) const;

  std::string cidr_;
  uint32_t first_;  // address of offset 0 (network + 1)
  std::unique_ptr<BitmapAllocator> bitmap_;
};

// Node ports from an inclusive range (default 30000-32767). Thread-safe.
class NodePortAllocator {
 public:
  // Errors: kInvalid for an empty range or one outside 1-65535.
  static Result<std::unique_ptr<NodePortAllocator>> Create(int base, int size,
                                                           MonotonicClock clock = SteadyClockMs(),
                                                           uint64_t seed = 0);
  // "30000-32767"; errors as Create, plus a malformed text.
  static Result<std::unique_ptr<NodePortAllocator>> Parse(std::string_view range,
                                                          MonotonicClock clock = SteadyClockMs(),
                                                          uint64_t seed = 0);
  std::string Range() const;

  // Errors (kInvalid): "provided port is already allocated", "provided port is not in the valid
  // range. The range of valid ports is 30000-32767".
  Status Allocate(int port, std::string_view owner);
  // Errors: kInternal "range is full".
  Result<int> AllocateNext(std::string_view owner);
  void Release(int port, std::string_view owner);
  void ReleaseOwnerExcept(std::string_view owner, const std::set<int>& keep,
                          int64_t taken_before_ms = INT64_MAX);
  bool IsOwnedBy(int port, std::string_view owner) const;
  bool InRange(int port) const { return port >= base_ && port < base_ + size_; }
  size_t Used() const { return bitmap_->Used(); }
  BitmapAllocator& bitmap() { return *bitmap_; }
  int PortAt(uint32_t offset) const { return base_ + static_cast<int>(offset); }

 private:
  NodePortAllocator(int base, int size, std::unique_ptr<BitmapAllocator> bitmap);
  int base_;
  int size_;
  std::unique_ptr<BitmapAllocator> bitmap_;
};

// What one Service holds: cluster IPs (not "None") and node ports (with healthCheckNodePort).
struct ServiceAllocations {
  std::set<std::string> ips;
  std::set<int> ports;
};
ServiceAllocations AllocationsOf(const Json& service);

// Both allocators, as the server wires them into the Service strategy.
struct ServiceAllocators {
  std::shared_ptr<ServiceIpAllocator> ips;
  std::shared_ptr<NodePortAllocator> ports;

  // Defaults: 10.96.0.0/12 and 30000-32767.
  static ServiceAllocators Default(const MonotonicClock& clock = SteadyClockMs());

  // Forgets everything, then marks what `services` (stored Service objects) hold, owned by their
  // metadata.uid. Returns one line per value that could not be marked (outside the range, or
  // held twice), for the caller to log.
  std::vector<std::string> Rebuild(const std::vector<Json>& services);
  // Frees values no stored Service owns that were taken more than `min_age_ms` ago (leaks of
  // writes that failed after allocating). Returns one line per freed value.
  std::vector<std::string> Repair(const std::vector<Json>& services, int64_t min_age_ms);
};

}  // namespace capstan::registry
