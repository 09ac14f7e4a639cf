// Tests for core/plugin/registry.h: loading configured chains of real test plugins, partial
// failure, multi-instance refusal, shared instances across kinds, dry runs and shutdown.
#include "core/plugin/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/common/config.h"
#include "tests/core/plugin/plugin_testing.h"

namespace capstan::plugin {
namespace {

using ::testing::HasSubstr;
using testing::ProbeRecorder;

PluginConfiguration Config(const std::string& chains_yaml) {
  std::string yaml = "apiVersion: capstan.io/v1alpha1\nkind: PluginConfiguration\npluginDirs: [" +
                     std::string(CAPSTAN_TESTDATA_DIR) + "]\nchains:\n" + chains_yaml;
  auto doc = config::ParseYaml(yaml, "test.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  auto c = ParsePluginConfiguration(*doc, "test.yaml", "/");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

TEST(RegistryTest, LoadsAndInitialisesEveryChainInOrder) {
  auto r = Registry::Load(Config(R"(
  authn:
    budget: 2s
    plugins:
      - {name: tokens, library: good_authn.so, config: {tokens: [{user: a}]}}
      - {name: extra, library: bad_output.so, failurePolicy: Ignore, timeout: 250ms}
  sched:
    plugins:
      - {name: fit, library: short_sched.so, weight: 2}
)"));
  ASSERT_TRUE(r->status().ok()) << r->status().ToString();
  const Chain* authn = r->chain(CAPSTAN_KIND_AUTHN);
  ASSERT_NE(authn, nullptr);
  EXPECT_EQ(authn->budget_ns, 2'000'000'000);
  ASSERT_EQ(authn->entries.size(), 2u);
  EXPECT_EQ(authn->entries[0].config.name, "tokens");
  EXPECT_EQ(authn->entries[0].resolved_path, std::string(CAPSTAN_TESTDATA_DIR) + "/good_authn.so");
  ASSERT_NE(authn->entries[0].instance, nullptr);
  EXPECT_NE(authn->entries[0].instance->authn(), nullptr);
  EXPECT_EQ(authn->entries[1].instance->info().name, "bad-output");
  EXPECT_EQ(authn->entries[1].config.failure_policy, FailurePolicy::kIgnore);
  const Chain* sched = r->chain(CAPSTAN_KIND_SCHED);
  ASSERT_NE(sched, nullptr);
  EXPECT_EQ(sched->entries[0].config.weight, 2);
  EXPECT_EQ(r->chain(CAPSTAN_KIND_CSI), nullptr);
}

TEST(RegistryTest, PartialFailureReportsEveryFailingEntryAndKeepsTheGoodOnes) {
  auto r = Registry::Load(Config(R"(
  authn:
    plugins:
      - {name: tokens, library: good_authn.so}
      - {name: missing, library: missing.so}
      - {name: strict, library: strict_schema.so, config: {user: 7}}
  authz:
    plugins:
      - {name: z, library: bad_output.so}
)"));
  const Status& s = r->status();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_THAT(s.message(), HasSubstr("3 of 4 plugin chain entries failed: "));
  EXPECT_THAT(s.message(), HasSubstr("authn[1] 'missing': library \"missing.so\" not found in ["));
  EXPECT_THAT(s.message(),
              HasSubstr("authn[2] 'strict': config for plugin 'strict' is invalid at /user: "));
  EXPECT_THAT(s.message(), HasSubstr("authz[0] 'z': plugin 'bad-output' from "));
  EXPECT_THAT(s.message(), HasSubstr("does not implement kind authz (it implements authn)"));
  const Chain* authn = r->chain(CAPSTAN_KIND_AUTHN);
  EXPECT_TRUE(authn->entries[0].status.ok());
  EXPECT_NE(authn->entries[0].instance, nullptr);
  EXPECT_EQ(authn->entries[1].status.code(), StatusCode::kNotFound);
  EXPECT_EQ(authn->entries[1].instance, nullptr);
}

TEST(RegistryTest, SecondInstanceOfASingleInstanceLibraryIsRefusedInBothModes) {
  for (bool init : {true, false}) {
    RegistryOptions options;
    options.init = init;
    auto r = Registry::Load(Config(R"(
  authn:
    plugins:
      - {name: one, library: good_authn.so}
      - {name: two, library: good_authn.so}
)"),
                            options);
    ASSERT_FALSE(r->status().ok()) << "init=" << init;
    EXPECT_THAT(r->status().message(),
                HasSubstr("authn[1] 'two': plugin 'good-authn' does not declare "
                          "CAPSTAN_CAP_MULTI_INSTANCE and already has instance 'one'"));
  }
}

TEST(RegistryTest, SameInstanceInTwoKindsIsSharedNotDuplicated) {
  auto r = Registry::Load(Config(R"(
  authn:
    plugins: [{name: both, library: authn_authz.so}]
  authz:
    plugins: [{name: both, library: authn_authz.so}]
)"));
  ASSERT_TRUE(r->status().ok()) << r->status().ToString();
  auto a = r->chain(CAPSTAN_KIND_AUTHN)->entries[0].instance;
  auto z = r->chain(CAPSTAN_KIND_AUTHZ)->entries[0].instance;
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a, z);
  EXPECT_NE(z->authz(), nullptr);
}

TEST(RegistryTest, SameInstanceNameWithDifferentConfigsIsAnError) {
  auto r = Registry::Load(Config(R"(
  authn:
    plugins: [{name: both, library: authn_authz.so, config: {a: 1}}]
  authz:
    plugins: [{name: both, library: authn_authz.so, config: {a: 2}}]
)"));
  ASSERT_FALSE(r->status().ok());
  EXPECT_THAT(r->status().message(),
              HasSubstr("authz[0] 'both': instance 'both' of plugin 'authn-authz' also appears in "
                        "chain authn with a different config"));
}

TEST(RegistryTest, DryRunValidatesWithoutCallingOnInit) {
  ProbeRecorder probe;
  RegistryOptions options;
  options.init = false;
  options.configure_host = [&](uint32_t, HostContext& ctx) { probe.Attach(ctx); };
  auto r = Registry::Load(Config(R"(
  authn:
    plugins:
      - {name: tokens, library: good_authn.so}
      - {name: strict, library: strict_schema.so, config: {user: 7}}
)"),
                          options);
  EXPECT_THAT(r->status().message(), HasSubstr("1 of 2 plugin chain entries failed"));
  const ChainEntry& tokens = r->chain(CAPSTAN_KIND_AUTHN)->entries[0];
  EXPECT_TRUE(tokens.status.ok());
  EXPECT_NE(tokens.library, nullptr);
  EXPECT_EQ(tokens.instance, nullptr);
  EXPECT_TRUE(probe.events().empty());
}

TEST(RegistryTest, ConfigureHostSeesEachEntrysKindAndDestructionDrainsPostedWork) {
  ProbeRecorder probe;
  std::vector<uint32_t> kinds;
  RegistryOptions options;
  options.configure_host = [&](uint32_t kind, HostContext& ctx) {
    kinds.push_back(kind);
    probe.Attach(ctx);
  };
  auto r = Registry::Load(Config(R"(
  authn:
    plugins: [{name: tokens, library: good_authn.so}]
)"),
                          options);
  ASSERT_TRUE(r->status().ok()) << r->status().ToString();
  EXPECT_EQ(kinds, std::vector<uint32_t>{CAPSTAN_KIND_AUTHN});
  auto instance = r->chain(CAPSTAN_KIND_AUTHN)->entries[0].instance;
  capstan_authn_request request{};
  request.struct_size = sizeof(request);
  request.bearer_token = {"post", 4};
  capstan_plugin_buf out{};
  auto fn = instance->authn()->on_authenticate;
  CallOutcome outcome = instance->Invoke(
      "on_authenticate", {}, [&](auto* s, auto* c) { return fn(s, c, &request, &out); });
  ASSERT_TRUE(outcome.ok());
  EXPECT_THAT(r->metrics().Exposition(),
              HasSubstr("capstan_plugin_good_authn_requests_total{instance=\"tokens\"} 1"));
  instance.reset();
  r.reset();
  std::vector<std::string> events = probe.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "destroy");
  EXPECT_EQ(probe.Count("task"), 50);
}

TEST(RegistryTest, CallOptionsUseTheEntryTimeoutCappedByTheChainBudget) {
  RegistryOptions dry;
  dry.init = false;
  auto r = Registry::Load(Config(R"(
  authn:
    budget: 100ms
    plugins: [{name: tokens, library: good_authn.so, timeout: 1h}]
)"),
                          dry);
  const Chain* chain = r->chain(CAPSTAN_KIND_AUTHN);
  int64_t before = MonotonicNowNs();
  int64_t deadline = chain->DeadlineFromNow();
  EXPECT_GE(deadline, before + 100'000'000);
  CallOptions o = chain->entries[0].CallOptionsWithin(deadline);
  EXPECT_EQ(o.deadline_mono_ns, deadline);
  CallOptions unbounded = chain->entries[0].CallOptionsWithin(0);
  EXPECT_GE(unbounded.deadline_mono_ns, before + 3'600'000'000'000);
}

}  // namespace
}  // namespace capstan::plugin
