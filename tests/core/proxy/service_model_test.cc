// Tests for core/proxy/service_model.h: parsing Services and EndpointSlices and joining them.
#include "core/proxy/service_model.h"

#include <gtest/gtest.h>

namespace capstan::proxy {
namespace {

nlohmann::json Service(const std::string& type, const std::string& cluster_ip) {
  return nlohmann::json::parse(R"({"metadata": {"namespace": "default", "name": "web"},
    "spec": {"type": ")" + type +
                               R"(", "clusterIP": ")" + cluster_ip + R"(", "clusterIPs": [")" +
                               cluster_ip + R"("],
      "ports": [{"name": "http", "port": 80, "protocol": "TCP", "nodePort": 30080},
                {"name": "dns", "port": 53, "protocol": "UDP"}]}})");
}

nlohmann::json Slice() {
  return nlohmann::json::parse(R"({"metadata": {"namespace": "default", "name": "web-abc",
      "labels": {"kubernetes.io/service-name": "web"}},
    "addressType": "IPv4",
    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
    "endpoints": [
      {"addresses": ["10.1.0.2"], "nodeName": "n1", "conditions": {"ready": true}},
      {"addresses": ["10.1.0.1"], "nodeName": "n2"},
      {"addresses": ["10.1.0.3"], "conditions": {"ready": false, "serving": true,
                                                 "terminating": true}},
      {"addresses": ["10.1.0.4"], "conditions": {"ready": false}}]})");
}

TEST(ServiceModelTest, ReadyEndpointsJoinTheMatchingPortSortedWithLocality) {
  ServiceInfo svc = ParseService(Service("NodePort", "10.96.0.10"));
  SliceInfo slice = ParseEndpointSlice(Slice());
  EXPECT_EQ(slice.service, "web");
  std::vector<ServicePortState> ports = BuildPortStates(svc, {&slice}, "n1");
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(ports[0].id, "default/web/tcp/80");
  EXPECT_EQ(ports[0].node_port, 30080);
  EXPECT_EQ(ports[0].cluster_ips, std::vector<std::string>{"10.96.0.10"});
  ASSERT_EQ(ports[0].endpoints.size(), 2u);
  EXPECT_EQ(ports[0].endpoints[0], (Endpoint{"10.1.0.1", 8080, false}));
  EXPECT_EQ(ports[0].endpoints[1], (Endpoint{"10.1.0.2", 8080, true}));
  EXPECT_EQ(ports[1].id, "default/web/udp/53");
  EXPECT_TRUE(ports[1].endpoints.empty());
}

TEST(ServiceModelTest, TerminatingServingEndpointsAreUsedOnlyWhenNoneIsReady) {
  ServiceInfo svc = ParseService(Service("ClusterIP", "10.96.0.10"));
  nlohmann::json j = Slice();
  j["endpoints"][0]["conditions"]["ready"] = false;
  j["endpoints"][1]["conditions"] = {{"ready", false}};
  SliceInfo slice = ParseEndpointSlice(j);
  std::vector<ServicePortState> ports = BuildPortStates(svc, {&slice}, "n1");
  ASSERT_EQ(ports[0].endpoints.size(), 1u);
  EXPECT_EQ(ports[0].endpoints[0].ip, "10.1.0.3");
}

TEST(ServiceModelTest, HeadlessAndExternalNameServicesAreNotProxied) {
  EXPECT_FALSE(ParseService(Service("ClusterIP", "None")).proxied);
  EXPECT_FALSE(ParseService(Service("ExternalName", "")).proxied);
  EXPECT_TRUE(BuildPortStates(ParseService(Service("ClusterIP", "None")), {}, "n1").empty());
}

TEST(ServiceModelTest, AffinityAndPoliciesAreParsedWithUpstreamDefaults) {
  nlohmann::json j = Service("LoadBalancer", "10.96.0.10");
  j["spec"]["sessionAffinity"] = "ClientIP";
  j["spec"]["externalTrafficPolicy"] = "Local";
  j["spec"]["externalIPs"] = {"192.0.2.50", "not-an-ip"};
  ServiceInfo svc = ParseService(j);
  EXPECT_EQ(svc.affinity_timeout_seconds, 10800);
  EXPECT_TRUE(svc.external_local);
  EXPECT_EQ(svc.external_ips, std::vector<std::string>{"192.0.2.50"});
  j["spec"]["sessionAffinityConfig"] = {{"clientIP", {{"timeoutSeconds", 60}}}};
  EXPECT_EQ(ParseService(j).affinity_timeout_seconds, 60);
}

TEST(ServiceModelTest, LoadBalancerIngressIpsAreServedLikeExternalIps) {
  nlohmann::json j = Service("LoadBalancer", "10.96.0.10");
  j["spec"]["externalIPs"] = {"192.0.2.50"};
  j["status"]["loadBalancer"]["ingress"] = {
      {{"ip", "192.0.2.7"}}, {{"ip", "192.0.2.50"}}, {{"hostname", "lb.example"}}};
  std::vector<ServicePortState> ports = BuildPortStates(ParseService(j), {}, "n1");
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(ports[0].external_ips, (std::vector<std::string>{"192.0.2.50", "192.0.2.7"}));
  // Only a LoadBalancer's status counts (a stale status after a type change does not).
  j["spec"]["type"] = "ClusterIP";
  EXPECT_EQ(ParseService(j).external_ips, std::vector<std::string>{"192.0.2.50"});
}

TEST(ServiceModelTest, MalformedObjectsParseAsEmptyWithoutThrowing) {
  ServiceInfo svc = ParseService(nlohmann::json::parse(R"({"spec": {"ports": "x"}})"));
  EXPECT_FALSE(svc.proxied);
  SliceInfo slice = ParseEndpointSlice(nlohmann::json::parse(R"({"endpoints": [1, 2]})"));
  EXPECT_TRUE(slice.endpoints.empty());
}

}  // namespace
}  // namespace capstan::proxy
