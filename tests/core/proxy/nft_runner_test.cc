// Integration tests for core/proxy/nft_runner.h with the rules of nft_rules.h: real `nft` inside
// network namespaces this test creates (and always deletes): a "client" namespace holding the
// proxy table and a "server" namespace behind a veth pair running busybox httpd; curl is the
// client. Needs root, nft, ip, busybox and curl; skipped otherwise.
#include "core/proxy/nft_runner.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/proxy/nft_rules.h"

namespace capstan::proxy {
namespace {

int Shell(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

class NftNetnsTest : public testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0 || NftRunner::FindNft().empty() || Shell("command -v busybox") != 0 ||
        Shell("command -v curl") != 0) {
      GTEST_SKIP() << "needs root, nft, busybox and curl";
    }
    std::string id = std::to_string(getpid());
    client_ = "capstan-proxy-test-" + id + "-c";
    server_ = "capstan-proxy-test-" + id + "-s";
    dir_ = std::filesystem::temp_directory_path() / ("capstan-proxy-test-" + id);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "index.html") << "hello-from-backend\n";
    std::string c = "ip netns exec " + client_ + " ", s = "ip netns exec " + server_ + " ";
    ASSERT_EQ(Shell("ip netns add " + client_), 0);
    ASSERT_EQ(Shell("ip netns add " + server_), 0);
    created_ = true;
    ASSERT_EQ(Shell("ip link add cpx" + id + " netns " + client_ + " type veth peer name cps" + id +
                    " netns " + server_),
              0);
    ASSERT_EQ(Shell(c + "ip addr add 10.123.0.1/24 dev cpx" + id), 0);
    ASSERT_EQ(Shell(s + "ip addr add 10.123.0.2/24 dev cps" + id), 0);
    ASSERT_EQ(Shell(c + "ip link set cpx" + id + " up"), 0);
    ASSERT_EQ(Shell(s + "ip link set cps" + id + " up"), 0);
    ASSERT_EQ(Shell(c + "ip link set lo up"), 0);
    ASSERT_EQ(Shell(s + "ip link set lo up"), 0);
    // Host-originated service traffic needs a route to reach the output hook.
    ASSERT_EQ(Shell(c + "ip route add 10.96.0.0/12 dev cpx" + id), 0);
    ASSERT_EQ(Shell(s + "busybox httpd -p 8080 -h " + dir_.string()), 0);
    ASSERT_TRUE(WaitFor([&] { return Get("10.123.0.2:8080").find("hello") != std::string::npos; }));
    runner_ = NftRunner("", client_);
    config_.table = "capstan-proxy-test";
  }

  void TearDown() override {
    if (created_) {
      // Only the processes in the namespace this test made (its httpd).
      Shell("for p in $(ip netns pids " + server_ + "); do kill $p; done");
      Shell("ip netns del " + client_);
      Shell("ip netns del " + server_);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Body of http://<address>/ fetched from the client namespace; "" on failure.
  std::string Get(const std::string& address) {
    std::string out = (dir_ / "out").string();
    std::string cmd = "ip netns exec " + client_ + " curl -s -m 2 -o " + out + " http://" +
                      address + "/ >/dev/null 2>&1";
    std::filesystem::remove(out);
    if (std::system(cmd.c_str()) != 0) return "";
    std::ifstream in(out);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  template <typename F>
  bool WaitFor(F f) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (f()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  static ServicePortState Web(const std::string& backend) {
    ServicePortState s;
    s.id = "default/web/tcp/80";
    s.protocol = "tcp";
    s.port = 80;
    s.node_port = 30080;
    s.cluster_ips = {"10.96.77.10"};
    s.group = 1;
    if (!backend.empty()) s.endpoints.push_back({backend, 8080, true});
    return s;
  }

  std::string client_, server_;
  std::filesystem::path dir_;
  bool created_ = false;
  NftRunner runner_;
  RulesConfig config_;
  SharedCounts shared_;
};

TEST_F(NftNetnsTest, ClusterIpAndNodePortReachTheBackendAndFollowEndpointChanges) {
  ServicePortState web = Web("10.123.0.2");
  ASSERT_TRUE(runner_.Apply(FullTableScript(config_, {&web}, &shared_)).ok());
  Result<std::string> listed = runner_.Run({"list", "table", "ip", config_.table});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_NE(listed->find("chain pick-1"), std::string::npos) << *listed;
  EXPECT_EQ(Get("10.96.77.10"), "hello-from-backend\n");
  EXPECT_EQ(Get("10.123.0.1:30080"), "hello-from-backend\n");

  // No endpoints: refused at once (reject), not a timeout.
  ServicePortState none = Web("");
  RulesDelta to_none(config_, &shared_);
  to_none.Add(&web, &none);
  Status s = runner_.Apply(to_none.Script());
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << to_none.Script();
  to_none.Commit(&shared_);
  std::string refused =
      "ip netns exec " + client_ + " curl -s -m 5 -o /dev/null http://10.96.77.10/";
  EXPECT_EQ(WEXITSTATUS(std::system(refused.c_str())), 7);  // 7: connection refused

  RulesDelta back(config_, &shared_);
  back.Add(&none, &web);
  ASSERT_TRUE(runner_.Apply(back.Script()).ok()) << back.Script();
  EXPECT_EQ(Get("10.96.77.10"), "hello-from-backend\n");

  ASSERT_TRUE(runner_.Apply(DeleteTableScript(config_)).ok());
  EXPECT_FALSE(runner_.Run({"list", "table", "ip", config_.table}).ok());
}

TEST_F(NftNetnsTest, EveryServiceKindIsAcceptedByNftAndDeltasApplyBetweenThem) {
  std::vector<ServicePortState> kinds;
  kinds.push_back(Web("10.123.0.2"));
  ServicePortState affinity = Web("10.123.0.2");
  affinity.id = "default/sticky/tcp/80";
  affinity.cluster_ips = {"10.96.77.11"};
  affinity.group = 2;
  affinity.node_port = 30081;
  affinity.affinity_timeout_seconds = 60;
  kinds.push_back(affinity);
  ServicePortState local = Web("10.123.0.9");
  local.id = "default/local/udp/53";
  local.protocol = "udp";
  local.port = 53;
  local.cluster_ips = {"10.96.77.12"};
  local.group = 3;
  local.external_ips = {"192.0.2.77"};
  local.node_port = 30082;
  local.external_local = true;
  local.endpoints.push_back({"10.123.0.8", 53, false});
  kinds.push_back(local);
  std::vector<const ServicePortState*> ptrs;
  ptrs.reserve(kinds.size());
  for (const ServicePortState& k : kinds) ptrs.push_back(&k);
  for (const char* cidr : {"", "10.123.0.0/24"}) {
    config_.cluster_cidr = cidr;
    Status full = runner_.Apply(FullTableScript(config_, ptrs, &shared_));
    ASSERT_TRUE(full.ok()) << full.ToString();
  }
  EXPECT_EQ(Get("10.96.77.11"), "hello-from-backend\n");  // through the affinity chains
  Result<std::string> listed = runner_.Run(
      {"list", "set", "ip", config_.table, "aff-default/sticky/tcp/80/10.123.0.2/8080"});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_NE(listed->find("10.123.0.1"), std::string::npos) << *listed;  // the client remembered

  // Changes of every kind: endpoints added and removed, affinity timeout, policy.
  std::vector<ServicePortState> next = kinds;
  next[0].endpoints.push_back({"10.123.0.3", 8080, false});
  next[1].endpoints = {{"10.123.0.4", 8080, true}};
  next[1].affinity_timeout_seconds = 30;
  next[2].external_local = false;
  RulesDelta delta(config_, &shared_);
  for (size_t i = 0; i < kinds.size(); ++i) delta.Add(&kinds[i], &next[i]);
  Status s = runner_.Apply(delta.Script());
  EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << delta.Script();
}

// The client namespace routes for the server namespace; the server reaches a service whose only
// endpoint is itself. Without masquerading, the reply would come from the server's own address
// to itself, and the kernel drops a packet with a local source arriving from outside.
TEST_F(NftNetnsTest, AnEndpointReachesItsOwnServiceThroughTheHairpinMasquerade) {
  ASSERT_EQ(Shell("ip netns exec " + client_ + " sysctl -w net.ipv4.ip_forward=1"), 0);
  ASSERT_EQ(Shell("ip netns exec " + server_ + " ip route add 10.96.0.0/12 via 10.123.0.1"), 0);
  config_.cluster_cidr = "10.123.0.0/24";
  ServicePortState web = Web("10.123.0.2");
  ASSERT_TRUE(runner_.Apply(FullTableScript(config_, {&web}, &shared_)).ok());
  std::string out = (dir_ / "hairpin").string();
  std::string get = "ip netns exec " + server_ + " curl -s -m 3 -o " + out +
                    " http://10.96.77.10/ >/dev/null 2>&1";
  ASSERT_EQ(std::system(get.c_str()), 0);
  std::ifstream in(out);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "hello-from-backend\n");
}

TEST_F(NftNetnsTest, ARejectedScriptReportsNftsErrorAndChangesNothing) {
  ServicePortState web = Web("10.123.0.2");
  ASSERT_TRUE(runner_.Apply(FullTableScript(config_, {&web}, &shared_)).ok());
  Status s = runner_.Apply("flush chain ip " + config_.table + " pick-1\nadd rule ip " +
                           config_.table + " nope accept\n");
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("nope"), std::string::npos) << s.message();
  EXPECT_EQ(Get("10.96.77.10"), "hello-from-backend\n");  // the flush was rolled back
}

}  // namespace
}  // namespace capstan::proxy
