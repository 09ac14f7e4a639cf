// Tests for core/registry/service_strategy.h and service_validation.h: defaults, cluster-IP and
// NodePort allocation with upstream's errors, type changes and release on delete.
#include "core/registry/service_strategy.h"

#include <gtest/gtest.h>

#include "tests/core/registry/strategy_test_util.h"

namespace capstan::registry {
namespace {

using testing::CauseFor;
using testing::Describe;
using testing::RunCreate;
using testing::RunUpdate;

Json Service(const std::string& name, Json spec) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

Json Ports(int port) { return Json::array({{{"port", port}}}); }

class ServiceStrategyTest : public ::testing::Test {
 protected:
  ServiceAllocators alloc_ = ServiceAllocators::Default();
  ServiceStrategy strategy_{alloc_, /*stale_release_age_ms=*/0};
};

TEST_F(ServiceStrategyTest, ClusterIpServiceGetsUpstreamDefaultsAndAnAddress) {
  testing::Outcome o =
      RunCreate(strategy_, Service("web", {{"selector", {{"app", "web"}}}, {"ports", Ports(80)}}));
  ASSERT_TRUE(o.prepared.ok() && o.causes.empty()) << Describe(o);
  const Json& spec = o.object["spec"];
  EXPECT_EQ(spec["type"], "ClusterIP");
  EXPECT_EQ(spec["sessionAffinity"], "None");
  EXPECT_EQ(spec["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(spec["ports"][0]["targetPort"], 80);
  EXPECT_EQ(spec["ipFamilies"], Json::array({"IPv4"}));
  EXPECT_EQ(spec["ipFamilyPolicy"], "SingleStack");
  EXPECT_EQ(spec["internalTrafficPolicy"], "Cluster");
  EXPECT_FALSE(spec.contains("externalTrafficPolicy"));
  EXPECT_EQ(o.object["status"], Json({{"loadBalancer", Json::object()}}));
  std::string ip = spec["clusterIP"];
  EXPECT_EQ(spec["clusterIPs"], Json::array({ip}));
  EXPECT_TRUE(alloc_.ips->InRange(ip)) << ip;
  EXPECT_NE(ip, "10.96.0.1");
  EXPECT_TRUE(alloc_.ips->IsOwnedBy(ip, "uid-1"));
}

TEST_F(ServiceStrategyTest, RequestedClusterIpIsHonouredOnceThenRefused) {
  Json spec = {{"clusterIP", "10.96.0.10"}, {"ports", Ports(53)}};
  testing::Outcome first = RunCreate(strategy_, Service("dns", spec), "uid-a");
  ASSERT_TRUE(first.causes.empty()) << Describe(first);
  EXPECT_EQ(first.object["spec"]["clusterIPs"], Json::array({"10.96.0.10"}));

  testing::Outcome second = RunCreate(strategy_, Service("dns2", spec), "uid-b");
  const apiserver::StatusCause* c = CauseFor(second, "spec.clusterIPs");
  ASSERT_NE(c, nullptr) << Describe(second);
  EXPECT_EQ(c->reason, "FieldValueInvalid");
  EXPECT_EQ(c->message,
            "Invalid value: []string{\"10.96.0.10\"}: failed to allocate IP 10.96.0.10: provided "
            "IP is already allocated");

  testing::Outcome outside = RunCreate(
      strategy_, Service("far", {{"clusterIP", "10.0.0.5"}, {"ports", Ports(80)}}), "uid-c");
  const apiserver::StatusCause* o = CauseFor(outside, "spec.clusterIPs");
  ASSERT_NE(o, nullptr) << Describe(outside);
  EXPECT_EQ(
      o->message,
      "Invalid value: []string{\"10.0.0.5\"}: failed to allocate IP 10.0.0.5: the provided IP "
      "(10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12");
}

TEST_F(ServiceStrategyTest, HeadlessAndExternalNameGetNoAddress) {
  testing::Outcome headless =
      RunCreate(strategy_, Service("db", {{"clusterIP", "None"}, {"selector", {{"app", "db"}}}}));
  ASSERT_TRUE(headless.causes.empty()) << Describe(headless);
  EXPECT_EQ(headless.object["spec"]["clusterIPs"], Json::array({"None"}));
  testing::Outcome ext = RunCreate(
      strategy_, Service("ext", {{"type", "ExternalName"}, {"externalName", "example.com"}}));
  ASSERT_TRUE(ext.causes.empty()) << Describe(ext);
  EXPECT_FALSE(ext.object["spec"].contains("clusterIP"));
  EXPECT_FALSE(ext.object["spec"].contains("ipFamilies"));
  EXPECT_EQ(alloc_.ips->Used(), 0u);
}

TEST_F(ServiceStrategyTest, NodePortsAreAllocatedUniqueAndRequestedOnesHonoured) {
  testing::Outcome a =
      RunCreate(strategy_,
                Service("a", {{"type", "NodePort"},
                              {"ports",
                               {{{"name", "http"}, {"port", 80}},
                                {{"name", "https"}, {"port", 443}, {"nodePort", 30443}}}}}),
                "uid-a");
  ASSERT_TRUE(a.causes.empty()) << Describe(a);
  const Json& spec = a.object["spec"];
  EXPECT_EQ(spec["externalTrafficPolicy"], "Cluster");
  int64_t np = spec["ports"][0]["nodePort"];
  EXPECT_GE(np, 30000);
  EXPECT_LE(np, 32767);
  EXPECT_EQ(spec["ports"][1]["nodePort"], 30443);

  testing::Outcome b = RunCreate(
      strategy_,
      Service("b", {{"type", "LoadBalancer"}, {"ports", {{{"port", 443}, {"nodePort", 30443}}}}}),
      "uid-b");
  const apiserver::StatusCause* c = CauseFor(b, "spec.ports[0].nodePort");
  ASSERT_NE(c, nullptr) << Describe(b);
  EXPECT_EQ(c->message, "Invalid value: 30443: provided port is already allocated");
  EXPECT_EQ(b.object["spec"]["allocateLoadBalancerNodePorts"], true);

  testing::Outcome range = RunCreate(
      strategy_,
      Service("c", {{"type", "NodePort"}, {"ports", {{{"port", 80}, {"nodePort", 8080}}}}}),
      "uid-c");
  const apiserver::StatusCause* r = CauseFor(range, "spec.ports[0].nodePort");
  ASSERT_NE(r, nullptr) << Describe(range);
  EXPECT_EQ(
      r->message,
      "Invalid value: 8080: provided port is not in the valid range. The range of valid ports "
      "is 30000-32767");
}

TEST_F(ServiceStrategyTest, LocalLoadBalancerGetsAHealthCheckNodePortOfItsOwn) {
  testing::Outcome lb = RunCreate(strategy_,
                                  Service("lb", {{"type", "LoadBalancer"},
                                                 {"externalTrafficPolicy", "Local"},
                                                 {"ports", Ports(443)}}),
                                  "uid-lb");
  ASSERT_TRUE(lb.causes.empty()) << Describe(lb);
  int64_t hc = lb.object["spec"]["healthCheckNodePort"];
  EXPECT_GE(hc, 30000);
  EXPECT_LE(hc, 32767);
  EXPECT_NE(hc, lb.object["spec"]["ports"][0]["nodePort"]);
  testing::Outcome taken = RunCreate(
      strategy_,
      Service("np", {{"type", "NodePort"}, {"ports", {{{"port", 80}, {"nodePort", hc}}}}}),
      "uid-np");
  ASSERT_NE(CauseFor(taken, "spec.ports[0].nodePort"), nullptr) << Describe(taken);
}

TEST_F(ServiceStrategyTest, ValidationErrorsMatchUpstream) {
  struct Case {
    const char* name;
    Json spec;
    const char* field;
    const char* message;
  } cases[] = {
      {"no ports", {{"selector", {{"a", "b"}}}}, "spec.ports", "Required value"},
      {"type",
       {{"type", "Magic"}, {"ports", Ports(80)}},
       "spec.type",
       "Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", "
       "\"LoadBalancer\", \"NodePort\""},
      {"nodePort on ClusterIP",
       {{"ports", {{{"port", 80}, {"nodePort", 30001}}}}},
       "spec.ports[0].nodePort",
       "Forbidden: may not be used when `type` is 'ClusterIP'"},
      {"unnamed ports",
       {{"ports", {{{"port", 80}}, {{"port", 81}}}}},
       "spec.ports[0].name",
       "Required value"},
      {"port range",
       {{"ports", Ports(0)}},
       "spec.ports[0].port",
       "Invalid value: 0: must be between 1 and 65535, inclusive"},
      {"affinity",
       {{"sessionAffinity", "Sticky"}, {"ports", Ports(80)}},
       "spec.sessionAffinity",
       "Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\""},
      {"ipv6",
       {{"ipFamilies", {"IPv6"}}, {"ports", Ports(80)}},
       "spec.ipFamilies[0]",
       "Invalid value: \"IPv6\": not configured on this cluster"},
      {"external name", {{"type", "ExternalName"}}, "spec.externalName", "Required value"},
  };
  for (const Case& c : cases) {
    testing::Outcome o = RunCreate(strategy_, Service("s", c.spec));
    const apiserver::StatusCause* cause = CauseFor(o, c.field);
    ASSERT_NE(cause, nullptr) << c.name << Describe(o);
    EXPECT_EQ(cause->message, c.message) << c.name;
  }
  EXPECT_EQ(alloc_.ips->Used(), 0u) << "invalid Services allocate nothing";
  testing::Outcome name = RunCreate(strategy_, Service("1web", {{"ports", Ports(80)}}));
  ASSERT_NE(CauseFor(name, "metadata.name"), nullptr) << Describe(name);
}

TEST_F(ServiceStrategyTest, UpdatesKeepAllocationsAndTypeChangesReleaseThem) {
  testing::Outcome created = RunCreate(
      strategy_,
      Service("web", {{"type", "NodePort"}, {"ports", {{{"name", "http"}, {"port", 80}}}}}));
  ASSERT_TRUE(created.causes.empty()) << Describe(created);
  const Json& old = created.object;
  std::string ip = old["spec"]["clusterIP"];
  int np = old["spec"]["ports"][0]["nodePort"];

  // A replace that omits allocated values keeps them (kubectl replace / apply).
  Json replace =
      Service("web", {{"type", "NodePort"}, {"ports", {{{"name", "http"}, {"port", 80}}}}});
  testing::Outcome kept = RunUpdate(strategy_, replace, old);
  ASSERT_TRUE(kept.prepared.ok() && kept.causes.empty()) << Describe(kept);
  EXPECT_EQ(kept.object["spec"]["clusterIP"], ip);
  EXPECT_EQ(kept.object["spec"]["ports"][0]["nodePort"], np);

  Json changed = old;
  changed["spec"]["clusterIP"] = "10.96.0.77";
  changed["spec"]["clusterIPs"] = {"10.96.0.77"};
  testing::Outcome immutable = RunUpdate(strategy_, changed, old);
  const apiserver::StatusCause* c = CauseFor(immutable, "spec.clusterIPs[0]");
  ASSERT_NE(c, nullptr) << Describe(immutable);
  EXPECT_EQ(c->message, "Invalid value: []string{\"10.96.0.77\"}: may not change once set");

  // NodePort -> ClusterIP drops the node ports; the store confirms it on the next write.
  Json to_cluster = old;
  to_cluster["spec"]["type"] = "ClusterIP";
  testing::Outcome down = RunUpdate(strategy_, to_cluster, old);
  ASSERT_TRUE(down.causes.empty()) << Describe(down);
  EXPECT_FALSE(down.object["spec"]["ports"][0].contains("nodePort"));
  EXPECT_FALSE(down.object["spec"].contains("externalTrafficPolicy"));
  EXPECT_TRUE(alloc_.ports->IsOwnedBy(np, "uid-1")) << "not released before the write commits";
  Json relabel = down.object;
  relabel["metadata"]["labels"] = {{"x", "y"}};
  testing::Outcome next = RunUpdate(strategy_, relabel, down.object);
  ASSERT_TRUE(next.causes.empty()) << Describe(next);
  EXPECT_FALSE(alloc_.ports->IsOwnedBy(np, "uid-1")) << "released once the store shows it unused";
  EXPECT_TRUE(alloc_.ips->IsOwnedBy(ip, "uid-1"));

  strategy_.AfterDelete(next.object);
  EXPECT_EQ(alloc_.ips->Used(), 0u);
  EXPECT_EQ(alloc_.ports->Used(), 0u);
}

TEST_F(ServiceStrategyTest, AbortedCreateAndFailedUpdateGiveBackWhatTheyTook) {
  testing::Outcome o =
      RunCreate(strategy_, Service("web", {{"type", "NodePort"}, {"ports", Ports(80)}}));
  ASSERT_TRUE(o.causes.empty()) << Describe(o);
  EXPECT_EQ(alloc_.ips->Used(), 1u);
  strategy_.AbortCreate(o.object);
  EXPECT_EQ(alloc_.ips->Used(), 0u);
  EXPECT_EQ(alloc_.ports->Used(), 0u);

  testing::Outcome c = RunCreate(strategy_, Service("web", {{"ports", Ports(80)}}), "uid-2");
  Json up = c.object;
  up["spec"]["type"] = "NodePort";
  testing::Outcome u = RunUpdate(strategy_, up, c.object);
  ASSERT_TRUE(u.causes.empty()) << Describe(u);
  EXPECT_EQ(alloc_.ports->Used(), 1u);
  strategy_.AfterUpdate(u.object, c.object, /*committed=*/false);
  EXPECT_EQ(alloc_.ports->Used(), 0u);
  EXPECT_EQ(alloc_.ips->Used(), 1u) << "the stored Service keeps its address";
}

}  // namespace
}  // namespace capstan::registry
