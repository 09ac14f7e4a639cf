// Integration test for core/proxy/service_proxy.h: real informers over a scripted in-memory
// `ApiClient` (LIST answers and watch events the test emits), and real nft inside a network
// namespace the test creates and always deletes. Needs root and nft; skipped otherwise.
#include "core/proxy/service_proxy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>

#include "core/proxy/nft_runner.h"
#include "tests/core/proxy/scripted_api_client.h"

namespace capstan::proxy {
namespace {

using fakes::ScriptedApiClient;

nlohmann::json Service(const std::string& name, const std::string& ip, int node_port) {
  nlohmann::json port = {{"name", "http"}, {"port", 80}, {"protocol", "TCP"}};
  if (node_port != 0) port["nodePort"] = node_port;
  return {{"metadata", {{"namespace", "default"}, {"name", name}, {"resourceVersion", "2"}}},
          {"spec", {{"clusterIP", ip}, {"ports", {port}}}}};
}

nlohmann::json Slice(const std::string& ip, bool ready) {
  return {{"metadata",
           {{"namespace", "default"},
            {"name", "web-1"},
            {"resourceVersion", "3"},
            {"labels", {{"kubernetes.io/service-name", "web"}}}}},
          {"addressType", "IPv4"},
          {"ports", {{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}},
          {"endpoints",
           {{{"addresses", {ip}}, {"nodeName", "node-1"}, {"conditions", {{"ready", ready}}}}}}};
}

class ServiceProxyTest : public testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0 || NftRunner::FindNft().empty()) GTEST_SKIP() << "needs root and nft";
    netns_ = "capstan-proxy-test-" + std::to_string(getpid()) + "-sp";
    ASSERT_EQ(std::system(("ip netns add " + netns_).c_str()), 0);
  }
  void TearDown() override {
    if (proxy_) proxy_->Stop();
    proxy_.reset();
    if (!netns_.empty()) std::system(("ip netns del " + netns_).c_str());
  }

  void StartProxy() {
    ProxyOptions o;
    o.node_name = "node-1";
    o.netns = netns_;
    o.rules.table = "capstan-proxy-test";
    Result<std::unique_ptr<ServiceProxy>> p = ServiceProxy::Start(&api_, o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    proxy_ = std::move(*p);
  }

  // The table once the proxy has applied every event it has seen and `pred` holds on it.
  std::string TableWhen(const std::function<bool(const std::string&)>& pred) {
    NftRunner runner("", netns_);
    std::string table;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (proxy_->AppliedEvents() >= proxy_->SeenEvents()) {
        Result<std::string> r = runner.Run({"list", "table", "ip", "capstan-proxy-test"});
        table = r.ok() ? *r : r.status().ToString();
        if (pred(table)) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return table;
  }

  static std::function<bool(const std::string&)> Has(const std::string& s) {
    return [s](const std::string& t) { return t.find(s) != std::string::npos; };
  }

  std::string netns_;
  ScriptedApiClient api_;
  std::unique_ptr<ServiceProxy> proxy_;
};

TEST_F(ServiceProxyTest, FollowsServicesAndEndpointSlicesAndDeletesItsTableOnStop) {
  using client::WatchEventType;
  api_.AddInitial(false, Service("web", "10.96.5.5", 30555));
  api_.AddInitial(true, Slice("10.1.2.3", true));
  StartProxy();
  std::string t = TableWhen(Has("10.1.2.3 . 8080"));
  EXPECT_NE(t.find("10.96.5.5 . tcp . 80 : goto pick-1"), std::string::npos) << t;
  EXPECT_NE(t.find("tcp . 30555 : goto ext-default/web/tcp/80"), std::string::npos) << t;
  EXPECT_EQ(fakes::WaitForStats(*proxy_, [](const ProxyStats& s) { return s.full_syncs >= 1; })
                .full_syncs,
            1);

  // An endpoint change is one incremental transaction.
  ASSERT_TRUE(api_.Emit(true, WatchEventType::kModified, Slice("10.1.2.4", true)));
  t = TableWhen(Has("10.1.2.4 . 8080"));
  EXPECT_NE(t.find("10.1.2.4 . 8080"), std::string::npos) << t;
  EXPECT_EQ(t.find("10.1.2.3"), std::string::npos) << t;
  ProxyStats stats =
      fakes::WaitForStats(*proxy_, [](const ProxyStats& s) { return s.delta_syncs >= 1; });
  EXPECT_GE(stats.delta_syncs, 1);
  EXPECT_EQ(stats.full_syncs, 1);

  // Not ready: the service rejects.
  ASSERT_TRUE(api_.Emit(true, WatchEventType::kModified, Slice("10.1.2.4", false)));
  t = TableWhen(Has("10.96.5.5 . tcp . 80 : goto reject-service"));
  EXPECT_NE(t.find("10.96.5.5 . tcp . 80 : goto reject-service"), std::string::npos) << t;
  EXPECT_EQ(t.find("chain pick-1"), std::string::npos) << t;  // its last user left

  // A headless service gets nothing; deleting a service removes its elements.
  ASSERT_TRUE(api_.Emit(false, WatchEventType::kAdded, Service("headless", "None", 0)));
  ASSERT_TRUE(api_.Emit(false, WatchEventType::kDeleted, Service("web", "10.96.5.5", 30555)));
  t = TableWhen([](const std::string& s) { return s.find("10.96.5.5") == std::string::npos; });
  EXPECT_EQ(t.find("10.96.5.5"), std::string::npos) << t;
  EXPECT_EQ(t.find("headless"), std::string::npos) << t;
  EXPECT_EQ(t.find("30555"), std::string::npos) << t;
  EXPECT_EQ(proxy_->Stats().errors, 0) << proxy_->Stats().last_error;

  // A table changed behind the proxy's back makes the next delta fail: it resyncs in full.
  ASSERT_TRUE(api_.Emit(false, WatchEventType::kAdded, Service("web", "10.96.5.5", 30555)));
  t = TableWhen(Has("10.96.5.5 . tcp . 80 : goto reject-service"));
  NftRunner runner("", netns_);
  ASSERT_TRUE(runner.Apply("flush map ip capstan-proxy-test no-endpoints\n").ok());
  ASSERT_TRUE(api_.Emit(true, WatchEventType::kModified, Slice("10.1.2.5", true)));
  t = TableWhen(Has("10.1.2.5 . 8080"));
  EXPECT_NE(t.find("10.1.2.5 . 8080"), std::string::npos) << t;
  stats = fakes::WaitForStats(*proxy_, [](const ProxyStats& s) { return s.full_syncs >= 2; });
  EXPECT_EQ(stats.errors, 1);
  EXPECT_EQ(stats.full_syncs, 2);

  proxy_->Stop();
  EXPECT_FALSE(runner.Run({"list", "table", "ip", "capstan-proxy-test"}).ok());
}

}  // namespace
}  // namespace capstan::proxy
