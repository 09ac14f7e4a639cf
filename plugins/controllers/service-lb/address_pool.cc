// Parsing and allocation of the service-lb address pool (address_pool.h).
#include "plugins/controllers/service-lb/address_pool.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace capstan::controllers {
namespace {

constexpr uint64_t kMaxAddresses = uint64_t{1} << 20;

std::optional<uint32_t> ParseIp(const std::string& text) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string FormatIp(uint32_t ip) {
  in_addr a{};
  a.s_addr = htonl(ip);
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

std::optional<std::pair<uint32_t, uint32_t>> ParseEntry(const std::string& entry) {
  if (size_t dash = entry.find('-'); dash != std::string::npos) {
    auto first = ParseIp(entry.substr(0, dash));
    auto last = ParseIp(entry.substr(dash + 1));
    if (!first || !last || *first > *last) return std::nullopt;
    return std::make_pair(*first, *last);
  }
  size_t slash = entry.find('/');
  auto base = ParseIp(entry.substr(0, slash));
  if (!base) return std::nullopt;
  int prefix = 32;
  if (slash != std::string::npos) {
    const char* p = entry.data() + slash + 1;
    const char* end = entry.data() + entry.size();
    auto [ptr, ec] = std::from_chars(p, end, prefix);
    if (ec != std::errc() || ptr != end || p == end || prefix < 0 || prefix > 32) {
      return std::nullopt;
    }
  }
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  uint32_t first = *base & mask;
  uint32_t last = first | ~mask;
  if (prefix <= 30) {
    ++first;
    --last;
  }
  return std::make_pair(first, last);
}

}  // namespace

std::optional<AddressPool> AddressPool::Parse(const std::vector<std::string>& entries,
                                              std::string* error) {
  AddressPool pool;
  uint64_t total = 0;
  for (const std::string& e : entries) {
    std::optional<std::pair<uint32_t, uint32_t>> r = ParseEntry(e);
    if (!r) {
      *error = "pool entry \"" + e + "\": want an IPv4 CIDR or first-last range";
      return std::nullopt;
    }
    total += uint64_t{r->second} - r->first + 1;
    if (total > kMaxAddresses) {
      *error = "pool entry \"" + e + "\": the pools hold more than 2^20 addresses";
      return std::nullopt;
    }
    pool.ranges_.push_back(*r);
  }
  std::sort(pool.ranges_.begin(), pool.ranges_.end());
  return pool;
}

bool AddressPool::Contains(const std::string& ip) const {
  std::optional<uint32_t> a = ParseIp(ip);
  if (!a) return false;
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&](const auto& r) { return r.first <= *a && *a <= r.second; });
}

std::optional<std::string> AddressPool::FirstFree(
    const std::function<bool(const std::string&)>& in_use) const {
  for (const auto& [first, last] : ranges_) {
    for (uint64_t ip = first; ip <= last; ++ip) {
      std::string text = FormatIp(static_cast<uint32_t>(ip));
      if (!in_use(text)) return text;
    }
  }
  return std::nullopt;
}

uint64_t AddressPool::size() const {
  uint64_t n = 0;
  for (const auto& [first, last] : ranges_) n += uint64_t{last} - first + 1;
  return n;
}

}  // namespace capstan::controllers
