// Tests for core/plugin/host_context.h: service lookup, extra procs, logging with the instance
// name, metric definition only during init, call cancellation and posting.
#include "core/plugin/host_context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "core/common/log.h"
#include "core/plugin/call.h"

namespace capstan::plugin {
namespace {

using ::testing::HasSubstr;

template <typename Fn>
Fn Lookup(const capstan_host* host, const char* name) {
  return reinterpret_cast<Fn>(host->get_proc(host->ctx, name));
}

HostContext::Options Opts(std::shared_ptr<HostExecutor> executor = nullptr,
                          std::shared_ptr<MetricsRegistry> metrics = nullptr) {
  return {"demo-plugin", "demo", std::move(executor), std::move(metrics)};
}

TEST(HostContextTest, TableCarriesTheAbiVersionAndLooksServicesUpByName) {
  HostContext ctx(Opts(std::make_shared<HostExecutor>(1), std::make_shared<MetricsRegistry>()));
  const capstan_host* host = ctx.table();
  EXPECT_EQ(host->struct_size, sizeof(capstan_host));
  EXPECT_EQ(host->abi_major, CAPSTAN_ABI_MAJOR);
  for (const char* name :
       {"capstan_host_log_v1", "capstan_host_metric_define_v1", "capstan_host_metric_record_v1",
        "capstan_host_call_cancelled_v1", "capstan_host_post_v1"}) {
    EXPECT_NE(host->get_proc(host->ctx, name), nullptr) << name;
  }
  EXPECT_EQ(host->get_proc(host->ctx, "capstan_host_cache_get_v1"), nullptr);
  EXPECT_EQ(host->get_proc(host->ctx, "capstan_host_log_v2"), nullptr);
  EXPECT_EQ(host->get_proc(host->ctx, nullptr), nullptr);
}

TEST(HostContextTest, MetricServicesAreAbsentWithoutARegistry) {
  HostContext ctx(Opts());
  EXPECT_EQ(ctx.GetProc("capstan_host_metric_define_v1"), nullptr);
}

capstan_rc FakeCacheGet(capstan_host_ctx* ctx, capstan_host_str, capstan_host_str key,
                        capstan_host_buf* out) {
  auto* text = static_cast<std::string*>(HostContext::FromHandle(ctx)->UserData("cache"));
  *text = std::string(key.data, key.len);
  out->data = reinterpret_cast<const uint8_t*>(text->data());
  out->len = text->size();
  return CAPSTAN_RC_OK;
}

TEST(HostContextTest, OtherSubsystemsRegisterNamedProcsPerContext) {
  HostContext ctx(Opts());
  std::string storage;
  ctx.SetUserData("cache", &storage);
  ctx.RegisterProc("capstan_host_cache_get_v1", reinterpret_cast<capstan_host_proc>(&FakeCacheGet));
  auto get = Lookup<capstan_host_cache_get_v1_fn>(ctx.table(), "capstan_host_cache_get_v1");
  ASSERT_NE(get, nullptr);
  capstan_host_buf out{};
  EXPECT_EQ(get(ctx.table()->ctx, {"/v1/pods", 8}, {"ns/p", 4}, &out), CAPSTAN_RC_OK);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.data), out.len), "ns/p");
  HostContext other(Opts());
  EXPECT_EQ(other.GetProc("capstan_host_cache_get_v1"), nullptr) << "procs are per context";
}

TEST(HostContextTest, LogLinesCarryPluginAndInstanceNames) {
  std::vector<std::string> lines;
  log::SetSink([&](std::string_view line) { lines.emplace_back(line); });
  HostContext ctx(Opts());
  auto log_fn = Lookup<capstan_host_log_v1_fn>(ctx.table(), "capstan_host_log_v1");
  log_fn(ctx.table()->ctx, CAPSTAN_LOG_WARN, {"disk low", 8}, {"{\"free\":1}", 10});
  log_fn(ctx.table()->ctx, CAPSTAN_LOG_INFO, {nullptr, 5}, {nullptr, 0});  // malformed message
  log::SetSink(nullptr);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("level=warn"));
  EXPECT_THAT(lines[0], HasSubstr("disk low"));
  EXPECT_THAT(lines[0], HasSubstr("instance=demo"));
  EXPECT_THAT(lines[0], HasSubstr("plugin=demo-plugin"));
  EXPECT_THAT(lines[0], HasSubstr("free"));
  EXPECT_THAT(lines[1], HasSubstr("malformed"));
}

TEST(HostContextTest, MetricsAreDefinedDuringInitOnlyAndRecordedById) {
  auto metrics = std::make_shared<MetricsRegistry>();
  {
    HostContext ctx(Opts(nullptr, metrics));
    auto define =
        Lookup<capstan_host_metric_define_v1_fn>(ctx.table(), "capstan_host_metric_define_v1");
    auto record =
        Lookup<capstan_host_metric_record_v1_fn>(ctx.table(), "capstan_host_metric_record_v1");
    capstan_host_ctx* h = ctx.table()->ctx;
    uint32_t id = 99;
    EXPECT_EQ(define(h, {"calls_total", 11}, {"Calls.", 6}, CAPSTAN_METRIC_COUNTER, &id),
              CAPSTAN_RC_OK);
    EXPECT_EQ(id, 0u);
    uint32_t dup = 0;
    EXPECT_EQ(define(h, {"calls_total", 11}, {"Calls.", 6}, CAPSTAN_METRIC_COUNTER, &dup),
              CAPSTAN_RC_INVALID);
    EXPECT_EQ(define(h, {"Bad-Name", 8}, {"", 0}, CAPSTAN_METRIC_GAUGE, &dup), CAPSTAN_RC_INVALID);
    EXPECT_EQ(define(h, {"x", 1}, {"", 0}, 7, &dup), CAPSTAN_RC_INVALID);
    ctx.EndInit();
    EXPECT_EQ(define(h, {"late", 4}, {"", 0}, CAPSTAN_METRIC_GAUGE, &dup), CAPSTAN_RC_UNAVAILABLE);
    record(h, id, 2);
    record(h, 12345, 1);  // unknown ids are ignored
    EXPECT_THAT(metrics->Exposition(),
                HasSubstr("capstan_plugin_demo_plugin_calls_total{instance=\"demo\"} 2\n"));
  }
  EXPECT_EQ(metrics->Exposition(), "") << "series go away with their instance";
}

TEST(HostContextTest, CallCancelledFollowsTheCallHandle) {
  HostContext ctx(Opts());
  auto cancelled =
      Lookup<capstan_host_call_cancelled_v1_fn>(ctx.table(), "capstan_host_call_cancelled_v1");
  CancelToken token;
  CallOptions options;
  options.cancel = &token;
  CallContext call(options);
  EXPECT_EQ(cancelled(call.raw()->handle), 0);
  token.Cancel();
  EXPECT_EQ(cancelled(call.raw()->handle), 1);
  EXPECT_EQ(cancelled(nullptr), 0);
}

TEST(HostContextTest, PostRunsOnHostThreadsAndIsRefusedAfterShutdown) {
  HostContext ctx(Opts(std::make_shared<HostExecutor>(1)));
  auto post = Lookup<capstan_host_post_v1_fn>(ctx.table(), "capstan_host_post_v1");
  std::promise<std::thread::id> ran;
  auto task = [](void* arg) {
    static_cast<std::promise<std::thread::id>*>(arg)->set_value(std::this_thread::get_id());
  };
  ASSERT_EQ(post(ctx.table()->ctx, task, &ran, 0), CAPSTAN_RC_OK);
  EXPECT_NE(ran.get_future().get(), std::this_thread::get_id());
  EXPECT_EQ(post(ctx.table()->ctx, nullptr, nullptr, 0), CAPSTAN_RC_INVALID);
  ctx.Shutdown();
  EXPECT_EQ(post(ctx.table()->ctx, task, &ran, 0), CAPSTAN_RC_UNAVAILABLE);
}

TEST(HostContextTest, PostWithoutAnExecutorIsUnavailable) {
  HostContext ctx(Opts());
  EXPECT_EQ(ctx.Post([](void*) {}, nullptr, 0), CAPSTAN_RC_UNAVAILABLE);
}

}  // namespace
}  // namespace capstan::plugin
