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
  SharedCounts shared;
  std::string script = FullTableScript(config, {&c.state}, &shared);
  for (const std::string& f : c.present) EXPECT_NE(script.find(f), std::string::npos) << f;
  for (const std::string& f : c.absent) EXPECT_EQ(script.find(f), std::string::npos) << f;
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, GoldenTest,
    testing::Values(
        GoldenCase{
            "ClusterIpBalancesRandomlyOverEndpointsThroughTheSharedPickChain",
            Web(2),
            "",
            {"add table ip t\ndelete table ip t\ntable ip t {",
             "10.96.0.10 . tcp . 80 : goto pick-2",
             std::string("  chain pick-2 {\n") + "    ct mark set numgen random mod 2\n" +
                 "    goto backend-dnat\n  }",
             std::string("  chain backend-dnat {\n") + "    meta mark set meta mark | 0x4000\n" +
                 "    meta l4proto tcp dnat ip to ip daddr . meta l4proto . th dport . ct mark " +
                 "map @backends\n",
             "10.96.0.10 . tcp . 80 . 0 : 10.1.0.1 . 8080",
             "10.96.0.10 . tcp . 80 . 1 : 10.1.0.2 . 8080",
             "meta mark & 0x4000 == 0x4000 meta mark set meta mark ^ 0x4000 masquerade"},
            {"nodeports {\n", "no-endpoints {\n", "chain svc-", "hairpin"}},
        GoldenCase{"ClusterCidrMasqueradesOnlyOutsideAndHairpinTraffic",
                   Web(1),
                   "10.1.0.0/16",
                   {"    ip saddr != 10.1.0.0/16 meta mark set meta mark | 0x4000\n",
                    "  set hairpin { type ipv4_addr . ipv4_addr; }\n",
                    "    ct status dnat ip saddr . ip daddr @hairpin masquerade\n",
                    "add element ip t hairpin {\n    10.1.0.1 . 10.1.0.1\n}"},
                   {"ip saddr 10.1.0.1 "}},
        GoldenCase{"NodePortMarksAndBalancesOverAllEndpoints",
                   With(Web(2), [](ServicePortState* s) { s->node_port = 30080; }),
                   "",
                   {"tcp . 30080 : goto ext-default/web/tcp/80",
                    std::string("  chain ext-default/web/tcp/80 {\n") +
                        "    meta mark set meta mark | 0x4000\n" +
                        "    ct mark set numgen random mod 2 offset 4096\n" +
                        "    goto nodeport-dnat\n  }",
                    "4096 : 10.1.0.1 . 8080", "4097 : 10.1.0.2 . 8080"},
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
                        "    goto nodeport-dnat\n  }",
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
            {"chain svc-", "chain pick-", "add element ip t services"}},
        GoldenCase{
            "SessionAffinityUsesPerEndpointChainsAndTimedSets",
            With(Web(2), [](ServicePortState* s) { s->affinity_timeout_seconds = 60; }),
            "",
            {"10.96.0.10 . tcp . 80 : goto svc-default/web/tcp/80",
             std::string("set aff-default/web/tcp/80/10.1.0.1/8080 { type ipv4_addr; flags ") +
                 "dynamic,timeout; timeout 60s; }",
             std::string("    ip saddr @aff-default/web/tcp/80/10.1.0.2/8080 goto ") +
                 "ep-default/web/tcp/80/10.1.0.2/8080\n",
             std::string(
                 "numgen random mod 2 vmap { 0 : goto ep-default/web/tcp/80/10.1.0.1/8080, 1 : ") +
                 "goto ep-default/web/tcp/80/10.1.0.2/8080 }",
             std::string("  chain ep-default/web/tcp/80/10.1.0.1/8080 {\n") +
                 "    update @aff-default/web/tcp/80/10.1.0.1/8080 { ip saddr }\n" +
                 "    meta l4proto tcp dnat to 10.1.0.1:8080\n"},
            {"4096 :", "chain pick-", ". 0 : 10.1.0.1"}},
        GoldenCase{"ExternalIpsAreServedLikeClusterIps",
                   With(Web(1), [](ServicePortState* s) { s->external_ips = {"192.0.2.50"}; }),
                   "",
                   {"192.0.2.50 . tcp . 80 : goto pick-1", "10.96.0.10 . tcp . 80 : goto pick-1",
                    "192.0.2.50 . tcp . 80 . 0 : 10.1.0.1 . 8080",
                    "10.96.0.10 . tcp . 80 . 0 : 10.1.0.1 . 8080"},
                   {}}),
    [](const testing::TestParamInfo<GoldenCase>& p) { return p.param.name; });

ServicePortState Other(int endpoints) {
  ServicePortState s = Web(endpoints);
  s.id = "default/other/tcp/80";
  s.cluster_ips = {"10.96.0.11"};
  s.group = 2;
  return s;
}

// The shared-object counts of a table loaded with `ports`.
SharedCounts Loaded(const RulesConfig& config, std::vector<const ServicePortState*> ports) {
  SharedCounts shared;
  FullTableScript(config, ports, &shared);
  return shared;
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(FullTableTest, PortsWithTheSameEndpointCountShareOnePickChain) {
  RulesConfig config = TableT();
  ServicePortState a = Web(2), b = Other(2), c = Other(3);
  c.id = "default/third/tcp/80";
  c.cluster_ips = {"10.96.0.12"};
  SharedCounts shared;
  std::string script = FullTableScript(config, {&a, &b, &c}, &shared);
  EXPECT_EQ(Count(script, "  chain pick-2 {"), 1u) << script;
  EXPECT_EQ(Count(script, "  chain pick-3 {"), 1u) << script;
  EXPECT_EQ(shared, (SharedCounts{{"pick-2", 2}, {"pick-3", 1}}));
}

TEST(RulesDeltaTest, OneEndpointChangeRewritesOnlyThatServicesElements) {
  RulesConfig config = TableT();
  ServicePortState before = Web(3);
  ServicePortState after = before;
  after.endpoints[2].ip = "10.1.0.9";
  SharedCounts loaded = Loaded(config, {&before});
  RulesDelta delta(config, &loaded);
  delta.Add(&before, &after);
  EXPECT_EQ(delta.Script(),
            "delete element ip t backends { 10.96.0.10 . tcp . 80 . 2 }\n"
            "add element ip t backends { 10.96.0.10 . tcp . 80 . 2 : 10.1.0.9 . 8080 }\n");
}

TEST(RulesDeltaTest, ChangingTheEndpointCountMovesThePortToThePickChainOfTheNewCount) {
  RulesConfig config = TableT();
  ServicePortState before = Web(2), after = Web(3);
  SharedCounts shared = Loaded(config, {&before});
  RulesDelta delta(config, &shared);
  delta.Add(&before, &after);
  EXPECT_EQ(delta.Script(),
            "delete element ip t services { 10.96.0.10 . tcp . 80 }\n"
            "flush chain ip t pick-2\n"
            "delete chain ip t pick-2\n"
            "add chain ip t pick-3\n"
            "add rule ip t pick-3 ct mark set numgen random mod 3\n"
            "add rule ip t pick-3 goto backend-dnat\n"
            "add element ip t backends { 10.96.0.10 . tcp . 80 . 2 : 10.1.0.3 . 8080 }\n"
            "add element ip t services { 10.96.0.10 . tcp . 80 : goto pick-3 }\n");
  delta.Commit(&shared);
  EXPECT_EQ(shared, (SharedCounts{{"pick-3", 1}}));
}

TEST(RulesDeltaTest, APickChainStaysWhileAnotherPortUsesIt) {
  RulesConfig config = TableT();
  ServicePortState web = Web(2), other = Other(2), grown = Web(3);
  SharedCounts loaded = Loaded(config, {&web, &other});
  RulesDelta delta(config, &loaded);
  delta.Add(&web, &grown);
  std::string s = delta.Script();
  EXPECT_EQ(s.find("pick-2"), std::string::npos) << s;
  EXPECT_NE(s.find("add chain ip t pick-3\n"), std::string::npos) << s;
}

TEST(RulesDeltaTest, AHairpinElementStaysWhileAnotherPortHasThatEndpoint) {
  RulesConfig config = TableT();
  config.cluster_cidr = "10.1.0.0/16";
  ServicePortState web = Web(1), other = Other(1);
  SharedCounts shared = Loaded(config, {&web, &other});
  EXPECT_EQ(shared["hairpin 10.1.0.1"], 2);
  RulesDelta first(config, &shared);
  first.Add(&web, nullptr);
  EXPECT_EQ(first.Script().find("hairpin"), std::string::npos) << first.Script();
  first.Commit(&shared);
  RulesDelta last(config, &shared);
  last.Add(&other, nullptr);
  EXPECT_NE(last.Script().find("delete element ip t hairpin { 10.1.0.1 . 10.1.0.1 }\n"),
            std::string::npos)
      << last.Script();
  last.Commit(&shared);
  EXPECT_TRUE(shared.empty());
}

TEST(RulesDeltaTest, LosingAllEndpointsMovesTheServiceToRejectAndDropsItsPickChain) {
  RulesConfig config = TableT();
  ServicePortState before = Web(1), after = Web(0);
  SharedCounts loaded = Loaded(config, {&before});
  RulesDelta delta(config, &loaded);
  delta.Add(&before, &after);
  EXPECT_EQ(delta.Script(),
            "delete element ip t backends { 10.96.0.10 . tcp . 80 . 0 }\n"
            "delete element ip t services { 10.96.0.10 . tcp . 80 }\n"
            "flush chain ip t pick-1\n"
            "delete chain ip t pick-1\n"
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
  SharedCounts loaded = Loaded(config, {&a});
  RulesDelta delta(config, &loaded);
  delta.Add(nullptr, &b);  // the new owner first
  delta.Add(&a, nullptr);
  std::string s = delta.Script();
  size_t del = s.find("delete element ip t nodeports { tcp . 30080 }");
  size_t add = s.find("add element ip t nodeports { tcp . 30080 : goto ext-default/other");
  ASSERT_NE(del, std::string::npos) << s;
  ASSERT_NE(add, std::string::npos) << s;
  EXPECT_LT(del, add);
  EXPECT_EQ(s.find("chain ip t pick-1"), std::string::npos) << s;  // one user left, one came
}

TEST(RulesDeltaTest, AnUnchangedServiceProducesNothing) {
  RulesConfig config;
  ServicePortState s = Web(2);
  SharedCounts loaded = Loaded(config, {&s});
  RulesDelta delta(config, &loaded);
  delta.Add(&s, &s);
  EXPECT_TRUE(delta.empty());
}

}  // namespace
}  // namespace capstan::proxy
