// Tests for core/scheduler/pod_info.h: JSON -> typed records and their ABI views.
#include "core/scheduler/pod_info.h"

#include <gtest/gtest.h>

#include "tests/core/scheduler/scheduler_testing.h"

namespace capstan::scheduler {
namespace {

using nlohmann::json;
using testing::Shared;

json Container(const std::string& name, json requests, json extra = json::object()) {
  json c = {{"name", name}, {"image", name + ":1"}, {"resources", {{"requests", requests}}}};
  c.update(extra);
  return c;
}

std::shared_ptr<const PodInfo> Pod(json spec) {
  json pod = {{"metadata", {{"name", "p"}, {"namespace", "ns"}, {"uid", "u1"}}},
              {"spec", std::move(spec)}};
  Result<std::shared_ptr<const PodInfo>> info = PodInfo::FromJson(Shared(pod));
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  return info.ok() ? *info : nullptr;
}

struct RequestsCase {
  const char* name;
  json spec;
  int64_t milli_cpu;
  int64_t memory;
};

TEST(PodInfoTest, EffectiveRequestsFollowTheInitContainerAndOverheadRules) {
  std::vector<RequestsCase> cases = {
      {"app containers add up",
       {{"containers", {Container("a", {{"cpu", "100m"}}), Container("b", {{"cpu", "200m"}})}}},
       300,
       0},
      {"a larger init container wins",
       {{"containers", {Container("a", {{"cpu", "100m"}, {"memory", "1Mi"}})}},
        {"initContainers", {Container("i", {{"cpu", "1"}})}}},
       1000,
       1048576},
      {"a smaller init container does not count",
       {{"containers", {Container("a", {{"cpu", "500m"}})}},
        {"initContainers", {Container("i", {{"cpu", "100m"}})}}},
       500,
       0},
      {"sidecars add to the app sum and to later init containers",
       {{"containers", {Container("a", {{"cpu", "100m"}})}},
        {"initContainers",
         {Container("side", {{"cpu", "200m"}}, {{"restartPolicy", "Always"}}),
          Container("i", {{"cpu", "250m"}})}}},
       450,
       0},
      {"overhead is added",
       {{"containers", {Container("a", {{"cpu", "100m"}})}},
        {"overhead", {{"cpu", "50m"}, {"memory", "10"}}}},
       150,
       10},
      {"limits stand in for missing requests",
       {{"containers",
         {{{"name", "a"}, {"resources", {{"limits", {{"cpu", "2"}, {"memory", "1Ki"}}}}}}}}},
       2000,
       1024},
  };
  for (const RequestsCase& c : cases) {
    std::shared_ptr<const PodInfo> pod = Pod(c.spec);
    ASSERT_NE(pod, nullptr) << c.name;
    EXPECT_EQ(pod->view()->requests.milli_cpu, c.milli_cpu) << c.name;
    EXPECT_EQ(pod->view()->requests.memory, c.memory) << c.name;
    EXPECT_EQ(pod->view()->requests.pods, 1) << c.name;
  }
}

TEST(PodInfoTest, ViewCarriesIdentitySelectorsTolerationsPortsAndImages) {
  json spec = {{"schedulerName", "custom"},
               {"priority", 7},
               {"nodeSelector", {{"disk", "ssd"}}},
               {"tolerations",
                {{{"key", "k"}, {"operator", "Equal"}, {"value", "v"}, {"effect", "NoSchedule"}},
                 {{"operator", "Exists"}, {"effect", "NoExecute"}, {"tolerationSeconds", 30}}}},
               {"containers",
                {Container("web", {{"cpu", "1"}},
                           {{"ports",
                             {{{"containerPort", 80}, {"hostPort", 8080}, {"protocol", "UDP"}},
                              {{"containerPort", 81}}}}})}}};
  std::shared_ptr<const PodInfo> pod = Pod(spec);
  const capstan_sched_pod_view* v = pod->view();
  EXPECT_EQ(v->struct_size, sizeof(capstan_sched_pod_view));
  EXPECT_EQ(std::string(v->namespace_name.data, v->namespace_name.len), "ns");
  EXPECT_EQ(std::string(v->scheduler_name.data, v->scheduler_name.len), "custom");
  EXPECT_EQ(v->priority, 7);
  ASSERT_EQ(v->node_selector_count, 1u);
  EXPECT_EQ(std::string(v->node_selector[0].value.data, v->node_selector[0].value.len), "ssd");
  ASSERT_EQ(v->toleration_count, 2u);
  EXPECT_EQ(v->tolerations[0].op, static_cast<uint32_t>(CAPSTAN_TOLERATION_EQUAL));
  EXPECT_EQ(v->tolerations[0].effect, static_cast<uint32_t>(CAPSTAN_TAINT_NO_SCHEDULE));
  EXPECT_EQ(v->tolerations[1].key.data, nullptr);
  EXPECT_EQ(v->tolerations[1].op, static_cast<uint32_t>(CAPSTAN_TOLERATION_EXISTS));
  EXPECT_EQ(v->tolerations[1].has_toleration_seconds, 1);
  EXPECT_EQ(v->tolerations[1].toleration_seconds, 30);
  ASSERT_EQ(v->host_port_count, 1u);
  EXPECT_EQ(v->host_ports[0].port, 8080);
  EXPECT_EQ(v->host_ports[0].protocol, static_cast<uint32_t>(CAPSTAN_PROTOCOL_UDP));
  ASSERT_EQ(v->image_count, 1u);
  EXPECT_EQ(std::string(v->images[0].data, v->images[0].len), "web:1");
  EXPECT_NE(v->object, nullptr);
  EXPECT_NE(SchedObject::FromHandle(v->object)->Text().find("\"hostPort\":8080"),
            std::string::npos);
}

TEST(PodInfoTest, DefaultsAndPlacement) {
  std::shared_ptr<const PodInfo> pod = Pod({{"containers", json::array()}});
  EXPECT_EQ(pod->data().scheduler_name, "default-scheduler");
  EXPECT_FALSE(pod->bound());
  std::shared_ptr<const PodInfo> placed = pod->WithNodeName("n1");
  EXPECT_TRUE(placed->bound());
  EXPECT_EQ(std::string(placed->view()->node_name.data, placed->view()->node_name.len), "n1");
  EXPECT_EQ(placed->view()->object, pod->view()->object);  // same JSON, not re-parsed
}

TEST(PodInfoTest, MalformedPodsAreRejected) {
  EXPECT_FALSE(PodInfo::FromJson(Shared(json{{"metadata", json::object()}})).ok());
  json bad = {{"metadata", {{"name", "p"}}},
              {"spec", {{"containers", {Container("a", {{"cpu", "x"}})}}}}};
  EXPECT_FALSE(PodInfo::FromJson(Shared(bad)).ok());
}

TEST(PodInfoTest, NodeViewPartsComeFromTheNodeObject) {
  json node = {{"metadata", {{"name", "n1"}, {"labels", {{"zone", "a"}}}}},
               {"spec",
                {{"unschedulable", true},
                 {"taints", {{{"key", "k"}, {"value", "v"}, {"effect", "PreferNoSchedule"}}}}}},
               {"status",
                {{"capacity", {{"cpu", "8"}, {"memory", "16Gi"}, {"pods", "110"}}},
                 {"images", {{{"names", {"a:1", "a@sha256:x"}}, {"sizeBytes", 500}}}}}}};
  Result<std::shared_ptr<const NodeInfo>> info = NodeInfo::FromJson(Shared(node));
  ASSERT_TRUE(info.ok());
  const NodeInfo& n = **info;
  EXPECT_TRUE(n.data().unschedulable);
  EXPECT_EQ(n.abi_allocatable().milli_cpu, 8000);  // capacity stands in for allocatable
  EXPECT_EQ(n.abi_allocatable().pods, 110);
  ASSERT_EQ(n.abi_taints().size(), 1u);
  EXPECT_EQ(n.abi_taints()[0].effect, static_cast<uint32_t>(CAPSTAN_TAINT_PREFER_NO_SCHEDULE));
  EXPECT_EQ(n.data().images.size(), 2u);
  EXPECT_EQ(n.abi_labels().size(), 1u);
}

TEST(PodInfoTest, TimestampsParseToUnixMilliseconds) {
  EXPECT_EQ(ParseTimestampMs("1970-01-01T00:00:01Z"), 1000);
  EXPECT_EQ(ParseTimestampMs("1970-01-01T00:00:01.5Z"), 1500);
  EXPECT_EQ(ParseTimestampMs("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(ParseTimestampMs("garbage"), 0);
}

}  // namespace
}  // namespace capstan::scheduler
