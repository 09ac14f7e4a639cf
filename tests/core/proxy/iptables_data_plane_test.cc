// Integration test for core/proxy/iptables_data_plane.h: real iptables-restore in network
// namespaces the test creates (and always deletes): a node namespace running the rules, a pod
// namespace holding the endpoints and a client namespace outside the node, joined by veths, with
// real TCP connections from the node itself and from the client. Needs root and
// iptables-restore; skipped otherwise.
#include "core/proxy/iptables_data_plane.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <thread>

#include "core/proxy/subprocess.h"

namespace capstan::proxy {
namespace {

// node: 10.200.0.1 towards the client (10.200.0.100), 10.201.0.1 towards the pods.
constexpr const char* kNodeIp = "10.200.0.1";
constexpr const char* kNodePodSideIp = "10.201.0.1";
constexpr const char* kClientIp = "10.200.0.100";
constexpr const char* kEndpointA = "10.201.0.11";
constexpr const char* kEndpointB = "10.201.0.12";
constexpr uint16_t kEndpointPort = 8080;

// A socket created inside the network namespace open as `ns_fd` (a socket keeps the namespace
// it was created in, whichever thread uses it later).
int SocketIn(int ns_fd) {
  int fd = -1;
  std::thread t([&] {
    if (setns(ns_fd, CLONE_NEWNET) == 0) fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  });
  t.join();
  return fd;
}

sockaddr_in Address(const std::string& ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

// Accepts connections on ip:port and answers each with "<name> <client address>", then closes it.
class NamedServer {
 public:
  NamedServer(int ns_fd, const std::string& ip, uint16_t port, std::string name)
      : name_(std::move(name)), fd_(SocketIn(ns_fd)) {
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a = Address(ip, port);
    ok_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
          listen(fd_, 64) == 0;
    if (ok_) thread_ = std::thread([this] { Serve(); });
  }
  ~NamedServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return ok_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      sockaddr_in peer{};
      socklen_t len = sizeof(peer);
      int c = accept4(fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
      if (c < 0) continue;
      char ip[INET_ADDRSTRLEN] = "";
      inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
      const std::string answer = name_ + " " + ip;
      (void)!write(c, answer.data(), answer.size());
      close(c);
    }
  }
  std::string name_;
  int fd_;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Connects from inside the namespace; the server's answer, or "refused" / "timeout" / "error".
std::string Ask(int ns_fd, const std::string& ip, uint16_t port) {
  int fd = SocketIn(ns_fd);
  if (fd < 0) return "error";
  fcntl(fd, F_SETFL, O_NONBLOCK);
  sockaddr_in a = Address(ip, port);
  std::string result;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 && errno != EINPROGRESS) {
    result = errno == ECONNREFUSED ? "refused" : "error";
  }
  char buf[64];
  while (result.empty()) {
    pollfd p{fd, POLLIN, 0};
    int n = poll(&p, 1, 3000);
    if (n == 0) {
      result = "timeout";
      break;
    }
    ssize_t r = read(fd, buf, sizeof(buf));
    if (r > 0) {
      result.append(buf, static_cast<size_t>(r));
      continue;
    }
    if (r < 0 && errno == EAGAIN) continue;
    if (r < 0) result = errno == ECONNREFUSED ? "refused" : "error";
    break;
  }
  close(fd);
  return result;
}

ServicePortState Port(const std::string& name, const std::string& cluster_ip,
                      const std::vector<std::string>& endpoints) {
  ServicePortState s;
  s.id = "default/" + name + "/tcp/80";
  s.protocol = "tcp";
  s.port = 80;
  s.cluster_ips = {cluster_ip};
  for (const std::string& ip : endpoints) s.endpoints.push_back({ip, kEndpointPort, true});
  return s;
}

// A network namespace made for the test; deleted with it.
class TestNetns {
 public:
  explicit TestNetns(std::string name) : name_(std::move(name)) {
    ok_ = std::system(("ip netns add " + name_).c_str()) == 0;
    if (ok_) fd_ = open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    ok_ = ok_ && fd_ >= 0 && Run("link set lo up");
  }
  ~TestNetns() {
    if (fd_ >= 0) close(fd_);
    std::system(("ip netns del " + name_ + " 2>/dev/null").c_str());
  }
  // Runs `ip -n <name> <args>`; true on success.
  bool Run(const std::string& args) const {
    return std::system(("ip -n " + name_ + " " + args).c_str()) == 0;
  }
  bool ok() const { return ok_; }
  int fd() const { return fd_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int fd_ = -1;
  bool ok_ = false;
};

// Parameter: the iptables-restore to use ("iptables-restore": the system's flavour, nf_tables on
// Debian; "iptables-legacy-restore").
class IptablesDataPlaneTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string restore = FindExecutable(GetParam());
    if (geteuid() != 0 || restore.empty()) GTEST_SKIP() << "needs root and " << GetParam();
    if (GetParam() == "iptables-restore") {
      EXPECT_EQ(IptablesDataPlane::FindIptablesRestore(), restore);
    }
    const std::string tag = std::to_string(getpid());
    node_ = std::make_unique<TestNetns>("capstan-ipt-node-" + tag);
    pods_ = std::make_unique<TestNetns>("capstan-ipt-pods-" + tag);
    client_ = std::make_unique<TestNetns>("capstan-ipt-client-" + tag);
    ASSERT_TRUE(node_->ok() && pods_->ok() && client_->ok());
    const std::string pods = pods_->name(), client = client_->name();
    for (const std::string& args :
         {"link add to-pods type veth peer name eth0 netns " + pods,
          "link add to-client type veth peer name eth0 netns " + client,
          "addr add " + std::string(kNodePodSideIp) + "/24 dev to-pods",
          "addr add " + std::string(kNodeIp) + "/24 dev to-client",
          std::string("link set to-pods up"), std::string("link set to-client up"),
          // Not-a-service traffic goes to the client, which does not forward it: a timeout.
          "route add default via " + std::string(kClientIp)}) {
      ASSERT_TRUE(node_->Run(args)) << args;
    }
    for (const std::string& args :
         {"addr add " + std::string(kEndpointA) + "/24 dev eth0",
          "addr add " + std::string(kEndpointB) + "/24 dev eth0", std::string("link set eth0 up"),
          "route add default via " + std::string(kNodePodSideIp)}) {
      ASSERT_TRUE(pods_->Run(args)) << args;
    }
    for (const std::string& args :
         {"addr add " + std::string(kClientIp) + "/24 dev eth0", std::string("link set eth0 up"),
          "route add default via " + std::string(kNodeIp)}) {
      ASSERT_TRUE(client_->Run(args)) << args;
    }
    ASSERT_EQ(std::system(("ip netns exec " + node_->name() +
                           " sysctl -qw net.ipv4.ip_forward=1"
                           // Else the not-a-service traffic sent back to the client makes
                           // redirects use up the ICMP rate limit the REJECTs need.
                           " net.ipv4.conf.all.send_redirects=0"
                           " net.ipv4.conf.to-client.send_redirects=0")
                              .c_str()),
              0);
    options_.rules.table = "capt-ipt-test";
    options_.netns = node_->name();
    options_.iptables_restore_path = restore;
    plane_ = std::make_unique<IptablesDataPlane>(options_);
    servers_.push_back(std::make_unique<NamedServer>(pods_->fd(), kEndpointA, kEndpointPort, "A"));
    servers_.push_back(std::make_unique<NamedServer>(pods_->fd(), kEndpointB, kEndpointPort, "B"));
    for (const auto& s : servers_) ASSERT_TRUE(s->ok());
  }
  void TearDown() override {
    servers_.clear();
    plane_.reset();
    client_.reset();
    pods_.reset();
    node_.reset();
  }

  // Answers to `count` connections from `from` to ip:port, by answer.
  static std::map<std::string, int> AskMany(const TestNetns& from, const std::string& ip,
                                            uint16_t port, int count) {
    std::map<std::string, int> answers;
    for (int i = 0; i < count; ++i) ++answers[Ask(from.fd(), ip, port)];
    return answers;
  }

  std::string Saved() {
    Result<std::string> r = RunProcess({plane_->save_path()}, {}, node_->name());
    return r.ok() ? *r : r.status().ToString();
  }

  std::unique_ptr<TestNetns> node_, pods_, client_;
  IptablesPlaneOptions options_;
  std::unique_ptr<IptablesDataPlane> plane_;
  std::vector<std::unique_ptr<NamedServer>> servers_;
};

// Answers as the node sees them when it masquerades (the pods see its pod-side address).
const std::string kAFromNode = std::string("A ") + kNodePodSideIp;
const std::string kBFromNode = std::string("B ") + kNodePodSideIp;

TEST_P(IptablesDataPlaneTest, ServesClusterIpNodePortAffinityAndRejectsPortsWithoutEndpoints) {
  ServicePortState web = Port("web", "10.96.0.10", {kEndpointA, kEndpointB});
  web.node_port = 30080;
  ServicePortState sticky = Port("sticky", "10.96.0.11", {kEndpointA, kEndpointB});
  sticky.affinity_timeout_seconds = 600;
  ServicePortState empty = Port("empty", "10.96.0.12", {});
  empty.node_port = 30083;
  ASSERT_TRUE(plane_->Full({&web, &sticky, &empty}).ok());

  // From the node itself (nat OUTPUT), masqueraded: no cluster CIDR.
  std::map<std::string, int> answers = AskMany(*node_, "10.96.0.10", 80, 40);
  EXPECT_GT(answers[kAFromNode], 0);
  EXPECT_GT(answers[kBFromNode], 0);
  EXPECT_EQ(answers[kAFromNode] + answers[kBFromNode], 40) << answers.begin()->first;

  // From outside the node (nat PREROUTING): the ClusterIP and the NodePort.
  answers = AskMany(*client_, "10.96.0.10", 80, 20);
  EXPECT_EQ(answers[kAFromNode] + answers[kBFromNode], 20) << answers.begin()->first;
  answers = AskMany(*client_, kNodeIp, 30080, 20);
  EXPECT_EQ(answers[kAFromNode] + answers[kBFromNode], 20) << answers.begin()->first;
  answers = AskMany(*node_, kNodeIp, 30080, 10);
  EXPECT_EQ(answers[kAFromNode] + answers[kBFromNode], 10) << answers.begin()->first;

  answers = AskMany(*client_, "10.96.0.11", 80, 20);
  EXPECT_EQ(answers.size(), 1u) << "ClientIP affinity: one endpoint for one client";
  EXPECT_EQ(answers[kAFromNode] + answers[kBFromNode], 20) << answers.begin()->first;

  // Rejected rather than left to time out, on every path (filter OUTPUT, FORWARD, INPUT).
  EXPECT_EQ(Ask(node_->fd(), "10.96.0.12", 80), "refused");
  EXPECT_EQ(Ask(client_->fd(), "10.96.0.12", 80), "refused");
  EXPECT_EQ(Ask(client_->fd(), kNodeIp, 30083), "refused");
  EXPECT_EQ(Ask(node_->fd(), "10.96.0.99", 80), "timeout") << "not a service: no rule answers";
}

TEST_P(IptablesDataPlaneTest, LocalPolicyKeepsTheClientAddressAndUsesOnlyLocalEndpoints) {
  options_.rules.cluster_cidr = "10.201.0.0/24";
  plane_ = std::make_unique<IptablesDataPlane>(options_);
  ServicePortState local = Port("local", "10.96.0.20", {kEndpointA, kEndpointB});
  local.endpoints[1].local = false;
  local.node_port = 30081;
  local.external_local = true;
  ServicePortState none_local = Port("none-local", "10.96.0.21", {kEndpointB});
  none_local.endpoints[0].local = false;
  none_local.node_port = 30082;
  none_local.external_local = true;
  ServicePortState cluster = Port("cluster", "10.96.0.22", {kEndpointA});
  cluster.node_port = 30084;
  ASSERT_TRUE(plane_->Full({&local, &none_local, &cluster}).ok());

  std::map<std::string, int> answers = AskMany(*client_, kNodeIp, 30081, 20);
  EXPECT_EQ(answers[std::string("A ") + kClientIp], 20) << answers.begin()->first;
  EXPECT_EQ(Ask(client_->fd(), kNodeIp, 30082), "timeout") << "no local endpoint: dropped";
  // Cluster policy NodePort traffic is masqueraded even with a cluster CIDR; ClusterIP traffic
  // from outside the CIDR too.
  EXPECT_EQ(Ask(client_->fd(), kNodeIp, 30084), kAFromNode);
  EXPECT_EQ(Ask(client_->fd(), "10.96.0.22", 80), kAFromNode);
  // The node itself may use every endpoint of a Local policy service.
  EXPECT_EQ(Ask(node_->fd(), kNodeIp, 30082), kBFromNode);
  // Hairpin: an endpoint reaching itself through its service sees the node as client.
  EXPECT_EQ(Ask(pods_->fd(), "10.96.0.22", 80), kAFromNode);
}

TEST_P(IptablesDataPlaneTest, DeltaRemovesAnEndpointAndAddsAService) {
  ServicePortState web = Port("web", "10.96.0.10", {kEndpointA, kEndpointB});
  ASSERT_TRUE(plane_->Full({&web}).ok());
  ServicePortState web_a = Port("web", "10.96.0.10", {kEndpointA});
  ServicePortState other = Port("other", "10.96.0.13", {kEndpointB});
  ASSERT_TRUE(plane_->Delta({{&web, &web_a}, {nullptr, &other}}).ok());
  std::map<std::string, int> answers = AskMany(*client_, "10.96.0.10", 80, 20);
  EXPECT_EQ(answers[kAFromNode], 20) << "B was removed: " << answers.begin()->first;
  EXPECT_EQ(Ask(client_->fd(), "10.96.0.13", 80), kBFromNode);

  // The endpoint goes away entirely: the service rejects; then the service is deleted.
  ServicePortState web_none = Port("web", "10.96.0.10", {});
  ASSERT_TRUE(plane_->Delta({{&web_a, &web_none}}).ok());
  EXPECT_EQ(Ask(client_->fd(), "10.96.0.10", 80), "refused");
  ASSERT_TRUE(plane_->Delta({{&web_none, nullptr}}).ok());
  EXPECT_EQ(Ask(node_->fd(), "10.96.0.10", 80), "timeout");
  EXPECT_EQ(Ask(client_->fd(), "10.96.0.13", 80), kBFromNode);
  const std::string saved = Saved();
  EXPECT_EQ(saved.find("10.96.0.10"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("SVC-" + IptablesHash("default/web/tcp/80")), std::string::npos) << saved;
}

TEST_P(IptablesDataPlaneTest, EveryRuleKindLoadsAndClearLeavesNothingOfOurs) {
  options_.rules.cluster_cidr = "10.244.0.0/16";
  plane_ = std::make_unique<IptablesDataPlane>(options_);
  ServicePortState local = Port("local", "10.96.0.20", {kEndpointA});
  local.node_port = 30081;
  local.external_ips = {"192.0.2.5"};
  local.external_local = true;
  local.affinity_timeout_seconds = 30;
  ServicePortState remote = local;
  remote.id = "default/remote/udp/53";
  remote.protocol = "udp";
  remote.node_port = 30082;
  remote.endpoints[0].local = false;  // Local policy without a local endpoint: drop
  ServicePortState sctp = Port("sctp", "10.96.0.21", {kEndpointB});
  sctp.id = "default/sctp/sctp/80";
  sctp.protocol = "sctp";
  ASSERT_TRUE(plane_->Full({&local, &remote, &sctp}).ok());
  std::string saved = Saved();
  EXPECT_NE(saved.find("-A PREROUTING -j CAPT-IPT-TEST-SERVICES"), std::string::npos) << saved;
  EXPECT_NE(saved.find("--dport 30082 -j DROP"), std::string::npos) << saved;

  // A restarted proxy's Full removes what the last one left and does not repeat the jumps.
  plane_ = std::make_unique<IptablesDataPlane>(options_);
  ASSERT_TRUE(plane_->Full({&sctp}).ok());
  saved = Saved();
  EXPECT_EQ(saved.find("30081"), std::string::npos) << saved;
  EXPECT_EQ(saved.find("SVC-" + IptablesHash(local.id)), std::string::npos) << saved;
  size_t first = saved.find("-A OUTPUT -j CAPT-IPT-TEST-SERVICES");
  ASSERT_NE(first, std::string::npos) << saved;
  EXPECT_EQ(saved.find("-A OUTPUT -j CAPT-IPT-TEST-SERVICES", first + 1), std::string::npos);

  plane_->Clear();
  saved = Saved();
  EXPECT_EQ(saved.find("CAPT-IPT-TEST"), std::string::npos) << saved;
  EXPECT_NE(saved.find("*nat"), std::string::npos) << saved;  // iptables-save did run
}

INSTANTIATE_TEST_SUITE_P(Flavours, IptablesDataPlaneTest,
                         testing::Values("iptables-restore", "iptables-legacy-restore"),
                         [](const testing::TestParamInfo<std::string>& param) {
                           return param.param == "iptables-restore" ? std::string("System")
                                                                    : std::string("Legacy");
                         });

}  // namespace
}  // namespace capstan::proxy
