// Tests for core/proxy/iptables_rules.h: expected lines of the rendered iptables-restore text per
// service kind (table-driven; names written as {SVC}, {EXT}, {SVL}, {AFF1}...), chain
// naming limits, iptables-save parsing, the clean-up script, and minimal deltas.
#include "core/proxy/iptables_rules.h"

#include <gtest/gtest.h>

namespace capstan::proxy {
namespace {

constexpr const char* kId = "default/web/tcp/80";

ServicePortState Web(int endpoints) {
  ServicePortState s;
  s.id = kId;
  s.protocol = "tcp";
  s.port = 80;
  s.cluster_ips = {"10.96.0.10"};
  for (int i = 1; i <= endpoints; ++i) {
    s.endpoints.push_back({"10.1.0." + std::to_string(i), 8080, i == 1});
  }
  return s;
}

RulesConfig Config(const std::string& cluster_cidr = "") {
  RulesConfig c;
  c.table = "capt";
  c.cluster_cidr = cluster_cidr;
  return c;
}

// Replaces {SVC}, {EXT}, {SVL} with kId's chain names and {AFFn} with the affinity list name of
// endpoint 10.1.0.n:8080.
std::string Expand(std::string text) {
  auto replace = [&](const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
      text.replace(at, from.size(), to);
    }
  };
  const std::string h = IptablesHash(kId);
  replace("{SVC}", "CAPT-SVC-" + h);
  replace("{EXT}", "CAPT-EXT-" + h);
  replace("{SVL}", "CAPT-SVL-" + h);
  for (int i = 1; i <= 4; ++i) {
    replace(
        "{AFF" + std::to_string(i) + "}",
        "CAPT-SEP-" + IptablesHash(std::string(kId) + "/10.1.0." + std::to_string(i) + ":8080"));
  }
  return text;
}

struct RenderCase {
  std::string name;
  ServicePortState state;
  std::string cluster_cidr;
  std::vector<std::string> present;  // whole lines of the script (Expand'ed)
  std::vector<std::string> absent;   // fragments (Expand'ed)
};

ServicePortState With(ServicePortState s, void (*f)(ServicePortState*)) {
  f(&s);
  return s;
}

class RenderTest : public testing::TestWithParam<RenderCase> {};

TEST_P(RenderTest, FullScriptHasTheExpectedLines) {
  const RenderCase& c = GetParam();
  IptablesLoaded loaded;
  const std::string script =
      "\n" + IptablesFullScript(Config(c.cluster_cidr), {&c.state}, IptablesSaved{}, &loaded);
  for (const std::string& line : c.present) {
    EXPECT_NE(script.find("\n" + Expand(line) + "\n"), std::string::npos)
        << Expand(line) << "\nin\n"
        << script;
  }
  for (const std::string& f : c.absent) {
    EXPECT_EQ(script.find(Expand(f)), std::string::npos) << Expand(f) << "\nin\n" << script;
  }
  EXPECT_EQ(loaded.ports.count(kId), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, RenderTest,
    testing::Values(
        RenderCase{"ClusterIpBalancesRandomlyOverEndpointsAndMasqueradesAll",
                   Web(2),
                   "",
                   {"-A CAPT-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j {SVC}",
                    "-A {SVC} -j CAPT-MARK-MASQ",
                    "-A {SVC} -p tcp -m statistic --mode random --probability 0.5000000000 -j "
                    "DNAT --to-destination 10.1.0.1:8080",
                    "-A {SVC} -p tcp -j DNAT --to-destination 10.1.0.2:8080",
                    "-A CAPT-MARK-MASQ -j MARK --or-mark 0x4000",
                    "-A CAPT-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
                    "-A CAPT-POSTROUTING -j MASQUERADE",
                    "-A CAPT-SERVICES ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j "
                    "CAPT-NODEPORTS"},
                   {"REJECT", "{EXT}", "-m recent", "-j CAPT-HAIRPIN", "-A CAPT-HAIRPIN"}},
        RenderCase{"ThreeEndpointsGetEqualShares",
                   Web(3),
                   "",
                   {"-A {SVC} -p tcp -m statistic --mode random --probability 0.3333333333 -j "
                    "DNAT --to-destination 10.1.0.1:8080",
                    "-A {SVC} -p tcp -m statistic --mode random --probability 0.5000000000 -j "
                    "DNAT --to-destination 10.1.0.2:8080",
                    "-A {SVC} -p tcp -j DNAT --to-destination 10.1.0.3:8080"},
                   {}},
        RenderCase{"ClusterCidrMasqueradesOutsideTrafficAndHairpinOnly",
                   Web(2),
                   "10.244.0.0/16",
                   {"-A {SVC} ! -s 10.244.0.0/16 -j CAPT-MARK-MASQ",
                    "-A CAPT-POSTROUTING -m conntrack --ctstate DNAT -j CAPT-HAIRPIN",
                    "-A CAPT-HAIRPIN -s 10.1.0.1/32 -d 10.1.0.1/32 -j MASQUERADE",
                    "-A CAPT-HAIRPIN -s 10.1.0.2/32 -d 10.1.0.2/32 -j MASQUERADE"},
                   {"-A {SVC} -j CAPT-MARK-MASQ"}},
        RenderCase{"ServiceWithoutEndpointsIsRejectedInTheFilterTable",
                   With(Web(0),
                        [](ServicePortState* s) {
                          s->node_port = 30080;
                          s->external_ips = {"192.0.2.5"};
                        }),
                   "",
                   {"-A CAPT-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j REJECT "
                    "--reject-with icmp-port-unreachable",
                    "-A CAPT-SERVICES -d 192.0.2.5/32 -p tcp -m tcp --dport 80 -j REJECT "
                    "--reject-with icmp-port-unreachable",
                    "-A CAPT-SERVICES ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -p tcp -m "
                    "tcp --dport 30080 -j REJECT --reject-with icmp-port-unreachable"},
                   {"{SVC}", "{EXT}", "DNAT"}},
        RenderCase{"SessionAffinityRemembersTheClientPerEndpoint",
                   With(Web(2), [](ServicePortState* s) { s->affinity_timeout_seconds = 600; }),
                   "",
                   {"-A {SVC} -p tcp -m recent --name {AFF1} --update --seconds 600 --reap -j "
                    "DNAT --to-destination 10.1.0.1:8080",
                    "-A {SVC} -p tcp -m recent --name {AFF2} --update --seconds 600 --reap -j "
                    "DNAT --to-destination 10.1.0.2:8080",
                    "-A {SVC} -p tcp -m statistic --mode random --probability 0.5000000000 -m "
                    "recent --name {AFF1} --set -j DNAT --to-destination 10.1.0.1:8080",
                    "-A {SVC} -p tcp -m recent --name {AFF2} --set -j DNAT --to-destination "
                    "10.1.0.2:8080"},
                   {}},
        RenderCase{"ClusterPolicyNodePortMasqueradesAndUsesEveryEndpoint",
                   With(Web(2), [](ServicePortState* s) { s->node_port = 30080; }),
                   "10.244.0.0/16",
                   {"-A CAPT-NODEPORTS -p tcp -m tcp --dport 30080 -j {EXT}",
                    "-A {EXT} -j CAPT-MARK-MASQ", "-A {EXT} -j {SVC}"},
                   {"{SVL}", "DROP"}},
        RenderCase{"ExternalIpsAreServedThroughTheExternalChain",
                   With(Web(1), [](ServicePortState* s) { s->external_ips = {"192.0.2.5"}; }),
                   "",
                   {"-A CAPT-SERVICES -d 192.0.2.5/32 -p tcp -m tcp --dport 80 -j {EXT}",
                    "-A CAPT-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j {SVC}"},
                   {"CAPT-NODEPORTS -p"}},
        RenderCase{"LocalPolicyKeepsTheClientAndOnlyUsesLocalEndpoints",
                   With(Web(2),
                        [](ServicePortState* s) {
                          s->node_port = 30080;
                          s->external_local = true;
                        }),
                   "10.244.0.0/16",
                   {"-A {EXT} -s 10.244.0.0/16 -j {SVC}",
                    "-A {EXT} -m addrtype --src-type LOCAL -j CAPT-MARK-MASQ",
                    "-A {EXT} -m addrtype --src-type LOCAL -j {SVC}", "-A {EXT} -j {SVL}",
                    "-A {SVL} -p tcp -j DNAT --to-destination 10.1.0.1:8080"},
                   {"{SVL} -p tcp -j DNAT --to-destination 10.1.0.2", "-A {EXT} -j CAPT-MARK-MASQ",
                    "DROP"}},
        RenderCase{"LocalPolicyWithoutLocalEndpointDropsExternalTraffic",
                   With(Web(3),
                        [](ServicePortState* s) {
                          s->endpoints.erase(s->endpoints.begin());  // the local one
                          s->node_port = 30080;
                          s->external_ips = {"192.0.2.5"};
                          s->external_local = true;
                        }),
                   "",
                   {"-A CAPT-SERVICES ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -p tcp -m "
                    "tcp --dport 30080 -j DROP",
                    "-A CAPT-SERVICES -d 192.0.2.5/32 -p tcp -m tcp --dport 80 -j DROP",
                    "-A {EXT} -m addrtype --src-type LOCAL -j {SVC}"},
                   {"{SVL}", "REJECT"}},
        RenderCase{"UdpUsesTheUdpMatch",
                   With(Web(1), [](ServicePortState* s) { s->protocol = "udp"; }),
                   "",
                   {"-A CAPT-SERVICES -d 10.96.0.10/32 -p udp -m udp --dport 80 -j {SVC}",
                    "-A {SVC} -p udp -j DNAT --to-destination 10.1.0.1:8080"},
                   {"-p tcp -m tcp --dport 80"}}),
    [](const testing::TestParamInfo<RenderCase>& param) { return param.param.name; });

TEST(IptablesPrefixTest, DerivesAShortUpperCasePrefixFromTheTableName) {
  struct Case {
    std::string table, prefix;
  } cases[] = {{"capstan-proxy", "CAPSTAN-"}, {"capt", "CAPT-"}, {"my_proxy", "MY-"}};
  for (const Case& c : cases) {
    RulesConfig config;
    config.table = c.table;
    EXPECT_EQ(IptablesPrefix(config), c.prefix) << c.table;
  }
  RulesConfig a, b;
  a.table = "capstan-proxy-test-one";
  b.table = "capstan-proxy-test-two";
  EXPECT_LE(IptablesPrefix(a).size(), 14u);
  EXPECT_NE(IptablesPrefix(a), IptablesPrefix(b));
}

TEST(IptablesPrefixTest, EveryChainNameFitsIptablesLimit) {
  RulesConfig config;
  config.table = "a-very-long-table-name-for-the-proxy";
  ServicePortState s = Web(2);
  s.id = "some-long-namespace-name/some-long-service-name/tcp/8080";
  s.node_port = 30001;
  s.external_local = true;
  IptablesLoaded loaded;
  const std::string script = IptablesFullScript(config, {&s}, IptablesSaved{}, &loaded);
  size_t chains = 0;
  for (size_t at = script.find("\n:"); at != std::string::npos; at = script.find("\n:", at + 1)) {
    const std::string name = script.substr(at + 2, script.find(' ', at) - at - 2);
    EXPECT_LE(name.size(), 28u) << name;
    ++chains;
  }
  EXPECT_EQ(chains, 9u);  // 5 fixed nat, 3 of the port, filter SERVICES
}

constexpr const char* kSave =
    "# Generated by iptables-save v1.8.9\n"
    "*nat\n"
    ":PREROUTING ACCEPT [0:0]\n"
    ":CAPT-SERVICES - [0:0]\n"
    ":CAPT-SVC-OLDOLDOLD2 - [0:0]\n"
    ":CAPT-TEST-SVC-OLDOLDOLD2 - [0:0]\n"  // of prefix CAPT-TEST-: not ours
    ":OTHER-CHAIN - [0:0]\n"
    "-A PREROUTING -j CAPT-SERVICES\n"
    "-A PREROUTING -j CAPT-SERVICES\n"
    "-A OUTPUT -j OTHER-CHAIN\n"
    "COMMIT\n"
    "*filter\n"
    ":CAPT-SERVICES - [0:0]\n"
    "-A FORWARD -m conntrack --ctstate NEW -j CAPT-SERVICES\n"
    "COMMIT\n";

TEST(IptablesSaveTest, ParsesOurChainsAndJumpsOnly) {
  IptablesSaved saved = ParseIptablesSave(Config(), kSave);
  EXPECT_EQ(saved.nat_chains, (std::vector<std::string>{"CAPT-SERVICES", "CAPT-SVC-OLDOLDOLD2"}));
  EXPECT_EQ(saved.filter_chains, (std::vector<std::string>{"CAPT-SERVICES"}));
  // Order of IptablesJumps: nat PREROUTING, OUTPUT, POSTROUTING, filter INPUT, FORWARD, OUTPUT.
  EXPECT_EQ(saved.jump_counts, (std::vector<int>{2, 0, 0, 0, 1, 0}));
}

TEST(IptablesSaveTest, FullScriptInsertsMissingJumpsAndDeletesStaleChains) {
  IptablesSaved saved = ParseIptablesSave(Config(), kSave);
  ServicePortState s = Web(1);
  IptablesLoaded loaded;
  const std::string script = IptablesFullScript(Config(), {&s}, saved, &loaded);
  EXPECT_EQ(script.find("-I PREROUTING"), std::string::npos) << script;
  EXPECT_EQ(script.find("-I FORWARD"), std::string::npos) << script;
  for (const char* line :
       {"-I OUTPUT 1 -j CAPT-SERVICES\n", "-I POSTROUTING 1 -j CAPT-POSTROUTING\n",
        "-I INPUT 1 -m conntrack --ctstate NEW -j CAPT-SERVICES\n",
        "-I OUTPUT 1 -m conntrack --ctstate NEW -j CAPT-SERVICES\n",
        ":CAPT-SVC-OLDOLDOLD2 - [0:0]\n", "-X CAPT-SVC-OLDOLDOLD2\n"}) {
    EXPECT_NE(script.find(line), std::string::npos) << line << script;
  }
  EXPECT_EQ(script.find("OTHER-CHAIN"), std::string::npos) << script;
  EXPECT_EQ(script.find("CAPT-TEST"), std::string::npos) << script;
  EXPECT_EQ(script.find("-X CAPT-SERVICES"), std::string::npos) << script;
}

TEST(IptablesSaveTest, ClearScriptRemovesEachJumpAndChainItSaw) {
  const std::string script = IptablesClearScript(Config(), ParseIptablesSave(Config(), kSave));
  EXPECT_EQ(script,
            "*nat\n"
            ":CAPT-SERVICES - [0:0]\n:CAPT-SVC-OLDOLDOLD2 - [0:0]\n"
            "-D PREROUTING -j CAPT-SERVICES\n-D PREROUTING -j CAPT-SERVICES\n"
            "-X CAPT-SERVICES\n-X CAPT-SVC-OLDOLDOLD2\n"
            "COMMIT\n"
            "*filter\n"
            ":CAPT-SERVICES - [0:0]\n"
            "-D FORWARD -m conntrack --ctstate NEW -j CAPT-SERVICES\n"
            "-X CAPT-SERVICES\n"
            "COMMIT\n");
  EXPECT_EQ(IptablesClearScript(Config(), ParseIptablesSave(Config(), "*nat\nCOMMIT\n")), "");
}

class IptablesDeltaTest : public testing::Test {
 protected:
  void Load(const std::vector<const ServicePortState*>& ports) {
    IptablesFullScript(Config(), ports, IptablesSaved{}, &loaded_);
  }
  IptablesLoaded loaded_;
};

TEST_F(IptablesDeltaTest, RemovedEndpointRewritesOnlyThatPortsChain) {
  ServicePortState before = Web(2), after = Web(1);
  ServicePortState other = Web(1);
  other.id = "default/other/tcp/80";
  other.cluster_ips = {"10.96.0.11"};
  Load({&before, &other});
  IptablesDelta delta(Config(), &loaded_);
  delta.Add(&before, &after);
  EXPECT_EQ(Expand(delta.Script()),
            Expand("*nat\n"
                   ":{SVC} - [0:0]\n"
                   "-A {SVC} -j CAPT-MARK-MASQ\n"
                   "-A {SVC} -p tcp -j DNAT --to-destination 10.1.0.1:8080\n"
                   "COMMIT\n"));
  delta.Commit(&loaded_);
  IptablesDelta again(Config(), &loaded_);
  again.Add(&after, &after);
  EXPECT_EQ(again.Script(), "");
}

TEST_F(IptablesDeltaTest, HairpinChainChangesOnlyWhenAnAddressGainsOrLosesItsLastUser) {
  ServicePortState web = Web(2), other = Web(1);
  other.id = "default/other/tcp/80";
  other.cluster_ips = {"10.96.0.11"};
  IptablesFullScript(Config("10.244.0.0/16"), {&web, &other}, IptablesSaved{}, &loaded_);
  EXPECT_EQ(loaded_.hairpin, (std::map<std::string, int>{{"10.1.0.1", 2}, {"10.1.0.2", 1}}));
  const RulesConfig config = Config("10.244.0.0/16");
  {
    // other leaves; 10.1.0.1 keeps a user (web)
    IptablesDelta delta(config, &loaded_);
    delta.Add(&other, nullptr);
    EXPECT_EQ(delta.Script().find("HAIRPIN"), std::string::npos) << delta.Script();
  }
  ServicePortState web_two = Web(2);
  web_two.endpoints[1].ip = "10.1.0.3";  // 10.1.0.2 loses its only user, 10.1.0.3 is new
  IptablesDelta delta(config, &loaded_);
  delta.Add(&web, &web_two);
  const std::string script = delta.Script();
  EXPECT_NE(script.find("-D CAPT-HAIRPIN -s 10.1.0.2/32 -d 10.1.0.2/32 -j MASQUERADE\n"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("-A CAPT-HAIRPIN -s 10.1.0.3/32 -d 10.1.0.3/32 -j MASQUERADE\n"),
            std::string::npos)
      << script;
  EXPECT_EQ(script.find("HAIRPIN -s 10.1.0.1/32"), std::string::npos) << script;
  delta.Commit(&loaded_);
  EXPECT_EQ(loaded_.hairpin, (std::map<std::string, int>{{"10.1.0.1", 2}, {"10.1.0.3", 1}}));
}

TEST_F(IptablesDeltaTest, AddedAndRemovedPortsEditTheSharedChainsLineByLine) {
  ServicePortState web = Web(1);
  ServicePortState other = Web(0);
  other.id = "default/other/tcp/80";
  other.cluster_ips = {"10.96.0.11"};
  other.node_port = 30080;
  Load({&web});
  IptablesDelta delta(Config(), &loaded_);
  delta.Add(&web, nullptr);
  delta.Add(nullptr, &other);
  EXPECT_EQ(Expand(delta.Script()),
            Expand("*nat\n"
                   ":{SVC} - [0:0]\n"
                   "-D CAPT-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j {SVC}\n"
                   "-X {SVC}\n"
                   "COMMIT\n"
                   "*filter\n"
                   "-A CAPT-SERVICES -d 10.96.0.11/32 -p tcp -m tcp --dport 80 -j REJECT "
                   "--reject-with icmp-port-unreachable\n"
                   "-A CAPT-SERVICES ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -p tcp -m tcp "
                   "--dport 30080 -j REJECT --reject-with icmp-port-unreachable\n"
                   "COMMIT\n"));
  delta.Commit(&loaded_);
  EXPECT_EQ(loaded_.ports.count(kId), 0u);
  EXPECT_EQ(loaded_.ports.count("default/other/tcp/80"), 1u);
}

TEST_F(IptablesDeltaTest, NewPortIsInsertedAboveTheNodePortJump) {
  ServicePortState web = Web(1), other = Web(1);
  other.id = "default/other/tcp/80";
  other.cluster_ips = {"10.96.0.11"};
  other.node_port = 30081;
  Load({&web});
  IptablesDelta delta(Config(), &loaded_);
  delta.Add(nullptr, &other);
  const std::string script = delta.Script();
  EXPECT_NE(script.find("\n-I CAPT-SERVICES 1 -d 10.96.0.11/32 -p tcp -m tcp --dport 80 -j "),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("\n-A CAPT-NODEPORTS -p tcp -m tcp --dport 30081 -j "), std::string::npos)
      << script;
  EXPECT_EQ(script.find("10.96.0.10"), std::string::npos) << script;  // web: untouched
  EXPECT_EQ(script.find(Expand(":{SVC}")), std::string::npos) << script;
  // New chains exist before the lines that jump to them.
  EXPECT_LT(script.find(":CAPT-EXT-"), script.find("-A CAPT-NODEPORTS"));
}

}  // namespace
}  // namespace capstan::proxy
