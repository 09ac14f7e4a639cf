// Tests for core/plugin/describe.h.
#include "core/plugin/describe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/common/config.h"
#include "tests/core/plugin/plugin_testing.h"

namespace capstan::plugin {
namespace {

using json = nlohmann::json;

TEST(DescribeTest, LibraryDescriptionListsKindsEntriesAndSchema) {
  auto lib = LoadLibrary(testing::TestPlugin("good_authn"));
  ASSERT_TRUE(lib.ok());
  json d = DescribeLibrary(**lib);
  EXPECT_EQ(d["name"], "good-authn");
  EXPECT_EQ(d["version"], "1.2.3");
  EXPECT_EQ(d["abi"], "1.0");
  EXPECT_EQ(d["capabilities"], json::array());
  EXPECT_EQ(d["kinds"][0]["kind"], "authn");
  EXPECT_EQ(d["kinds"][0]["interface"], "1.0");
  EXPECT_EQ(d["kinds"][0]["entries"][0], json({{"name", "on_authenticate"},
                                               {"required", true},
                                               {"implemented", true},
                                               {"withinStructSize", true}}));
  EXPECT_EQ(d["lifecycle"]["on_health"], true);
  EXPECT_EQ(d["configSchema"]["type"], "object");
}

TEST(DescribeTest, TruncatedVtableShowsWhichEntriesExist) {
  auto lib = LoadLibrary(testing::TestPlugin("short_sched"));
  ASSERT_TRUE(lib.ok());
  json d = DescribeLibrary(**lib);
  EXPECT_EQ(d["capabilities"], json({"thread-safe", "multi-instance"}));
  EXPECT_EQ(d["configSchema"], nullptr);
  std::vector<std::string> implemented;
  for (const json& e : d["kinds"][0]["entries"]) {
    if (e["implemented"] == true) implemented.push_back(e["name"]);
  }
  EXPECT_EQ(implemented, std::vector<std::string>{"on_filter"});
  EXPECT_EQ(d["kinds"][0]["vtableSize"], 32);
  EXPECT_EQ(d["kinds"][0]["entries"][2]["withinStructSize"], true);   // on_filter
  EXPECT_EQ(d["kinds"][0]["entries"][3]["withinStructSize"], false);  // on_post_filter
}

TEST(DescribeTest, ChainsDescriptionCarriesEachEntrysStatus) {
  auto doc = config::ParseYaml(
      "apiVersion: capstan.io/v1alpha1\nkind: PluginConfiguration\npluginDirs: [" +
          std::string(CAPSTAN_TESTDATA_DIR) +
          "]\nchains:\n  sched:\n    budget: 3s\n    plugins:\n"
          "      - {name: fit, library: short_sched.so, weight: 4, timeout: 250ms}\n"
          "      - {name: gone, library: gone.so, failurePolicy: Ignore}\n",
      "t.yaml");
  ASSERT_TRUE(doc.ok());
  auto config = ParsePluginConfiguration(*doc, "t.yaml", "/");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  RegistryOptions dry;
  dry.init = false;
  auto registry = Registry::Load(*config, dry);
  json d = DescribeChains(*registry, "t.yaml");
  EXPECT_EQ(d["ok"], false);
  const json& sched = d["chains"][0];
  EXPECT_EQ(sched["kind"], "sched");
  EXPECT_EQ(sched["budget"], "3s");
  EXPECT_EQ(sched["entries"][0]["plugin"], "short-sched");
  EXPECT_EQ(sched["entries"][0]["version"], "0.3.0");
  EXPECT_EQ(sched["entries"][0]["weight"], 4);
  EXPECT_EQ(sched["entries"][0]["timeout"], "250ms");
  EXPECT_EQ(sched["entries"][0]["status"], "ok");
  EXPECT_EQ(sched["entries"][1]["order"], 2);
  EXPECT_EQ(sched["entries"][1]["path"], nullptr);
  EXPECT_EQ(sched["entries"][1]["failurePolicy"], "Ignore");
  EXPECT_THAT(sched["entries"][1]["status"].get<std::string>(),
              ::testing::HasSubstr("library \"gone.so\" not found"));
}

}  // namespace
}  // namespace capstan::plugin
