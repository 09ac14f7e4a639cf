// Tests for sdk/include/capstan/sdk/sched.h and sched_views.h: extension points the class does
// not override are NULL in the vtable, overridden ones carry codes, reasons and out-parameters,
// the cycle services work through the host, and the views honour convention 4.
#include "capstan/sdk/sched.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "capstan/sdk/plugin.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"

namespace capstan::sdk {
namespace {

using testing::FakeCall;
using testing::FakeHost;
using testing::NodeBuilder;
using testing::Outcome;
using testing::PodBuilder;
using testing::TestPlugin;

class FilterOnly : public SchedPlugin {
 public:
  Status Filter(Call&, Cycle&, const PodView& pod, const NodeView& node) override {
    if (node.unschedulable()) return Status::Unschedulable("node(s) were unschedulable");
    if (pod.name() == "explode") throw std::logic_error("bad pod");
    return Status::Ok();
  }
};

// Overrides every point; each records what it saw.
class Everything : public SchedPlugin {
 public:
  bool QueueLess(const PodView& a, const PodView& b) override {
    if (a.name() == "throw") throw std::runtime_error("x");
    return a.priority() > b.priority();
  }
  Status PreFilter(Call&, Cycle& cycle, const PodView& pod, std::string* names) override {
    CAPSTAN_SDK_RETURN_IF_ERROR(cycle.Write("everything", pod.name()));
    *names = R"(["node-1"])";
    return Status::Ok();
  }
  Status Filter(Call&, Cycle& cycle, const PodView&, const NodeView&) override {
    std::string_view seen;
    CAPSTAN_SDK_RETURN_IF_ERROR(cycle.Read("everything", &seen));
    return seen == "web" ? Status::Ok() : Status::Unresolvable("cycle state lost");
  }
  Status PostFilter(Call&, Cycle&, const PodView&, const NodeStatuses& statuses,
                    std::string* nominated) override {
    for (size_t i = 0; i < statuses.size(); ++i) {
      if (statuses.code(i) == CAPSTAN_RC_UNSCHEDULABLE) {
        *nominated = std::string(statuses.node_name(i));
        return Status::Ok();
      }
    }
    return Status::Unschedulable("nothing to preempt");
  }
  Status PreScore(Call&, Cycle&, const PodView&, const NodeList& nodes) override {
    return nodes.size() > 1 ? Status::Ok() : Status::Skip();
  }
  Status Score(Call&, Cycle&, const PodView&, const NodeView& node, int64_t* score) override {
    *score = static_cast<int64_t>(node.allocatable().milli_cpu / 100);
    return Status::Ok();
  }
  Status NormalizeScore(Call&, Cycle&, const PodView&, NodeScores& scores) override {
    for (size_t i = 0; i < scores.size(); ++i) scores.set_score(i, scores.score(i) * 2);
    return Status::Ok();
  }
  Status Reserve(Call&, Cycle&, const PodView&, std::string_view node) override {
    reserved = std::string(node);
    return Status::Ok();
  }
  void Unreserve(Call&, Cycle&, const PodView&, std::string_view) override {
    throw std::runtime_error("unreserve failed");
  }
  Status Permit(Call&, Cycle&, const PodView&, std::string_view, uint64_t* wait_ms) override {
    *wait_ms = 3000;
    return Status::Wait("gang incomplete");
  }
  Status PreBind(Call&, Cycle&, const PodView&, std::string_view) override { return Status::Ok(); }
  Status Bind(Call&, Cycle&, const PodView&, std::string_view) override { return Status::Skip(); }
  void PostBind(Call&, Cycle&, const PodView&, std::string_view node) override {
    bound = std::string(node);
  }
  std::string reserved;
  std::string bound;
};

TEST(SchedTest, PointsTheClassDoesNotOverrideAreNull) {
  FakeHost host;
  TestPlugin<FilterOnly> p(host);
  auto* vt = p.Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED);
  ASSERT_NE(vt, nullptr);
  EXPECT_EQ(vt->struct_size, sizeof(capstan_sched_v1));
  EXPECT_NE(vt->on_filter, nullptr);
  EXPECT_EQ(vt->on_queue_less, nullptr);
  EXPECT_EQ(vt->on_pre_filter, nullptr);
  EXPECT_EQ(vt->on_post_filter, nullptr);
  EXPECT_EQ(vt->on_pre_score, nullptr);
  EXPECT_EQ(vt->on_score, nullptr);
  EXPECT_EQ(vt->on_normalize_score, nullptr);
  EXPECT_EQ(vt->on_reserve, nullptr);
  EXPECT_EQ(vt->on_unreserve, nullptr);
  EXPECT_EQ(vt->on_permit, nullptr);
  EXPECT_EQ(vt->on_pre_bind, nullptr);
  EXPECT_EQ(vt->on_bind, nullptr);
  EXPECT_EQ(vt->on_post_bind, nullptr);
}

TEST(SchedTest, EveryOverriddenPointIsExported) {
  FakeHost host;
  TestPlugin<Everything> p(host);
  auto* vt = p.Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED);
  const void* entries[] = {
      reinterpret_cast<const void*>(vt->on_queue_less),
      reinterpret_cast<const void*>(vt->on_pre_filter),
      reinterpret_cast<const void*>(vt->on_filter),
      reinterpret_cast<const void*>(vt->on_post_filter),
      reinterpret_cast<const void*>(vt->on_pre_score),
      reinterpret_cast<const void*>(vt->on_score),
      reinterpret_cast<const void*>(vt->on_normalize_score),
      reinterpret_cast<const void*>(vt->on_reserve),
      reinterpret_cast<const void*>(vt->on_unreserve),
      reinterpret_cast<const void*>(vt->on_permit),
      reinterpret_cast<const void*>(vt->on_pre_bind),
      reinterpret_cast<const void*>(vt->on_bind),
      reinterpret_cast<const void*>(vt->on_post_bind),
  };
  for (size_t i = 0; i < std::size(entries); ++i) EXPECT_NE(entries[i], nullptr) << i;
}

TEST(SchedTest, FilterReasonAndExceptionsReachTheHost) {
  FakeHost host;
  TestPlugin<FilterOnly> p(host);
  PodBuilder pod;
  NodeBuilder node;
  EXPECT_TRUE(p.Filter(pod.get(), node.get()).ok());
  Outcome o = p.Filter(pod.get(), node.Unschedulable(true).get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_UNSCHEDULABLE);
  EXPECT_EQ(o.error, "node(s) were unschedulable");
  o = p.Filter(pod.Name("default", "explode").get(), node.Unschedulable(false).get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(o.error, "uncaught exception: bad pod");
}

TEST(SchedTest, CycleStateFlowsFromPreFilterToFilter) {
  FakeHost host;
  TestPlugin<Everything> p(host);
  auto* vt = p.Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED);
  capstan_sched_cycle* cycle = host.NewCycle();
  PodBuilder pod;
  NodeBuilder node;
  FakeCall call;
  capstan_plugin_buf names{};
  ASSERT_EQ(vt->on_pre_filter(p.state(), call.get(), cycle, pod.get(), &names), CAPSTAN_RC_OK);
  EXPECT_EQ(ToView(names), R"(["node-1"])");
  EXPECT_EQ(host.CycleValue(cycle, "everything"), "web");
  EXPECT_TRUE(p.Filter(pod.get(), node.get(), cycle).ok());
  Outcome other_cycle = p.Filter(pod.get(), node.get());
  EXPECT_EQ(other_cycle.rc, CAPSTAN_RC_NOT_FOUND);
}

TEST(SchedTest, OutParametersAreWritten) {
  FakeHost host;
  TestPlugin<Everything> p(host);
  auto* vt = p.Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED);
  capstan_sched_cycle* cycle = host.NewCycle();
  PodBuilder pod;
  NodeBuilder node;
  int64_t score = -1;
  ASSERT_TRUE(p.Score(pod.get(), node.Allocatable(2500, 1, 10).get(), &score).ok());
  EXPECT_EQ(score, 25);

  std::string n1 = "a", n2 = "b";
  capstan_sched_node_score scores[] = {{ToHostStr(n1), 10}, {ToHostStr(n2), 40}};
  FakeCall call;
  ASSERT_EQ(vt->on_normalize_score(p.state(), call.get(), cycle, pod.get(), scores, 2),
            CAPSTAN_RC_OK);
  EXPECT_EQ(scores[0].score, 20);
  EXPECT_EQ(scores[1].score, 80);

  uint64_t wait_ms = 0;
  EXPECT_EQ(vt->on_permit(p.state(), call.get(), cycle, pod.get(), ToHostStr(n1), &wait_ms),
            CAPSTAN_RC_WAIT);
  EXPECT_EQ(wait_ms, 3000u);
  EXPECT_STREQ(call.get()->error_buf, "gang incomplete");

  std::string reason = "too full";
  capstan_sched_node_status statuses[] = {
      {ToHostStr(n1), CAPSTAN_RC_UNRESOLVABLE, 0, ToHostStr(reason)},
      {ToHostStr(n2), CAPSTAN_RC_UNSCHEDULABLE, 0, ToHostStr(reason)}};
  capstan_plugin_buf nominated{};
  ASSERT_EQ(vt->on_post_filter(p.state(), call.get(), cycle, pod.get(), statuses, 2, &nominated),
            CAPSTAN_RC_OK);
  EXPECT_EQ(ToView(nominated), "b");

  const capstan_sched_node_view* one[] = {node.get()};
  EXPECT_EQ(vt->on_pre_score(p.state(), call.get(), cycle, pod.get(), one, 1), CAPSTAN_RC_SKIP);
}

TEST(SchedTest, BindingStepsAndNoticesRunAndNeverThrow) {
  FakeHost host;
  TestPlugin<Everything> p(host);
  auto* vt = p.Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED);
  PodBuilder pod;
  FakeCall call;
  std::string node = "node-7";
  capstan_sched_cycle* cycle = host.NewCycle();
  EXPECT_EQ(vt->on_reserve(p.state(), call.get(), cycle, pod.get(), ToHostStr(node)),
            CAPSTAN_RC_OK);
  EXPECT_EQ(p.plugin().reserved, "node-7");
  vt->on_unreserve(p.state(), call.get(), cycle, pod.get(), ToHostStr(node));
  EXPECT_TRUE(host.HasLog("Unreserve threw: unreserve failed"));
  EXPECT_EQ(vt->on_pre_bind(p.state(), call.get(), cycle, pod.get(), ToHostStr(node)),
            CAPSTAN_RC_OK);
  EXPECT_EQ(vt->on_bind(p.state(), call.get(), cycle, pod.get(), ToHostStr(node)), CAPSTAN_RC_SKIP);
  vt->on_post_bind(p.state(), call.get(), cycle, pod.get(), ToHostStr(node));
  EXPECT_EQ(p.plugin().bound, "node-7");
}

TEST(SchedTest, QueueLessMapsToIntAndSwallowsExceptions) {
  FakeHost host;
  TestPlugin<Everything> p(host);
  auto* vt = p.Vtable<capstan_sched_v1>(CAPSTAN_KIND_SCHED);
  PodBuilder high, low, bad;
  high.Priority(100);
  low.Priority(1);
  bad.Name("default", "throw");
  EXPECT_EQ(vt->on_queue_less(p.state(), high.get(), low.get()), 1);
  EXPECT_EQ(vt->on_queue_less(p.state(), low.get(), high.get()), 0);
  EXPECT_EQ(vt->on_queue_less(p.state(), bad.get(), low.get()), 0);
}

TEST(SchedTest, CycleServicesReachTheHost) {
  FakeHost fake;
  Host host(fake.host());
  auto* pod_object = reinterpret_cast<capstan_sched_object*>(uintptr_t{0x10});
  fake.SetObjectJson(pod_object, R"({"kind":"Pod"})");
  PodBuilder resident;
  resident.Name("kube-system", "dns");
  fake.SetNodePods(3, {*resident.get()});
  Cycle cycle(fake.NewCycle(), host);
  std::string_view json;
  ASSERT_TRUE(cycle.ObjectJson(pod_object, &json).ok());
  EXPECT_EQ(json, R"({"kind":"Pod"})");
  NodeBuilder node;
  Span<capstan_sched_pod_view> pods;
  ASSERT_TRUE(cycle.NodePods(NodeView(node.Index(3).get()), &pods).ok());
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(PodView(&pods[0]).name(), "dns");

  Host bare;
  Cycle without(nullptr, bare);
  EXPECT_EQ(without.Write("k", "v").code(), CAPSTAN_RC_UNAVAILABLE);
  EXPECT_EQ(without.Read("k", &json).code(), CAPSTAN_RC_UNAVAILABLE);
  EXPECT_EQ(without.ObjectJson(pod_object, &json).code(), CAPSTAN_RC_UNAVAILABLE);
}

TEST(SchedTest, ViewsExposeTheTypedFields) {
  PodBuilder pod;
  pod.Name("team-a", "api").Priority(7).Label("app", "api").NodeSelector("disk", "ssd");
  PodView pv(pod.get());
  EXPECT_EQ(pv.namespace_name(), "team-a");
  EXPECT_EQ(pv.name(), "api");
  EXPECT_EQ(pv.priority(), 7);
  EXPECT_EQ(pv.labels().Get("app"), "api");
  EXPECT_FALSE(pv.labels().Get("tier").has_value());
  EXPECT_EQ(pv.node_selector().Get("disk"), "ssd");
  EXPECT_EQ(pv.requests().pods, 1);

  NodeBuilder node;
  node.Name("n1").Label("zone", "").Index(4);
  NodeView nv(node.get());
  EXPECT_EQ(nv.name(), "n1");
  EXPECT_TRUE(nv.labels().Contains("zone"));  // an empty value is still present
  EXPECT_EQ(nv.index(), 4u);
  EXPECT_EQ(nv.allocatable().pods, 110);
}

TEST(SchedTest, ViewsReadFieldsBeyondTheWritersStructSizeAsZero) {
  PodBuilder pod;
  pod.Priority(9).Label("app", "x");
  capstan_sched_pod_view raw = *pod.get();
  raw.struct_size = offsetof(capstan_sched_pod_view, uid);  // knew only struct_size + priority
  PodView pv(&raw);
  EXPECT_EQ(pv.priority(), 9);
  EXPECT_EQ(pv.name(), "");
  EXPECT_TRUE(pv.labels().empty());
  EXPECT_EQ(pv.object(), nullptr);
  EXPECT_EQ(pv.requests().milli_cpu, 0);
}

TEST(SchedTest, SameBytesAgreesWithStringEqualityForEveryLengthAndPosition) {
  for (size_t n = 0; n <= 40; ++n) {
    std::string a(n, 'k');
    for (size_t i = 0; i < n; ++i) a[i] = static_cast<char>('a' + i % 26);
    std::string b = a;
    EXPECT_TRUE(SameBytes(a, b)) << n;
    EXPECT_FALSE(SameBytes(a, b + "x")) << n;
    for (size_t i = 0; i < n; ++i) {
      std::string c = a;
      c[i] = '#';
      EXPECT_FALSE(SameBytes(a, c)) << n << " at " << i;
    }
  }
  EXPECT_TRUE(SameBytes(std::string_view(), std::string_view("")));
}

}  // namespace
}  // namespace capstan::sdk
