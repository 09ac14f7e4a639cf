// Tests for core/plugin/instance.h on real test plugins (testdata/) and in-binary descriptors:
// config validation, init, calls, output validation, serialization, multi-instance refusal and
// draining posted work before on_destroy.
#include "core/plugin/instance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/common/log.h"
#include "tests/core/plugin/plugin_testing.h"

namespace capstan::plugin {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;
using testing::ProbeRecorder;
using testing::TestPlugin;

std::shared_ptr<const Library> Load(const std::string& name) {
  auto lib = LoadLibrary(TestPlugin(name));
  EXPECT_TRUE(lib.ok()) << lib.status().ToString();
  return lib.ok() ? *lib : nullptr;
}

InstanceOptions Options(std::string name, json config = json::object()) {
  InstanceOptions o;
  o.name = std::move(name);
  o.config = std::move(config);
  o.executor = std::make_shared<HostExecutor>(2);
  o.metrics = std::make_shared<MetricsRegistry>();
  return o;
}

// Calls on_authenticate with `token` as the bearer token.
CallOutcome Authenticate(PluginInstance& instance, std::string_view token, capstan_plugin_buf* out,
                         const CallOptions& options = {}) {
  capstan_authn_request request{};
  request.struct_size = sizeof(request);
  request.bearer_token = {token.data(), token.size()};
  auto fn = instance.authn()->on_authenticate;
  return instance.Invoke("on_authenticate", options, [&](capstan_plugin_state* s, capstan_call* c) {
    return fn(s, c, &request, out);
  });
}

TEST(PluginInstanceTest, AuthenticatesThroughTheCopiedVtable) {
  auto instance = PluginInstance::Create(Load("good_authn"),
                                         Options("tokens", {{"tokens", {{{"user", "a"}}}}}));
  ASSERT_TRUE(instance.ok()) << instance.status().ToString();
  PluginInstance& p = **instance;
  EXPECT_EQ(p.name(), "tokens");
  ASSERT_NE(p.authn(), nullptr);
  EXPECT_EQ(p.authz(), nullptr);
  capstan_plugin_buf out{};
  CallOutcome outcome = Authenticate(p, "secret", &out);
  ASSERT_TRUE(outcome.ok()) << outcome.ToStatus().ToString();
  auto user = p.ParseJsonOutput(out, "on_authenticate");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ((*user)["username"], "alice");
  EXPECT_TRUE(p.Health({}).ok());
}

TEST(PluginInstanceTest, NonOkCodesCarryThePluginTextAndSource) {
  auto instance = PluginInstance::Create(Load("good_authn"), Options("tokens"));
  ASSERT_TRUE(instance.ok());
  capstan_plugin_buf out{};
  EXPECT_EQ(Authenticate(**instance, "", &out).rc, CAPSTAN_RC_SKIP);
  CallOutcome denied = Authenticate(**instance, "wrong", &out);
  EXPECT_EQ(denied.rc, CAPSTAN_RC_DENIED);
  EXPECT_EQ(denied.ToStatus().message(),
            "plugin 'good-authn' instance 'tokens' on_authenticate: DENIED: unknown token");
  EXPECT_EQ(denied.ToStatus().code(), StatusCode::kForbidden);
}

TEST(PluginInstanceTest, ConfigIsValidatedAgainstTheSchemaBeforeInit) {
  ProbeRecorder probe;
  InstanceOptions o = Options("tokens", json::parse(R"({"tokens":[{"user":"a"},{"user":5}]})"));
  o.configure_host = [&](HostContext& ctx) { probe.Attach(ctx); };
  auto instance = PluginInstance::Create(Load("good_authn"), std::move(o));
  ASSERT_FALSE(instance.ok());
  EXPECT_EQ(instance.status().code(), StatusCode::kInvalid);
  EXPECT_THAT(instance.status().message(),
              HasSubstr("config for plugin 'tokens' is invalid at /tokens/1/user: "));
  EXPECT_TRUE(probe.events().empty()) << "on_init must not run";
}

TEST(PluginInstanceTest, StrictSchemaRejectsTheTestConfigs) {
  struct Case {
    const char* config;
    const char* want;
  };
  for (const Case& c :
       {Case{R"({})", "is invalid at /: "}, Case{R"({"user":""})", "is invalid at /user: "},
        Case{R"({"user":"a","groups":["x",1]})", "is invalid at /groups/1: "},
        Case{R"({"user":"a","extra":true})", "is invalid at /: "}}) {
    auto instance =
        PluginInstance::Create(Load("strict_schema"), Options("strict", json::parse(c.config)));
    ASSERT_FALSE(instance.ok()) << c.config;
    EXPECT_THAT(instance.status().message(), HasSubstr(c.want)) << c.config;
  }
  EXPECT_TRUE(
      PluginInstance::Create(Load("strict_schema"), Options("strict", {{"user", "u"}})).ok());
}

TEST(PluginInstanceTest, PluginWithoutSchemaNeedsAnObjectConfig) {
  auto instance = PluginInstance::Create(Load("short_sched"), Options("s", json::array()));
  ASSERT_FALSE(instance.ok());
  EXPECT_THAT(instance.status().message(), HasSubstr("must be a JSON object"));
}

TEST(PluginInstanceTest, SecondInstanceOfASingleInstancePluginIsRefused) {
  auto lib = Load("good_authn");
  auto first = PluginInstance::Create(lib, Options("one"));
  ASSERT_TRUE(first.ok());
  auto second = PluginInstance::Create(lib, Options("two"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(second.status().message(),
              HasSubstr("does not declare CAPSTAN_CAP_MULTI_INSTANCE and already has instance "
                        "'one'; cannot create 'two'"));
  first->reset();
  EXPECT_TRUE(PluginInstance::Create(lib, Options("three")).ok()) << "the slot is freed";
}

TEST(PluginInstanceTest, MultiInstancePluginMayBeInitialisedTwice) {
  auto lib = Load("bad_output");
  auto a = PluginInstance::Create(lib, Options("a"));
  auto b = PluginInstance::Create(lib, Options("b"));
  EXPECT_TRUE(a.ok());
  EXPECT_TRUE(b.ok());
}

TEST(PluginInstanceTest, PostedWorkIsDrainedBeforeOnDestroy) {
  ProbeRecorder probe;
  {
    InstanceOptions o = Options("tokens");
    o.configure_host = [&](HostContext& ctx) { probe.Attach(ctx); };
    auto instance = PluginInstance::Create(Load("good_authn"), std::move(o));
    ASSERT_TRUE(instance.ok()) << instance.status().ToString();
    capstan_plugin_buf out{};
    ASSERT_TRUE(Authenticate(**instance, "post-later", &out).ok());
    ASSERT_TRUE(Authenticate(**instance, "post", &out).ok());
  }  // destroyed here
  std::vector<std::string> events = probe.events();
  ASSERT_EQ(events.size(), 52u);
  EXPECT_EQ(events.front(), "init");
  EXPECT_EQ(events.back(), "destroy");
  EXPECT_EQ(probe.Count("task"), 50);
  EXPECT_EQ(probe.Count("late-task"), 0) << "delayed tasks are dropped, not run after destroy";
}

TEST(PluginInstanceTest, HostTerminatesAnOverlongErrorText) {
  auto instance = PluginInstance::Create(Load("good_authn"), Options("tokens"));
  ASSERT_TRUE(instance.ok());
  capstan_plugin_buf out{};
  CallOptions small;
  small.error_cap = 256;
  CallOutcome outcome = Authenticate(**instance, "long-error", &out, small);
  EXPECT_EQ(outcome.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(outcome.message, std::string(255, 'x'));
  EXPECT_EQ(Authenticate(**instance, "long-error", &out).message, std::string(1023, 'x'));
}

TEST(PluginInstanceTest, PluginDefinedCodeBecomesErrorKeepingTheCode) {
  auto instance = PluginInstance::Create(Load("good_authn"), Options("tokens"));
  ASSERT_TRUE(instance.ok());
  capstan_plugin_buf out{};
  CallOutcome outcome = Authenticate(**instance, "rc-104", &out);
  EXPECT_EQ(outcome.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(outcome.message, "plugin-defined return code 104: custom failure");
}

TEST(PluginInstanceTest, PluginSeesThePassedDeadlineThroughCallCancelled) {
  auto instance = PluginInstance::Create(Load("good_authn"), Options("tokens"));
  ASSERT_TRUE(instance.ok());
  capstan_plugin_buf out{};
  EXPECT_TRUE(Authenticate(**instance, "deadline", &out).ok());
  CallOptions past;
  past.deadline_mono_ns = MonotonicNowNs() - 1;
  CallOutcome late = Authenticate(**instance, "deadline", &out, past);
  EXPECT_EQ(late.rc, CAPSTAN_RC_DEADLINE_EXCEEDED);
  EXPECT_EQ(late.message, "gave up");
}

TEST(PluginInstanceTest, MetricsAndLogsOfThePluginCarryTheInstanceName) {
  std::vector<std::string> lines;
  log::SetSink([&](std::string_view line) { lines.emplace_back(line); });
  InstanceOptions o = Options("tokens");
  auto metrics = o.metrics;
  auto instance = PluginInstance::Create(Load("good_authn"), std::move(o));
  ASSERT_TRUE(instance.ok());
  capstan_plugin_buf out{};
  ASSERT_TRUE(Authenticate(**instance, "log", &out).ok());
  log::SetSink(nullptr);
  EXPECT_THAT(metrics->Exposition(),
              HasSubstr("capstan_plugin_good_authn_requests_total{instance=\"tokens\"} 1\n"));
  EXPECT_THAT(
      metrics->Exposition(),
      HasSubstr("capstan_plugin_good_authn_latency_seconds_count{instance=\"tokens\"} 1\n"));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("hello from plugin"));
  EXPECT_THAT(lines[0], HasSubstr("instance=tokens"));
}

TEST(PluginInstanceTest, ExceptionEscapingACppPluginBecomesError) {
  auto instance = PluginInstance::Create(Load("throws"), Options("t"));
  ASSERT_TRUE(instance.ok()) << instance.status().ToString();
  capstan_plugin_buf out{};
  CallOutcome outcome = Authenticate(**instance, "x", &out);
  EXPECT_EQ(outcome.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(outcome.ToStatus().message(),
            "plugin 'throws' instance 't' on_authenticate: ERROR: plugin threw across the ABI");
}

TEST(PluginInstanceTest, MalformedOutputsAreRejected) {
  auto instance = PluginInstance::Create(Load("bad_output"), Options("bad"));
  ASSERT_TRUE(instance.ok());
  capstan_plugin_buf out{};
  ASSERT_TRUE(Authenticate(**instance, "null-data", &out).ok());
  auto user = (*instance)->ParseJsonOutput(out, "on_authenticate");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), StatusCode::kInternal);
  EXPECT_THAT(user.status().message(), HasSubstr("length 5 with NULL data"));
  ASSERT_TRUE(Authenticate(**instance, "bad-json", &out).ok());
  user = (*instance)->ParseJsonOutput(out, "on_authenticate");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().message(),
            "plugin 'bad-output' instance 'bad' on_authenticate: plugin returned malformed "
            "output: invalid JSON");
}

TEST(PluginInstanceTest, TruncatedSchedVtableIsCalledOnlyWhereImplemented) {
  auto instance = PluginInstance::Create(Load("short_sched"), Options("fit"));
  ASSERT_TRUE(instance.ok());
  const capstan_sched_v1* sched = (*instance)->sched();
  ASSERT_NE(sched, nullptr);
  EXPECT_EQ(sched->on_score, nullptr);
  EXPECT_EQ(sched->on_post_filter, nullptr);
  capstan_sched_pod_view pod{};
  capstan_sched_node_view node{};
  node.name = {"full", 4};
  CallOutcome outcome =
      (*instance)->Invoke("on_filter", {}, [&](capstan_plugin_state* s, capstan_call* c) {
        return sched->on_filter(s, c, nullptr, &pod, &node);
      });
  EXPECT_EQ(outcome.rc, CAPSTAN_RC_UNSCHEDULABLE);
  EXPECT_EQ(outcome.message, "node(s) are full");
}

// In-binary plugins for lifecycle and threading tests.
std::atomic<int> g_inside{0};
std::atomic<int> g_max_inside{0};
std::atomic<int> g_init_calls{0};

capstan_rc CountingInit(const capstan_host*, capstan_host_buf config, capstan_call* call,
                        capstan_plugin_state** out) {
  g_init_calls++;
  std::string text(reinterpret_cast<const char*>(config.data), config.len);
  if (text.find("fail") != std::string::npos) {
    std::snprintf(call->error_buf, call->error_cap, "refusing config %s", text.c_str());
    return CAPSTAN_RC_INVALID;
  }
  *out = nullptr;
  return CAPSTAN_RC_OK;
}
void NoDestroy(capstan_plugin_state*) {}

// Records how many calls are inside at once; waits (bounded) for a second caller so that a
// thread-safe plugin demonstrably runs calls concurrently.
capstan_rc ConcurrentAuthn(capstan_plugin_state*, capstan_call*, const capstan_authn_request* r,
                           capstan_plugin_buf*) {
  int now = ++g_inside;
  int prev = g_max_inside.load();
  while (now > prev && !g_max_inside.compare_exchange_weak(prev, now)) {
  }
  if (r->bearer_token.len > 0) {  // "wait": hold until another call is inside
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (g_max_inside.load() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
  } else {
    std::this_thread::yield();
  }
  --g_inside;
  return CAPSTAN_RC_OK;
}

const capstan_authn_v1 kConcurrentAuthn = {sizeof(capstan_authn_v1), 0, &ConcurrentAuthn};
const capstan_kind_descriptor kConcurrentKinds[] = {
    {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_AUTHN, 1, 0, 0, &kConcurrentAuthn}};

template <uint64_t kCaps>
const capstan_plugin_descriptor* ConcurrentEntry() {
  static const capstan_plugin_descriptor d = {sizeof(capstan_plugin_descriptor),
                                              CAPSTAN_ABI_MAJOR,
                                              CAPSTAN_ABI_MINOR,
                                              "in-binary",
                                              "1.0.0",
                                              nullptr,
                                              nullptr,
                                              kCaps,
                                              1,
                                              0,
                                              kConcurrentKinds,
                                              &CountingInit,
                                              &NoDestroy,
                                              nullptr};
  return &d;
}

TEST(PluginInstanceTest, CallsOnAPluginWithoutThreadSafetyAreSerialized) {
  auto lib = LibraryFromEntry(&ConcurrentEntry<0>, "<in-binary serial>");
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  auto instance = PluginInstance::Create(*lib, Options("serial"));
  ASSERT_TRUE(instance.ok());
  g_max_inside = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      capstan_plugin_buf out{};
      for (int i = 0; i < 200; ++i) EXPECT_TRUE(Authenticate(**instance, "", &out).ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(g_max_inside.load(), 1);
}

TEST(PluginInstanceTest, CallsOnAThreadSafePluginMayOverlap) {
  auto lib = LibraryFromEntry(&ConcurrentEntry<CAPSTAN_CAP_THREAD_SAFE>, "<in-binary parallel>");
  ASSERT_TRUE(lib.ok());
  auto instance = PluginInstance::Create(*lib, Options("parallel"));
  ASSERT_TRUE(instance.ok());
  g_max_inside = 0;
  std::thread a([&] {
    capstan_plugin_buf out{};
    EXPECT_TRUE(Authenticate(**instance, "wait", &out).ok());
  });
  std::thread b([&] {
    capstan_plugin_buf out{};
    EXPECT_TRUE(Authenticate(**instance, "wait", &out).ok());
  });
  a.join();
  b.join();
  EXPECT_EQ(g_max_inside.load(), 2);
}

TEST(PluginInstanceTest, InitFailureIsReportedAndFreesTheSlot) {
  auto lib = LibraryFromEntry(&ConcurrentEntry<0>, "<in-binary serial>");
  ASSERT_TRUE(lib.ok());
  auto failed = PluginInstance::Create(*lib, Options("x", {{"mode", "fail"}}));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(failed.status().message(),
            "initializing plugin 'in-binary' instance 'x': INVALID: refusing config "
            "{\"mode\":\"fail\"}");
  EXPECT_TRUE(PluginInstance::Create(*lib, Options("y")).ok());
}

TEST(PluginInstanceTest, InvalidInstanceNameIsRefused) {
  auto instance = PluginInstance::Create(Load("bad_output"), Options("Not Valid"));
  ASSERT_FALSE(instance.ok());
  EXPECT_THAT(instance.status().message(), HasSubstr("instance name \"Not Valid\""));
}

}  // namespace
}  // namespace capstan::plugin
