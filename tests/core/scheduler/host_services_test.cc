// Tests for core/scheduler/host_services.h and cycle_state.h: the services as a plugin sees them
// through get_proc on a real host context.
#include "core/scheduler/host_services.h"

#include <gtest/gtest.h>

#include "capstan/abi/sched.h"
#include "core/scheduler/cache.h"
#include "core/scheduler/cycle_state.h"
#include "tests/core/scheduler/scheduler_testing.h"

namespace capstan::scheduler {
namespace {

using nlohmann::json;
using testing::FakeApi;
using testing::NodeJson;
using testing::PodJson;
using testing::Shared;

class HostServicesTest : public ::testing::Test {
 protected:
  HostServicesTest() : ctx_(plugin::HostContext::Options{"p", "i", nullptr, nullptr}) {
    SchedHostConfigurer(services_)(CAPSTAN_KIND_SCHED, ctx_);
  }
  template <typename Fn>
  Fn Get(const char* name) {
    return reinterpret_cast<Fn>(ctx_.table()->get_proc(ctx_.table()->ctx, name));
  }
  capstan_host_ctx* raw() { return ctx_.table()->ctx; }

  std::shared_ptr<SchedHostServices> services_ = std::make_shared<SchedHostServices>();
  plugin::HostContext ctx_;
};

TEST_F(HostServicesTest, OnlySchedContextsGetTheServices) {
  plugin::HostContext other(plugin::HostContext::Options{"p", "i", nullptr, nullptr});
  SchedHostConfigurer(services_)(CAPSTAN_KIND_AUTHN, other);
  EXPECT_EQ(other.GetProc("capstan_host_sched_cycle_read_v1"), nullptr);
  EXPECT_NE(ctx_.GetProc("capstan_host_sched_cycle_read_v1"), nullptr);
}

TEST_F(HostServicesTest, ObjectJsonReturnsThePodText) {
  auto fn = Get<capstan_host_sched_object_json_v1_fn>("capstan_host_sched_object_json_v1");
  std::shared_ptr<const PodInfo> pod = *PodInfo::FromJson(Shared(PodJson("web")));
  capstan_host_buf out{};
  ASSERT_EQ(fn(raw(), pod->view()->object, &out), CAPSTAN_RC_OK);
  json parsed = json::parse(std::string(reinterpret_cast<const char*>(out.data), out.len));
  EXPECT_EQ(parsed["metadata"]["name"], "web");
  EXPECT_EQ(fn(raw(), nullptr, &out), CAPSTAN_RC_INVALID);
}

TEST_F(HostServicesTest, NodePodsAndNodeViewsSeeTheSnapshotUntilDetached) {
  Cache cache;
  cache.AddNode(*NodeInfo::FromJson(Shared(NodeJson("a"))));
  json bound = PodJson("p");
  bound["spec"]["nodeName"] = "a";
  cache.AddOrUpdatePod(*PodInfo::FromJson(Shared(bound)));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  CycleState state(&snap);
  auto fn = Get<capstan_host_sched_node_pods_v1_fn>("capstan_host_sched_node_pods_v1");
  const capstan_sched_pod_view* pods = nullptr;
  uint32_t count = 0;
  ASSERT_EQ(fn(raw(), state.handle(), 0, &pods, &count), CAPSTAN_RC_OK);
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(std::string(pods[0].node_name.data, pods[0].node_name.len), "a");
  EXPECT_EQ(fn(raw(), state.handle(), 5, &pods, &count), CAPSTAN_RC_NOT_FOUND);
  using NodeViewFn = capstan_rc (*)(capstan_host_ctx*, capstan_sched_cycle*, uint32_t,
                                    const capstan_sched_node_view**);
  auto node_view = Get<NodeViewFn>("capstan_host_sched_node_view_v1");
  const capstan_sched_node_view* node = nullptr;
  ASSERT_EQ(node_view(raw(), state.handle(), 0, &node), CAPSTAN_RC_OK);
  EXPECT_EQ(node, &snap.node(0).view);
  EXPECT_EQ(node_view(raw(), state.handle(), 1, &node), CAPSTAN_RC_NOT_FOUND);
  state.DetachSnapshot();
  EXPECT_EQ(node_view(raw(), state.handle(), 0, &node), CAPSTAN_RC_UNAVAILABLE);
  EXPECT_EQ(fn(raw(), state.handle(), 0, &pods, &count), CAPSTAN_RC_UNAVAILABLE);
}

// A pod on `node` with the given spec.affinity.
json AffinityPod(const std::string& name, const std::string& node, json affinity) {
  json pod = PodJson(name);
  pod["spec"]["nodeName"] = node;
  if (!affinity.is_null()) pod["spec"]["affinity"] = std::move(affinity);
  return pod;
}

TEST_F(HostServicesTest, AffinityNodesListOnlyNodesWithAffinityPodsAndFollowUpdates) {
  Cache cache;
  for (const char* n : {"a", "b", "c", "d"})
    cache.AddNode(*NodeInfo::FromJson(Shared(NodeJson(n))));
  json term = {{"topologyKey", "zone"}, {"labelSelector", {{"matchLabels", {{"app", "x"}}}}}};
  json required_anti = {
      {"podAntiAffinity", {{"requiredDuringSchedulingIgnoredDuringExecution", {term}}}}};
  json preferred = {{"podAffinity",
                     {{"preferredDuringSchedulingIgnoredDuringExecution",
                       {{{"weight", 5}, {"podAffinityTerm", term}}}}}}};
  cache.AddOrUpdatePod(*PodInfo::FromJson(Shared(AffinityPod("plain", "a", nullptr))));
  cache.AddOrUpdatePod(*PodInfo::FromJson(Shared(AffinityPod("anti", "b", required_anti))));
  cache.AddOrUpdatePod(*PodInfo::FromJson(Shared(AffinityPod("soft", "d", preferred))));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  auto fn = Get<capstan_host_sched_affinity_nodes_v1_fn>("capstan_host_sched_affinity_nodes_v1");
  ASSERT_NE(fn, nullptr);
  auto list = [&](uint32_t flags) {
    CycleState state(&snap);
    const uint32_t* idx = nullptr;
    uint32_t count = 0;
    EXPECT_EQ(fn(raw(), state.handle(), flags, &idx, &count), CAPSTAN_RC_OK);
    return std::vector<uint32_t>(idx, idx + count);
  };
  EXPECT_EQ(list(CAPSTAN_SCHED_POD_HAS_AFFINITY), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(list(CAPSTAN_SCHED_POD_HAS_REQUIRED_ANTI_AFFINITY), (std::vector<uint32_t>{1}));
  EXPECT_EQ(snap.node(1).pod_views[0].flags,
            CAPSTAN_SCHED_POD_HAS_AFFINITY | CAPSTAN_SCHED_POD_HAS_REQUIRED_ANTI_AFFINITY);
  EXPECT_EQ(snap.node(0).pod_views[0].flags, 0u);
  // An incremental update: the anti-affinity pod leaves b, a plain pod gains it on c.
  cache.RemovePod("default/anti");
  cache.AddOrUpdatePod(*PodInfo::FromJson(Shared(AffinityPod("late", "c", required_anti))));
  cache.UpdateSnapshot(&snap);
  EXPECT_EQ(list(CAPSTAN_SCHED_POD_HAS_AFFINITY), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(list(CAPSTAN_SCHED_POD_HAS_REQUIRED_ANTI_AFFINITY), (std::vector<uint32_t>{2}));
  CycleState state(&snap);
  const uint32_t* idx = nullptr;
  uint32_t count = 0;
  EXPECT_EQ(fn(raw(), state.handle(), 4, &idx, &count), CAPSTAN_RC_INVALID);
  state.DetachSnapshot();
  EXPECT_EQ(fn(raw(), state.handle(), 1, &idx, &count), CAPSTAN_RC_UNAVAILABLE);
}

TEST_F(HostServicesTest, ChangedNodesFollowTheSnapshotFromAToken) {
  auto fn = Get<capstan_host_sched_changed_nodes_v1_fn>("capstan_host_sched_changed_nodes_v1");
  ASSERT_NE(fn, nullptr);
  Cache cache;
  for (const char* n : {"a", "b", "c"}) cache.AddNode(*NodeInfo::FromJson(Shared(NodeJson(n))));
  Snapshot snap;
  cache.UpdateSnapshot(&snap);
  struct Answer {
    capstan_rc rc;
    uint64_t token;
    int32_t full;
    std::vector<uint32_t> indices;
  };
  auto ask = [&](uint64_t since) {
    CycleState state(&snap);
    Answer a{};
    const uint32_t* idx = nullptr;
    uint32_t count = 0;
    a.rc = fn(raw(), state.handle(), since, &a.token, &a.full, &idx, &count);
    if (idx != nullptr) a.indices.assign(idx, idx + count);
    return a;
  };
  Answer first = ask(0);  // a plugin's first look: everything
  ASSERT_EQ(first.rc, CAPSTAN_RC_OK);
  EXPECT_EQ(first.full, 1);
  EXPECT_TRUE(first.indices.empty());
  EXPECT_EQ(first.token, snap.change_token());
  json bound = PodJson("p");
  bound["spec"]["nodeName"] = "c";
  cache.AddOrUpdatePod(*PodInfo::FromJson(Shared(bound)));
  cache.UpdateSnapshot(&snap);
  Answer next = ask(first.token);
  ASSERT_EQ(next.rc, CAPSTAN_RC_OK);
  EXPECT_EQ(next.full, 0);
  EXPECT_EQ(next.indices, (std::vector<uint32_t>{2}));
  EXPECT_NE(next.token, first.token);
  Answer same = ask(next.token);
  EXPECT_EQ(same.full, 0);
  EXPECT_TRUE(same.indices.empty());
  EXPECT_EQ(same.token, next.token);
  CycleState state(&snap);
  uint64_t token = 0;
  int32_t full = 0;
  const uint32_t* idx = nullptr;
  uint32_t count = 0;
  EXPECT_EQ(fn(raw(), state.handle(), 0, nullptr, &full, &idx, &count), CAPSTAN_RC_INVALID);
  state.DetachSnapshot();
  EXPECT_EQ(fn(raw(), state.handle(), 0, &token, &full, &idx, &count), CAPSTAN_RC_UNAVAILABLE);
}

TEST_F(HostServicesTest, CycleStateWritesOnlyInSerialPhasesAndReadsStayValid) {
  auto write = Get<capstan_host_sched_cycle_write_v1_fn>("capstan_host_sched_cycle_write_v1");
  auto read = Get<capstan_host_sched_cycle_read_v1_fn>("capstan_host_sched_cycle_read_v1");
  CycleState state(nullptr);
  auto buf = [](const char* s) {
    return capstan_host_buf{reinterpret_cast<const uint8_t*>(s), strlen(s)};
  };
  capstan_host_str key{"k", 1};
  ASSERT_EQ(write(raw(), state.handle(), key, buf("one")), CAPSTAN_RC_OK);
  capstan_host_buf first{};
  ASSERT_EQ(read(raw(), state.handle(), key, &first), CAPSTAN_RC_OK);
  ASSERT_EQ(write(raw(), state.handle(), key, buf("two")), CAPSTAN_RC_OK);
  capstan_host_buf second{};
  ASSERT_EQ(read(raw(), state.handle(), key, &second), CAPSTAN_RC_OK);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(first.data), first.len), "one");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(second.data), second.len), "two");
  state.set_writable(false);
  EXPECT_EQ(write(raw(), state.handle(), key, buf("three")), CAPSTAN_RC_UNAVAILABLE);
  capstan_host_buf missing{};
  EXPECT_EQ(read(raw(), state.handle(), capstan_host_str{"x", 1}, &missing), CAPSTAN_RC_NOT_FOUND);
}

TEST_F(HostServicesTest, ApiRequestGoesThroughTheAttachedApi) {
  auto fn = Get<capstan_host_api_request_v1_fn>("capstan_host_api_request_v1");
  int32_t status = 0;
  capstan_host_buf body{};
  capstan_host_str get{"GET", 3};
  capstan_host_str path{"/api/v1/nodes", 13};
  EXPECT_EQ(fn(raw(), nullptr, get, path, {nullptr, 0}, {nullptr, 0}, &status, &body),
            CAPSTAN_RC_UNAVAILABLE);
  auto api = std::make_shared<FakeApi>();
  services_->SetApi(api);
  ASSERT_EQ(fn(raw(), nullptr, get, path, {nullptr, 0}, {nullptr, 0}, &status, &body),
            CAPSTAN_RC_OK);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(body.data), body.len), "{}");
  ASSERT_EQ(api->Requests().size(), 1u);
  EXPECT_EQ(api->Requests()[0].path, "/api/v1/nodes");
}

}  // namespace
}  // namespace capstan::scheduler
