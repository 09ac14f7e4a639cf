// Integration test of `ServiceProxy` (service_proxy.h) driving the userspace data plane
// (userspace_data_plane.h) as `--proxy-mode userspace` will: informers over a scripted in-memory
// `ApiClient`, real traffic to a ClusterIP in a network namespace the test makes and always
// deletes. Needs root.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/proxy/service_proxy.h"
#include "core/proxy/userspace_data_plane.h"
#include "tests/core/proxy/scripted_api_client.h"

namespace capstan::proxy {
namespace {

using fakes::ScriptedApiClient;

nlohmann::json Service() {
  return {{"metadata", {{"namespace", "default"}, {"name", "web"}, {"resourceVersion", "2"}}},
          {"spec",
           {{"clusterIP", "10.96.7.7"},
            {"ports", {{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}}}}}};
}

nlohmann::json Slice(uint16_t port) {
  return {{"metadata",
           {{"namespace", "default"},
            {"name", "web-1"},
            {"resourceVersion", "3"},
            {"labels", {{"kubernetes.io/service-name", "web"}}}}},
          {"addressType", "IPv4"},
          {"ports", {{{"name", "http"}, {"port", port}, {"protocol", "TCP"}}}},
          {"endpoints",
           {{{"addresses", {"10.250.0.1"}},
             {"nodeName", "node-1"},
             {"conditions", {{"ready", true}}}}}}};
}

class UserspaceServiceProxyTest : public testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    netns_ = "capstan-usp-test-" + std::to_string(getpid());
    ASSERT_EQ(Ip("netns add " + netns_), 0);
    ASSERT_EQ(Ip("-n " + netns_ + " link set lo up"), 0);
    if (Ip("-n " + netns_ + " link add ep0 type dummy 2>/dev/null") != 0) {
      ASSERT_EQ(Ip("-n " + netns_ + " link add ep0 type bridge"), 0);
    }
    ASSERT_EQ(Ip("-n " + netns_ + " addr add 10.250.0.1/32 dev ep0"), 0);
  }
  void TearDown() override {
    if (proxy_) proxy_->Stop();
    proxy_.reset();
    for (int fd : servers_) close(fd);
    if (!netns_.empty()) Ip("netns del " + netns_);
  }
  static int Ip(const std::string& args) { return std::system(("ip " + args).c_str()); }

  // Runs `f` on a thread in the test namespace (sockets made there stay there).
  template <typename F>
  int InNetns(F f) {
    int out = -1;
    std::thread([&] {
      int ns = open(("/run/netns/" + netns_).c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) return;
      close(ns);
      out = f();
    }).join();
    return out;
  }

  // A listening endpoint socket on 10.250.0.1:`port`; connections are accepted by `Accepted`.
  void Listen(uint16_t port) {
    int fd = InNetns([&] {
      int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      inet_pton(AF_INET, "10.250.0.1", &a.sin_addr);
      if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(s, 16) != 0) {
        close(s);
        return -1;
      }
      return s;
    });
    ASSERT_GE(fd, 0);
    servers_.push_back(fd);
  }
  // Whether a connection to 10.96.7.7:80 arrives at the endpoint socket `server`, within 10 s
  // (the proxy applies events asynchronously, so the client retries).
  bool Reaches(int server) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int c = InNetns([] {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(80);
        inet_pton(AF_INET, "10.96.7.7", &a.sin_addr);
        if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
          close(s);
          return -1;
        }
        return s;
      });
      pollfd p{server, POLLIN, 0};
      bool arrived = c >= 0 && poll(&p, 1, 1000) > 0;
      if (arrived) close(accept4(server, nullptr, nullptr, SOCK_CLOEXEC));
      if (c >= 0) close(c);
      if (arrived) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string netns_;
  std::vector<int> servers_;
  ScriptedApiClient api_;
  std::unique_ptr<ServiceProxy> proxy_;
};

TEST_F(UserspaceServiceProxyTest, FollowsEndpointChangesAndClearsItsLinkOnStop) {
  Listen(8080);
  Listen(9090);
  api_.AddInitial(false, Service());
  api_.AddInitial(true, Slice(8080));
  ProxyOptions o;
  o.node_name = "node-1";
  UserspacePlaneOptions u;
  u.netns = netns_;
  Result<std::unique_ptr<ServiceProxy>> p =
      ServiceProxy::Start(&api_, o, std::make_unique<UserspaceDataPlane>(u));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  proxy_ = std::move(*p);
  EXPECT_TRUE(Reaches(servers_[0]));

  ASSERT_TRUE(api_.Emit(true, client::WatchEventType::kModified, Slice(9090)));
  EXPECT_TRUE(Reaches(servers_[1]));
  ProxyStats stats =
      fakes::WaitForStats(*proxy_, [](const ProxyStats& s) { return s.delta_syncs >= 1; });
  EXPECT_EQ(stats.errors, 0) << stats.last_error;
  EXPECT_GE(stats.delta_syncs, 1);

  proxy_->Stop();
  EXPECT_NE(Ip("-n " + netns_ + " link show capstan-svc0 >/dev/null 2>&1"), 0);
}

}  // namespace
}  // namespace capstan::proxy
