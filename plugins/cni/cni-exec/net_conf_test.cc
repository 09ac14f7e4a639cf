// Tests for cni-exec's pure parts (net_conf.h): config forms, version negotiation, per-binary
// configs with prevResult and runtimeConfig, result conversion and CNI error documents.
#include "net_conf.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace capstan::cni {
namespace {

Json J(const char* text) { return *sdk::json::Parse(text); }

TEST(NetConfTest, InlinePluginsNeedANameAndTypedPlugins) {
  ExecConfig c;
  ASSERT_TRUE(ParseExecConfig(J(R"({"name":"n","cniVersion":"1.1.0",
      "plugins":[{"type":"bridge"},{"type":"portmap"}]})"),
                              &c)
                  .ok());
  EXPECT_EQ(c.list.name, "n");
  EXPECT_EQ(c.list.cni_version, "1.1.0");
  ASSERT_EQ(c.list.plugins.size(), 2u);
  EXPECT_EQ(c.bin_dirs, (std::vector<std::string>{"/usr/lib/cni", "/opt/cni/bin"}));

  struct Case {
    const char* config;
    const char* error;
  } cases[] = {
      {R"({"plugins":[{"type":"bridge"}]})", "`name` is required"},
      {R"({"name":"n","plugins":[]})", "non-empty"},
      {R"({"name":"n","plugins":[{"type":"../x"}]})", "plugins[0].type"},
      {R"({"name":"n"})", "exactly one of"},
      {R"({"conflist":"/x","name":"n","plugins":[{"type":"a"}]})", "exactly one of"},
      {R"({"conflist":"/nonexistent/x.conflist"})", "cannot be read"},
      {R"({"binDir":[],"name":"n","plugins":[{"type":"a"}]})", "binDir"},
  };
  for (const Case& tc : cases) {
    ExecConfig bad;
    sdk::Status s = ParseExecConfig(J(tc.config), &bad);
    EXPECT_EQ(s.code(), CAPSTAN_RC_INVALID) << tc.config;
    EXPECT_NE(s.message().find(tc.error), std::string::npos) << s.message();
  }
}

TEST(NetConfTest, AConflistFileIsReadAtInit) {
  std::string path = ::testing::TempDir() + "/net_conf_test.conflist";
  std::ofstream(path) << R"({"cniVersion":"0.4.0","name":"f","disableCheck":"true",
      "plugins":[{"type":"loopback"}]})";
  ExecConfig c;
  ASSERT_TRUE(
      ParseExecConfig(J(("{\"conflist\":\"" + path + "\",\"binDir\":\"/b\"}").c_str()), &c).ok());
  EXPECT_EQ(c.list.name, "f");
  EXPECT_TRUE(c.list.disable_check);
  EXPECT_EQ(c.bin_dirs, std::vector<std::string>{"/b"});
  std::remove(path.c_str());
}

TEST(NetConfTest, VersionsCompareSemantically) {
  EXPECT_LT(CompareVersions("0.4.0", "1.0.0"), 0);
  EXPECT_LT(CompareVersions("0.3.1", "0.4.0"), 0);
  EXPECT_EQ(CompareVersions("1.0", "1.0.0"), 0);
  EXPECT_GT(CompareVersions("1.10.0", "1.9.0"), 0);
}

TEST(NetConfTest, NegotiationFallsBackToTheHighestCommonVersion) {
  NetConfList l;
  l.cni_version = "1.1.0";
  std::vector<std::string> debian = {"0.3.1", "0.4.0", "1.0.0"};
  std::vector<std::string> modern = {"0.4.0", "1.0.0", "1.1.0"};
  EXPECT_EQ(NegotiateVersion(l, {modern, modern}), "1.1.0");
  EXPECT_EQ(NegotiateVersion(l, {debian, modern}), "1.0.0");
  l.cni_version = "0.4.0";
  EXPECT_EQ(NegotiateVersion(l, {debian, modern}), "0.4.0");
  l.cni_versions = {"0.3.1", "1.0.0"};
  EXPECT_EQ(NegotiateVersion(l, {debian}), "1.0.0");
  l.cni_versions.clear();
  l.cni_version = "1.0.0";
  EXPECT_EQ(NegotiateVersion(l, {{"0.1.0"}, {"1.0.0"}}), std::nullopt);
}

TEST(NetConfTest, PluginConfGetsListNameVersionPrevResultAndItsCapabilities) {
  Json plugin = J(R"({"type":"portmap","name":"mine","cniVersion":"0.1.0",
      "capabilities":{"portMappings":true}})");
  Json prev = J(R"({"cniVersion":"1.1.0","ips":[{"address":"10.1.0.5/24"}]})");
  Json rc = J(R"({"portMappings":[{"hostPort":8080}],"bandwidth":{}})");
  Json conf = BuildPluginConf(plugin, "net", "0.4.0", &prev, &rc);
  EXPECT_EQ(conf["name"], "net");
  EXPECT_EQ(conf["cniVersion"], "0.4.0");
  EXPECT_EQ(conf["prevResult"]["cniVersion"], "0.4.0");
  EXPECT_EQ(conf["prevResult"]["ips"][0]["version"], "4");
  EXPECT_EQ(conf["runtimeConfig"], J(R"({"portMappings":[{"hostPort":8080}]})"));
  Json bare = BuildPluginConf(J(R"({"type":"bridge"})"), "net", "1.0.0", nullptr, &rc);
  EXPECT_FALSE(bare.contains("prevResult"));
  EXPECT_FALSE(bare.contains("runtimeConfig"));
}

TEST(NetConfTest, ResultsConvertBetweenLegacyAndCurrentShapes) {
  Json legacy = J(R"({"cniVersion":"0.4.0","ips":[{"version":"6","address":"fd00::2/64"}]})");
  Json now = ConvertResult(legacy, "1.1.0");
  EXPECT_EQ(now["cniVersion"], "1.1.0");
  EXPECT_FALSE(now["ips"][0].contains("version"));
  EXPECT_EQ(ConvertResult(now, "0.4.0")["ips"][0]["version"], "6");
}

TEST(NetConfTest, ErrorDocumentsBecomeStatusesWithCodeNameMsgAndDetails) {
  std::optional<CniError> e =
      ParseCniError(R"({"cniVersion":"1.0.0","code":7,"msg":"bad","details":"why"})");
  ASSERT_TRUE(e.has_value());
  sdk::Status s = StatusFromCniError("bridge", *e);
  EXPECT_EQ(s.code(), CAPSTAN_RC_ERROR);
  EXPECT_EQ(s.message(), "bridge: CNI error 7 (invalid network config): bad: why");
  EXPECT_EQ(StatusFromCniError("x", CniError{11, "busy", ""}).code(), CAPSTAN_RC_RETRY_LATER);
  EXPECT_EQ(StatusFromCniError("x", CniError{50, "down", ""}).code(), CAPSTAN_RC_UNAVAILABLE);
  EXPECT_EQ(StatusFromCniError("x", CniError{120, "mine", ""}).message(), "x: CNI error 120: mine");
  EXPECT_FALSE(ParseCniError("not json").has_value());
  EXPECT_FALSE(ParseCniError(R"({"cniVersion":"1.0.0","ips":[]})").has_value());
}

}  // namespace
}  // namespace capstan::cni
