// Tests for plugins/controllers/service-lb/address_pool.h: CIDRs and ranges, the addresses a
// CIDR leaves out, lowest-free allocation across entries, and malformed entries.
#include "plugins/controllers/service-lb/address_pool.h"

#include <gtest/gtest.h>

#include <set>

namespace capstan::controllers {
namespace {

TEST(AddressPoolTest, CidrsLeaveOutNetworkAndBroadcastAndRangesAreInclusive) {
  struct Case {
    std::vector<std::string> entries;
    uint64_t size;
    const char* first;
    std::vector<const char*> inside, outside;
  } cases[] = {
      {{"192.0.2.0/24"},
       254,
       "192.0.2.1",
       {"192.0.2.1", "192.0.2.254"},
       {"192.0.2.0", "192.0.2.255"}},
      {{"192.0.2.8/31"}, 2, "192.0.2.8", {"192.0.2.8", "192.0.2.9"}, {"192.0.2.10"}},
      {{"192.0.2.7"}, 1, "192.0.2.7", {"192.0.2.7"}, {"192.0.2.8"}},
      {{"198.51.100.20-198.51.100.22", "192.0.2.0/30"},
       5,
       "192.0.2.1",
       {"192.0.2.2", "198.51.100.22"},
       {"192.0.2.3", "198.51.100.23", "junk"}},
  };
  for (const Case& c : cases) {
    std::string error;
    std::optional<AddressPool> pool = AddressPool::Parse(c.entries, &error);
    ASSERT_TRUE(pool) << error;
    EXPECT_EQ(pool->size(), c.size) << c.entries[0];
    EXPECT_EQ(pool->FirstFree([](const std::string&) { return false; }), c.first);
    for (const char* ip : c.inside) EXPECT_TRUE(pool->Contains(ip)) << ip;
    for (const char* ip : c.outside) EXPECT_FALSE(pool->Contains(ip)) << ip;
  }
}

TEST(AddressPoolTest, FirstFreeSkipsTakenAddressesAcrossEntriesUntilNoneIsLeft) {
  std::string error;
  auto pool = AddressPool::Parse({"10.0.0.5-10.0.0.6", "10.0.1.1"}, &error);
  ASSERT_TRUE(pool);
  std::set<std::string> taken = {"10.0.0.5", "10.0.0.6"};
  auto in_use = [&](const std::string& ip) { return taken.count(ip) != 0; };
  EXPECT_EQ(pool->FirstFree(in_use), "10.0.1.1");
  taken.insert("10.0.1.1");
  EXPECT_FALSE(pool->FirstFree(in_use));
}

TEST(AddressPoolTest, MalformedEntriesAreRejectedWithTheirText) {
  for (const char* bad :
       {"192.0.2.0/33", "192.0.2.9-192.0.2.1", "fd00::/64", "x", "1.2.3.4/", "10.0.0.0/8"}) {
    std::string error;
    EXPECT_FALSE(AddressPool::Parse({bad}, &error)) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace capstan::controllers
