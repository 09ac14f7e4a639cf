// Integration test of core/network/route_table.h: `NetlinkRouteTable` in a network namespace
// the test creates (and always deletes), checked against `ip route`. Needs root; skipped
// otherwise.
#include "core/network/route_table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/core/network/shell.h"

namespace capstan::network {
namespace {

using testing::Shell;

class NetlinkRouteTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    ns_ = "caprt" + std::to_string(getpid());
    // A veth pair (both ends inside) with an address makes 192.0.2.0/24 directly connected.
    std::string in = "ip -n " + ns_ + " ";
    ASSERT_EQ(Shell("ip netns add " + ns_ + " && " + in + "link add d0 type veth peer name d1 && " +
                    in + "addr add 192.0.2.1/24 dev d0 && " + in + "link set d1 up && " + in +
                    "link set d0 up"),
              0);
  }
  void TearDown() override {
    if (!ns_.empty()) Shell("ip netns del " + ns_);
  }
  std::string Routes() {
    std::string out;
    Shell("ip -n " + ns_ + " route show proto 77", &out);
    return out;
  }
  std::string ns_;
};

TEST_F(NetlinkRouteTableTest, ReplacesListsAndDeletesOnlyItsOwnRoutes) {
  Result<std::unique_ptr<NetlinkRouteTable>> table = NetlinkRouteTable::Open("/run/netns/" + ns_);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  // A route someone else owns is never listed.
  ASSERT_EQ(Shell("ip -n " + ns_ + " route add 10.7.0.0/24 via 192.0.2.7"), 0);

  ASSERT_TRUE((*table)->Replace({"10.1.1.0/24", "192.0.2.2"}).ok());
  ASSERT_TRUE((*table)->Replace({"10.1.2.5/24", "192.0.2.3"}).ok());  // host bits cleared
  EXPECT_NE(Routes().find("10.1.1.0/24 via 192.0.2.2 dev d0"), std::string::npos) << Routes();
  // Replacing moves the route to the new gateway.
  ASSERT_TRUE((*table)->Replace({"10.1.1.0/24", "192.0.2.4"}).ok());
  EXPECT_NE(Routes().find("10.1.1.0/24 via 192.0.2.4 dev d0"), std::string::npos) << Routes();

  Result<std::vector<PodRoute>> listed = (*table)->List();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::vector<PodRoute> want = {{"10.1.1.0/24", "192.0.2.4"}, {"10.1.2.0/24", "192.0.2.3"}};
  EXPECT_EQ(*listed, want);

  ASSERT_TRUE((*table)->Delete({"10.1.1.0/24", ""}).ok());
  EXPECT_TRUE((*table)->Delete({"10.1.1.0/24", ""}).ok());  // absent is fine
  listed = (*table)->List();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, (std::vector<PodRoute>{{"10.1.2.0/24", "192.0.2.3"}}));
  // A gateway that is not directly connected is refused.
  EXPECT_FALSE((*table)->Replace({"10.1.3.0/24", "203.0.113.1"}).ok());
  EXPECT_NE(Routes().find("10.1.2.0/24"), std::string::npos);
  std::string others;
  Shell("ip -n " + ns_ + " route show 10.7.0.0/24", &others);
  EXPECT_NE(others.find("via 192.0.2.7"), std::string::npos);
}

TEST(CanonicalIpv4CidrTest, ClearsHostBitsAndRejectsWhatIsNotAnIpv4Cidr) {
  EXPECT_EQ(*CanonicalIpv4Cidr("10.244.1.7/24"), "10.244.1.0/24");
  EXPECT_EQ(*CanonicalIpv4Cidr("0.0.0.0/0"), "0.0.0.0/0");
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "fd00::/64", "10.0.0.0/x", ""}) {
    EXPECT_FALSE(CanonicalIpv4Cidr(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace capstan::network
