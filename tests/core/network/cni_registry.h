// Test helper: a plugin Registry whose only chain is `cni` with the given entries, loading
// plugins from the build's plugin dir (CAPSTAN_TEST_PLUGIN_DIR). Used by the chain tests here.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "core/plugin/registry.h"

namespace capstan::network::testing {

// Loads the registry; fails the current test (non-fatally) when it does not load cleanly.
inline std::unique_ptr<plugin::Registry> LoadCniRegistry(nlohmann::json entries) {
  nlohmann::json doc = {{"apiVersion", "capstan.io/v1alpha1"},
                        {"kind", "PluginConfiguration"},
                        {"pluginDirs", nlohmann::json::array({CAPSTAN_TEST_PLUGIN_DIR})},
                        {"chains", {{"cni", {{"plugins", std::move(entries)}}}}}};
  Result<plugin::PluginConfiguration> config = plugin::ParsePluginConfiguration(doc, "test", "/");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  if (!config.ok()) return nullptr;
  std::unique_ptr<plugin::Registry> registry = plugin::Registry::Load(*config);
  EXPECT_TRUE(registry->status().ok()) << registry->status().ToString();
  return registry;
}

}  // namespace capstan::network::testing
