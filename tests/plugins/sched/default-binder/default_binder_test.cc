// Tests for plugins/sched/default-binder: the Binding POST and its error handling.
#include "plugins/sched/default-binder/default_binder.h"

#include <gtest/gtest.h>

#include "capstan/sdk/json.h"
#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::Pod;
using testing::SchedDriver;

constexpr char kPath[] = "/api/v1/namespaces/prod/pods/web-1/binding";

TEST(DefaultBinderTest, PostsAV1BindingToTheBindingSubresource) {
  FakeHost host;
  host.SetApiResponse("POST", kPath, 201, R"({"kind":"Status","status":"Success"})");
  TestPlugin<DefaultBinder> p(host);
  ASSERT_TRUE(p.init().ok());
  SchedDriver d(p);
  Pod pod;
  pod.Name("prod", "web-1").Uid("u-1");
  ASSERT_TRUE(d.Bind(host.NewCycle(), pod.get(), "node-7").ok());
  ASSERT_EQ(host.api_calls().size(), 1u);
  const sdk::testing::ApiCall call = host.api_calls()[0];
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.path, kPath);
  std::optional<sdk::json::Json> body = sdk::json::Parse(call.body);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ((*body)["apiVersion"], "v1");
  EXPECT_EQ((*body)["kind"], "Binding");
  EXPECT_EQ((*body)["metadata"]["name"], "web-1");
  EXPECT_EQ((*body)["metadata"]["namespace"], "prod");
  EXPECT_EQ((*body)["metadata"]["uid"], "u-1");
  EXPECT_EQ((*body)["target"]["kind"], "Node");
  EXPECT_EQ((*body)["target"]["name"], "node-7");
}

TEST(DefaultBinderTest, ApiRejectionsAreErrorsCarryingTheStatus) {
  FakeHost host;
  host.SetApiResponse("POST", kPath, 409, R"({"kind":"Status","reason":"Conflict"})");
  TestPlugin<DefaultBinder> p(host);
  SchedDriver d(p);
  Pod pod;
  pod.Name("prod", "web-1");
  sdk::testing::Outcome o = d.Bind(host.NewCycle(), pod.get(), "n");
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_NE(o.error.find("HTTP 409"), std::string::npos) << o.error;
}

TEST(DefaultBinderTest, LoadsWithoutAnApiClientButCannotBind) {
  FakeHost host;
  host.RemoveService("capstan_host_api_request_v1");
  TestPlugin<DefaultBinder> p(host);
  ASSERT_TRUE(p.init().ok());
  SchedDriver d(p);
  Pod pod;
  EXPECT_EQ(d.Bind(host.NewCycle(), pod.get(), "n").rc, CAPSTAN_RC_UNAVAILABLE);
}

}  // namespace
}  // namespace capstan::sched
