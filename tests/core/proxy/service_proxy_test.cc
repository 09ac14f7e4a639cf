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

namespace capstan::proxy {
namespace {

// Serves LISTs of Services and EndpointSlices from fixed items and lets the test emit watch
// events. Thread-safe (one mutex).
class ScriptedApiClient : public client::ApiClient {
 public:
  class Handle : public client::WatchHandle {
   public:
    void Stop() override { done_ = true; }
    bool Done() const override { return done_; }

   private:
    std::atomic<bool> done_{false};
  };

  Result<client::ApiResponse> Request(std::string_view method, std::string_view path,
                                      std::string_view, std::string,
                                      std::chrono::milliseconds) override {
    if (method != "GET") return Status(StatusCode::kUnimplemented, "scripted client");
    bool slices = path.find("endpointslices") != std::string_view::npos;
    std::lock_guard<std::mutex> lock(mu_);
    nlohmann::json list = {{"kind", slices ? "EndpointSliceList" : "ServiceList"},
                           {"apiVersion", slices ? "discovery.k8s.io/v1" : "v1"},
                           {"metadata", {{"resourceVersion", "1"}}},
                           {"items", slices ? slices_ : services_}};
    return client::ApiResponse{200, list.dump(), "application/json"};
  }

  std::unique_ptr<client::WatchHandle> Watch(std::string path, client::WatchEventCallback on_event,
                                             client::WatchEndCallback) override {
    std::lock_guard<std::mutex> lock(mu_);
    (path.find("endpointslices") != std::string::npos ? slice_watch_ : service_watch_) =
        std::move(on_event);
    return std::make_unique<Handle>();
  }

  const client::ClientConfig& config() const override { return config_; }
  int OpenConnections() const override { return 0; }
  int64_t ConnectionsOpened() const override { return 0; }

  void AddInitial(bool slice, nlohmann::json object) {
    std::lock_guard<std::mutex> lock(mu_);
    (slice ? slices_ : services_).push_back(std::move(object));
  }
  // Emits a watch event once the informer watches; false when it never did.
  bool Emit(bool slice, client::WatchEventType type, nlohmann::json object) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      client::WatchEventCallback cb;
      {
        std::lock_guard<std::mutex> lock(mu_);
        cb = slice ? slice_watch_ : service_watch_;
      }
      if (cb) {
        cb(type, std::make_shared<const nlohmann::json>(std::move(object)));
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

 private:
  std::mutex mu_;
  nlohmann::json services_ = nlohmann::json::array(), slices_ = nlohmann::json::array();
  client::WatchEventCallback service_watch_, slice_watch_;
  client::ClientConfig config_;
};

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
  EXPECT_EQ(proxy_->Stats().full_syncs, 1);

  // An endpoint change is one incremental transaction.
  ASSERT_TRUE(api_.Emit(true, WatchEventType::kModified, Slice("10.1.2.4", true)));
  t = TableWhen(Has("10.1.2.4 . 8080"));
  EXPECT_NE(t.find("10.1.2.4 . 8080"), std::string::npos) << t;
  EXPECT_EQ(t.find("10.1.2.3"), std::string::npos) << t;
  EXPECT_GE(proxy_->Stats().delta_syncs, 1);

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
  EXPECT_EQ(proxy_->Stats().errors, 1);
  EXPECT_EQ(proxy_->Stats().full_syncs, 2);

  proxy_->Stop();
  EXPECT_FALSE(runner.Run({"list", "table", "ip", "capstan-proxy-test"}).ok());
}

}  // namespace
}  // namespace capstan::proxy
