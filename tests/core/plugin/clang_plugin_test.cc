// The plugin boundary is C: the SDK's example-token plugin, rebuilt with clang++ (see
// CMakeLists.txt) while this host is built with g++, loads and answers calls.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/plugin/instance.h"
#include "core/plugin/library.h"
#include "tests/core/plugin/plugin_testing.h"

namespace capstan::plugin {
namespace {

using ::testing::HasSubstr;

TEST(ClangPluginTest, PluginBuiltWithClangLoadsAndAuthenticatesInAGccHost) {
#if defined(__clang__)
  GTEST_SKIP() << "the host itself is built with clang; the cross-compiler case needs g++";
#endif
  auto lib = LoadLibrary(testing::ExtraPlugin("clang_example_token"));
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  EXPECT_EQ((*lib)->info().name, "example-token");
  auto metrics = std::make_shared<MetricsRegistry>();
  InstanceOptions options;
  options.name = "tokens";
  options.config = nlohmann::json::parse(
      R"({"tokens":[{"token":"0123456789","username":"carol","groups":["ops"]}]})");
  options.metrics = metrics;
  options.executor = std::make_shared<HostExecutor>(1);
  auto instance = PluginInstance::Create(*lib, std::move(options));
  ASSERT_TRUE(instance.ok()) << instance.status().ToString();

  capstan_authn_request request{};
  request.struct_size = sizeof(request);
  request.bearer_token = {"0123456789", 10};
  capstan_plugin_buf out{};
  auto fn = (*instance)->authn()->on_authenticate;
  CallOutcome outcome = (*instance)->Invoke(
      "on_authenticate", {},
      [&](capstan_plugin_state* s, capstan_call* c) { return fn(s, c, &request, &out); });
  ASSERT_TRUE(outcome.ok()) << outcome.ToStatus().ToString();
  auto user = (*instance)->ParseJsonOutput(out, "on_authenticate");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ((*user)["username"], "carol");
  EXPECT_EQ((*user)["groups"][0], "ops");
  EXPECT_THAT(metrics->Exposition(),
              HasSubstr("capstan_plugin_example_token_authenticated_total{instance=\"tokens\"} 1"));

  request.bearer_token = {"unknown-token", 13};
  EXPECT_EQ((*instance)
                ->Invoke("on_authenticate", {},
                         [&](capstan_plugin_state* s, capstan_call* c) {
                           return fn(s, c, &request, &out);
                         })
                .rc,
            CAPSTAN_RC_SKIP);
}

TEST(ClangPluginTest, TheLibraryUnderTestReallyCameFromClang) {
  // The compiler records itself in the .comment section; guard against the custom build
  // silently falling back to g++.
  std::ifstream in(testing::ExtraPlugin("clang_example_token"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(bytes.find("clang version"), std::string::npos);
}

}  // namespace
}  // namespace capstan::plugin
