// Tests for the `bridge` CNI plugin: leases (ipam.h, no root) and the real bridge, veth pairs,
// addresses and routes in network namespaces the test creates and deletes (root).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "bridge_cni.h"
#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"
#include "ipam.h"
#include "tests/core/network/shell.h"

namespace capstan::cni {
namespace {

using sdk::testing::CniRequestBuilder;
using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;

using network::testing::Ping;
using network::testing::Shell;

std::string TempDir(const std::string& tag) {
  std::string dir = ::testing::TempDir() + "/cni_bridge_test_" + std::to_string(getpid()) + tag;
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(BridgeIpamTest, LeasesAreIdempotentSkipTheGatewayAndRunOut) {
  std::string dir = TempDir("ipam");
  Subnet subnet;
  ASSERT_TRUE(ParseSubnet("10.99.3.0/30", "", &subnet).ok());  // hosts .1 (gateway) and .2
  Ipam ipam(dir, subnet);
  uint32_t a = 0;
  ASSERT_TRUE(ipam.Allocate("c1", "eth0", &a).ok());
  EXPECT_EQ(Subnet::Format(a), "10.99.3.2");
  uint32_t again = 0;
  ASSERT_TRUE(ipam.Allocate("c1", "eth0", &again).ok());
  EXPECT_EQ(again, a);
  uint32_t b = 0;
  sdk::Status full = ipam.Allocate("c2", "eth0", &b);
  EXPECT_EQ(full.message(), "no IP addresses available in 10.99.3.0/30");
  std::vector<std::pair<std::string, std::string>> released;
  ASSERT_TRUE(ipam.Collect({{"c9", "eth0"}}, &released).ok());
  EXPECT_EQ(released.size(), 1u);
  ASSERT_TRUE(ipam.Allocate("c2", "eth0", &b).ok());
  EXPECT_EQ(b, a);
  ASSERT_TRUE(ipam.Release("c2", "eth0").ok());
  EXPECT_EQ(ipam.Find("c2", "eth0"), 0u);
  EXPECT_FALSE(ParseSubnet("10.99.3.0", "", &subnet).ok());
  EXPECT_FALSE(ParseSubnet("10.99.3.0/24", "10.98.0.1", &subnet).ok());
  EXPECT_LE(BridgeCni::HostVethName(std::string(64, 'f'), "eth0").size(), 15u);
  std::filesystem::remove_all(dir);
}

class BridgeCniTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    static int counter = 0;
    index_ = counter++;
    bridge_ = "cptb" + std::to_string(getpid() % 100000) + "x" + std::to_string(index_);
    prefix_ = "10.99." + std::to_string((getpid() * 7 + 128 + index_) % 256) + ".";
    dir_ = TempDir(std::to_string(index_));
    std::string config = sdk::json::Dump(
        sdk::json::Json{{"subnet", prefix_ + "0/24"}, {"bridge", bridge_}, {"stateDir", dir_}});
    plugin_ = std::make_unique<TestPlugin<BridgeCni>>(host_, config);
    ASSERT_TRUE(plugin_->init().ok()) << plugin_->init().error;
  }
  void TearDown() override {
    plugin_.reset();
    for (const std::string& ns : namespaces_) Shell("ip netns del " + ns);
    if (!bridge_.empty()) Shell("ip link del " + bridge_);
    if (!masq_table_.empty()) Shell("nft delete table ip " + masq_table_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string NewNetns() {
    std::string name = "capstan-test-" + std::to_string(getpid()) + "-b" +
                       std::to_string(index_ * 10 + static_cast<int>(namespaces_.size()));
    EXPECT_EQ(Shell("ip netns add " + name), 0);
    namespaces_.push_back(name);
    return name;
  }
  const capstan_cni_request* Req(const std::string& ns, const std::string& id) {
    return req_.ContainerId(id).Netns("/var/run/netns/" + ns).get();
  }
  // A configuration that masquerades through a table of this test (deleted at tear-down).
  sdk::json::Json MasqConfig() {
    masq_table_ = "capstan_test_" + std::to_string(getpid()) + "_" + std::to_string(index_);
    return {{"subnet", prefix_ + "0/24"},
            {"bridge", bridge_},
            {"stateDir", dir_},
            {"ipMasq", true},
            {"ipMasqTable", masq_table_}};
  }
  // The test's masquerade table as `nft list` prints it.
  std::string MasqRules() {
    std::string rules;
    EXPECT_EQ(Shell("nft list table ip " + masq_table_, &rules), 0) << rules;
    return rules;
  }
  std::string In(const std::string& ns, const std::string& command) {
    std::string out;
    Shell("ip netns exec " + ns + " " + command, &out);
    return out;
  }

  int index_ = 0;
  std::string masq_table_;
  std::string bridge_;
  std::string prefix_;
  std::string dir_;
  std::vector<std::string> namespaces_;
  FakeHost host_;
  std::unique_ptr<TestPlugin<BridgeCni>> plugin_;
  CniRequestBuilder req_;
};

TEST_F(BridgeCniTest, AddWiresThePodAndTwoPodsReachEachOtherAndTheGateway) {
  std::string ns1 = NewNetns();
  std::string ns2 = NewNetns();
  Outcome o1 = plugin_->CniAdd(Req(ns1, "pod-1"));
  ASSERT_TRUE(o1.ok()) << o1.error;
  Outcome o2 = plugin_->CniAdd(Req(ns2, "pod-2"));
  ASSERT_TRUE(o2.ok()) << o2.error;
  sdk::json::Json r1 = *sdk::json::Parse(o1.output);
  EXPECT_EQ(r1["ips"][0]["address"], prefix_ + "2/24");
  EXPECT_EQ(r1["ips"][0]["gateway"], prefix_ + "1");
  EXPECT_EQ(r1["interfaces"][2]["sandbox"], "/var/run/netns/" + ns1);
  EXPECT_NE(In(ns1, "ip -4 addr show eth0").find("inet " + prefix_ + "2/24"), std::string::npos);
  EXPECT_NE(In(ns1, "ip route").find("default via " + prefix_ + "1 dev eth0"), std::string::npos);
  std::string out;
  int rc = 1;
  for (int i = 0; i < 5 && rc != 0; ++i) {
    rc = Shell("ip netns exec " + ns1 + " " + Ping() + " -c1 -W1 " + prefix_ + "3", &out);
  }
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(Shell("ip netns exec " + ns1 + " " + Ping() + " -c1 -W1 " + prefix_ + "1", &out), 0)
      << out;
  EXPECT_TRUE(plugin_->Cni(&capstan_cni_v1::on_check, Req(ns1, "pod-1")).ok());
  // The host forwards for the bridge (Service traffic after DNAT, egress), and only for it.
  std::string forwarding;
  EXPECT_EQ(Shell("cat /proc/sys/net/ipv4/conf/" + bridge_ + "/forwarding", &forwarding), 0);
  EXPECT_EQ(forwarding.substr(0, 1), "1");
}

TEST_F(BridgeCniTest, DelRemovesTheVethAndReleasesTheAddressForTheNextAdd) {
  std::string ns1 = NewNetns();
  std::string ns2 = NewNetns();
  ASSERT_TRUE(plugin_->CniAdd(Req(ns1, "pod-1")).ok());
  std::string veth = BridgeCni::HostVethName("pod-1", "eth0");
  EXPECT_EQ(Shell("ip link show " + veth), 0);
  Outcome del = plugin_->Cni(&capstan_cni_v1::on_del, Req(ns1, "pod-1"));
  ASSERT_TRUE(del.ok()) << del.error;
  EXPECT_NE(Shell("ip link show " + veth), 0);
  EXPECT_NE(In(ns1, "ip link show eth0").find("does not exist"), std::string::npos);
  EXPECT_TRUE(plugin_->Cni(&capstan_cni_v1::on_del, Req(ns1, "pod-1")).ok());  // idempotent
  EXPECT_EQ(plugin_->Cni(&capstan_cni_v1::on_check, Req(ns1, "pod-1")).rc, CAPSTAN_RC_ERROR);
  Outcome o2 = plugin_->CniAdd(Req(ns2, "pod-2"));
  ASSERT_TRUE(o2.ok()) << o2.error;
  EXPECT_EQ((*sdk::json::Parse(o2.output))["ips"][0]["address"], prefix_ + "2/24");
}

TEST_F(BridgeCniTest, AddIntoAMissingNamespaceFailsAndLeavesNoLease) {
  Outcome o = plugin_->CniAdd(req_.ContainerId("ghost").Netns("/var/run/netns/nope-x").get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_NE(o.error.find("nope-x"), std::string::npos) << o.error;
  std::string ns = NewNetns();
  Outcome ok = plugin_->CniAdd(Req(ns, "pod-1"));
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ((*sdk::json::Parse(ok.output))["ips"][0]["address"], prefix_ + "2/24");
}

TEST_F(BridgeCniTest, IpMasqAddsOneMasqueradeRuleForTheSubnet) {
  std::string config = sdk::json::Dump(MasqConfig());
  FakeHost host;
  TestPlugin<BridgeCni> masq(host, config);
  ASSERT_TRUE(masq.init().ok()) << masq.init().error;
  ASSERT_TRUE(masq.CniAdd(Req(NewNetns(), "pod-1")).ok());
  ASSERT_TRUE(masq.CniAdd(Req(NewNetns(), "pod-2")).ok());
  std::string rules = MasqRules();
  std::string rule = "ip saddr " + prefix_ + "0/24 ip daddr != " + prefix_ + "0/24 masquerade";
  size_t first = rules.find(rule);
  ASSERT_NE(first, std::string::npos) << rules;
  EXPECT_EQ(rules.find(rule, first + 1), std::string::npos) << "rule added twice: " << rules;
}

TEST_F(BridgeCniTest, ClusterCidrIsNotMasqueradedAndReplacesTheRuleWithoutIt) {
  sdk::json::Json config = MasqConfig();
  FakeHost host;
  TestPlugin<BridgeCni> plain(host, sdk::json::Dump(config));
  ASSERT_TRUE(plain.init().ok()) << plain.init().error;
  ASSERT_TRUE(plain.CniAdd(Req(NewNetns(), "pod-1")).ok());
  // The node joins a multi-node network: the same bridge, now with the cluster's pod range.
  config["clusterCIDR"] = "10.98.0.0/16";
  TestPlugin<BridgeCni> clustered(host, sdk::json::Dump(config));
  ASSERT_TRUE(clustered.init().ok()) << clustered.init().error;
  ASSERT_TRUE(clustered.CniAdd(Req(NewNetns(), "pod-2")).ok());
  ASSERT_TRUE(clustered.CniAdd(Req(NewNetns(), "pod-3")).ok());
  std::string rules = MasqRules();
  std::string rule = "ip saddr " + prefix_ + "0/24 ip daddr != " + prefix_ +
                     "0/24 ip daddr != 10.98.0.0/16 masquerade";
  size_t first = rules.find(rule);
  ASSERT_NE(first, std::string::npos) << rules;
  EXPECT_EQ(rules.find("masquerade", first + rule.size()), std::string::npos)
      << "the earlier rule was kept or the rule added twice: " << rules;
  TestPlugin<BridgeCni> bad(host, sdk::json::Dump(sdk::json::Json{{"subnet", prefix_ + "0/24"},
                                                                  {"clusterCIDR", "nope"}}));
  EXPECT_FALSE(bad.init().ok());
}

// The rule an ADD ensured is remembered per network (no nft run on each ADD), so a configuration
// changed back must still replace the rule of the one in between.
TEST_F(BridgeCniTest, MasqueradeRuleFollowsAConfigurationChangedBack) {
  sdk::json::Json config = MasqConfig();
  FakeHost host;
  TestPlugin<BridgeCni> plain(host, sdk::json::Dump(config));
  ASSERT_TRUE(plain.init().ok()) << plain.init().error;
  ASSERT_TRUE(plain.CniAdd(Req(NewNetns(), "pod-1")).ok());
  config["clusterCIDR"] = "10.98.0.0/16";
  TestPlugin<BridgeCni> clustered(host, sdk::json::Dump(config));
  ASSERT_TRUE(clustered.init().ok()) << clustered.init().error;
  ASSERT_TRUE(clustered.CniAdd(Req(NewNetns(), "pod-2")).ok());
  ASSERT_TRUE(plain.CniAdd(Req(NewNetns(), "pod-3")).ok());  // the first configuration again
  std::string rules = MasqRules();
  EXPECT_EQ(rules.find("10.98.0.0/16"), std::string::npos) << rules;
  std::string rule = "ip saddr " + prefix_ + "0/24 ip daddr != " + prefix_ + "0/24 masquerade";
  size_t first = rules.find(rule);
  ASSERT_NE(first, std::string::npos) << rules;
  EXPECT_EQ(rules.find("masquerade", first + rule.size()), std::string::npos) << rules;
}

}  // namespace
}  // namespace capstan::cni
