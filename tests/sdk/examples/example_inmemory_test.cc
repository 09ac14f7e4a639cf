// Tests for sdk/examples/example-inmemory (runtime): the CRI sandbox and container state
// machine, idempotent stop/remove, NOT_FOUND for unknown IDs, and list filters.
#include <gtest/gtest.h>

#include <string>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "sdk/examples/example-inmemory/inmemory_runtime.h"
#include "tests/sdk/examples/schema_check.h"

namespace capstan::examples {
namespace {

using sdk::json::Json;
using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;
using Rt = capstan_runtime_v1;

class ExampleInMemoryTest : public ::testing::Test {
 protected:
  Json Call(capstan_runtime_rpc_fn Rt::*rpc, const Json& request, capstan_rc want = 0) {
    Outcome o = plugin_.Runtime(rpc, request.dump());
    EXPECT_EQ(o.rc, want) << o.error;
    return o.output.empty() ? Json() : Json::parse(o.output);
  }
  std::string RunSandbox(const std::string& name) {
    Json req = {
        {"config",
         {{"metadata", {{"name", name}, {"namespace", "default"}}}, {"labels", {{"app", name}}}}}};
    return Call(&Rt::on_run_pod_sandbox, req)["podSandboxId"];
  }
  std::string CreateContainer(const std::string& sandbox) {
    Json req = {{"podSandboxId", sandbox},
                {"config",
                 {{"metadata", {{"name", "main"}}},
                  {"image", {{"image", "busybox:1.36"}}},
                  {"logPath", "main/0.log"}}}};
    return Call(&Rt::on_create_container, req)["containerId"];
  }
  std::string ContainerState(const std::string& id) {
    return Call(&Rt::on_container_status, {{"containerId", id}})["status"]["state"];
  }

  FakeHost host_;
  TestPlugin<InMemoryRuntime> plugin_{host_, R"({"maxSandboxes":2,"podIp":"10.1.0.7"})"};
};

TEST_F(ExampleInMemoryTest, ConfigsAreCheckedAgainstTheSchema) {
  EXPECT_EQ(testing::SchemaErrors(kInMemoryRuntimeSchema, R"({"maxSandboxes":2})"), "");
  EXPECT_NE(testing::SchemaErrors(kInMemoryRuntimeSchema, R"({"maxSandboxes":0})"), "");
  ASSERT_TRUE(plugin_.init().ok());
}

TEST_F(ExampleInMemoryTest, ContainersWalkThroughTheirLifecycle) {
  std::string sb = RunSandbox("web");
  Json status = Call(&Rt::on_pod_sandbox_status, {{"podSandboxId", sb}})["status"];
  EXPECT_EQ(status["state"], "SANDBOX_READY");
  EXPECT_EQ(status["metadata"]["name"], "web");
  EXPECT_EQ(status["network"]["ip"], "10.1.0.7");

  std::string c = CreateContainer(sb);
  EXPECT_EQ(ContainerState(c), "CONTAINER_CREATED");
  Call(&Rt::on_start_container, {{"containerId", c}});
  EXPECT_EQ(ContainerState(c), "CONTAINER_RUNNING");
  Call(&Rt::on_start_container, {{"containerId", c}}, CAPSTAN_RC_INVALID);
  Call(&Rt::on_stop_container, {{"containerId", c}, {"timeout", 10}});
  Json cs = Call(&Rt::on_container_status, {{"containerId", c}})["status"];
  EXPECT_EQ(cs["state"], "CONTAINER_EXITED");
  EXPECT_EQ(cs["exitCode"], 0);
  EXPECT_EQ(cs["image"]["image"], "busybox:1.36");
  EXPECT_EQ(cs["logPath"], "main/0.log");
  Call(&Rt::on_remove_container, {{"containerId", c}});
  Call(&Rt::on_container_status, {{"containerId", c}}, CAPSTAN_RC_NOT_FOUND);
}

TEST_F(ExampleInMemoryTest, StoppingASandboxStopsItsContainersAndBlocksNewOnes) {
  std::string sb = RunSandbox("web");
  std::string c = CreateContainer(sb);
  Call(&Rt::on_start_container, {{"containerId", c}});
  Call(&Rt::on_stop_pod_sandbox, {{"podSandboxId", sb}});
  EXPECT_EQ(ContainerState(c), "CONTAINER_EXITED");
  Json req = {{"podSandboxId", sb}, {"config", {{"metadata", {{"name", "late"}}}}}};
  Call(&Rt::on_create_container, req, CAPSTAN_RC_INVALID);
  Call(&Rt::on_remove_pod_sandbox, {{"podSandboxId", sb}});
  Call(&Rt::on_container_status, {{"containerId", c}}, CAPSTAN_RC_NOT_FOUND);
  Call(&Rt::on_pod_sandbox_status, {{"podSandboxId", sb}}, CAPSTAN_RC_NOT_FOUND);
}

TEST_F(ExampleInMemoryTest, StopAndRemoveSucceedOnAbsentObjectsOthersReportNotFound) {
  Call(&Rt::on_stop_pod_sandbox, {{"podSandboxId", "nope"}});
  Call(&Rt::on_remove_pod_sandbox, {{"podSandboxId", "nope"}});
  Call(&Rt::on_stop_container, {{"containerId", "nope"}});
  Call(&Rt::on_remove_container, {{"containerId", "nope"}});
  Call(&Rt::on_start_container, {{"containerId", "nope"}}, CAPSTAN_RC_NOT_FOUND);
  Json req = {{"podSandboxId", "nope"}, {"config", {{"metadata", {{"name", "x"}}}}}};
  Call(&Rt::on_create_container, req, CAPSTAN_RC_NOT_FOUND);
}

TEST_F(ExampleInMemoryTest, BadRequestsAreInvalidAndTheSandboxLimitAsksToRetry) {
  Call(&Rt::on_run_pod_sandbox, {{"config", {{"metadata", Json::object()}}}}, CAPSTAN_RC_INVALID);
  EXPECT_EQ(plugin_.Runtime(&Rt::on_run_pod_sandbox, "[1,2]").rc, CAPSTAN_RC_INVALID);
  RunSandbox("a");
  RunSandbox("b");
  Outcome o = plugin_.Runtime(&Rt::on_run_pod_sandbox, R"({"config":{"metadata":{"name":"c"}}})");
  EXPECT_EQ(o.rc, CAPSTAN_RC_RETRY_LATER);
  EXPECT_EQ(o.retry_after_ms, 1000u);
}

TEST_F(ExampleInMemoryTest, ListsApplyTheirFilters) {
  std::string a = RunSandbox("a");
  std::string b = RunSandbox("b");
  std::string ca = CreateContainer(a);
  std::string cb = CreateContainer(b);
  Call(&Rt::on_start_container, {{"containerId", cb}});
  Call(&Rt::on_stop_pod_sandbox, {{"podSandboxId", a}});

  Json ready = Call(&Rt::on_list_pod_sandboxes,
                    {{"filter", {{"state", {{"state", "SANDBOX_READY"}}}}}})["items"];
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0]["id"], b);
  EXPECT_EQ(Call(&Rt::on_list_pod_sandboxes, Json::object())["items"].size(), 2u);

  Json in_a = Call(&Rt::on_list_containers, {{"filter", {{"podSandboxId", a}}}})["containers"];
  ASSERT_EQ(in_a.size(), 1u);
  EXPECT_EQ(in_a[0]["id"], ca);
  Json running = Call(&Rt::on_list_containers,
                      {{"filter", {{"state", {{"state", "CONTAINER_RUNNING"}}}}}})["containers"];
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0]["id"], cb);
  EXPECT_EQ(plugin_.Vtable<Rt>(CAPSTAN_KIND_RUNTIME)->on_exec, nullptr);
}

}  // namespace
}  // namespace capstan::examples
