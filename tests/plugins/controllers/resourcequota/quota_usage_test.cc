// Tests for plugins/controllers/resourcequota/quota_usage: what objects charge, scope matching,
// the pod constraint message and whole-quota usage over listed objects.
#include "plugins/controllers/resourcequota/quota_usage.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::controllers {
namespace {

using sdk::json::Json;

Json Container(const std::string& name, Json requests, Json limits = nullptr) {
  Json c = {{"name", name}, {"image", "busybox"}, {"resources", Json::object()}};
  if (!requests.is_null()) c["resources"]["requests"] = requests;
  if (!limits.is_null()) c["resources"]["limits"] = limits;
  return c;
}

Json Pod(const std::string& name, Json containers, const std::string& phase = "Running") {
  return {{"metadata", {{"name", name}, {"namespace", "ns"}}},
          {"spec", {{"containers", containers}}},
          {"status", {{"phase", phase}}}};
}

Json Quota(Json hard, Json scopes = nullptr, Json selector = nullptr) {
  Json q = {{"metadata", {{"name", "q"}, {"namespace", "ns"}}}, {"spec", {{"hard", hard}}}};
  if (!scopes.is_null()) q["spec"]["scopes"] = scopes;
  if (!selector.is_null()) q["spec"]["scopeSelector"] = {{"matchExpressions", selector}};
  return q;
}

TEST(QuotaTargetTest, MapsResourceNamesToTheObjectsTheyCount) {
  struct Case {
    std::string name;
    std::string group, resource;
  };
  for (const Case& c :
       {Case{"pods", "", "pods"}, Case{"requests.cpu", "", "pods"},
        Case{"limits.memory", "", "pods"}, Case{"cpu", "", "pods"},
        Case{"services.nodeports", "", "services"},
        Case{"requests.storage", "", "persistentvolumeclaims"},
        Case{"configmaps", "", "configmaps"}, Case{"count/deployments.apps", "apps", "deployments"},
        Case{"count/secrets", "", "secrets"}}) {
    std::optional<QuotaTarget> t = TargetOf(c.name);
    ASSERT_TRUE(t.has_value()) << c.name;
    EXPECT_EQ(t->group, c.group) << c.name;
    EXPECT_EQ(t->resource, c.resource) << c.name;
  }
  EXPECT_FALSE(TargetOf("bogus").has_value());
}

TEST(ObjectUsageTest, APodChargesItsRequestsLimitsAndInitContainerMaximum) {
  Json pod = Pod("p", {Container("a", {{"cpu", "250m"}, {"memory", "64Mi"}}, {{"cpu", "500m"}}),
                       Container("b", {{"cpu", "250m"}})});
  pod["spec"]["initContainers"] = {Container("init", {{"cpu", "2"}})};
  ResourceList u = ObjectUsage({"", "pods"}, pod);
  EXPECT_EQ(u["pods"].String(), "1");
  EXPECT_EQ(u["count/pods"].String(), "1");
  EXPECT_EQ(u["requests.cpu"].String(), "2");
  EXPECT_EQ(u["cpu"].String(), "2");
  EXPECT_EQ(u["requests.memory"].String(), "64Mi");
  EXPECT_EQ(u["limits.cpu"].String(), "500m");
  EXPECT_EQ(u.count("limits.memory"), 0u);
}

TEST(ObjectUsageTest, TerminalPodsChargeOnlyTheirObjectCount) {
  for (const char* phase : {"Succeeded", "Failed"}) {
    ResourceList u = ObjectUsage({"", "pods"}, Pod("p", {Container("a", {{"cpu", "1"}})}, phase));
    EXPECT_EQ(u.count("pods"), 0u) << phase;
    EXPECT_EQ(u.count("requests.cpu"), 0u) << phase;
    EXPECT_EQ(u["count/pods"].String(), "1") << phase;
  }
}

TEST(ObjectUsageTest, ServicesChargeNodePortsAndLoadBalancers) {
  Json svc = {
      {"metadata", {{"name", "s"}}},
      {"spec",
       {{"type", "LoadBalancer"}, {"ports", Json::array({{{"port", 80}}, {{"port", 443}}})}}}};
  ResourceList u = ObjectUsage({"", "services"}, svc);
  EXPECT_EQ(u["services"].String(), "1");
  EXPECT_EQ(u["services.nodeports"].String(), "2");
  EXPECT_EQ(u["services.loadbalancers"].String(), "1");
  EXPECT_EQ(u["count/services"].String(), "1");
}

TEST(ScopeTest, MatchesEachScopeAsUpstream) {
  Json best_effort = Pod("be", {Container("a", nullptr)});
  Json burstable = Pod("bu", {Container("a", {{"cpu", "1"}})});
  Json terminating = burstable;
  terminating["spec"]["activeDeadlineSeconds"] = 30;
  Json high = burstable;
  high["spec"]["priorityClassName"] = "high";
  QuotaTarget pods{"", "pods"};
  struct Case {
    Json quota;
    const Json* pod;
    bool match;
  };
  Json in_high =
      Json::array({{{"scopeName", "PriorityClass"}, {"operator", "In"}, {"values", {"high"}}}});
  for (const Case& c : {Case{Quota({{"pods", 1}}, {"BestEffort"}), &best_effort, true},
                        Case{Quota({{"pods", 1}}, {"BestEffort"}), &burstable, false},
                        Case{Quota({{"pods", 1}}, {"NotBestEffort"}), &burstable, true},
                        Case{Quota({{"pods", 1}}, {"Terminating"}), &terminating, true},
                        Case{Quota({{"pods", 1}}, {"Terminating"}), &burstable, false},
                        Case{Quota({{"pods", 1}}, {"NotTerminating"}), &burstable, true},
                        Case{Quota({{"pods", 1}}, nullptr, in_high), &high, true},
                        Case{Quota({{"pods", 1}}, nullptr, in_high), &burstable, false},
                        Case{Quota({{"pods", 1}}), &burstable, true}}) {
    EXPECT_EQ(MatchesScopes(c.quota, pods, *c.pod), c.match)
        << c.quota.dump() << " " << c.pod->dump();
  }
  // Scoped quotas never match other kinds.
  EXPECT_FALSE(MatchesScopes(Quota({{"services", 1}}, {"NotTerminating"}), {"", "services"},
                             Json::object()));
}

TEST(PodConstraintTest, NamesContainersMissingATrackedComputeResource) {
  Json pod = Pod("p", {Container("a", {{"cpu", "1"}}), Container("b", nullptr, {{"cpu", "1"}}),
                       Container("c", {{"memory", "1Gi"}})});
  EXPECT_EQ(PodConstraintError(pod, {"pods", "limits.cpu", "requests.cpu"}),
            "must specify limits.cpu for: a,c; requests.cpu for: c");
  EXPECT_EQ(PodConstraintError(pod, {"pods", "requests.storage"}), "");
}

TEST(ComputeUsedTest, SumsMatchingObjectsForEveryHardName) {
  Json pods = Json::array({Pod("a", {Container("a", {{"cpu", "500m"}})}),
                           Pod("b", {Container("a", {{"cpu", "250m"}})}),
                           Pod("c", {Container("a", {{"cpu", "1"}})}, "Succeeded")});
  Json quota = Quota({{"pods", "10"}, {"requests.cpu", "2"}, {"configmaps", 3}, {"bogus", 1}});
  ResourceList used;
  sdk::Status s = ComputeUsed(
      quota,
      [&](const QuotaTarget& t, std::string_view ns, Json* items) {
        EXPECT_EQ(ns, "ns");
        *items = t.resource == "pods" ? pods : Json::array({Json::object()});
        return sdk::Status::Ok();
      },
      &used);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(PrettyPrint(used), "bogus=0,configmaps=1,pods=2,requests.cpu=750m");
}

}  // namespace
}  // namespace capstan::controllers
