// Helpers for the core/scheduler tests: pod and node JSON builders, a recording `SchedulerApi`,
// and loading a `sched` chain of the test plugins (plugins/) through the real registry.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/plugin/chain_config.h"
#include "core/plugin/registry.h"
#include "core/scheduler/api.h"
#include "core/scheduler/host_services.h"

namespace capstan::scheduler::testing {

using nlohmann::json;

inline std::shared_ptr<const json> Shared(json j) {
  return std::make_shared<const json>(std::move(j));
}

// A pending pod with one container requesting `cpu`/`memory`.
inline json PodJson(const std::string& name, const std::string& cpu = "100m",
                    const std::string& memory = "64Mi", int priority = 0) {
  return json{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"uid", "uid-" + name},
        {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
      {"spec",
       {{"priority", priority},
        {"containers",
         json::array({{{"name", "c"},
                       {"image", "busybox"},
                       {"resources", {{"requests", {{"cpu", cpu}, {"memory", memory}}}}}}})}}},
      {"status", {{"phase", "Pending"}}}};
}

inline json NodeJson(const std::string& name, const std::string& cpu = "4",
                     const std::string& memory = "8Gi", json labels = json::object(),
                     json taints = json::array()) {
  return json{{"apiVersion", "v1"},
              {"kind", "Node"},
              {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
              {"spec", {{"taints", std::move(taints)}}},
              {"status",
               {{"allocatable", {{"cpu", cpu}, {"memory", memory}, {"pods", "110"}}},
                {"images", json::array({{{"names", {"busybox"}}, {"sizeBytes", 1000000}}})}}}};
}

// Records every request; answers 201 (POST), 200 otherwise, or what `responder` says.
class FakeApi : public SchedulerApi {
 public:
  struct Recorded {
    std::string method, path, content_type, body;
  };
  std::function<int(const Recorded&)> responder;

  Result<ApiReply> Request(std::string_view method, std::string_view path,
                           std::string_view content_type, std::string body,
                           std::chrono::milliseconds) override {
    Recorded r{std::string(method), std::string(path), std::string(content_type), std::move(body)};
    int status = responder ? responder(r) : (method == "POST" ? 201 : 200);
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
    return ApiReply{status, status < 300 ? "{}" : R"({"kind":"Status","message":"boom"})"};
  }
  std::vector<Recorded> Requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // Requests whose path contains `part`.
  std::vector<Recorded> Matching(const std::string& part) const {
    std::vector<Recorded> out;
    for (auto& r : Requests()) {
      if (r.path.find(part) != std::string::npos) out.push_back(r);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Recorded> requests_;
};

// One chain entry for `plugin` (file test-<x>.so) with instance `name`.
inline json Entry(const std::string& name, const std::string& plugin, json config = json::object(),
                  int weight = 1, const std::string& policy = "Fail") {
  return json{{"name", name},
              {"library", plugin + ".so"},
              {"weight", weight},
              {"failurePolicy", policy},
              {"config", std::move(config)}};
}

struct LoadedChain {
  std::shared_ptr<SchedHostServices> services = std::make_shared<SchedHostServices>();
  std::unique_ptr<plugin::Registry> registry;
  const plugin::Chain* chain() const { return registry->chain(CAPSTAN_KIND_SCHED); }
};

// The sched chain of `entries`, libraries relative to `plugin_dir`.
inline LoadedChain LoadChain(const json& entries, const std::string& plugin_dir) {
  LoadedChain out;
  json doc = {{"apiVersion", "capstan.io/v1alpha1"},
              {"kind", "PluginConfiguration"},
              {"pluginDirs", {plugin_dir}},
              {"chains", {{"sched", {{"plugins", entries}}}}}};
  Result<plugin::PluginConfiguration> config =
      plugin::ParsePluginConfiguration(doc, "test", plugin_dir);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  plugin::RegistryOptions options;
  options.configure_host = SchedHostConfigurer(out.services);
  out.registry = plugin::Registry::Load(*config, options);
  EXPECT_TRUE(out.registry->status().ok()) << out.registry->status().ToString();
  return out;
}

// The test plugins' chain (libraries under tests/core/scheduler/plugins).
inline LoadedChain LoadChain(const json& entries) {
  return LoadChain(entries, CAPSTAN_TEST_SCHED_PLUGIN_DIR);
}

// Polls `pred` until true or 10 s pass.
inline bool Eventually(const std::function<bool()>& pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

}  // namespace capstan::scheduler::testing
