// Tests for plugins/controllers/endpoints/endpoints_subsets.h: ready and not-ready addresses,
// per-pod port resolution into subsets, publishNotReadyAddresses, headless Services without
// ports, and the address limit.
#include "plugins/controllers/endpoints/endpoints_subsets.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/plugins/controllers/service_objects.h"

namespace capstan::controllers {
namespace {

using testing::ServedPod;
using testing::Service;

TEST(EndpointsSubsetsTest, ReadyPodsAreAddressesAndOthersNotReadyAddresses) {
  bool truncated = true;
  Json subsets = BuildSubsets(
      Service("s", "web"),
      {ServedPod("b", "web", "10.0.0.2", true), ServedPod("a", "web", "10.0.0.1", true),
       ServedPod("n", "web", "10.0.0.9", false), ServedPod("noip", "web", "", true)},
      1000, &truncated);
  EXPECT_FALSE(truncated);
  ASSERT_EQ(subsets.size(), 1u);
  const Json& s = subsets[0];
  ASSERT_EQ(s["addresses"].size(), 2u);
  EXPECT_EQ(s["addresses"][0]["ip"], "10.0.0.1");
  EXPECT_EQ(s["addresses"][0]["nodeName"], "node-1");
  EXPECT_EQ(s["addresses"][0]["targetRef"],
            (Json{{"kind", "Pod"}, {"namespace", "default"}, {"name", "a"}, {"uid", "uid-a"}}));
  ASSERT_EQ(s["notReadyAddresses"].size(), 1u);
  EXPECT_EQ(s["notReadyAddresses"][0]["ip"], "10.0.0.9");
  EXPECT_EQ(s["ports"], Json::array({{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}}}));
}

TEST(EndpointsSubsetsTest, NamedTargetPortsGiveOneSubsetPerResolvedPortSet) {
  bool truncated = false;
  Json subsets = BuildSubsets(Service("s", "web", "web"),
                              {ServedPod("a", "web", "10.0.0.1", true, 8080),
                               ServedPod("b", "web", "10.0.0.2", true, 9090)},
                              1000, &truncated);
  ASSERT_EQ(subsets.size(), 2u);
  EXPECT_NE(subsets[0]["ports"][0]["port"], subsets[1]["ports"][0]["port"]);
}

TEST(EndpointsSubsetsTest, PublishNotReadyAddressesListsEveryPodIncludingTerminatingOnes) {
  Json svc = Service("s", "web");
  svc["spec"]["publishNotReadyAddresses"] = true;
  Json terminating = ServedPod("t", "web", "10.0.0.3", true);
  terminating["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z";
  bool truncated = false;
  Json subsets =
      BuildSubsets(svc, {ServedPod("n", "web", "10.0.0.9", false), terminating}, 1000, &truncated);
  ASSERT_EQ(subsets.size(), 1u);
  EXPECT_EQ(subsets[0]["addresses"].size(), 2u);
  EXPECT_FALSE(subsets[0].contains("notReadyAddresses"));
  // Without it, terminating pods are left out.
  Json plain = BuildSubsets(Service("s", "web"), {terminating}, 1000, &truncated);
  EXPECT_TRUE(plain.empty());
}

TEST(EndpointsSubsetsTest, HeadlessServiceWithoutPortsStillListsItsPods) {
  Json svc = Service("s", "web");
  svc["spec"]["clusterIP"] = "None";
  svc["spec"]["ports"] = Json::array();
  bool truncated = false;
  Json subsets = BuildSubsets(svc, {ServedPod("a", "web", "10.0.0.1", true)}, 1000, &truncated);
  ASSERT_EQ(subsets.size(), 1u);
  EXPECT_EQ(subsets[0]["addresses"][0]["ip"], "10.0.0.1");
  EXPECT_FALSE(subsets[0].contains("ports"));
}

TEST(EndpointsSubsetsTest, AddressesBeyondTheLimitAreDroppedNotReadyFirst) {
  bool truncated = false;
  Json subsets = BuildSubsets(
      Service("s", "web"),
      {ServedPod("a", "web", "10.0.0.1", true), ServedPod("b", "web", "10.0.0.2", true),
       ServedPod("n", "web", "10.0.0.9", false)},
      2, &truncated);
  EXPECT_TRUE(truncated);
  ASSERT_EQ(subsets.size(), 1u);
  EXPECT_EQ(subsets[0]["addresses"].size(), 2u);
  EXPECT_FALSE(subsets[0].contains("notReadyAddresses"));
}

}  // namespace
}  // namespace capstan::controllers
