// Agent integration fixture (agent_fixture.h).
#include "tests/core/agent/agent_fixture.h"

#include <stdlib.h>

#include <filesystem>

namespace capstan::agent::testing {

using nlohmann::json;

client::testing::TestCluster* AgentFixture::cluster_ = nullptr;

void AgentFixture::SetUpTestSuite() { cluster_ = new client::testing::TestCluster(); }

void AgentFixture::TearDownTestSuite() {
  delete cluster_;
  cluster_ = nullptr;
}

void AgentFixture::SetUp() {
  // Tests share the API server: a node per test keeps earlier tests' pods off this agent.
  static int node_count = 0;
  node_ = "hollow-" + std::to_string(++node_count);
  client_ = cluster_->NewClient();
  char tmpl[] = "/tmp/capstan-agent-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  data_dir_ = tmpl;
}

void AgentFixture::LoadRuntime() {
  json doc = {{"apiVersion", "capstan.io/v1alpha1"},
              {"kind", "PluginConfiguration"},
              {"pluginDirs", json::array({CAPSTAN_TEST_PLUGIN_DIR})},
              {"chains",
               {{"runtime",
                 {{"plugins", json::array({{{"name", "fake"},
                                            {"library", "runtime/fake.so"},
                                            {"config", fake_config_}}})}}}}}};
  Result<plugin::PluginConfiguration> config = plugin::ParsePluginConfiguration(doc, "test", "/");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  registry_ = plugin::Registry::Load(*config);
  ASSERT_TRUE(registry_->status().ok()) << registry_->status().ToString();
  runtime_instance_ = registry_->chain(CAPSTAN_KIND_RUNTIME)->entries[0].instance;
  Result<std::unique_ptr<RuntimeClient>> rc = RuntimeClient::Create(runtime_instance_);
  ASSERT_TRUE(rc.ok());
  runtime_ = std::move(*rc);
}

void AgentFixture::TearDown() {
  agent_.reset();
  runtime_.reset();
  runtime_instance_.reset();
  registry_.reset();
  // Pods still running keep their overlay and tmpfs mounts; unmount them with the directory.
  EXPECT_TRUE(TearDownVolumes(data_dir_).ok());
}

void AgentFixture::StartAgent(const std::function<void(AgentOptions&)>& tweak) {
  LoadRuntime();
  ASSERT_NE(runtime_instance_, nullptr);
  AgentOptions o;
  o.client = client_.get();
  o.node_name = node_;
  o.runtime = runtime_instance_;
  o.data_dir = data_dir_;
  o.lease_period = std::chrono::milliseconds(200);
  o.relist_period = std::chrono::milliseconds(50);
  o.backoff_initial = std::chrono::milliseconds(100);
  o.backoff_max = std::chrono::milliseconds(400);
  o.image_backoff_initial = std::chrono::milliseconds(200);
  o.image_backoff_max = std::chrono::milliseconds(800);
  o.volume_resync_period = std::chrono::milliseconds(100);
  o.probe_second = std::chrono::milliseconds(50);
  o.labels = {{"capstan.io/hollow", "true"}};
  o.dns.node_resolv_conf = "nameserver 192.0.2.53\nsearch node.example\n";
  if (tweak) tweak(o);
  Result<std::unique_ptr<Agent>> agent = Agent::Create(o);
  ASSERT_TRUE(agent.ok()) << agent.status().ToString();
  agent_ = std::move(*agent);
  Status started = agent_->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
}

Status AgentFixture::Create(const std::string& collection, const json& object) {
  Result<json> r = client_->Create(collection, object);
  return r.ok() ? Status::Ok() : r.status();
}

json AgentFixture::Pod(const std::string& name, const json& spec_extra) {
  json spec = {{"nodeName", node_}};
  for (auto it = spec_extra.begin(); it != spec_extra.end(); ++it) spec[it.key()] = *it;
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", name}}}}},
          {"spec", spec}};
}

json AgentFixture::GetPod(const std::string& name) {
  Result<json> r = client_->Get("/api/v1/namespaces/default/pods/" + name);
  return r.ok() ? *r : json();
}

std::string AgentFixture::Condition(const json& obj, const std::string& type) {
  if (!obj.is_object() || !obj.contains("status")) return "";
  for (const json& c : obj["status"].value("conditions", json::array())) {
    if (c.value("type", "") == type) return c.value("status", "");
  }
  return "";
}

std::vector<std::string> AgentFixture::Events(const std::string& pod) {
  std::vector<std::string> out;
  Result<json> list = client_->Get("/api/v1/namespaces/default/events");
  if (!list.ok()) return out;
  for (const json& e : list->value("items", json::array())) {
    if (e["involvedObject"].value("name", "") != pod) continue;
    out.push_back(e.value("reason", "") + ": " + e.value("message", ""));
  }
  return out;
}

bool AgentFixture::HasEventNow(const std::string& pod, const std::string& prefix) {
  for (const std::string& e : Events(pod)) {
    if (e.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

bool AgentFixture::HasEvent(const std::string& pod, const std::string& prefix) {
  return client::testing::Eventually([&] { return HasEventNow(pod, prefix); });
}

json AgentFixture::CreatedConfig(const std::string& pod, const std::string& name) {
  json p = GetPod(pod);
  if (!p.is_object() || !p.contains("status")) return json();
  for (const json& cs : p["status"].value("containerStatuses", json::array())) {
    if (cs.value("name", "") != name || !cs.contains("containerID")) continue;
    std::string id = cs["containerID"].get<std::string>();
    id = id.substr(id.find("://") + 3);
    Result<json> st = runtime_->Call("ContainerStatus", {{"containerId", id}});
    if (!st.ok()) return json();
    return (*st)["info"]["config"];
  }
  return json();
}

}  // namespace capstan::agent::testing
