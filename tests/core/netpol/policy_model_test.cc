// Table-driven tests of core/netpol/policy_model.h through the chains nft_script.h renders:
// each case is a set of NetworkPolicy specs and the rule lines one pod's ingress and egress
// chains must get (an empty list means "not isolated").
#include "core/netpol/policy_model.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/netpol/nft_script.h"

namespace capstan::netpol {
namespace {

using Json = nlohmann::json;
using Lines = std::vector<std::string>;

Json Pod(const std::string& ns, const std::string& name, const std::string& ip, Json labels,
         Json ports = Json::array(), const std::string& phase = "Running") {
  return {{"metadata", {{"namespace", ns}, {"name", name}, {"labels", std::move(labels)}}},
          {"spec", {{"nodeName", "n1"}, {"containers", {{{"name", "c"}, {"ports", ports}}}}}},
          {"status", {{"phase", phase}, {"podIP", ip}}}};
}

// default (team=a): server, client (access=true), stranger, a finished pod with access=true;
// other (team=b): a client with access=true; prod (team=a, env=prod): db.
ClusterView BaseView() {
  ClusterView v;
  for (const Json& ns : Json::parse(R"([
         {"metadata": {"name": "default", "labels": {"team": "a"}}},
         {"metadata": {"name": "other", "labels": {"team": "b"}}},
         {"metadata": {"name": "prod", "labels": {"team": "a", "env": "prod"}}}])")) {
    NamespaceInfo n = ParseNamespace(ns);
    v.namespaces[n.name] = n;
  }
  Json server_ports = Json::parse(R"([{"name": "http", "containerPort": 8080},
      {"name": "dns", "containerPort": 53, "protocol": "UDP"}])");
  for (const Json& p :
       {Pod("default", "server", "10.1.0.10", {{"app", "server"}}, server_ports),
        Pod("default", "client", "10.1.0.11", {{"app", "client"}, {"access", "true"}}),
        Pod("default", "stranger", "10.1.0.12", {{"app", "client"}}),
        Pod("default", "done", "10.1.0.13", {{"access", "true"}}, Json::array(), "Succeeded"),
        Pod("other", "client", "10.1.0.21", {{"app", "client"}, {"access", "true"}}),
        Pod("prod", "db", "10.1.0.31", {{"app", "db"}},
            Json::parse(R"([{"name": "sql", "containerPort": 5432, "protocol": "TCP"}])"))}) {
    PodInfo info = ParsePod(p);
    v.pods[info.ns + "/" + info.name] = info;
  }
  return v;
}

struct Case {
  std::string name;
  std::string specs;      // JSON array of NetworkPolicy specs in `policy_ns`
  Lines ingress, egress;  // of `pod`
  std::string pod = "default/server";
  std::string policy_ns = "default";
};

std::vector<Case> Cases() {
  return {
      {"NoPolicyLeavesThePodOpen", "[]", {}, {}},
      {"EmptyIngressDeniesAllIngressOnly", R"([{"podSelector": {}}])", {"drop"}, {}},
      {"EmptyFromAllowsEveryone",
       R"([{"podSelector": {}, "ingress": [{}]}])",
       {"accept", "drop"},
       {}},
      {"PodSelectorPicksLabelledPodsOfThePolicyNamespaceOnly",
       R"([{"podSelector": {}, "ingress": [{"from": [
             {"podSelector": {"matchLabels": {"access": "true"}}}]}]}])",
       {"ip saddr { 10.1.0.11 } accept", "drop"},
       {}},
      {"NamespaceSelectorPicksEveryPodOfMatchingNamespaces",
       R"([{"podSelector": {}, "ingress": [{"from": [
             {"namespaceSelector": {"matchLabels": {"team": "b"}}}]}]}])",
       {"ip saddr { 10.1.0.21 } accept", "drop"},
       {}},
      {"EmptyNamespaceSelectorPicksEveryPodAnywhere",
       R"([{"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}])",
       {"ip saddr { 10.1.0.10, 10.1.0.11, 10.1.0.12, 10.1.0.21, 10.1.0.31 } accept", "drop"},
       {}},
      {"BothSelectorsInOnePeerMustBothMatch",
       R"([{"podSelector": {}, "ingress": [{"from": [
             {"namespaceSelector": {"matchLabels": {"team": "a"}},
              "podSelector": {"matchLabels": {"app": "db"}}}]}]}])",
       {"ip saddr { 10.1.0.31 } accept", "drop"},
       {}},
      {"SeparatePeersAreAlternatives",
       R"([{"podSelector": {}, "ingress": [{"from": [
             {"podSelector": {"matchLabels": {"app": "db"}}},
             {"namespaceSelector": {"matchLabels": {"team": "b"}}}]}]}])",
       {"ip saddr { 10.1.0.21 } accept", "drop"},
       {}},
      {"MatchExpressionsAreHonoured",
       R"([{"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchExpressions": [
             {"key": "app", "operator": "In", "values": ["client"]},
             {"key": "access", "operator": "DoesNotExist"}]}}]}]}])",
       {"ip saddr { 10.1.0.12 } accept", "drop"},
       {}},
      {"SelectorsMatchingNoPodAllowNothing",
       R"([{"podSelector": {}, "ingress": [{"from": [
             {"podSelector": {"matchLabels": {"app": "none"}}}]}]}])",
       {"drop"},
       {}},
      {"IpBlockWithExcept",
       R"([{"podSelector": {}, "ingress": [{"from": [
             {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/24"]}}]}]}])",
       {"ip saddr 10.0.0.0/8 ip saddr != { 10.1.0.0/24 } accept", "drop"},
       {}},
      {"PortsPerProtocolWithRangesAndDefaultTcp",
       R"([{"podSelector": {}, "ingress": [{"ports": [
             {"port": 80}, {"port": 8000, "endPort": 8080, "protocol": "TCP"},
             {"port": 53, "protocol": "UDP"}, {"port": 9000, "protocol": "SCTP"}]}]}])",
       {"meta l4proto sctp th dport { 9000 } accept",
        "meta l4proto tcp th dport { 80, 8000-8080 } accept",
        "meta l4proto udp th dport { 53 } accept", "drop"},
       {}},
      {"ProtocolWithoutPortAllowsEveryPortOfIt",
       R"([{"podSelector": {}, "ingress": [{"ports": [{"protocol": "UDP"}]}]}])",
       {"meta l4proto udp accept", "drop"},
       {}},
      {"NamedPortsResolveAgainstTheDestinationPod",
       R"([{"podSelector": {}, "ingress": [{
             "from": [{"podSelector": {"matchLabels": {"access": "true"}}}],
             "ports": [{"port": "http"}, {"port": "dns", "protocol": "UDP"}]}]}])",
       {"ip saddr { 10.1.0.11 } meta l4proto tcp th dport { 8080 } accept",
        "ip saddr { 10.1.0.11 } meta l4proto udp th dport { 53 } accept", "drop"},
       {}},
      {"UnknownNamedPortAllowsNothing",
       R"([{"podSelector": {}, "ingress": [{"ports": [{"port": "nope"}]}]}])",
       {"drop"},
       {}},
      {"PolicyNotSelectingThePodLeavesItOpen",
       R"([{"podSelector": {"matchLabels": {"app": "other"}}}])",
       {},
       {}},
      {"PolicyOfAnotherNamespaceLeavesItOpen",
       R"([{"podSelector": {}}])",
       {},
       {},
       "default/server",
       "other"},
      {"PoliciesUnion",
       R"([{"podSelector": {}, "ingress": [{
             "from": [{"podSelector": {"matchLabels": {"access": "true"}}}],
             "ports": [{"port": 80}]}]},
           {"podSelector": {"matchLabels": {"app": "server"}}, "ingress": [{"from": [
             {"namespaceSelector": {"matchLabels": {"team": "b"}}}]}]}])",
       {"ip saddr { 10.1.0.11 } meta l4proto tcp th dport { 80 } accept",
        "ip saddr { 10.1.0.21 } accept", "drop"},
       {}},
      {"EgressRulesDefaultPolicyTypesToBoth",
       R"([{"podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
             "ports": [{"port": 53, "protocol": "UDP"}]}]}])",
       {"drop"},
       {"ip daddr 0.0.0.0/0 meta l4proto udp th dport { 53 } return", "drop"}},
      {"EgressPolicyTypeAloneWithoutRulesDeniesEgressOnly",
       R"([{"podSelector": {}, "policyTypes": ["Egress"]}])",
       {},
       {"drop"}},
      {"EgressNamedPortResolvesPerDestinationPod",
       R"([{"podSelector": {}, "policyTypes": ["Egress"], "egress": [{
             "to": [{"namespaceSelector": {"matchLabels": {"env": "prod"}}, "podSelector": {}}],
             "ports": [{"port": "sql"}]}]}])",
       {},
       {"ip daddr . meta l4proto . th dport { 10.1.0.31 . tcp . 5432 } return", "drop"}},
      {"EgressNamedPortToAnIpBlockResolvesThePodsInside",
       R"([{"podSelector": {}, "policyTypes": ["Egress"], "egress": [{
             "to": [{"ipBlock": {"cidr": "10.1.0.0/24", "except": ["10.1.0.10/32"]}}],
             "ports": [{"port": "http"}, {"port": "sql"}]}]}])",
       {},
       {"ip daddr . meta l4proto . th dport { 10.1.0.31 . tcp . 5432 } return", "drop"}},
      {"EgressNamedPortToEveryoneResolvesEveryPod",
       R"([{"podSelector": {}, "policyTypes": ["Egress"], "egress": [{
             "ports": [{"port": "http"}, {"port": "sql"}]}]}])",
       {},
       {"ip daddr . meta l4proto . th dport { 10.1.0.10 . tcp . 8080, 10.1.0.31 . tcp . 5432 } "
        "return",
        "drop"},
       "default/client"},
      {"EmptyToAllowsEverywhere",
       R"([{"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "egress": [{}]}])",
       {"drop"},
       {"return", "drop"}},
  };
}

class PolicyModelTest : public testing::TestWithParam<Case> {};

TEST_P(PolicyModelTest, RendersTheExpectedChains) {
  const Case& c = GetParam();
  ClusterView view = BaseView();
  int i = 0;
  for (const Json& spec : Json::parse(c.specs)) {
    Json policy = {{"metadata", {{"namespace", c.policy_ns}, {"name", "p" + std::to_string(i++)}}},
                   {"spec", spec}};
    PolicyInfo p = ParsePolicy(policy);
    view.policies[p.ns + "/" + p.name] = p;
  }
  PodChains chains = RenderPod(EvaluatePod(view, view.pods.at(c.pod)));
  EXPECT_EQ(chains.ingress_isolated, !c.ingress.empty());
  EXPECT_EQ(chains.egress_isolated, !c.egress.empty());
  EXPECT_EQ(chains.ingress, c.ingress);
  EXPECT_EQ(chains.egress, c.egress);
}

INSTANTIATE_TEST_SUITE_P(Cases, PolicyModelTest, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<Case>& p) { return p.param.name; });

TEST(PolicyModelNodeTest, EnforcesOnlyAddressedNonTerminalPodNetworkPodsOfTheNode) {
  ClusterView view = BaseView();
  Json host = Pod("default", "host", "192.168.1.5", Json::object());
  host["spec"]["hostNetwork"] = true;
  Json elsewhere = Pod("default", "remote", "10.2.0.5", Json::object());
  elsewhere["spec"]["nodeName"] = "n2";
  Json pending = Pod("default", "pending", "", Json::object(), Json::array(), "Pending");
  for (const Json& p : {host, elsewhere, pending}) {
    PodInfo info = ParsePod(p);
    view.pods[info.ns + "/" + info.name] = info;
  }
  std::map<std::string, PodPolicy> local = EvaluateNode(view, "n1");
  std::vector<std::string> ips;
  ips.reserve(local.size());
  for (const auto& [ip, p] : local) ips.push_back(ip);
  EXPECT_EQ(ips, (std::vector<std::string>{"10.1.0.10", "10.1.0.11", "10.1.0.12", "10.1.0.21",
                                           "10.1.0.31"}));
}

TEST(PolicyModelNodeTest, NamespaceSelectorMatchesTheNameLabelOfUnknownNamespaces) {
  ClusterView view = BaseView();
  view.namespaces.erase("other");
  PolicyInfo p = ParsePolicy(Json::parse(R"({"metadata": {"namespace": "default", "name": "p"},
      "spec": {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels":
        {"kubernetes.io/metadata.name": "other"}}}]}]}})"));
  view.policies["default/p"] = p;
  PodChains chains = RenderPod(EvaluatePod(view, view.pods.at("default/server")));
  EXPECT_EQ(chains.ingress, (Lines{"ip saddr { 10.1.0.21 } accept", "drop"}));
}

}  // namespace
}  // namespace capstan::netpol
