// Unit tests of core/agent/env.h: $(VAR) expansion, Docker-link service variables, env and
// envFrom resolution with ConfigMaps, Secrets, the downward API and resource fields.
#include "core/agent/env.h"

#include <gtest/gtest.h>

#include <map>

namespace capstan::agent {
namespace {

using nlohmann::json;

std::string Get(const EnvList& env, const std::string& key) {
  for (const auto& [k, v] : env) {
    if (k == key) return v;
  }
  return "<unset>";
}

struct ExpandCase {
  std::string in, want;
};

TEST(ExpandVarsTest, FollowsUpstreamExpansionRules) {
  std::map<std::string, std::string> vars = {{"A", "alpha"}, {"B", "$(A)"}};
  auto lookup = [&](const std::string& k, std::string* v) {
    auto it = vars.find(k);
    if (it == vars.end()) return false;
    *v = it->second;
    return true;
  };
  for (const ExpandCase& c : std::vector<ExpandCase>{{"$(A)", "alpha"},
                                                     {"x-$(A)-y", "x-alpha-y"},
                                                     {"$(MISSING)", "$(MISSING)"},
                                                     {"$$(A)", "$(A)"},
                                                     {"$(B)", "$(A)"},
                                                     {"$(A", "$(A"},
                                                     {"cost $5", "cost $5"},
                                                     {"end$", "end$"}}) {
    EXPECT_EQ(ExpandVars(c.in, lookup), c.want) << c.in;
  }
}

TEST(ServiceEnvTest, WritesDockerLinkVariablesForNamespaceServicesAndKubernetes) {
  std::vector<json> services = {
      {{"metadata", {{"name", "my-svc"}, {"namespace", "web"}}},
       {"spec",
        {{"clusterIP", "10.96.0.5"},
         {"ports", json::array({{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}},
                                {{"name", "dns"}, {"port", 53}, {"protocol", "UDP"}}})}}}},
      {{"metadata", {{"name", "headless"}, {"namespace", "web"}}},
       {"spec", {{"clusterIP", "None"}, {"ports", json::array({{{"port", 1}}})}}}},
      {{"metadata", {{"name", "kubernetes"}, {"namespace", "default"}}},
       {"spec", {{"clusterIP", "10.96.0.1"}, {"ports", json::array({{{"port", 443}}})}}}}};
  EnvList env = ServiceEnv(services, "web", true);
  EXPECT_EQ(Get(env, "MY_SVC_SERVICE_HOST"), "10.96.0.5");
  EXPECT_EQ(Get(env, "MY_SVC_SERVICE_PORT"), "80");
  EXPECT_EQ(Get(env, "MY_SVC_SERVICE_PORT_HTTP"), "80");
  EXPECT_EQ(Get(env, "MY_SVC_PORT"), "tcp://10.96.0.5:80");
  EXPECT_EQ(Get(env, "MY_SVC_PORT_53_UDP"), "udp://10.96.0.5:53");
  EXPECT_EQ(Get(env, "MY_SVC_PORT_53_UDP_PROTO"), "udp");
  EXPECT_EQ(Get(env, "MY_SVC_PORT_80_TCP_ADDR"), "10.96.0.5");
  EXPECT_EQ(Get(env, "HEADLESS_SERVICE_HOST"), "<unset>");
  EXPECT_EQ(Get(env, "KUBERNETES_SERVICE_HOST"), "10.96.0.1");
  EnvList no_links = ServiceEnv(services, "web", false);
  EXPECT_EQ(Get(no_links, "MY_SVC_SERVICE_HOST"), "<unset>");
  EXPECT_EQ(Get(no_links, "KUBERNETES_SERVICE_PORT"), "443");
}

class ResolveEnvTest : public ::testing::Test {
 protected:
  ResolveEnvTest() {
    pod_ = {{"metadata",
             {{"name", "web-1"},
              {"namespace", "ns1"},
              {"uid", "u-1"},
              {"labels", {{"app", "web"}}},
              {"annotations", {{"team", "a"}}}}},
            {"spec", {{"nodeName", "node-a"}, {"serviceAccountName", "robot"}}}};
    facts_.pod = &pod_;
    facts_.host_ip = "192.0.2.10";
    facts_.pod_ip = "10.244.1.7";
    facts_.node_cpu_millis = 4000;
    facts_.node_memory_bytes = 8LL << 30;
    objects_["configmaps/cfg"] = {{"data", {{"mode", "prod"}, {"bad-key", "x"}, {"url", "u"}}}};
    objects_["secrets/creds"] = {{"data", {{"password", "aHVudGVyMg=="}}}};  // hunter2
    get_ = [this](const std::string& r, const std::string& ns, const std::string& name) {
      EXPECT_EQ(ns, "ns1");
      auto it = objects_.find(r + "/" + name);
      if (it == objects_.end()) return Result<json>(NotFoundError(name));
      return Result<json>(it->second);
    };
  }
  json pod_;
  PodFacts facts_;
  std::map<std::string, json> objects_;
  ObjectGetter get_;
};

TEST_F(ResolveEnvTest, ResolvesEveryValueSourceInUpstreamOrder) {
  json container = {
      {"name", "app"},
      {"resources", {{"limits", {{"memory", "64Mi"}}}, {"requests", {{"cpu", "250m"}}}}},
      {"envFrom", json::array({{{"configMapRef", {{"name", "cfg"}}}, {"prefix", "CFG_"}},
                               {{"configMapRef", {{"name", "absent"}, {"optional", true}}}}})},
      {"env",
       json::array({
           {{"name", "PLAIN"}, {"value", "v"}},
           {{"name", "EXPANDED"}, {"value", "$(PLAIN)-$(CFG_mode)-$(SVC_SERVICE_HOST)-$(NOPE)"}},
           {{"name", "PASS"},
            {"valueFrom", {{"secretKeyRef", {{"name", "creds"}, {"key", "password"}}}}}},
           {{"name", "MODE"},
            {"valueFrom", {{"configMapKeyRef", {{"name", "cfg"}, {"key", "mode"}}}}}},
           {{"name", "OPT"},
            {"valueFrom",
             {{"configMapKeyRef", {{"name", "cfg"}, {"key", "nokey"}, {"optional", true}}}}}},
           {{"name", "POD_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}},
           {{"name", "APP"},
            {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.labels['app']"}}}}}},
           {{"name", "NODE"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "spec.nodeName"}}}}}},
           {{"name", "SA"},
            {"valueFrom", {{"fieldRef", {{"fieldPath", "spec.serviceAccountName"}}}}}},
           {{"name", "IP"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "status.podIP"}}}}}},
           {{"name", "HOST"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "status.hostIP"}}}}}},
           {{"name", "MEM_MI"},
            {"valueFrom",
             {{"resourceFieldRef", {{"resource", "limits.memory"}, {"divisor", "1Mi"}}}}}},
           {{"name", "CPU_M"},
            {"valueFrom",
             {{"resourceFieldRef", {{"resource", "requests.cpu"}, {"divisor", "1m"}}}}}},
           {{"name", "CPU_LIMIT"},
            {"valueFrom", {{"resourceFieldRef", {{"resource", "limits.cpu"}}}}}},
           {{"name", "PLAIN"}, {"value", "overridden"}},
       })}};
  std::vector<std::string> skipped;
  Result<EnvList> env =
      ResolveEnv(facts_, container, get_, {{"SVC_SERVICE_HOST", "10.0.0.9"}}, &skipped);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(Get(*env, "CFG_mode"), "prod");
  EXPECT_EQ(Get(*env, "CFG_url"), "u");
  EXPECT_EQ(Get(*env, "CFG_bad-key"), "<unset>");
  EXPECT_EQ(skipped, std::vector<std::string>{"CFG_bad-key"});
  EXPECT_EQ(Get(*env, "EXPANDED"), "v-prod-10.0.0.9-$(NOPE)");
  EXPECT_EQ(Get(*env, "PASS"), "hunter2");
  EXPECT_EQ(Get(*env, "MODE"), "prod");
  EXPECT_EQ(Get(*env, "OPT"), "<unset>");
  EXPECT_EQ(Get(*env, "POD_NAME"), "web-1");
  EXPECT_EQ(Get(*env, "APP"), "web");
  EXPECT_EQ(Get(*env, "NODE"), "node-a");
  EXPECT_EQ(Get(*env, "SA"), "robot");
  EXPECT_EQ(Get(*env, "IP"), "10.244.1.7");
  EXPECT_EQ(Get(*env, "HOST"), "192.0.2.10");
  EXPECT_EQ(Get(*env, "MEM_MI"), "64");
  EXPECT_EQ(Get(*env, "CPU_M"), "250");
  EXPECT_EQ(Get(*env, "CPU_LIMIT"), "4");  // unset limit: node allocatable
  EXPECT_EQ(Get(*env, "PLAIN"), "overridden");
  EXPECT_EQ(Get(*env, "SVC_SERVICE_HOST"), "10.0.0.9");
}

TEST_F(ResolveEnvTest, MissingNonOptionalReferencesGiveTheKubeletsConfigErrors) {
  struct Case {
    json env_from;
    json env;
    std::string want;
  };
  for (const Case& c : std::vector<Case>{
           {json::array({{{"configMapRef", {{"name", "nope"}}}}}), json::array(),
            "configmap \"nope\" not found"},
           {json::array(),
            json::array({{{"name", "X"},
                          {"valueFrom", {{"secretKeyRef", {{"name", "gone"}, {"key", "k"}}}}}}}),
            "secret \"gone\" not found"},
           {json::array(),
            json::array({{{"name", "X"},
                          {"valueFrom", {{"configMapKeyRef", {{"name", "cfg"}, {"key", "k"}}}}}}}),
            "couldn't find key k in ConfigMap ns1/cfg"},
       }) {
    json container = {{"name", "app"}, {"envFrom", c.env_from}, {"env", c.env}};
    Result<EnvList> env = ResolveEnv(facts_, container, get_, {});
    ASSERT_FALSE(env.ok());
    EXPECT_EQ(env.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(env.status().message(), c.want);
  }
}

TEST_F(ResolveEnvTest, DownwardMapsRenderAsSortedQuotedLines) {
  pod_["metadata"]["labels"] = {{"b", "2"}, {"a", "x\"y"}};
  Result<std::string> v = PodFieldValue(facts_, "metadata.labels");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "a=\"x\\\"y\"\nb=\"2\"");
  EXPECT_FALSE(PodFieldValue(facts_, "spec.bogus").ok());
}

}  // namespace
}  // namespace capstan::agent
