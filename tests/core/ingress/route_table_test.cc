// Tests for route_table.h: class selection, host/path matching and precedence, default
// backend, port resolution by number and name, readiness, TLS Secret selection by SNI.
#include "core/ingress/route_table.h"

#include <gtest/gtest.h>

namespace capstan::ingress {
namespace {

using nlohmann::json;

ObjectPtr Obj(json j) { return std::make_shared<const json>(std::move(j)); }

json BackendJson(const std::string& svc, json port) {
  return {{"service", {{"name", svc}, {"port", std::move(port)}}}};
}

json PathRule(const std::string& path, const std::string& type, const std::string& svc,
              json port = {{"number", 80}}) {
  return {{"path", path}, {"pathType", type}, {"backend", BackendJson(svc, std::move(port))}};
}

ObjectPtr Ingress(const std::string& name, json spec,
                  const std::string& created = "2026-01-01T00:00:00Z") {
  return Obj(
      {{"metadata", {{"namespace", "default"}, {"name", name}, {"creationTimestamp", created}}},
       {"spec", std::move(spec)}});
}

// A Service `name` with ports web=80 -> 8080 and admin=81 -> 9090, each endpoint at
// `ip` (one ready slice) plus an unready address 10.9.9.9.
void AddService(ClusterObjects* o, const std::string& name, const std::string& ip) {
  o->services.push_back(Obj({{"metadata", {{"namespace", "default"}, {"name", name}}},
                             {"spec",
                              {{"ports",
                                {{{"name", "web"}, {"port", 80}, {"targetPort", 8080}},
                                 {{"name", "admin"}, {"port", 81}, {"targetPort", 9090}}}}}}}));
  o->endpoint_slices.push_back(
      Obj({{"metadata",
            {{"namespace", "default"},
             {"name", name + "-abc"},
             {"labels", {{"kubernetes.io/service-name", name}}}}},
           {"ports", {{{"name", "web"}, {"port", 8080}}, {{"name", "admin"}, {"port", 9090}}}},
           {"endpoints",
            {{{"addresses", {ip}}, {"conditions", {{"ready", true}}}},
             {{"addresses", {"10.9.9.9"}}, {"conditions", {{"ready", false}}}}}}}));
}

std::string Target(const RouteTable& t, const std::string& host, const std::string& path) {
  RouteMatch m = t.Match(host, path);
  if (m.kind == RouteMatch::kNotFound) return "404";
  if (m.backend->endpoints.empty()) return "503";
  std::string out;
  for (const Endpoint& e : m.backend->endpoints) {
    out += (out.empty() ? "" : ",") + e.address + ":" + std::to_string(e.port);
  }
  return out;
}

class RouteTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* svc : {"exact", "prefix", "wild", "any", "deflt", "api"}) {
      AddService(&objects_, svc,
                 std::string("10.0.0.") + std::to_string(objects_.services.size() + 1));
    }
    objects_.ingresses.push_back(Ingress(
        "main",
        {{"defaultBackend", BackendJson("deflt", {{"number", 80}})},
         {"rules",
          {{{"host", "foo.example.com"},
            {"http",
             {{"paths",
               {PathRule("/", "Prefix", "prefix"), PathRule("/api", "Prefix", "api"),
                PathRule("/api", "Exact", "exact"),
                PathRule("/admin", "Prefix", "api", {{"name", "admin"}}),
                PathRule("/impl", "ImplementationSpecific", "exact")}}}}},
           {{"host", "*.example.com"}, {"http", {{"paths", {PathRule("/", "Prefix", "wild")}}}}},
           {{"http", {{"paths", {PathRule("/any", "Prefix", "any")}}}}}}}}));
    table_ = RouteTable::Build(objects_);
  }
  ClusterObjects objects_;
  std::shared_ptr<const RouteTable> table_;
};

TEST_F(RouteTableTest, MatchesHostsPathsAndPrecedenceAsUpstream) {
  struct Case {
    std::string host, path, want;
  };
  const std::vector<Case> cases = {
      {"foo.example.com", "/", "10.0.0.2:8080"},            // Prefix "/"
      {"FOO.example.com:8080", "/x", "10.0.0.2:8080"},      // host case and port ignored
      {"foo.example.com", "/api", "10.0.0.1:8080"},         // Exact beats Prefix at equal length
      {"foo.example.com", "/api/", "10.0.0.6:8080"},        // Prefix /api covers /api/
      {"foo.example.com", "/api/v1?q=1", "10.0.0.6:8080"},  // longest prefix; query ignored
      {"foo.example.com", "/apiv1", "10.0.0.2:8080"},       // element-wise: not /api
      {"foo.example.com", "/admin/x", "10.0.0.6:9090"},     // named port -> admin target port
      {"foo.example.com", "/impl/x", "10.0.0.1:8080"},      // ImplementationSpecific as Prefix
      {"bar.example.com", "/z", "10.0.0.3:8080"},           // wildcard covers one label
      {"a.bar.example.com", "/z", "10.0.0.5:8080"},         // not two labels: default backend
      {"example.com", "/z", "10.0.0.5:8080"},               // nor the bare suffix
      {"other.org", "/any/thing", "10.0.0.4:8080"},         // host-less rule
      {"other.org", "/nothing", "10.0.0.5:8080"},           // default backend
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Target(*table_, c.host, c.path), c.want) << c.host << c.path;
  }
}

TEST_F(RouteTableTest, WithoutDefaultBackendUnmatchedRequestsAreNotFound) {
  ClusterObjects o = objects_;
  o.ingresses = {Ingress(
      "only",
      {{"rules",
        {{{"host", "a.test"}, {"http", {{"paths", {PathRule("/x", "Exact", "exact")}}}}}}}})};
  auto t = RouteTable::Build(o);
  EXPECT_EQ(Target(*t, "a.test", "/x"), "10.0.0.1:8080");
  EXPECT_EQ(Target(*t, "a.test", "/x/"), "404");
  EXPECT_EQ(Target(*t, "b.test", "/x"), "404");
}

TEST_F(RouteTableTest, MissingServicePortOrEndpointsGiveAnEmptyBackend) {
  ClusterObjects o = objects_;
  o.ingresses = {
      Ingress("gaps", {{"rules",
                        {{{"http",
                           {{"paths",
                             {PathRule("/nosvc", "Prefix", "missing"),
                              PathRule("/noport", "Prefix", "exact", {{"number", 99}}),
                              PathRule("/noname", "Prefix", "exact", {{"name", "nope"}})}}}}}}}})};
  auto t = RouteTable::Build(o);
  for (const char* path : {"/nosvc", "/noport", "/noname"}) {
    EXPECT_EQ(Target(*t, "x", path), "503") << path;
  }
}

TEST_F(RouteTableTest, OlderIngressKeepsAConflictingRoute) {
  ClusterObjects o = objects_;
  json rules = {
      {"rules", {{{"host", "dup.test"}, {"http", {{"paths", {PathRule("/", "Prefix", "any")}}}}}}}};
  json newer = {
      {"rules",
       {{{"host", "dup.test"}, {"http", {{"paths", {PathRule("/", "Prefix", "wild")}}}}}}}};
  o.ingresses = {Ingress("b-newer", newer, "2026-02-01T00:00:00Z"), Ingress("a-older", rules)};
  auto t = RouteTable::Build(o);
  EXPECT_EQ(Target(*t, "dup.test", "/"), "10.0.0.4:8080");
  EXPECT_EQ(t->Match("dup.test", "/").ingress, "default/a-older");
}

TEST(RoundRobinTest, PickCyclesThroughReadyEndpoints) {
  Backend b;
  b.endpoints = {{"10.0.0.1", 1}, {"10.0.0.2", 2}};
  EXPECT_EQ(b.Pick()->port, 1);
  EXPECT_EQ(b.Pick()->port, 2);
  EXPECT_EQ(b.Pick()->port, 1);
  Backend empty;
  EXPECT_EQ(empty.Pick(), nullptr);
}

TEST(IngressClassTest, SelectsByClassNameAnnotationOrDefaultClass) {
  auto cls = [](const std::string& name, const std::string& controller, bool is_default) {
    json c = {{"metadata", {{"name", name}}}, {"spec", {{"controller", controller}}}};
    if (is_default) c["metadata"]["annotations"][kDefaultClassAnnotation] = "true";
    return Obj(c);
  };
  std::vector<ObjectPtr> ours_default = {cls("capstan", kControllerName, true),
                                         cls("traefik", "traefik.io/ingress-controller", false)};
  std::vector<ObjectPtr> theirs_default = {cls("capstan", kControllerName, false),
                                           cls("traefik", "traefik.io/ingress-controller", true)};
  json named = {{"spec", {{"ingressClassName", "capstan"}}}};
  json other = {{"spec", {{"ingressClassName", "traefik"}}}};
  json unknown = {{"spec", {{"ingressClassName", "nope"}}}};
  json annotated = {{"metadata", {{"annotations", {{"kubernetes.io/ingress.class", "capstan"}}}}}};
  json classless = {{"spec", json::object()}};
  EXPECT_TRUE(IsOurIngress(named, theirs_default));
  EXPECT_FALSE(IsOurIngress(other, ours_default));
  EXPECT_FALSE(IsOurIngress(unknown, ours_default));
  EXPECT_TRUE(IsOurIngress(annotated, theirs_default));
  EXPECT_TRUE(IsOurIngress(classless, ours_default));
  EXPECT_FALSE(IsOurIngress(classless, theirs_default));
}

TEST(TlsSelectionTest, ExactHostBeatsWildcardAndHostlessEntriesCoverRuleHosts) {
  ClusterObjects o;
  o.ingresses = {Ingress("tls", {{"tls",
                                  {{{"hosts", {"*.example.com"}}, {"secretName", "wild"}},
                                   {{"hosts", {"foo.example.com"}}, {"secretName", "foo"}},
                                   {{"secretName", "rules"}}}},
                                 {"rules", {{{"host", "plain.test"}}}}})};
  auto t = RouteTable::Build(o);
  EXPECT_EQ(t->TlsSecretFor("foo.example.com"), "default/foo");
  EXPECT_EQ(t->TlsSecretFor("BAR.example.com"), "default/wild");
  EXPECT_EQ(t->TlsSecretFor("a.b.example.com"), "");
  EXPECT_EQ(t->TlsSecretFor("plain.test"), "default/rules");
  EXPECT_EQ(t->TlsSecretFor("unknown.test"), "");
  EXPECT_EQ(t->TlsSecrets(),
            (std::vector<std::string>{"default/foo", "default/rules", "default/wild"}));
}

}  // namespace
}  // namespace capstan::ingress
