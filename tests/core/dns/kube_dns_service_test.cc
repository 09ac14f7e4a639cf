// Tests for core/dns/kube_dns_service.h against a real in-process API server
// (tests/core/client/test_cluster.h): the Service, Endpoints and EndpointSlice it writes, their
// repair when the DNS port changes (a restarted server), and the cluster IP rule.
#include "core/dns/kube_dns_service.h"

#include <gtest/gtest.h>

#include "tests/core/client/test_cluster.h"

namespace capstan::dns {
namespace {

using client::testing::TestCluster;
using nlohmann::json;

constexpr const char* kNs = "/api/v1/namespaces/kube-system";
constexpr const char* kSlice = "/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices";

TEST(KubeDnsServiceIpTest, IsTheTenthAddressOfTheServiceRange) {
  struct Case {
    const char* cidr;
    const char* ip;
  } cases[] = {{"10.96.0.0/12", "10.96.0.10"},
               {"10.43.0.0/16", "10.43.0.10"},
               {"10.200.7.0/24", "10.200.7.10"},
               {"10.200.7.5/24", "10.200.7.10"}};
  for (const Case& c : cases) {
    Result<std::string> ip = KubeDnsServiceIp(c.cidr);
    ASSERT_TRUE(ip.ok()) << c.cidr;
    EXPECT_EQ(*ip, c.ip) << c.cidr;
  }
  for (const char* bad : {"10.96.0.0", "10.96.0.0/29", "fd00::/108", "x/12", "10.96.0.0/"}) {
    EXPECT_EQ(KubeDnsServiceIp(bad).status().code(), StatusCode::kInvalid) << bad;
  }
  Result<std::string> gateway = NthAddress("10.244.3.0/24", 1);
  ASSERT_TRUE(gateway.ok());
  EXPECT_EQ(*gateway, "10.244.3.1");
  EXPECT_FALSE(NthAddress("10.244.3.0/30", 3).ok());  // the broadcast address
}

TEST(KubeDnsServiceTest, WritesASelectorlessServiceWithItsEndpointsAndRepairsThePort) {
  TestCluster cluster;
  auto client = cluster.NewClient();
  (void)client->Create(
      "/api/v1/namespaces",
      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "kube-system"}}}});
  KubeDnsServiceOptions o{"10.96.0.10", "10.244.0.1", 40053};
  Status ensured = EnsureKubeDnsService(*client, o);
  ASSERT_TRUE(ensured.ok()) << ensured.ToString();

  Result<json> svc = client->Get(std::string(kNs) + "/services/kube-dns");
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  EXPECT_EQ((*svc)["spec"]["clusterIP"], "10.96.0.10");
  EXPECT_FALSE((*svc)["spec"].contains("selector"));
  const json& ports = (*svc)["spec"]["ports"];
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(ports[0]["name"], "dns");
  EXPECT_EQ(ports[0]["protocol"], "UDP");
  EXPECT_EQ(ports[0]["port"], 53);
  EXPECT_EQ(ports[1]["name"], "dns-tcp");
  EXPECT_EQ(ports[1]["protocol"], "TCP");

  Result<json> eps = client->Get(std::string(kNs) + "/endpoints/kube-dns");
  ASSERT_TRUE(eps.ok());
  EXPECT_EQ((*eps)["subsets"][0]["addresses"][0]["ip"], "10.244.0.1");
  EXPECT_EQ((*eps)["subsets"][0]["ports"][0]["port"], 40053);
  Result<json> slice = client->Get(std::string(kSlice) + "/kube-dns");
  ASSERT_TRUE(slice.ok());
  EXPECT_EQ((*slice)["metadata"]["labels"]["kubernetes.io/service-name"], "kube-dns");
  EXPECT_EQ((*slice)["endpoints"][0]["addresses"][0], "10.244.0.1");
  EXPECT_EQ((*slice)["ports"][1]["port"], 40053);
  std::string version = (*slice)["metadata"]["resourceVersion"];

  // Unchanged: nothing is rewritten.
  ASSERT_TRUE(EnsureKubeDnsService(*client, o).ok());
  slice = client->Get(std::string(kSlice) + "/kube-dns");
  ASSERT_TRUE(slice.ok());
  EXPECT_EQ((*slice)["metadata"]["resourceVersion"], version);

  // A restarted server listens on another port: every object follows.
  o.port = 40054;
  ASSERT_TRUE(EnsureKubeDnsService(*client, o).ok());
  svc = client->Get(std::string(kNs) + "/services/kube-dns");
  ASSERT_TRUE(svc.ok());
  EXPECT_EQ((*svc)["spec"]["ports"][0]["targetPort"], 40054);
  eps = client->Get(std::string(kNs) + "/endpoints/kube-dns");
  ASSERT_TRUE(eps.ok());
  EXPECT_EQ((*eps)["subsets"][0]["ports"][1]["port"], 40054);
  slice = client->Get(std::string(kSlice) + "/kube-dns");
  ASSERT_TRUE(slice.ok());
  EXPECT_EQ((*slice)["ports"][0]["port"], 40054);
}

}  // namespace
}  // namespace capstan::dns
