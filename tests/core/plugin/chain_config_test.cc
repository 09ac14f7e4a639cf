// Tests for core/plugin/chain_config.h: the operator's plugin configuration file.
#include "core/plugin/chain_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "capstan/abi/common.h"
#include "core/common/config.h"

namespace capstan::plugin {
namespace {

using ::testing::HasSubstr;

Result<PluginConfiguration> Parse(const std::string& yaml, std::string base = "/etc/capstan") {
  auto doc = config::ParseYaml(yaml, "plugins.yaml");
  if (!doc.ok()) return doc.status();
  return ParsePluginConfiguration(*doc, "plugins.yaml", base);
}

std::string Normal(const std::string& path) {
  return std::filesystem::path(path).lexically_normal().string();
}

constexpr const char* kValid = R"(
apiVersion: capstan.io/v1alpha1
kind: PluginConfiguration
pluginDirs: [/usr/lib/capstan/plugins, local]
chains:
  sched:
    plugins:
      - name: fit
        library: sched/fit.so
        weight: 3
  authn:
    budget: 2s
    plugins:
      - name: tokens
        library: auth/static_token.so
        failurePolicy: Ignore
        timeout: 500ms
        config: {tokens: [{user: alice, token: s3cret}]}
      - name: anonymous
        library: /opt/anonymous.so
  csi:
    plugins:
      - name: hostpath
        library: csi/hostpath.so
)";

TEST(ChainConfigTest, ValidFileIsParsedWithDefaults) {
  auto c = Parse(kValid);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->plugin_dirs,
            (std::vector<std::string>{"/usr/lib/capstan/plugins", "/etc/capstan/local"}));
  ASSERT_EQ(c->chains.size(), 3u);
  EXPECT_EQ(c->chains[0].kind, static_cast<uint32_t>(CAPSTAN_KIND_AUTHN)) << "kind-id order";
  const ChainConfig* authn = c->chain(CAPSTAN_KIND_AUTHN);
  ASSERT_NE(authn, nullptr);
  EXPECT_EQ(authn->budget_ns, 2'000'000'000);
  ASSERT_EQ(authn->plugins.size(), 2u);
  const ChainEntryConfig& tokens = authn->plugins[0];
  EXPECT_EQ(tokens.name, "tokens");
  EXPECT_EQ(tokens.library, "auth/static_token.so");
  EXPECT_EQ(tokens.failure_policy, FailurePolicy::kIgnore);
  EXPECT_EQ(tokens.timeout_ns, 500'000'000);
  EXPECT_EQ(tokens.config["tokens"][0]["user"], "alice");
  const ChainEntryConfig& anonymous = authn->plugins[1];
  EXPECT_EQ(anonymous.failure_policy, FailurePolicy::kFail);
  EXPECT_EQ(anonymous.timeout_ns, 1'000'000'000);
  EXPECT_EQ(anonymous.config, nlohmann::json::object());
  EXPECT_EQ(c->chain(CAPSTAN_KIND_CSI)->plugins[0].timeout_ns, 300'000'000'000) << "5m for csi";
  const ChainEntryConfig& fit = c->chain(CAPSTAN_KIND_SCHED)->plugins[0];
  EXPECT_TRUE(fit.weight_set);
  EXPECT_EQ(fit.weight, 3);
  EXPECT_EQ(c->chain(CAPSTAN_KIND_RUNTIME), nullptr);
}

struct BadCase {
  const char* name;
  const char* chains_yaml;  // appended under `chains:`
  const char* want;
};

class BadChainConfigTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadChainConfigTest, IsRejectedWithThePath) {
  std::string yaml = "apiVersion: capstan.io/v1alpha1\nkind: PluginConfiguration\nchains:\n" +
                     std::string(GetParam().chains_yaml);
  auto c = Parse(yaml);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalid);
  EXPECT_THAT(c.status().message(), HasSubstr(GetParam().want));
  EXPECT_THAT(c.status().message(), HasSubstr("plugins.yaml: "));
}

const BadCase kBad[] = {
    {"UnknownEntryKey", "  authn:\n    plugins:\n      - {name: a, library: a.so, timout: 1s}\n",
     "chains.authn.plugins[0].timout: unknown key"},
    {"UnknownChainKey", "  authn:\n    budjet: 1s\n", "chains.authn.budjet: unknown key"},
    {"UnknownKind", "  scheduler: {}\n", "chains.scheduler: unknown kind"},
    {"BadDuration", "  authn:\n    plugins:\n      - {name: a, library: a.so, timeout: 5x}\n",
     "chains.authn.plugins[0].timeout: invalid duration \"5x\""},
    {"NumericDuration", "  authn:\n    plugins:\n      - {name: a, library: a.so, timeout: 5}\n",
     "chains.authn.plugins[0].timeout: must be a duration string"},
    {"NegativeBudget", "  authn:\n    budget: -1s\n", "chains.authn.budget: must be positive"},
    {"BadFailurePolicy",
     "  authn:\n    plugins:\n      - {name: a, library: a.so, failurePolicy: fail}\n",
     "chains.authn.plugins[0].failurePolicy: must be Fail or Ignore, got \"fail\""},
    {"WeightOutsideSched", "  authz:\n    plugins:\n      - {name: a, library: a.so, weight: 2}\n",
     "chains.authz.plugins[0].weight: only valid in the sched chain"},
    {"ZeroWeight", "  sched:\n    plugins:\n      - {name: a, library: a.so, weight: 0}\n",
     "chains.sched.plugins[0].weight: must be an integer from 1"},
    {"MissingLibrary", "  authn:\n    plugins:\n      - {name: a}\n",
     "chains.authn.plugins[0].library: required"},
    {"MissingName", "  authn:\n    plugins:\n      - {library: a.so}\n",
     "chains.authn.plugins[0].name: required"},
    {"DuplicateName",
     "  authn:\n    plugins:\n      - {name: a, library: a.so}\n      - {name: a, library: b.so}\n",
     "chains.authn.plugins[1].name: duplicate instance name \"a\" in chain authn"},
    {"BadName", "  authn:\n    plugins:\n      - {name: A_b, library: a.so}\n",
     "chains.authn.plugins[0].name: \"A_b\" is not"},
    {"PluginsNotAList", "  authn:\n    plugins: {name: a}\n",
     "chains.authn.plugins: must be a list"},
};

INSTANTIATE_TEST_SUITE_P(All, BadChainConfigTest, ::testing::ValuesIn(kBad),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(ChainConfigTest, EveryProblemIsReportedAtOnce) {
  auto c = Parse(R"(
apiVersion: capstan.io/v1alpha1
kind: PluginConfiguration
extra: 1
chains:
  authn:
    plugins:
      - {name: a, library: a.so, timeout: bad, failurePolicy: Never}
)");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("extra: unknown key"));
  EXPECT_THAT(c.status().message(), HasSubstr("plugins[0].timeout"));
  EXPECT_THAT(c.status().message(), HasSubstr("plugins[0].failurePolicy"));
}

TEST(ChainConfigTest, ApiVersionAndKindAreRequired) {
  auto c = Parse("chains: {}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("apiVersion: must be capstan.io/v1alpha1"));
  EXPECT_THAT(c.status().message(), HasSubstr("kind: must be PluginConfiguration"));
}

TEST(ChainConfigTest, LibrariesResolveThroughPluginDirsInOrder) {
  std::string root =
      Normal(::testing::TempDir() + "/chain_config_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(root + "/a/auth");
  std::filesystem::create_directories(root + "/b/auth");
  std::ofstream(root + "/b/auth/x.so") << "";
  std::ofstream(root + "/a/auth/y.so") << "";
  std::ofstream(root + "/b/auth/y.so") << "";
  PluginConfiguration c;
  c.base_dir = root;
  c.plugin_dirs = {root + "/a", root + "/b"};
  EXPECT_EQ(*ResolveLibrary(c, "auth/x.so"), root + "/b/auth/x.so");
  EXPECT_EQ(*ResolveLibrary(c, "auth/y.so"), root + "/a/auth/y.so") << "first dir wins";
  EXPECT_EQ(*ResolveLibrary(c, "/abs/z.so"), "/abs/z.so");
  auto missing = ResolveLibrary(c, "auth/none.so");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "library \"auth/none.so\" not found in [" + root + "/a, " + root + "/b]");
  c.plugin_dirs.clear();
  EXPECT_EQ(*ResolveLibrary(c, "b/auth/x.so"), root + "/b/auth/x.so") << "base dir by default";
}

TEST(ChainConfigTest, LoadingAFileAnchorsRelativeDirsAtItsDirectory) {
  std::string root =
      Normal(::testing::TempDir() + "/chain_config_load_" + std::to_string(getpid()));
  std::filesystem::create_directories(root);
  std::ofstream(root + "/plugins.yaml")
      << "apiVersion: capstan.io/v1alpha1\nkind: PluginConfiguration\npluginDirs: [lib]\n";
  auto c = LoadPluginConfiguration(root + "/plugins.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->plugin_dirs, std::vector<std::string>{root + "/lib"});
  EXPECT_EQ(LoadPluginConfiguration(root + "/missing.yaml").status().code(), StatusCode::kNotFound);
}

TEST(ChainConfigTest, DurationsFormatCompactly) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(500'000'000), "500ms");
  EXPECT_EQ(FormatDuration(1'000'000'000), "1s");
  EXPECT_EQ(FormatDuration(90'000'000'000), "1m30s");
  EXPECT_EQ(FormatDuration(300'000'000'000), "5m");
  EXPECT_EQ(FormatDuration(3'600'000'000'000), "1h");
  EXPECT_EQ(FormatDuration(1'500'000'000), "1.5s");
  EXPECT_EQ(FormatDuration(1'500), "1500ns");
}

}  // namespace
}  // namespace capstan::plugin
