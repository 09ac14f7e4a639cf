// Integration tests of what the agent hands the runtime (core/agent/container_start.cc,
// pod_sync.cc) with a real API server and the fake runtime echoing CreateContainer configs:
// resolved env, volume mounts and the files behind them, /etc/hosts and resolv.conf, refresh
// of configMap volumes, CreateContainerConfigError, the PodNetwork hook and hostNetwork IPs,
// and cleanup of the pod directory on deletion.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/core/agent/agent_fixture.h"

namespace capstan::agent {
namespace {

using client::testing::Eventually;
using nlohmann::json;
namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Env(const json& config, const std::string& key) {
  for (const json& e : config.value("envs", json::array())) {
    if (e.value("key", "") == key) return e.value("value", "");
  }
  return "<unset>";
}

json Mount(const json& config, const std::string& container_path) {
  for (const json& m : config.value("mounts", json::array())) {
    if (m.value("containerPath", "") == container_path) return m;
  }
  return json();
}

class AgentPodConfigTest : public testing::AgentFixture {};

TEST_F(AgentPodConfigTest, PassesResolvedEnvAndMountsToTheRuntime) {
  StartAgent([](AgentOptions& o) {
    o.dns.cluster_dns = {"10.96.0.10"};
    o.dns.cluster_domain = "cluster.local";
  });
  ASSERT_TRUE(Create("/api/v1/namespaces/default/configmaps",
                     {{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", "app-cfg"}}},
                      {"data", {{"mode", "prod"}, {"app.conf", "v1"}}}})
                  .ok());
  ASSERT_TRUE(
      Create("/api/v1/namespaces/default/secrets", {{"apiVersion", "v1"},
                                                    {"kind", "Secret"},
                                                    {"metadata", {{"name", "app-sec"}}},
                                                    {"data", {{"password", "aHVudGVyMg=="}}}})
          .ok());
  json pod = Pod(
      "cfg-pod",
      {{"containers",
        json::array(
            {{{"name", "main"},
              {"image", "nginx:1.27"},
              {"envFrom",
               json::array({{{"configMapRef", {{"name", "app-cfg"}}}, {"prefix", "CFG_"}}})},
              {"env",
               json::array(
                   {{{"name", "PASS"},
                     {"valueFrom", {{"secretKeyRef", {{"name", "app-sec"}, {"key", "password"}}}}}},
                    {{"name", "ME"},
                     {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}},
                    {{"name", "MY_IP"},
                     {"valueFrom", {{"fieldRef", {{"fieldPath", "status.podIP"}}}}}},
                    {{"name", "GREETING"}, {"value", "hi-$(ME)"}}})},
              {"volumeMounts", json::array({{{"name", "cfg"}, {"mountPath", "/etc/app"}},
                                            {{"name", "scratch"}, {"mountPath", "/tmp/s"}},
                                            {{"name", "sec"}, {"mountPath", "/sec"}}})}}})},
       {"volumes", json::array({{{"name", "cfg"}, {"configMap", {{"name", "app-cfg"}}}},
                                {{"name", "scratch"}, {"emptyDir", json::object()}},
                                {{"name", "sec"}, {"secret", {{"secretName", "app-sec"}}}}})}});
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", pod).ok());
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("cfg-pod"), "Ready") == "True"; }));
  json config = CreatedConfig("cfg-pod", "main");
  ASSERT_TRUE(config.is_object());
  std::string ip = GetPod("cfg-pod")["status"].value("podIP", "");
  EXPECT_EQ(Env(config, "CFG_mode"), "prod");
  EXPECT_EQ(Env(config, "PASS"), "hunter2");
  EXPECT_EQ(Env(config, "ME"), "cfg-pod");
  EXPECT_EQ(Env(config, "MY_IP"), ip);
  EXPECT_EQ(Env(config, "GREETING"), "hi-cfg-pod");
  std::string uid = GetPod("cfg-pod")["metadata"].value("uid", "");
  std::string pod_dir = data_dir_ + "/pods/" + uid;
  json cfg = Mount(config, "/etc/app");
  EXPECT_EQ(cfg["hostPath"], pod_dir + "/volumes/kubernetes.io~configmap/cfg");
  EXPECT_EQ(cfg["readonly"], true);
  EXPECT_EQ(Read(cfg["hostPath"].get<std::string>() + "/app.conf"), "v1");
  EXPECT_EQ(Read(Mount(config, "/sec")["hostPath"].get<std::string>() + "/password"), "hunter2");
  EXPECT_EQ(Mount(config, "/tmp/s")["readonly"], false);
  std::string hosts = Read(Mount(config, "/etc/hosts")["hostPath"]);
  EXPECT_NE(hosts.find(ip + "\tcfg-pod\n"), std::string::npos) << hosts;
  EXPECT_EQ(Read(Mount(config, "/etc/resolv.conf")["hostPath"]),
            "search default.svc.cluster.local svc.cluster.local cluster.local node.example\n"
            "nameserver 10.96.0.10\noptions ndots:5\n");
  EXPECT_TRUE(fs::exists(Mount(config, "/dev/termination-log")["hostPath"].get<std::string>()));
  EXPECT_TRUE(HasEvent("cfg-pod", "Created: Created container: main"));
  EXPECT_TRUE(HasEvent("cfg-pod", "Started: Started container main"));

  // A changed ConfigMap reaches the volume without restarting the container.
  Result<json> patched =
      client_->Patch("/api/v1/namespaces/default/configmaps/app-cfg",
                     "application/merge-patch+json", {{"data", {{"app.conf", "v2"}}}});
  ASSERT_TRUE(patched.ok());
  EXPECT_TRUE(
      Eventually([&] { return Read(cfg["hostPath"].get<std::string>() + "/app.conf") == "v2"; }));

  ASSERT_TRUE(client_->Delete("/api/v1/namespaces/default/pods/cfg-pod").ok());
  EXPECT_TRUE(Eventually([&] { return !fs::exists(pod_dir); }));
}

TEST_F(AgentPodConfigTest, MissingConfigMapIsACreateContainerConfigErrorUntilItExists) {
  StartAgent();
  json pod =
      Pod("needs-cfg",
          {{"containers",
            json::array({{{"name", "main"},
                          {"image", "nginx"},
                          {"env", json::array({{{"name", "X"},
                                                {"valueFrom",
                                                 {{"configMapKeyRef",
                                                   {{"name", "late"}, {"key", "k"}}}}}}})}}})}});
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", pod).ok());
  ASSERT_TRUE(Eventually([&] {
    json p = GetPod("needs-cfg");
    const json cs = p["status"].value("containerStatuses", json::array());
    return !cs.empty() && cs[0]["state"].contains("waiting") &&
           cs[0]["state"]["waiting"].value("reason", "") == "CreateContainerConfigError" &&
           cs[0]["state"]["waiting"].value("message", "") == "configmap \"late\" not found";
  }));
  EXPECT_TRUE(HasEvent("needs-cfg", "Failed: Error: configmap \"late\" not found"));
  ASSERT_TRUE(Create("/api/v1/namespaces/default/configmaps", {{"apiVersion", "v1"},
                                                               {"kind", "ConfigMap"},
                                                               {"metadata", {{"name", "late"}}},
                                                               {"data", {{"k", "v"}}}})
                  .ok());
  EXPECT_TRUE(Eventually([&] { return Condition(GetPod("needs-cfg"), "Ready") == "True"; }));
  EXPECT_EQ(Env(CreatedConfig("needs-cfg", "main"), "X"), "v");
}

TEST_F(AgentPodConfigTest, FailedHostPathCheckReportsFailedMount) {
  StartAgent();
  json pod = Pod(
      "bad-host",
      {{"containers", json::array({{{"name", "main"}, {"image", "nginx"}}})},
       {"volumes",
        json::array({{{"name", "h"},
                      {"hostPath", {{"path", data_dir_ + "/absent"}, {"type", "Directory"}}}}})}});
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", pod).ok());
  EXPECT_TRUE(Eventually([&] {
    return HasEvent("bad-host",
                    "FailedMount: MountVolume.SetUp failed for volume \"h\" : "
                    "hostPath type check failed: " +
                        data_dir_ + "/absent does not exist");
  }));
  EXPECT_NE(Condition(GetPod("bad-host"), "Ready"), "True");
}

// Records calls and hands out addresses, as core/network's CNI chain would.
class RecordingNetwork : public PodNetwork {
 public:
  Result<PodNetworkResult> Add(const PodNetworkRequest& r) override {
    std::lock_guard<std::mutex> lock(mu);
    adds.push_back(r);
    return PodNetworkResult{{"10.88.0." + std::to_string(adds.size() + 1)}};
  }
  Status Del(const PodNetworkRequest& r) override {
    std::lock_guard<std::mutex> lock(mu);
    dels.push_back(r);
    return Status::Ok();
  }
  std::mutex mu;
  std::vector<PodNetworkRequest> adds, dels;
};

TEST_F(AgentPodConfigTest, PodNetworkHookGivesThePodItsIpAndIsDeletedOnTeardown) {
  RecordingNetwork network;
  fake_config_["netnsDir"] = "/run/fake-netns";
  StartAgent([&](AgentOptions& o) { o.network = &network; });
  ASSERT_TRUE(
      Create("/api/v1/namespaces/default/pods",
             Pod("netpod", {{"containers", json::array({{{"name", "main"}, {"image", "nginx"}}})}}))
          .ok());
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("netpod"), "Ready") == "True"; }));
  json pod = GetPod("netpod");
  EXPECT_EQ(pod["status"]["podIP"], "10.88.0.2");
  {
    std::lock_guard<std::mutex> lock(network.mu);
    ASSERT_EQ(network.adds.size(), 1u);
    EXPECT_EQ(network.adds[0].pod_name, "netpod");
    EXPECT_EQ(network.adds[0].pod_namespace, "default");
    EXPECT_EQ(network.adds[0].pod_uid, pod["metadata"]["uid"]);
    EXPECT_EQ(network.adds[0].ifname, "eth0");
    EXPECT_EQ(network.adds[0].netns_path.rfind("/run/fake-netns/sandbox-", 0), 0u);
  }
  // hostNetwork pods skip the hook and get the node's IP.
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods",
                     Pod("hostpod",
                         {{"hostNetwork", true},
                          {"containers", json::array({{{"name", "main"}, {"image", "nginx"}}})}}))
                  .ok());
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("hostpod"), "Ready") == "True"; }));
  EXPECT_EQ(GetPod("hostpod")["status"]["podIP"], GetPod("hostpod")["status"]["hostIP"]);
  ASSERT_TRUE(client_->Delete("/api/v1/namespaces/default/pods/netpod").ok());
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(network.mu);
    return network.dels.size() == 1 && network.dels[0].sandbox_id == network.adds[0].sandbox_id;
  }));
  std::lock_guard<std::mutex> lock(network.mu);
  EXPECT_EQ(network.adds.size(), 1u);
}

}  // namespace
}  // namespace capstan::agent
