// The operator's plugin configuration: one YAML file (kind: PluginConfiguration) giving, per
// plugin kind, the ordered chain of plugin instances with library, failure policy, timeout,
// weight and config. Parsing is strict: unknown keys are errors with their path. Format in
// docs/plugin-configuration.md; loaded by registry.h. Tests in
// tests/core/plugin/chain_config_test.cc.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace capstan::plugin {

inline constexpr std::string_view kPluginConfigApiVersion = "capstan.io/v1alpha1";
inline constexpr std::string_view kPluginConfigKind = "PluginConfiguration";

enum class FailurePolicy { kFail, kIgnore };
std::string_view FailurePolicyName(FailurePolicy policy);  // "Fail" | "Ignore"

struct ChainEntryConfig {
  std::string name;     // instance name, unique within the kind
  std::string library;  // as written; see ResolveLibrary
  FailurePolicy failure_policy = FailurePolicy::kFail;
  int64_t timeout_ns = 0;  // per call; the kind's default when not set
  bool weight_set = false;
  int64_t weight = 1;  // sched only
  nlohmann::json config = nlohmann::json::object();
};

struct ChainConfig {
  uint32_t kind = 0;      // CAPSTAN_KIND_*
  int64_t budget_ns = 0;  // whole-chain budget; 0 = none
  std::vector<ChainEntryConfig> plugins;
};

struct PluginConfiguration {
  std::string source;                    // the file it came from (for messages)
  std::string base_dir;                  // directory relative paths are resolved against
  std::vector<std::string> plugin_dirs;  // as resolved against base_dir, in order
  std::vector<ChainConfig> chains;       // ordered by kind id; only kinds that appear

  const ChainConfig* chain(uint32_t kind) const;
};

// Checks and converts a parsed document. `source` prefixes messages; `base_dir` anchors relative
// pluginDirs (and libraries when pluginDirs is empty). Errors: kInvalid listing every problem as
// "<source>: <path>: <what>" joined by "; " (e.g. "chains.authn.plugins[0].timout: unknown key").
Result<PluginConfiguration> ParsePluginConfiguration(const nlohmann::json& doc,
                                                     std::string_view source,
                                                     std::string_view base_dir);

// Reads `path` (YAML) and parses it. Errors: kNotFound, kBadRequest (syntax), kInvalid.
Result<PluginConfiguration> LoadPluginConfiguration(const std::string& path);

// An absolute `library` is returned as is. A relative one is looked up in each plugin dir in
// order (or base_dir when there are none); the first existing file wins. Errors: kNotFound
// "library \"x\" not found in [dir1, dir2]".
Result<std::string> ResolveLibrary(const PluginConfiguration& config, const std::string& library);

// "500ms", "2s", "1m30s", "5m", "1h"; "0s" for zero.
std::string FormatDuration(int64_t ns);

}  // namespace capstan::plugin
