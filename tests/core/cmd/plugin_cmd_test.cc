// Tests for core/cmd/plugin_cmd.cc: `capstan plugin inspect` and `capstan plugin chains` run as
// subprocesses on real test plugins.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/core/cmd/run_capstan.h"

namespace capstan::cmd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunCapstan;
using testing::TestPlugin;

TEST(PluginInspectTest, PrintsTheDescriptorOfAGoodPlugin) {
  auto r = RunCapstan({"plugin", "inspect", TestPlugin("good_authn")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Name:          good-authn"));
  EXPECT_THAT(r.out, HasSubstr("Version:       1.2.3"));
  EXPECT_THAT(r.out, HasSubstr("ABI:           1.0"));
  EXPECT_THAT(r.out, HasSubstr("authn (interface 1.0"));
  EXPECT_THAT(r.out, HasSubstr("on_authenticate"));
  EXPECT_THAT(r.out, HasSubstr("\"tokens\""));  // the schema
}

TEST(PluginInspectTest, JsonOutputIsMachineReadable) {
  auto r = RunCapstan({"plugin", "inspect", "-o", "json", TestPlugin("short_sched")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["name"], "short-sched");
  EXPECT_EQ(doc["kinds"][0]["kind"], "sched");
  EXPECT_EQ(doc["capabilities"], nlohmann::json({"thread-safe", "multi-instance"}));
  EXPECT_EQ(doc["kinds"][0]["entries"][5]["name"], "on_score");
  EXPECT_EQ(doc["kinds"][0]["entries"][5]["implemented"], false);
}

TEST(PluginInspectTest, MissingFileExitsOneNamingTheCause) {
  auto r = RunCapstan({"plugin", "inspect", "/nonexistent/x.so"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("loading plugin from /nonexistent/x.so: file not found"));
  EXPECT_EQ(r.out, "");
}

TEST(PluginInspectTest, IncompatiblePluginExitsOneWithTheVersionError) {
  auto r = RunCapstan({"plugin", "inspect", TestPlugin("other_major")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("loading plugin 'other-major' from "));
  EXPECT_THAT(r.err, HasSubstr("ABI major 2, host 1"));
}

TEST(PluginInspectTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCapstan({"plugin", "inspect"}).exit_code, 2);
  EXPECT_EQ(RunCapstan({"plugin", "inspect", "-o", "yaml", TestPlugin("good_authn")}).exit_code, 2);
  EXPECT_EQ(RunCapstan({"plugin", "frob"}).exit_code, 2);
  EXPECT_EQ(RunCapstan({"plugin", "inspect", "--help"}).exit_code, 0);
}

std::string WriteConfig(const std::string& chains) {
  static int n = 0;
  std::string path =
      "/tmp/capstan_plugin_cmd_" + std::to_string(getpid()) + "_" + std::to_string(n++) + ".yaml";
  std::ofstream(path) << "apiVersion: capstan.io/v1alpha1\nkind: PluginConfiguration\n"
                      << "pluginDirs: [" << CAPSTAN_TESTDATA_DIR << "]\nchains:\n"
                      << chains;
  return path;
}

TEST(PluginChainsTest, GoodConfigurationPrintsTheEffectiveChains) {
  std::string config = WriteConfig(R"(
  authn:
    budget: 2s
    plugins:
      - {name: tokens, library: good_authn.so, timeout: 500ms, config: {tokens: [{user: a}]}}
  sched:
    plugins:
      - {name: fit, library: short_sched.so, weight: 3, failurePolicy: Ignore}
)");
  auto r = RunCapstan({"plugin", "chains", "--config", config});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("authn (budget 2s)\n  1. tokens\n"));
  EXPECT_THAT(r.out, HasSubstr(TestPlugin("good_authn") + " (good_authn.so)"));
  EXPECT_THAT(r.out, HasSubstr("plugin:   good-authn 1.2.3"));
  EXPECT_THAT(r.out, HasSubstr("policy:   Fail, timeout 500ms\n"));
  EXPECT_THAT(r.out, HasSubstr("policy:   Ignore, timeout 1s, weight 3\n"));
  EXPECT_THAT(r.out, HasSubstr("loads:    ok"));
  EXPECT_THAT(r.out, HasSubstr("2 entries, 0 failed"));
}

TEST(PluginChainsTest, OneBadEntryExitsNonzeroAndShowsItsError) {
  std::string config = WriteConfig(R"(
  authn:
    plugins:
      - {name: tokens, library: good_authn.so}
      - {name: strict, library: strict_schema.so, config: {user: 5}}
)");
  for (const char* init : {"--init", "--no-init"}) {
    auto r = RunCapstan({"plugin", "chains", "--config", config, init});
    EXPECT_EQ(r.exit_code, 1) << init;
    EXPECT_THAT(r.out, HasSubstr("1. tokens"));
    EXPECT_THAT(r.out,
                HasSubstr("loads:    error: config for plugin 'strict' is invalid at /user: "));
    EXPECT_THAT(r.out, HasSubstr("2 entries, 1 failed"));
    EXPECT_THAT(r.err, HasSubstr("1 of 2 plugin chain entries failed"));
  }
}

TEST(PluginChainsTest, JsonOutputCarriesEachEntrysStatus) {
  std::string config = WriteConfig(R"(
  sched:
    plugins:
      - {name: fit, library: short_sched.so, weight: 2}
      - {name: gone, library: gone.so}
)");
  auto r = RunCapstan({"plugin", "chains", "--config", config, "-o", "json"});
  EXPECT_EQ(r.exit_code, 1);
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["ok"], false);
  EXPECT_EQ(doc["chains"][0]["entries"][0]["status"], "ok");
  EXPECT_EQ(doc["chains"][0]["entries"][0]["weight"], 2);
  EXPECT_THAT(doc["chains"][0]["entries"][1]["status"].get<std::string>(),
              HasSubstr("library \"gone.so\" not found"));
}

TEST(PluginChainsTest, InvalidConfigurationFileExitsOneWithThePath) {
  std::string config = WriteConfig(
      "  authn:\n    plugins:\n      - {name: a, library: a.so, "
      "timout: 1s}\n");
  auto r = RunCapstan({"plugin", "chains", "--config", config});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("chains.authn.plugins[0].timout: unknown key"));
  EXPECT_THAT(r.out, Not(HasSubstr("loads:")));
}

TEST(PluginChainsTest, MissingConfigFlagIsAUsageError) {
  auto r = RunCapstan({"plugin", "chains"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--config FILE is required"));
}

}  // namespace
}  // namespace capstan::cmd
