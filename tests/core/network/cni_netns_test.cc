// Integration tests (root) for core/network's chain over cni-exec running Debian's real CNI
// binaries (bridge, host-local, loopback, portmap, tuning) into network namespaces the test
// creates (`capstan-test-<pid>-<n>`) and always deletes, with a bridge and a 10.99.x.0/24 subnet
// of its own. Also prints the median ADD and DEL latency (reported, not asserted).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/network/cni_chain.h"
#include "tests/core/network/cni_registry.h"
#include "tests/core/network/shell.h"

namespace capstan::network {
namespace {

using nlohmann::json;

constexpr char kBinDir[] = "/usr/lib/cni";

using testing::Ping;
using testing::Shell;

class CniNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    if (access((std::string(kBinDir) + "/bridge").c_str(), X_OK) != 0) {
      GTEST_SKIP() << "containernetworking-plugins not installed";
    }
    static int counter = 0;
    index_ = counter++;
    std::string tag = std::to_string(getpid()) + "-" + std::to_string(index_);
    bridge_ = "cpt" + std::to_string(getpid() % 100000) + "x" + std::to_string(index_);
    subnet_prefix_ = "10.99." + std::to_string((getpid() * 7 + index_) % 256) + ".";
    network_ = "capstan-test-" + tag;
    dir_ = ::testing::TempDir() + "/cni_netns_test_" + tag;
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    registry_.reset();
    for (const std::string& ns : namespaces_) Shell("ip netns del " + ns);
    if (!bridge_.empty()) Shell("ip link del " + bridge_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // A new namespace; returns its path.
  std::string NewNetns() {
    std::string name = "capstan-test-" + std::to_string(getpid()) + "-" +
                       std::to_string(index_ * 10 + static_cast<int>(namespaces_.size()));
    std::string out;
    EXPECT_EQ(Shell("ip netns add " + name, &out), 0) << out;
    namespaces_.push_back(name);
    return "/var/run/netns/" + name;
  }
  static std::string NameOf(const std::string& netns_path) {
    return netns_path.substr(netns_path.rfind('/') + 1);
  }

  json Ipam(bool single_address) const {
    json ipam = {{"type", "host-local"}, {"subnet", subnet_prefix_ + "0/24"}, {"dataDir", dir_}};
    if (single_address) {
      ipam["rangeStart"] = subnet_prefix_ + "10";
      ipam["rangeEnd"] = subnet_prefix_ + "10";
    }
    return ipam;
  }
  json Bridge(bool single_address = false) const {
    return {{"type", "bridge"}, {"bridge", bridge_}, {"ipam", Ipam(single_address)}};
  }
  json Entry(const std::string& name, json plugins) const {
    return {{"name", name},
            {"library", "cni/cni-exec.so"},
            {"config",
             {{"binDir", kBinDir},
              {"name", network_},
              {"cniVersion", "1.1.0"},
              {"plugins", std::move(plugins)}}}};
  }
  CniChain Load(json entries) {
    registry_ = testing::LoadCniRegistry(std::move(entries));
    if (!registry_) return CniChain(nullptr);
    return CniChain(registry_->chain(CAPSTAN_KIND_CNI));
  }
  CniAttachment Pod(const std::string& netns, const std::string& id) const {
    CniAttachment a;
    a.container_id = id;
    a.netns_path = netns;
    a.args = K8sCniArgs("default", id, id, "uid-" + id);
    return a;
  }
  std::string InNetns(const std::string& netns, const std::string& command) const {
    std::string out;
    Shell("ip netns exec " + NameOf(netns) + " " + command, &out);
    return out;
  }
  bool Reserved(const std::string& ip) const {
    return std::filesystem::exists(dir_ + "/" + network_ + "/" + ip);
  }

  int index_ = 0;
  std::string bridge_;
  std::string subnet_prefix_;
  std::string network_;
  std::string dir_;
  std::vector<std::string> namespaces_;
  std::unique_ptr<plugin::Registry> registry_;
};

TEST_F(CniNetnsTest, AddGivesThePodTheReturnedAddressInsideItsNamespace) {
  CniChain chain = Load({Entry("net", {Bridge(), {{"type", "loopback"}}})});
  std::string ns = NewNetns();
  Result<CniResult> r = chain.Add(Pod(ns, "pod-a"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string ip = r->PrimaryIp();
  EXPECT_EQ(ip.rfind(subnet_prefix_, 0), 0u) << ip;
  EXPECT_EQ(r->cni_version, "1.1.0");
  ASSERT_FALSE(r->ips.empty());
  EXPECT_EQ(r->ips[0].gateway, subnet_prefix_ + "1");
  EXPECT_NE(InNetns(ns, "ip -4 addr show eth0").find("inet " + r->ips[0].address),
            std::string::npos);
  EXPECT_NE(InNetns(ns, "ip link show lo").find("UP"), std::string::npos);
  Status check = chain.Check(Pod(ns, "pod-a"), r->raw_json);
  EXPECT_TRUE(check.ok()) << check.ToString();
  EXPECT_TRUE(chain.Del(Pod(ns, "pod-a"), r->raw_json).ok());
}

TEST_F(CniNetnsTest, TwoPodsOnTheSameBridgeReachEachOther) {
  CniChain chain = Load({Entry("net", {Bridge(), {{"type", "loopback"}}})});
  std::string ns1 = NewNetns();
  std::string ns2 = NewNetns();
  Result<CniResult> r1 = chain.Add(Pod(ns1, "pod-1"));
  Result<CniResult> r2 = chain.Add(Pod(ns2, "pod-2"));
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_NE(r1->PrimaryIp(), r2->PrimaryIp());
  int rc = 1;
  std::string out;
  for (int attempt = 0; attempt < 5 && rc != 0; ++attempt) {
    rc = Shell("ip netns exec " + NameOf(ns1) + " " + Ping() + " -c1 -W1 " + r2->PrimaryIp(), &out);
  }
  EXPECT_EQ(rc, 0) << out;
}

TEST_F(CniNetnsTest, DelRemovesTheVethAndReleasesTheAddressForTheNextAdd) {
  CniChain chain = Load({Entry("net", {Bridge(/*single_address=*/true)})});
  std::string ns1 = NewNetns();
  std::string ns2 = NewNetns();
  Result<CniResult> r1 = chain.Add(Pod(ns1, "pod-1"));
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  std::string ip = r1->PrimaryIp();
  EXPECT_EQ(ip, subnet_prefix_ + "10");
  EXPECT_TRUE(Reserved(ip));
  Result<CniResult> full = chain.Add(Pod(ns2, "pod-2"));  // the range has one address
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.status().message().find("no IP addresses available"), std::string::npos)
      << full.status().message();
  EXPECT_TRUE(Reserved(ip));  // the failed ADD's DEL released nothing of pod-1's

  Status del = chain.Del(Pod(ns1, "pod-1"), r1->raw_json);
  ASSERT_TRUE(del.ok()) << del.ToString();
  EXPECT_NE(InNetns(ns1, "ip link show eth0").find("does not exist"), std::string::npos);
  EXPECT_FALSE(Reserved(ip));
  EXPECT_TRUE(chain.Del(Pod(ns1, "pod-1"), r1->raw_json).ok());  // DEL is idempotent
  Result<CniResult> r2 = chain.Add(Pod(ns2, "pod-2"));
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->PrimaryIp(), ip);
}

TEST_F(CniNetnsTest, ABadConfigComesBackWithTheCniCodeAndMessage) {
  json bridge = Bridge();
  bridge["ipam"].erase("subnet");
  CniChain chain = Load({Entry("net", {bridge})});
  Result<CniResult> r = chain.Add(Pod(NewNetns(), "pod-a"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(
                "plugin 'cni-exec' instance 'net' on_add: ERROR: bridge: CNI error 999: "
                "no IP ranges specified"),
            std::string::npos)
      << r.status().message();
}

TEST_F(CniNetnsTest, WhenTheSecondPluginFailsTheHostRunsDelOverTheChain) {
  json tuning = {{"type", "tuning"}, {"sysctl", {{"net.ipv4.conf.eth0.no_such_knob", "1"}}}};
  CniChain chain = Load({Entry("net", {Bridge(/*single_address=*/true)}), Entry("tune", {tuning})});
  std::string ns = NewNetns();
  Result<CniResult> r = chain.Add(Pod(ns, "pod-a"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("instance 'tune' on_add: ERROR: tuning: CNI error 999: "),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("no_such_knob"), std::string::npos);
  // DEL ran over the whole chain: the bridge plugin removed the pod's interface and released
  // the address.
  EXPECT_NE(InNetns(ns, "ip link show eth0").find("does not exist"), std::string::npos);
  EXPECT_FALSE(Reserved(subnet_prefix_ + "10"));
}

TEST_F(CniNetnsTest, PortmapFromAConflistFileMapsThePortAndKeepsTheResult) {
  int host_port = 20000 + getpid() % 20000;
  std::string path = dir_ + "/net.conflist";
  json list = {
      {"cniVersion", "1.0.0"},
      {"name", network_},
      {"plugins", {Bridge(), {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}}}};
  std::ofstream(path) << list.dump();
  CniChain chain = Load({{{"name", "net"},
                          {"library", "cni/cni-exec.so"},
                          {"config", {{"binDir", kBinDir}, {"conflist", path}}}}});
  CniAttachment pod = Pod(NewNetns(), "pod-p");
  pod.runtime_config = {
      {"portMappings", {{{"hostPort", host_port}, {"containerPort", 80}, {"protocol", "tcp"}}}}};
  Result<CniResult> r = chain.Add(pod);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->PrimaryIp().rfind(subnet_prefix_, 0), 0u);
  std::string rule = "--dport " + std::to_string(host_port) + " -j DNAT --to-destination " +
                     r->PrimaryIp() + ":80";
  std::string nat;
  Shell("iptables -t nat -S", &nat);
  EXPECT_NE(nat.find(rule), std::string::npos) << nat;
  Status del = chain.Del(pod, r->raw_json);
  ASSERT_TRUE(del.ok()) << del.ToString();
  Shell("iptables -t nat -S", &nat);
  EXPECT_EQ(nat.find(rule), std::string::npos);
}

TEST_F(CniNetnsTest, ReportsTheMedianAddAndDelLatencyThroughCniExec) {
  CniChain chain = Load({Entry("net", {Bridge(), {{"type", "loopback"}}})});
  std::string ns = NewNetns();
  std::vector<double> add_ms;
  std::vector<double> del_ms;
  for (int i = 0; i < 10; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    Result<CniResult> r = chain.Add(Pod(ns, "pod-l"));
    auto t1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_TRUE(chain.Del(Pod(ns, "pod-l"), r->raw_json).ok());
    auto t2 = std::chrono::steady_clock::now();
    add_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    del_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  std::sort(add_ms.begin(), add_ms.end());
  std::sort(del_ms.begin(), del_ms.end());
  std::cout << "{\"cni_exec_add_median_ms\": " << add_ms[5]
            << ", \"cni_exec_del_median_ms\": " << del_ms[5] << "}\n";
  RecordProperty("add_median_ms", std::to_string(add_ms[5]));
  RecordProperty("del_median_ms", std::to_string(del_ms[5]));
  EXPECT_EQ(add_ms.size(), 10u);
}

TEST_F(CniNetnsTest, TheNativeBridgePluginServesTheChainAndReportsItsLatency) {
  CniChain chain =
      Load({{{"name", "native"},
             {"library", "cni/bridge.so"},
             {"config",
              {{"subnet", subnet_prefix_ + "0/24"}, {"bridge", bridge_}, {"stateDir", dir_}}}}});
  std::string ns1 = NewNetns();
  std::string ns2 = NewNetns();
  Result<CniResult> peer = chain.Add(Pod(ns2, "pod-peer"));
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  std::vector<double> add_ms;
  std::vector<double> del_ms;
  for (int i = 0; i < 10; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    Result<CniResult> r = chain.Add(Pod(ns1, "pod-n"));
    auto t1 = std::chrono::steady_clock::now();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->ips[0].gateway, subnet_prefix_ + "1");
    if (i == 0) {
      std::string out;
      EXPECT_EQ(
          Shell("ip netns exec " + NameOf(ns1) + " " + Ping() + " -c1 -W1 " + peer->PrimaryIp(),
                &out),
          0)
          << out;
    }
    ASSERT_TRUE(chain.Del(Pod(ns1, "pod-n"), r->raw_json).ok());
    auto t2 = std::chrono::steady_clock::now();
    add_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    del_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  std::sort(add_ms.begin(), add_ms.end());
  std::sort(del_ms.begin(), del_ms.end());
  std::cout << "{\"native_bridge_add_median_ms\": " << add_ms[5]
            << ", \"native_bridge_del_median_ms\": " << del_ms[5] << "}\n";
  EXPECT_TRUE(chain.Del(Pod(ns2, "pod-peer"), peer->raw_json).ok());
}

}  // namespace
}  // namespace capstan::network
