// Tests for core/apiserver/service_network.h against a real in-process ApiServer on a LevelDB
// store: range options, the `kubernetes` Service with its Endpoints and EndpointSlice, and
// allocations that survive a restart (rebuilt from the stored Services).
#include "core/apiserver/service_network.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "core/registry/strategy_factory.h"
#include "core/store/leveldb_store.h"

namespace capstan::apiserver {
namespace {

using nlohmann::json;

class ServiceNetworkTest : public ::testing::Test {
 protected:
  ServiceNetworkTest() {
    char tmpl[] = "/tmp/capstan-svcnet-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto store = store::LevelDbStore::Open(dir_ + "/store");
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  ~ServiceNetworkTest() override {
    StopServer();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A fresh API server on the same store, with allocators restored as `capstan server` does.
  void StartServer(const ServiceNetworkOptions& options = {}) {
    StopServer();
    options_ = options;
    auto alloc = MakeServiceAllocators(options);
    ASSERT_TRUE(alloc.ok()) << alloc.status().ToString();
    auto deps = std::make_shared<registry::StrategyDeps>();
    deps->service_allocators = *alloc;
    ApiServerOptions api_options;
    api_options.worker_threads = 2;
    api_options.strategy_factory = [deps](const api::ResourceInfo& r) {
      return registry::StrategyFor(r.group, r.kind, *deps);
    };
    auto api = ApiServer::Create(store_.get(), nullptr, nullptr, nullptr, api_options);
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(*api);
    ASSERT_TRUE(RestoreServiceAllocations(*api_, deps->service_allocators).ok());
  }
  void StopServer() {
    if (api_) api_->Shutdown();
    api_.reset();
  }

  RestStorage* Services() { return api_->StorageFor("", "services"); }
  json Get(std::string_view group, std::string_view plural, std::string_view name) {
    auto r = api_->StorageFor(group, plural)->Get("default", name);
    if (std::holds_alternative<ApiError>(r)) return json();
    return json::parse(std::get<CachedObjectPtr>(r)->json);
  }
  // Creates a ClusterIP Service, optionally asking for `ip`; the error text or "".
  std::string CreateService(const std::string& name, const std::string& ip = "") {
    json svc = {{"apiVersion", "v1"},
                {"kind", "Service"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec", {{"ports", json::array({{{"port", 80}}})}}}};
    if (!ip.empty()) svc["spec"]["clusterIP"] = ip;
    auto r = Services()->Create({}, "default", svc);
    if (auto* e = std::get_if<ApiError>(&r)) {
      std::string text = e->status.message();
      for (const StatusCause& c : e->details.causes) text += " | " + c.field + ": " + c.message;
      return text;
    }
    return "";
  }

  std::string dir_;
  std::unique_ptr<store::LevelDbStore> store_;
  std::unique_ptr<ApiServer> api_;
  ServiceNetworkOptions options_;
};

TEST(ServiceNetworkOptionsTest, MalformedRangesAreRejectedNamingTheFlag) {
  ServiceNetworkOptions bad_cidr;
  bad_cidr.cluster_ip_range = "10.96.0.0";
  auto a = MakeServiceAllocators(bad_cidr);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("--service-cluster-ip-range"), std::string::npos);
  ServiceNetworkOptions bad_ports;
  bad_ports.node_port_range = "32767-30000";
  auto b = MakeServiceAllocators(bad_ports);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("--service-node-port-range"), std::string::npos);
}

TEST(ServiceNetworkOptionsTest, KubernetesServiceGetsTheFirstHostAddressOfTheRange) {
  EXPECT_EQ(*KubernetesServiceIp("10.96.0.0/12"), "10.96.0.1");
  EXPECT_EQ(*KubernetesServiceIp("172.20.5.0/24"), "172.20.5.1");
  EXPECT_FALSE(KubernetesServiceIp("nonsense").ok());
}

TEST_F(ServiceNetworkTest, KubernetesServiceEndpointsAndSlicePointAtTheServer) {
  StartServer();
  ASSERT_TRUE(EnsureKubernetesService(*api_, options_, "127.0.0.1", 6443).ok());
  json svc = Get("", "services", "kubernetes");
  EXPECT_EQ(svc["spec"]["clusterIP"], "10.96.0.1");
  EXPECT_EQ(svc["spec"]["ports"][0]["port"], 443);
  EXPECT_EQ(svc["spec"]["ports"][0]["targetPort"], 6443);
  json ep = Get("", "endpoints", "kubernetes");
  EXPECT_EQ(ep["subsets"][0]["addresses"][0]["ip"], "127.0.0.1");
  EXPECT_EQ(ep["subsets"][0]["ports"][0]["port"], 6443);
  json slice = Get("discovery.k8s.io", "endpointslices", "kubernetes");
  EXPECT_EQ(slice["metadata"]["labels"]["kubernetes.io/service-name"], "kubernetes");
  EXPECT_EQ(slice["endpoints"][0]["addresses"][0], "127.0.0.1");
  EXPECT_EQ(slice["ports"][0]["port"], 6443);
  // Nobody else can take the reserved address.
  EXPECT_NE(CreateService("squatter", "10.96.0.1").find("provided IP is already allocated"),
            std::string::npos);
}

TEST_F(ServiceNetworkTest, RestartRepairsThePortAndKeepsTheClusterIp) {
  StartServer();
  ASSERT_TRUE(EnsureKubernetesService(*api_, options_, "127.0.0.1", 6443).ok());
  std::string rv = Get("", "services", "kubernetes")["metadata"]["resourceVersion"];
  ASSERT_TRUE(EnsureKubernetesService(*api_, options_, "127.0.0.1", 6443).ok());
  EXPECT_EQ(Get("", "services", "kubernetes")["metadata"]["resourceVersion"], rv)
      << "an unchanged Service is not rewritten";
  StartServer();
  ASSERT_TRUE(EnsureKubernetesService(*api_, options_, "127.0.0.1", 7443).ok());
  json svc = Get("", "services", "kubernetes");
  EXPECT_EQ(svc["spec"]["clusterIP"], "10.96.0.1");
  EXPECT_EQ(svc["spec"]["ports"][0]["targetPort"], 7443);
  EXPECT_EQ(Get("", "endpoints", "kubernetes")["subsets"][0]["ports"][0]["port"], 7443);
}

TEST_F(ServiceNetworkTest, AllocationsSurviveARestartAndDeletionFreesThem) {
  StartServer();
  ASSERT_EQ(CreateService("a", "10.96.10.10"), "");
  ASSERT_EQ(CreateService("b"), "");
  std::string b_ip = Get("", "services", "b")["spec"]["clusterIP"];
  StartServer();  // the allocators start empty and are rebuilt from the store
  EXPECT_NE(CreateService("c", "10.96.10.10").find("provided IP is already allocated"),
            std::string::npos);
  EXPECT_NE(CreateService("d", b_ip).find("provided IP is already allocated"), std::string::npos);
  auto del = Services()->Delete({}, "default", "a", {});
  ASSERT_FALSE(std::holds_alternative<ApiError>(del));
  EXPECT_EQ(CreateService("c", "10.96.10.10"), "");
}

TEST_F(ServiceNetworkTest, ConfiguredRangeIsUsedForAllocation) {
  ServiceNetworkOptions options;
  options.cluster_ip_range = "172.30.0.0/24";
  StartServer(options);
  ASSERT_EQ(CreateService("a"), "");
  std::string ip = Get("", "services", "a")["spec"]["clusterIP"];
  EXPECT_EQ(ip.rfind("172.30.0.", 0), 0u) << ip;
  EXPECT_NE(CreateService("b", "10.96.0.20").find("is not in the valid range"), std::string::npos);
}

}  // namespace
}  // namespace capstan::apiserver
