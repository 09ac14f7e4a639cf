// Shared fixture of the agent integration tests: one in-process API server per suite
// (tests/core/client's TestCluster), the real `runtime/fake.so`, and an Agent per test with
// short periods and its own data dir. Helpers read pods, events and the CreateContainer config
// the fake runtime echoes. Implementation in agent_fixture.cc.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/agent/agent.h"
#include "core/plugin/registry.h"
#include "tests/core/client/test_cluster.h"

namespace capstan::agent::testing {

class AgentFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  // Loads runtime/fake.so with `fake_config_`.
  void LoadRuntime();
  // Loads the runtime, then starts the agent with short periods after `tweak` adjusted them.
  void StartAgent(const std::function<void(AgentOptions&)>& tweak = nullptr);

  Status Create(const std::string& collection, const nlohmann::json& object);
  nlohmann::json GetPod(const std::string& name);
  static std::string Condition(const nlohmann::json& obj, const std::string& type);
  // The pod's events as "Reason: message" lines.
  std::vector<std::string> Events(const std::string& pod);
  // Whether such an event arrives within 10 s (the agent sends events from its own thread).
  bool HasEvent(const std::string& pod, const std::string& reason_and_message_prefix);
  // Whether such an event is stored now.
  bool HasEventNow(const std::string& pod, const std::string& reason_and_message_prefix);
  // The CreateContainer config the fake runtime got for the pod's container `name`, read back
  // through ContainerStatus's `info.config`; null when not created.
  nlohmann::json CreatedConfig(const std::string& pod, const std::string& name);
  // A pod object in "default" bound to this node.
  nlohmann::json Pod(const std::string& name, const nlohmann::json& spec_extra);

  static client::testing::TestCluster* cluster_;
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<plugin::Registry> registry_;
  std::shared_ptr<plugin::PluginInstance> runtime_instance_;
  std::unique_ptr<RuntimeClient> runtime_;
  std::unique_ptr<Agent> agent_;
  std::string data_dir_;
  std::string node_;  // unique per test
  nlohmann::json fake_config_ = {{"podCidr", "10.244.7.0/24"}};
};

}  // namespace capstan::agent::testing
