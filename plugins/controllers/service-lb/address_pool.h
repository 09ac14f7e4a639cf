// `AddressPool`: the IPv4 addresses the service-lb controller hands out, parsed from its plugin
// config (`pools`: CIDRs "192.0.2.0/24" or ranges "192.0.2.10-192.0.2.20"), with lookup and
// lowest-free-address allocation. Pure value type; partner: service_lb_controller.h.
// Tests: tests/plugins/controllers/service-lb/address_pool_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_SERVICE_LB_ADDRESS_POOL_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_SERVICE_LB_ADDRESS_POOL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace capstan::controllers {

// Thread-compatible (immutable after Parse).
class AddressPool {
 public:
  // Parses every entry; a CIDR of /30 or wider leaves out its network and broadcast addresses
  // (clients and routers treat them specially). Empty optional and `*error` naming the entry for
  // a malformed one, a reversed range, or a pool of more than 2^20 addresses in total.
  static std::optional<AddressPool> Parse(const std::vector<std::string>& entries,
                                          std::string* error);

  bool Contains(const std::string& ip) const;
  // The lowest address of the pool for which `in_use` is false; nullopt when all are taken.
  std::optional<std::string> FirstFree(const std::function<bool(const std::string&)>& in_use) const;
  uint64_t size() const;

 private:
  std::vector<std::pair<uint32_t, uint32_t>> ranges_;  // inclusive, host byte order, sorted
};

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_SERVICE_LB_ADDRESS_POOL_H_
