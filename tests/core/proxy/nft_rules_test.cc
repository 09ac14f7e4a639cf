// Tests for core/proxy/nft_rules.h: golden fragments of the generated nftables text per service
// kind (table-driven), and the minimal deltas between two states of a service port.
#include "core/proxy/nft_rules.h"

#include <gtest/gtest.h>

namespace capstan::proxy {
namespace {

ServicePortState Web(int endpoints) {
  ServicePortState s;
  s.id = "default/web/tcp/80";
  s.protocol = "tcp";
  s.port = 80;
  s.cluster_ips = {"10.96.0.10"};
  s.group = 1;
  for (int i = 1; i <= endpoints; ++i) {
    s.endpoints.push_back({"10.1.0." + std::to_string(i), 8080, i == 1});
  }
  return s;
}

RulesConfig TableT() {
  RulesConfig c;
  c.table = "t";
  return c;
}

struct GoldenCase {
  std::string name;
  ServicePortState state;
  std::string cluster_cidr;
  std::vector<std::string> present;
  std::vector<std::string> absent;
};

ServicePortState With(ServicePortState s, void (*f)(ServicePortState*)) {
  f(&s);
  return s;
}

class GoldenTest : public testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, FullTableHasTheExpectedFragments) {
  const GoldenCase& c = GetParam();
  RulesConfig config = TableT();
  config.cluster_cidr = c.cluster_cidr;
  std::string script = FullTableScript(config, {&c.state});
  for (const std::string& f : c.present) EXPECT_NE(script.find(f), std::string::npos) << f;
  for (const std::string& f : c.absent) EXPECT_EQ(script.find(f), std::string::npos) << f;
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, GoldenTest,
    testing::Values(
        GoldenCase{
            "ClusterIpBalancesRandomlyOverEndpoints",
            Web(2),
            "",
            {"add table ip t\ndelete table ip t\ntable ip t {",
             "10.96.0.10 . tcp . 80 : goto svc-default/web/tcp/80",
             std::string("  chain svc-default/web/tcp/80 {\n") +
                 "    meta mark set meta mark | 0x4000\n" +
                 "    ct mark set numgen random mod 2 offset 4096\n" + "    goto backend-dnat\n  }",
             "    meta l4proto tcp dnat ip to ct mark map @backends\n", "4096 : 10.1.0.1 . 8080",
             "4097 : 10.1.0.2 . 8080",
             "meta mark & 0x4000 == 0x4000 meta mark set meta mark ^ 0x4000 masquerade"},
            {"nodeports {\n", "no-endpoints {\n"}},
        GoldenCase{"ClusterCidrMasqueradesOnlyOutsideAndHairpinTraffic",
                   Web(1),
                   "10.1.0.0/16",
                   {std::string("    ip saddr != 10.1.0.0/16 meta mark set meta mark | 0x4000\n") +
                    "    ip saddr 10.1.0.1 meta mark set meta mark | 0x4000\n"},
                   {"tcp/80 {\n    meta mark set"}},
        GoldenCase{
            "NodePortMarksAndBalancesOverAllEndpoints",
            With(Web(2), [](ServicePortState* s) { s->node_port = 30080; }),
            "",
            {"tcp . 30080 : goto ext-default/web/tcp/80",
             std::string("  chain ext-default/web/tcp/80 {\n") +
                 "    meta mark set meta mark | 0x4000\n" + "    goto svc-default/web/tcp/80\n  }"},
            {}},
        GoldenCase{"LocalPolicyNodePortUsesOnlyLocalEndpointsAndKeepsTheClient",
                   With(Web(2),
                        [](ServicePortState* s) {
                          s->node_port = 30080;
                          s->external_local = true;
                        }),
                   "",
                   {std::string("  chain ext-default/web/tcp/80 {\n") +
                        "    ct mark set numgen random mod 1 offset 2147487744\n" +
                        "    goto backend-dnat\n  }",
                    "2147487744 : 10.1.0.1 . 8080"},
                   {"2147487745 :", "ext-default/web/tcp/80 {\n    meta mark"}},
        GoldenCase{"LocalPolicyWithoutLocalEndpointsDropsNodePortTraffic",
                   With(Web(2),
                        [](ServicePortState* s) {
                          s->node_port = 30080;
                          s->external_local = true;
                          for (Endpoint& e : s->endpoints) e.local = false;
                        }),
                   "",
                   {"tcp . 30080 : drop"},
                   {"chain ext-"}},
        GoldenCase{
            "NoEndpointsRejectsClusterIpAndNodePort",
            With(Web(0), [](ServicePortState* s) { s->node_port = 30080; }),
            "",
            {std::string("add element ip t no-endpoints {\n    10.96.0.10 . tcp . 80 : goto ") +
                 "reject-service",
             std::string("add element ip t no-endpoint-nodeports {\n    tcp . 30080 : goto ") +
                 "reject-service",
             "chain reject-service { reject with icmp type port-unreachable; }"},
            {"chain svc-", "add element ip t services"}},
        GoldenCase{
            "SessionAffinityUsesPerEndpointChainsAndTimedSets",
            With(Web(2), [](ServicePortState* s) { s->affinity_timeout_seconds = 60; }),
            "",
            {std::string("set aff-default/web/tcp/80/10.1.0.1/8080 { type ipv4_addr; flags ") +
                 "dynamic,timeout; timeout 60s; }",
             std::string("    ip saddr @aff-default/web/tcp/80/10.1.0.2/8080 goto ") +
                 "ep-default/web/tcp/80/10.1.0.2/8080\n",
             std::string(
                 "numgen random mod 2 vmap { 0 : goto ep-default/web/tcp/80/10.1.0.1/8080, 1 : ") +
                 "goto ep-default/web/tcp/80/10.1.0.2/8080 }",
             std::string("  chain ep-default/web/tcp/80/10.1.0.1/8080 {\n") +
                 "    update @aff-default/web/tcp/80/10.1.0.1/8080 { ip saddr }\n" +
                 "    meta l4proto tcp dnat to 10.1.0.1:8080\n"},
            {"4096 :"}},
        GoldenCase{"ExternalIpsAreServedLikeClusterIps",
                   With(Web(1), [](ServicePortState* s) { s->external_ips = {"192.0.2.50"}; }),
                   "",
                   {"192.0.2.50 . tcp . 80 : goto svc-default/web/tcp/80",
                    "10.96.0.10 . tcp . 80 : goto svc-default/web/tcp/80"},
                   {}}),
    [](const testing::TestParamInfo<GoldenCase>& p) { return p.param.name; });

TEST(RulesDeltaTest, OneEndpointChangeRewritesOnlyThatServicesElements) {
  RulesConfig config = TableT();
  ServicePortState before = Web(3);
  ServicePortState after = before;
  after.endpoints[2].ip = "10.1.0.9";
  RulesDelta delta(config);
  delta.Add(&before, &after);
  EXPECT_EQ(delta.Script(),
            "delete element ip t backends { 4098 }\n"
            "add element ip t backends { 4098 : 10.1.0.9 . 8080 }\n");
}

TEST(RulesDeltaTest, ChangingTheEndpointCountRefillsTheServiceChain) {
  RulesConfig config = TableT();
  ServicePortState before = Web(2), after = Web(3);
  RulesDelta delta(config);
  delta.Add(&before, &after);
  std::string s = delta.Script();
  EXPECT_NE(s.find("flush chain ip t svc-default/web/tcp/80\n"), std::string::npos) << s;
  EXPECT_NE(s.find("ct mark set numgen random mod 3 offset 4096"), std::string::npos) << s;
  EXPECT_NE(s.find("add element ip t backends { 4098 : 10.1.0.3 . 8080 }"), std::string::npos);
  EXPECT_EQ(s.find("delete"), std::string::npos) << s;
}

TEST(RulesDeltaTest, LosingAllEndpointsMovesTheServiceToRejectAndDeletesItsChain) {
  RulesConfig config = TableT();
  ServicePortState before = Web(1), after = Web(0);
  RulesDelta delta(config);
  delta.Add(&before, &after);
  EXPECT_EQ(delta.Script(),
            "delete element ip t backends { 4096 }\n"
            "delete element ip t services { 10.96.0.10 . tcp . 80 }\n"
            "flush chain ip t svc-default/web/tcp/80\n"
            "delete chain ip t svc-default/web/tcp/80\n"
            "add element ip t no-endpoints { 10.96.0.10 . tcp . 80 : goto reject-service }\n");
}

TEST(RulesDeltaTest, RemovalsOfAllPortsComeBeforeAdditionsSoANodePortCanMove) {
  RulesConfig config = TableT();
  ServicePortState a = Web(1);
  a.node_port = 30080;
  ServicePortState b = a;
  b.id = "default/other/tcp/80";
  b.cluster_ips = {"10.96.0.11"};
  b.group = 2;
  RulesDelta delta(config);
  delta.Add(nullptr, &b);  // the new owner first
  delta.Add(&a, nullptr);
  std::string s = delta.Script();
  size_t del = s.find("delete element ip t nodeports { tcp . 30080 }");
  size_t add = s.find("add element ip t nodeports { tcp . 30080 : goto ext-default/other");
  ASSERT_NE(del, std::string::npos) << s;
  ASSERT_NE(add, std::string::npos) << s;
  EXPECT_LT(del, add);
}

TEST(RulesDeltaTest, AnUnchangedServiceProducesNothing) {
  RulesConfig config;
  ServicePortState s = Web(2);
  RulesDelta delta(config);
  delta.Add(&s, &s);
  EXPECT_TRUE(delta.empty());
}

}  // namespace
}  // namespace capstan::proxy
