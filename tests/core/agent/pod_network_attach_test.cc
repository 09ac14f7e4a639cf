// Tests of the pod network attachment (core/agent/pod_network_attach.cc) with a real API server
// and the fake runtime: CNI ADD runs while the first container is created and the container is
// started only after it, /etc/hosts gets the address, a container reading the pod IP waits for
// it, and a failed ADD removes the container created beside it and retries.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/core/agent/agent_fixture.h"

namespace capstan::agent {
namespace {

using client::testing::Eventually;
using nlohmann::json;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Hands out addresses. With `wait_for_container`, an ADD first waits (up to 10 s, so that a
// serial agent fails the test instead of hanging it) until the runtime holds a container of the
// sandbox, and records what state that container was in; `fail_first` ADDs fail.
class OverlapNetwork : public PodNetwork {
 public:
  // `runtime`: the fixture's client, which StartAgent replaces when it loads the runtime.
  explicit OverlapNetwork(std::unique_ptr<RuntimeClient>* runtime) : runtime_(runtime) {}

  Result<PodNetworkResult> Add(const PodNetworkRequest& r) override {
    std::string state = "none";
    if (wait_for_container) {
      for (int i = 0; i < 1000 && state == "none"; ++i) {
        Result<json> list =
            (*runtime_)->Call("ListContainers", {{"filter", {{"podSandboxId", r.sandbox_id}}}});
        if (list.ok() && !(*list)["containers"].empty()) {
          state = (*list)["containers"][0].value("state", "");
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    adds.push_back(r);
    states_at_add.push_back(state);
    if (static_cast<int>(adds.size()) <= fail_first) return InternalError("no lease for you");
    return PodNetworkResult{{"10.88.0." + std::to_string(adds.size() + 1)}};
  }
  Status Del(const PodNetworkRequest& r) override {
    std::lock_guard<std::mutex> lock(mu);
    dels.push_back(r);
    return Status::Ok();
  }

  bool wait_for_container = true;
  int fail_first = 0;
  std::mutex mu;
  std::vector<PodNetworkRequest> adds, dels;
  std::vector<std::string> states_at_add;

 private:
  std::unique_ptr<RuntimeClient>* runtime_;
};

class PodNetworkAttachTest : public testing::AgentFixture {
 protected:
  // Owned by the fixture, so that it outlives the agent (stopped in TearDown) even when a test
  // fails while an ADD is still waiting.
  OverlapNetwork& Network() {
    network_ = std::make_unique<OverlapNetwork>(&runtime_);
    return *network_;
  }
  std::unique_ptr<OverlapNetwork> network_;

  json OneContainerPod(const std::string& name, const json& env = json::array()) {
    return Pod(name, {{"containers",
                       json::array({{{"name", "main"}, {"image", "nginx"}, {"env", env}}})}});
  }
};

TEST_F(PodNetworkAttachTest, AddRunsWhileTheFirstContainerIsCreatedAndBeforeItStarts) {
  fake_config_["netnsDir"] = "/run/fake-netns";
  OverlapNetwork& network = Network();
  StartAgent([&](AgentOptions& o) { o.network = &network; });
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", OneContainerPod("overlap")).ok());
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("overlap"), "Ready") == "True"; }));
  EXPECT_EQ(GetPod("overlap")["status"]["podIP"], "10.88.0.2");
  {
    std::lock_guard<std::mutex> lock(network.mu);
    ASSERT_EQ(network.adds.size(), 1u);
    // The container existed during the ADD, created but not yet started.
    EXPECT_EQ(network.states_at_add[0], "CONTAINER_CREATED");
  }
  // The hosts file the container mounts names the pod's address.
  json config = CreatedConfig("overlap", "main");
  std::string hosts;
  for (const json& m : config.value("mounts", json::array())) {
    if (m.value("containerPath", "") == "/etc/hosts") hosts = Read(m.value("hostPath", ""));
  }
  EXPECT_NE(hosts.find("10.88.0.2\toverlap"), std::string::npos) << hosts;
}

TEST_F(PodNetworkAttachTest, AContainerReadingThePodIpIsCreatedAfterTheAdd) {
  fake_config_["netnsDir"] = "/run/fake-netns";
  OverlapNetwork& network = Network();
  network.wait_for_container = false;
  StartAgent([&](AgentOptions& o) { o.network = &network; });
  json env = json::array(
      {{{"name", "MY_IP"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "status.podIP"}}}}}}});
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", OneContainerPod("needs-ip", env)).ok());
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("needs-ip"), "Ready") == "True"; }));
  json config = CreatedConfig("needs-ip", "main");
  std::string ip;
  for (const json& e : config.value("envs", json::array())) {
    if (e.value("key", "") == "MY_IP") ip = e.value("value", "");
  }
  EXPECT_EQ(ip, "10.88.0.2");
}

TEST_F(PodNetworkAttachTest, AFailedAddRemovesTheContainerCreatedBesideItAndRetries) {
  fake_config_["netnsDir"] = "/run/fake-netns";
  OverlapNetwork& network = Network();
  network.fail_first = 1;
  StartAgent([&](AgentOptions& o) { o.network = &network; });
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", OneContainerPod("retry")).ok());
  EXPECT_TRUE(HasEvent("retry",
                       "FailedCreatePodSandBox: Failed to create pod sandbox: setting up the pod "
                       "network: no lease for you"));
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("retry"), "Ready") == "True"; }));
  std::string first_sandbox;
  {
    std::lock_guard<std::mutex> lock(network.mu);
    ASSERT_EQ(network.adds.size(), 2u);
    EXPECT_EQ(network.states_at_add[0], "CONTAINER_CREATED");
    first_sandbox = network.adds[0].sandbox_id;
    ASSERT_GE(network.dels.size(), 1u);
    EXPECT_EQ(network.dels[0].sandbox_id, first_sandbox);
  }
  // The first attempt's container and sandbox are gone; the pod was created once for the user.
  Result<json> left =
      runtime_->Call("ListContainers", {{"filter", {{"podSandboxId", first_sandbox}}}});
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE((*left)["containers"].empty()) << left->dump();
  int created = 0;
  for (const std::string& e : Events("retry")) created += e.rfind("Created:", 0) == 0 ? 1 : 0;
  EXPECT_EQ(created, 1);
  EXPECT_EQ(GetPod("retry")["status"]["podIP"], "10.88.0.3");
}

}  // namespace
}  // namespace capstan::agent
