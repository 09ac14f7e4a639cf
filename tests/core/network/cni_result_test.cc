// Tests for core/network/cni_result.h: CNI 1.x and 0.4 results, pod IP order, and the checks
// that reject malformed plugin output.
#include "core/network/cni_result.h"

#include <gtest/gtest.h>

namespace capstan::network {
namespace {

TEST(CniResultTest, ParsesInterfacesIpsRoutesAndDns) {
  constexpr char kDoc[] = R"({"cniVersion":"1.1.0",
    "interfaces":[{"name":"cni0","mac":"aa:bb:cc:dd:ee:ff"},
                  {"name":"eth0","mac":"11:22:33:44:55:66","sandbox":"/var/run/netns/p"}],
    "ips":[{"address":"fd00::5/64","interface":1},
           {"address":"10.99.1.5/24","gateway":"10.99.1.1","interface":1}],
    "routes":[{"dst":"0.0.0.0/0","gw":"10.99.1.1"}],
    "dns":{"nameservers":["10.96.0.10"],"domain":"cluster.local","search":["a","b"],
           "options":["ndots:5"]}})";
  Result<CniResult> r = ParseCniResult(kDoc);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cni_version, "1.1.0");
  ASSERT_EQ(r->interfaces.size(), 2u);
  EXPECT_EQ(r->interfaces[1].sandbox, "/var/run/netns/p");
  ASSERT_EQ(r->ips.size(), 2u);
  EXPECT_EQ(r->ips[1].gateway, "10.99.1.1");
  EXPECT_EQ(r->ips[1].interface, 1);
  EXPECT_EQ(r->ips[1].Ip(), "10.99.1.5");
  EXPECT_EQ(r->PodIps(), (std::vector<std::string>{"10.99.1.5", "fd00::5"}));
  EXPECT_EQ(r->PrimaryIp(), "10.99.1.5");
  ASSERT_EQ(r->routes.size(), 1u);
  EXPECT_EQ(r->routes[0].gw, "10.99.1.1");
  EXPECT_EQ(r->dns.search, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->dns.options, std::vector<std::string>{"ndots:5"});
  EXPECT_EQ(r->raw_json, kDoc);
}

TEST(CniResultTest, ReadsLegacyResultsAndEmptyOnes) {
  Result<CniResult> legacy =
      ParseCniResult(R"({"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.2/16"}]})");
  ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
  EXPECT_EQ(legacy->PrimaryIp(), "10.1.0.2");
  EXPECT_EQ(legacy->ips[0].interface, -1);
  Result<CniResult> empty = ParseCniResult(R"({"cniVersion":"1.1.0"})");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->PrimaryIp(), "");
}

TEST(CniResultTest, RejectsMalformedResultsNamingTheField) {
  struct Case {
    const char* doc;
    const char* error;
  } cases[] = {
      {"nope", "not valid JSON"},
      {"[1]", "not a JSON object"},
      {R"({"code":7,"msg":"bad"})", "an error document"},
      {R"({"ips":[{"address":"10.0.0.300/24"}]})", "ips[0].address '10.0.0.300/24' is not a CIDR"},
      {R"({"ips":[{"address":"10.0.0.3"}]})", "is not a CIDR"},
      {R"({"ips":[{"address":"10.0.0.3/24","interface":0}]})", "ips[0].interface"},
      {R"({"ips":{}})", "ips is not a list"},
      {R"({"interfaces":[{"name":5}]})", "interfaces[0].name is not a string"},
      {R"({"dns":{"nameservers":[1]}})", "dns.nameservers holds a non-string"},
  };
  for (const Case& tc : cases) {
    Result<CniResult> r = ParseCniResult(tc.doc);
    ASSERT_FALSE(r.ok()) << tc.doc;
    EXPECT_EQ(r.status().code(), StatusCode::kInternal);
    EXPECT_NE(r.status().message().find(tc.error), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace capstan::network
