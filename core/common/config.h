// Configuration documents: YAML (or JSON, a YAML subset) parsed into nlohmann::json with errors
// that name the source, line and column. The only place yaml-cpp exceptions are caught.
// Implementation in config.cc; tests in tests/core/common/config_test.cc.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/common/status.h"

namespace capstan::config {

// Parses one YAML document. Scalars keep YAML 1.2 core-schema types: true/false -> bool,
// integers -> int64, floats -> double, null/~/empty -> null, quoted scalars -> string.
// An empty document yields an empty object. Errors: kBadRequest with
// "<source_name>:<line>:<column>: <what>".
Result<nlohmann::json> ParseYaml(std::string_view text, std::string_view source_name);

// Reads and parses a file. Errors: kNotFound when missing, kBadRequest on syntax errors.
Result<nlohmann::json> LoadYamlFile(const std::string& path);

// Parses JSON without throwing. Errors: kBadRequest with "<source_name>: <what> at byte N".
Result<nlohmann::json> ParseJson(std::string_view text, std::string_view source_name);

// Parses a Kubernetes-style duration: "1h2m3.5s", "500ms", "10us", "0"; result in nanoseconds.
// Errors: kInvalid naming the text.
Result<int64_t> ParseDurationNs(std::string_view text);

}  // namespace capstan::config
