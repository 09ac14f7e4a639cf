// Tests for plugins/controllers/endpointslice/slice_plan.h: endpoint conditions, port
// resolution, slicing at the size limit, reuse of existing slices, placeholders, stale owners.
#include "plugins/controllers/endpointslice/slice_plan.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/plugins/controllers/service_objects.h"

namespace capstan::controllers {
namespace {

using testing::ServedPod;
using testing::Service;

const Json& OnlyGroup(const DesiredEndpoints& d) { return d.begin()->second.ports; }

TEST(SlicePlanTest, ConditionsFollowReadinessDeletionAndPublishNotReady) {
  Json terminating = ServedPod("t", "web", "10.0.0.3", true);
  terminating["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z";
  std::vector<Json> pods = {ServedPod("r", "web", "10.0.0.1", true),
                            ServedPod("n", "web", "10.0.0.2", false), terminating};
  DesiredEndpoints d = DesiredFor(Service("s", "web"), pods);
  ASSERT_EQ(d.size(), 1u);
  const auto& eps = d.begin()->second.eps;
  EXPECT_EQ(eps.at("uid-r")["conditions"],
            (Json{{"ready", true}, {"serving", true}, {"terminating", false}}));
  EXPECT_EQ(eps.at("uid-n")["conditions"],
            (Json{{"ready", false}, {"serving", false}, {"terminating", false}}));
  EXPECT_EQ(eps.at("uid-t")["conditions"],
            (Json{{"ready", false}, {"serving", true}, {"terminating", true}}));
  EXPECT_EQ(eps.at("uid-r")["nodeName"], "node-1");
  EXPECT_EQ(eps.at("uid-r")["targetRef"]["name"], "r");
  EXPECT_EQ(OnlyGroup(d)[0], (Json{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}));

  Json publish = Service("s", "web");
  publish["spec"]["publishNotReadyAddresses"] = true;
  DesiredEndpoints p = DesiredFor(publish, pods);
  EXPECT_EQ(p.begin()->second.eps.at("uid-n")["conditions"]["ready"], true);
  EXPECT_EQ(p.begin()->second.eps.at("uid-t")["conditions"]["ready"], true);
}

TEST(SlicePlanTest, PodsWithoutAnIpOrInATerminalPhaseAreLeftOut) {
  Json done = ServedPod("done", "web", "10.0.0.4", false);
  done["status"]["phase"] = "Succeeded";
  DesiredEndpoints d = DesiredFor(Service("s", "web"), {ServedPod("noip", "web", "", true), done});
  EXPECT_TRUE(d.empty());
}

TEST(SlicePlanTest, NamedTargetPortsResolvePerPodIntoSeparatePortGroups) {
  DesiredEndpoints d =
      DesiredFor(Service("s", "web", "web"), {ServedPod("a", "web", "10.0.0.1", true, 8080),
                                              ServedPod("b", "web", "10.0.0.2", true, 9090),
                                              ServedPod("c", "web", "10.0.0.3", true, 8080)});
  ASSERT_EQ(d.size(), 2u);
  std::map<int64_t, size_t> sizes;
  for (const auto& [key, g] : d) sizes[g.ports[0]["port"].get<int64_t>()] = g.eps.size();
  EXPECT_EQ(sizes, (std::map<int64_t, size_t>{{8080, 2}, {9090, 1}}));
}

TEST(SlicePlanTest, NewEndpointsAreSplitIntoSlicesOfAtMostTheLimit) {
  std::vector<Json> pods;
  pods.reserve(250);
  for (int i = 0; i < 250; ++i) {
    pods.push_back(ServedPod("p" + std::to_string(i), "web",
                             "10.0." + std::to_string(i / 200) + "." + std::to_string(i % 200),
                             true));
  }
  Json svc = Service("web", "web");
  SlicePlan plan = PlanSlices(svc, DesiredFor(svc, pods), {}, 100);
  ASSERT_EQ(plan.create.size(), 3u);
  EXPECT_EQ(plan.create[0]["endpoints"].size(), 100u);
  EXPECT_EQ(plan.create[2]["endpoints"].size(), 50u);
  const Json& meta = plan.create[0]["metadata"];
  EXPECT_EQ(meta["generateName"], "web-");
  EXPECT_EQ(meta["labels"]["kubernetes.io/service-name"], "web");
  EXPECT_EQ(meta["labels"]["endpointslice.kubernetes.io/managed-by"],
            "endpointslice-controller.k8s.io");
  EXPECT_EQ(meta["labels"]["team"], "a");
  EXPECT_EQ(meta["ownerReferences"][0]["uid"], "svc-uid-web");
  EXPECT_EQ(plan.create[0]["addressType"], "IPv4");
}

// The slices `plan` would leave, as the API would store them.
Json Stored(Json slice, const std::string& name) {
  slice["metadata"].erase("generateName");
  slice["metadata"]["name"] = name;
  slice["metadata"]["resourceVersion"] = "7";
  return slice;
}

TEST(SlicePlanTest, ExistingSlicesKeepTheirEndpointsAndAnUnchangedServiceWritesNothing) {
  Json svc = Service("web", "web");
  std::vector<Json> pods = {ServedPod("a", "web", "10.0.0.1", true)};
  SlicePlan first = PlanSlices(svc, DesiredFor(svc, pods), {}, 100);
  ASSERT_EQ(first.create.size(), 1u);
  std::vector<Json> existing = {Stored(first.create[0], "web-abc")};
  EXPECT_TRUE(PlanSlices(svc, DesiredFor(svc, pods), existing, 100).empty());

  pods.push_back(ServedPod("b", "web", "10.0.0.2", false));
  pods[0]["status"]["conditions"][0]["status"] = "False";
  SlicePlan second = PlanSlices(svc, DesiredFor(svc, pods), existing, 100);
  EXPECT_TRUE(second.create.empty());
  ASSERT_EQ(second.update.size(), 1u);
  const Json& eps = second.update[0]["endpoints"];
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0]["conditions"]["ready"], false);
  EXPECT_EQ(eps[1]["addresses"][0], "10.0.0.2");
  EXPECT_EQ(second.update[0]["metadata"]["resourceVersion"], "7");
}

TEST(SlicePlanTest, ServiceWithoutEndpointsKeepsOneEmptyPlaceholder) {
  Json svc = Service("web", "web");
  SlicePlan plan = PlanSlices(svc, {}, {}, 100);
  ASSERT_EQ(plan.create.size(), 1u);
  EXPECT_TRUE(plan.create[0]["endpoints"].empty());
  std::vector<Json> existing = {Stored(plan.create[0], "web-p")};
  EXPECT_TRUE(PlanSlices(svc, {}, existing, 100).empty());
  // Once there are endpoints, the placeholder is replaced.
  SlicePlan filled =
      PlanSlices(svc, DesiredFor(svc, {ServedPod("a", "web", "10.0.0.1", true)}), existing, 100);
  EXPECT_EQ(filled.create.size(), 1u);
  EXPECT_EQ(filled.remove, std::vector<std::string>{"web-p"});
}

TEST(SlicePlanTest, SlicesOwnedByAnEarlierServiceOfTheSameNameAreRemoved) {
  Json svc = Service("web", "web");
  Json old = Stored(PlanSlices(svc, {}, {}, 100).create[0], "web-old");
  old["metadata"]["ownerReferences"][0]["uid"] = "previous-uid";
  SlicePlan plan = PlanSlices(svc, {}, {old}, 100);
  EXPECT_EQ(plan.remove, std::vector<std::string>{"web-old"});
  EXPECT_EQ(plan.create.size(), 1u);
}

}  // namespace
}  // namespace capstan::controllers
