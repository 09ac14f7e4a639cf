// Integration test for core/proxy/userspace_data_plane.h: the plane runs in a network namespace
// the test makes (and always deletes), with TCP and UDP echo servers as endpoints on addresses
// of a link of their own in it; clients connect to service addresses there. Needs root.
#include "core/proxy/userspace_data_plane.h"

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
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <thread>

namespace capstan::proxy {
namespace {

// Runs `f` on a thread inside network namespace `path`; sockets made there stay there.
template <typename F>
int InNetns(const std::string& path, F f) {
  int out = -1;
  std::thread([&] {
    int ns = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) return;
    close(ns);
    out = f();
  }).join();
  return out;
}

sockaddr_in Addr(const std::string& ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

void SetTimeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// An endpoint: a TCP server that greets each connection with "<name>\n" and echoes until the
// client finishes (then finishes too), and a UDP server answering "<name>:<datagram>".
class EchoServer {
 public:
  EchoServer(const std::string& netns, const std::string& name, const std::string& ip,
             uint16_t port)
      : name_(name) {
    tcp_ = InNetns(netns, [&] {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int on = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
      sockaddr_in a = Addr(ip, port);
      if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd, 128) != 0) {
        close(fd);
        return -1;
      }
      return fd;
    });
    udp_ = InNetns(netns, [&] {
      int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      sockaddr_in a = Addr(ip, port);
      if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
        close(fd);
        return -1;
      }
      return fd;
    });
    if (tcp_ >= 0) tcp_thread_ = std::thread([this] { ServeTcp(); });
    if (udp_ >= 0) udp_thread_ = std::thread([this] { ServeUdp(); });
  }
  ~EchoServer() {
    stop_ = true;
    if (tcp_thread_.joinable()) tcp_thread_.join();
    if (udp_thread_.joinable()) udp_thread_.join();
    for (std::thread& t : connections_) t.join();
    if (tcp_ >= 0) close(tcp_);
    if (udp_ >= 0) close(udp_);
  }
  bool ok() const { return tcp_ >= 0 && udp_ >= 0; }

 private:
  static bool Readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 50) > 0;
  }
  void ServeTcp() {
    while (!stop_) {
      if (!Readable(tcp_)) continue;
      int c = accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      connections_.emplace_back([this, c] {
        SetTimeouts(c, 30);
        std::string hello = name_ + "\n";
        std::vector<char> buf(65536);
        if (WriteAll(c, hello.data(), hello.size())) {
          for (;;) {
            ssize_t n = recv(c, buf.data(), buf.size(), 0);
            if (n <= 0 || !WriteAll(c, buf.data(), static_cast<size_t>(n))) break;
          }
        }
        close(c);
      });
    }
  }
  void ServeUdp() {
    char buf[2048];
    while (!stop_) {
      if (!Readable(udp_)) continue;
      sockaddr_in from{};
      socklen_t len = sizeof(from);
      ssize_t n = recvfrom(udp_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) continue;
      std::string reply = name_ + ":" + std::string(buf, static_cast<size_t>(n));
      sendto(udp_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  const std::string name_;
  int tcp_ = -1, udp_ = -1;
  std::atomic<bool> stop_{false};
  std::thread tcp_thread_, udp_thread_;
  std::vector<std::thread> connections_;  // touched by the TCP thread only until joined
};

constexpr uint16_t kEndpointPort = 8080;
const char* const kEndpointA = "10.250.0.1";
const char* const kEndpointB = "10.250.0.2";
const char* const kNoServer = "10.250.0.3";  // an address where nothing listens
const char* const kVip = "10.96.0.10";

ServicePortState Port(const std::string& name, const std::string& protocol,
                      std::vector<Endpoint> endpoints, uint16_t node_port = 0) {
  ServicePortState s;
  s.id = "default/" + name + "/" + protocol + "/80";
  s.protocol = protocol;
  s.port = 80;
  s.node_port = node_port;
  s.cluster_ips = {kVip};
  s.endpoints = std::move(endpoints);
  return s;
}

// Polls `pred` for up to 10 s (state the I/O thread reaches after the call returned).
template <typename Pred>
bool Eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

Endpoint Ep(const char* ip, bool local = true) { return Endpoint{ip, kEndpointPort, local}; }

class UserspaceDataPlaneTest : public testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    netns_ = "capstan-us-test-" + std::to_string(getpid());
    path_ = "/run/netns/" + netns_;
    ASSERT_EQ(Ip("netns add " + netns_), 0);
    ASSERT_EQ(Ip("-n " + netns_ + " link set lo up"), 0);
    // The endpoints' own link: dummy where the kernel has it, else a bridge without ports.
    if (Ip("-n " + netns_ + " link add ep0 type dummy 2>/dev/null") != 0) {
      ASSERT_EQ(Ip("-n " + netns_ + " link add ep0 type bridge"), 0);
    }
    for (const char* ip : {kEndpointA, kEndpointB, kNoServer}) {
      ASSERT_EQ(Ip("-n " + netns_ + " addr add " + std::string(ip) + "/32 dev ep0"), 0);
    }
    a_ = std::make_unique<EchoServer>(path_, "A", kEndpointA, kEndpointPort);
    b_ = std::make_unique<EchoServer>(path_, "B", kEndpointB, kEndpointPort);
    ASSERT_TRUE(a_->ok() && b_->ok());
    UserspacePlaneOptions o;
    o.netns = netns_;
    plane_ = std::make_unique<UserspaceDataPlane>(o);
  }
  void TearDown() override {
    plane_.reset();
    a_.reset();
    b_.reset();
    if (!netns_.empty()) Ip("netns del " + netns_);
  }

  static int Ip(const std::string& args) { return std::system(("ip " + args).c_str()); }

  Status Full(const std::vector<ServicePortState>& ports) {
    std::vector<const ServicePortState*> p;
    for (const ServicePortState& s : ports) p.push_back(&s);
    return plane_->Full(p);
  }

  // A TCP connection from inside the namespace; -errno when it fails.
  int Connect(const std::string& ip, uint16_t port) {
    return InNetns(path_, [&] {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      SetTimeouts(fd, 10);
      sockaddr_in a = Addr(ip, port);
      if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
        int err = errno;
        close(fd);
        return -err;
      }
      return fd;
    });
  }

  // The greeting line of the endpoint behind a new connection: "A", "B", or an error text.
  std::string Greeting(int fd) {
    if (fd < 0) return std::string("connect: ") + std::strerror(-fd);
    std::string line;
    char c;
    while (recv(fd, &c, 1, 0) == 1 && c != '\n') line += c;
    return line;
  }
  std::string Which(const std::string& ip, uint16_t port) {
    int fd = Connect(ip, port);
    std::string name = Greeting(fd);
    if (fd >= 0) close(fd);
    return name;
  }
  // How many of `n` connections each endpoint served.
  std::map<std::string, int> Spread(const std::string& ip, uint16_t port, int n) {
    std::map<std::string, int> out;
    for (int i = 0; i < n; ++i) ++out[Which(ip, port)];
    return out;
  }

  // A UDP exchange from inside the namespace (from address `from` when set): the reply and the
  // address it came from.
  std::pair<std::string, std::string> Udp(const std::string& ip, uint16_t port,
                                          const std::string& payload,
                                          const std::string& from_ip = "") {
    int fd = InNetns(path_, [] { return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); });
    if (!from_ip.empty()) {
      sockaddr_in local = Addr(from_ip, 0);
      bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    }
    SetTimeouts(fd, 5);
    sockaddr_in a = Addr(ip, port);
    sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    char buf[2048];
    sockaddr_in from{};
    socklen_t len = sizeof(from);
    ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
    close(fd);
    if (n < 0) return {std::string("recv: ") + std::strerror(errno), ""};
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &from.sin_addr, text, sizeof(text));
    return {std::string(buf, static_cast<size_t>(n)), text};
  }

  std::string netns_, path_;
  std::unique_ptr<EchoServer> a_, b_;
  std::unique_ptr<UserspaceDataPlane> plane_;
};

TEST_F(UserspaceDataPlaneTest, ClusterIpReachesBothEndpointsAndADeltaRemovesOne) {
  ServicePortState web = Port("web", "tcp", {Ep(kEndpointA), Ep(kEndpointB)});
  ASSERT_TRUE(Full({web}).ok());
  std::map<std::string, int> spread = Spread(kVip, 80, 40);
  EXPECT_GT(spread["A"], 0);
  EXPECT_GT(spread["B"], 0);
  EXPECT_EQ(spread["A"] + spread["B"], 40);

  // A connection served by B stays up after B leaves the service.
  int kept = -1;
  for (int i = 0; i < 100 && kept < 0; ++i) {
    int fd = Connect(kVip, 80);
    if (Greeting(fd) == "B")
      kept = fd;
    else if (fd >= 0)
      close(fd);
  }
  ASSERT_GE(kept, 0);
  ServicePortState only_a = Port("web", "tcp", {Ep(kEndpointA)});
  ASSERT_TRUE(plane_->Delta({{&web, &only_a}}).ok());
  EXPECT_EQ(Spread(kVip, 80, 20), (std::map<std::string, int>{{"A", 20}}));
  ASSERT_TRUE(WriteAll(kept, "ping", 4));
  char buf[4] = {};
  ASSERT_EQ(recv(kept, buf, sizeof(buf), MSG_WAITALL), 4);
  EXPECT_EQ(std::string(buf, 4), "ping");
  close(kept);
  EXPECT_EQ(plane_->Stats().tcp_connect_failures, 0);
}

TEST_F(UserspaceDataPlaneTest, AnEndpointThatRefusesIsSkippedForTheNextOne) {
  ASSERT_TRUE(Full({Port("web", "tcp", {Ep(kEndpointA), Ep(kNoServer)})}).ok());
  EXPECT_EQ(Spread(kVip, 80, 20), (std::map<std::string, int>{{"A", 20}}));
}

TEST_F(UserspaceDataPlaneTest, AnEndpointThatDoesNotAnswerIsSkippedAfterATimeout) {
  // An endpoint whose accept queue is full: the kernel drops further SYNs, connects hang.
  std::vector<int> stuck;
  int full = InNetns(path_, [] {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = Addr(kNoServer, kEndpointPort);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd, 0) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  });
  ASSERT_GE(full, 0);
  for (int i = 0; i < 3; ++i) {
    stuck.push_back(InNetns(path_, [] {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      sockaddr_in a = Addr(kNoServer, kEndpointPort);
      connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
      return fd;
    }));
  }
  ASSERT_TRUE(Full({Port("web", "tcp", {Ep(kEndpointA), Ep(kNoServer)})}).ok());
  EXPECT_EQ(Spread(kVip, 80, 8), (std::map<std::string, int>{{"A", 8}}));  // ~4 of them wait 1 s
  for (int fd : stuck) close(fd);
  close(full);
}

TEST_F(UserspaceDataPlaneTest, NodePortAnswersOnEveryLocalAddressAndLocalPolicyPicksLocal) {
  ServicePortState web = Port("web", "tcp", {Ep(kEndpointA, true), Ep(kEndpointB, false)}, 30080);
  web.external_local = true;
  web.external_ips = {"10.96.100.1"};
  ASSERT_TRUE(Full({web}).ok());
  EXPECT_EQ(Spread("127.0.0.1", 30080, 10), (std::map<std::string, int>{{"A", 10}}));
  EXPECT_EQ(Spread(kEndpointB, 30080, 10), (std::map<std::string, int>{{"A", 10}}));
  EXPECT_EQ(Spread("10.96.100.1", 80, 10), (std::map<std::string, int>{{"A", 10}}));
  EXPECT_EQ(Spread(kVip, 80, 40).size(), 2u);  // cluster traffic ignores the Local policy

  // No local endpoint left: NodePort and external IP refuse, the cluster IP still answers.
  ServicePortState remote = web;
  remote.endpoints = {Ep(kEndpointB, false)};
  ASSERT_TRUE(plane_->Delta({{&web, &remote}}).ok());
  EXPECT_EQ(Connect("127.0.0.1", 30080), -ECONNREFUSED);
  EXPECT_EQ(Connect("10.96.100.1", 80), -ECONNREFUSED);
  EXPECT_EQ(Which(kVip, 80), "B");
}

TEST_F(UserspaceDataPlaneTest, ClientIpAffinitySticksToOneEndpoint) {
  ServicePortState web = Port("web", "tcp", {Ep(kEndpointA), Ep(kEndpointB)});
  web.affinity_timeout_seconds = 600;
  ASSERT_TRUE(Full({web}).ok());
  EXPECT_EQ(Spread(kVip, 80, 20).size(), 1u);
}

TEST_F(UserspaceDataPlaneTest, UdpRoundTripsThroughClusterIpAndNodePortFromTheRightAddress) {
  ServicePortState dns = Port("dns", "udp", {Ep(kEndpointA)}, 30053);
  ASSERT_TRUE(Full({dns}).ok());
  EXPECT_EQ(Udp(kVip, 80, "hello"), std::make_pair(std::string("A:hello"), std::string(kVip)));
  EXPECT_EQ(Udp("127.0.0.1", 30053, "hi"),
            std::make_pair(std::string("A:hi"), std::string("127.0.0.1")));
  // From loopback to another local address: routing alone would answer from 127.0.0.1.
  EXPECT_EQ(Udp(kEndpointB, 30053, "x", "127.0.0.1"),
            std::make_pair(std::string("A:x"), std::string(kEndpointB)));
  EXPECT_EQ(plane_->Stats().udp_flows, 3);

  // The flow of a removed endpoint ends; the client's next datagram goes to the new one.
  ServicePortState moved = Port("dns", "udp", {Ep(kEndpointB)}, 30053);
  ASSERT_TRUE(plane_->Delta({{&dns, &moved}}).ok());
  EXPECT_TRUE(Eventually([&] { return plane_->Stats().udp_active == 0; }));
  EXPECT_EQ(Udp(kVip, 80, "again").first, "B:again");
}

TEST_F(UserspaceDataPlaneTest, AnIdleUdpFlowEnds) {
  UserspacePlaneOptions o;
  o.netns = netns_;
  o.udp_idle_timeout = std::chrono::seconds(1);
  plane_ = std::make_unique<UserspaceDataPlane>(o);
  ASSERT_TRUE(Full({Port("dns", "udp", {Ep(kEndpointA)})}).ok());
  EXPECT_EQ(Udp(kVip, 80, "hello").first, "A:hello");
  EXPECT_EQ(plane_->Stats().udp_flows, 1);
  EXPECT_TRUE(Eventually([&] { return plane_->Stats().udp_active == 0; }));
}

TEST_F(UserspaceDataPlaneTest, AServiceWithoutEndpointsIsRefusedNotBlackholed) {
  ASSERT_TRUE(Full({Port("web", "tcp", {}, 30080)}).ok());
  EXPECT_EQ(Connect(kVip, 80), -ECONNREFUSED);
  EXPECT_EQ(Connect("127.0.0.1", 30080), -ECONNREFUSED);
  EXPECT_EQ(plane_->Stats().listeners, 0);
}

TEST_F(UserspaceDataPlaneTest, DeletingAServiceAndClearRemoveAddressesAndListeners) {
  ServicePortState web = Port("web", "tcp", {Ep(kEndpointA)}, 30080);
  ServicePortState web_tls = Port("web", "tcp", {Ep(kEndpointB)});  // a second port, same VIP
  web_tls.id = "default/web/tcp/443";
  web_tls.port = 443;
  ServicePortState other = Port("other", "tcp", {Ep(kEndpointB)});
  other.cluster_ips = {"10.96.0.11"};
  ASSERT_TRUE(Full({web, web_tls, other}).ok());
  EXPECT_EQ(Which("10.96.0.11", 80), "B");
  EXPECT_EQ(Which(kVip, 443), "B");
  EXPECT_EQ(plane_->Stats().listeners, 4);
  ASSERT_TRUE(plane_->Delta({{&other, nullptr}, {&web_tls, nullptr}}).ok());
  EXPECT_EQ(Connect("10.96.0.11", 80), -ENETUNREACH);  // the address left the link
  EXPECT_EQ(Connect(kVip, 443), -ECONNREFUSED);        // the address stays for port 80
  EXPECT_EQ(Which(kVip, 80), "A");

  plane_->Clear();
  EXPECT_EQ(plane_->Stats().listeners, 0);
  EXPECT_NE(Ip("-n " + netns_ + " link show capstan-svc0 >/dev/null 2>&1"), 0);
  EXPECT_EQ(Connect(kVip, 80), -ENETUNREACH);
  EXPECT_EQ(Connect("127.0.0.1", 30080), -ECONNREFUSED);

  // A new Full after Clear serves again.
  ASSERT_TRUE(Full({web}).ok());
  EXPECT_EQ(Which(kVip, 80), "A");
}

TEST_F(UserspaceDataPlaneTest, AClusterIpTakenOverByAnotherServiceInOneDeltaIsServedAtOnce) {
  ServicePortState old_web = Port("web", "tcp", {Ep(kEndpointA)});
  ServicePortState new_web = Port("web2", "tcp", {Ep(kEndpointB)});  // same VIP and port
  ASSERT_TRUE(Full({old_web}).ok());
  ASSERT_TRUE(plane_->Delta({{nullptr, &new_web}, {&old_web, nullptr}}).ok());
  EXPECT_EQ(plane_->Stats().bind_failures, 0);
  EXPECT_EQ(Which(kVip, 80), "B");
}

TEST_F(UserspaceDataPlaneTest, AFullSyncAdoptsTheLinkOfAnEarlierRunAndDropsStaleAddresses) {
  // What a proxy that died left behind: the link with an address no service has any more.
  if (Ip("-n " + netns_ + " link add capstan-svc0 type dummy 2>/dev/null") != 0) {
    ASSERT_EQ(Ip("-n " + netns_ + " link add capstan-svc0 type bridge"), 0);
  }
  ASSERT_EQ(Ip("-n " + netns_ + " addr add 10.96.9.9/32 dev capstan-svc0"), 0);
  ASSERT_TRUE(Full({Port("web", "tcp", {Ep(kEndpointA)})}).ok());
  EXPECT_EQ(Connect("10.96.9.9", 80), -ENETUNREACH);
  EXPECT_EQ(Which(kVip, 80), "A");
}

TEST_F(UserspaceDataPlaneTest, APodInItsOwnNamespaceReachesServicesThroughTheNode) {
  // A pod: its own namespace, a veth to the node's and a default route through the node.
  std::string pod = netns_ + "-pod";
  ASSERT_EQ(Ip("netns add " + pod), 0);
  struct Cleanup {
    std::string ns;
    ~Cleanup() { Ip("netns del " + ns); }
  } cleanup{pod};
  ASSERT_EQ(Ip("-n " + netns_ + " link add vnode type veth peer name vpod netns " + pod), 0);
  ASSERT_EQ(Ip("-n " + netns_ + " addr add 10.251.0.1/24 dev vnode"), 0);
  ASSERT_EQ(Ip("-n " + netns_ + " link set vnode up"), 0);
  ASSERT_EQ(Ip("-n " + pod + " addr add 10.251.0.2/24 dev vpod"), 0);
  ASSERT_EQ(Ip("-n " + pod + " link set vpod up"), 0);
  ASSERT_EQ(Ip("-n " + pod + " route add default via 10.251.0.1"), 0);
  ASSERT_TRUE(Full({Port("web", "tcp", {Ep(kEndpointA)}, 30080)}).ok());

  std::string saved = path_;
  path_ = "/run/netns/" + pod;  // connect from the pod
  std::string through_vip = Which(kVip, 80);
  std::string through_node_port = Which("10.251.0.1", 30080);
  path_ = saved;
  EXPECT_EQ(through_vip, "A");
  EXPECT_EQ(through_node_port, "A");
}

TEST_F(UserspaceDataPlaneTest, APortTakenByAnotherSocketIsBoundOnceItIsFree) {
  // Another program of the node holds 0.0.0.0:30090 when the service arrives.
  int blocker = InNetns(path_, [] {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = Addr("0.0.0.0", 30090);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd, 1) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  });
  ASSERT_GE(blocker, 0);
  ASSERT_TRUE(Full({Port("web", "tcp", {Ep(kEndpointA)}, 30090)}).ok());  // not an error
  EXPECT_EQ(plane_->Stats().listeners, 1);                                // the cluster IP's
  EXPECT_GE(plane_->Stats().bind_failures, 1);
  EXPECT_EQ(Which(kVip, 80), "A");
  close(blocker);
  EXPECT_TRUE(Eventually([&] { return plane_->Stats().listeners == 2; }));
  EXPECT_EQ(Which("127.0.0.1", 30090), "A");
}

TEST_F(UserspaceDataPlaneTest, EightMebibytesArriveIntactBothWaysWithHalfClose) {
  ASSERT_TRUE(Full({Port("web", "tcp", {Ep(kEndpointA)})}).ok());
  std::string data(8 << 20, '\0');
  std::mt19937 rng(7);
  for (char& c : data) c = static_cast<char>(rng());
  int fd = Connect(kVip, 80);
  ASSERT_GE(fd, 0);
  std::thread writer([&] {
    WriteAll(fd, data.data(), data.size());
    shutdown(fd, SHUT_WR);  // the endpoint sees the end only if the proxy passes it on
  });
  std::string received;
  std::vector<char> buf(65536);
  ssize_t n = 0;
  while ((n = recv(fd, buf.data(), buf.size(), 0)) > 0) {
    received.append(buf.data(), static_cast<size_t>(n));
  }
  writer.join();
  close(fd);
  EXPECT_EQ(n, 0) << "no orderly end (a timeout): " << std::strerror(errno);
  ASSERT_EQ(received.size(), data.size() + 2);
  EXPECT_EQ(received.substr(0, 2), "A\n");
  EXPECT_TRUE(received.compare(2, std::string::npos, data) == 0);
}

}  // namespace
}  // namespace capstan::proxy
