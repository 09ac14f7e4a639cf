// Configuration documents: YAML (or JSON, a YAML subset) parsed into nlohmann::json with errors
// that name the source, line and column. The only place yaml-cpp exceptions are caught.
// Implementation in config.cc; tests in tests/core/common/config_test.cc.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::config {

// Nesting deeper than this is rejected by ParseYaml and ParseJson, so that recursive walks of
// the result (copy, dump, compare) cannot exhaust a thread's stack.
inline constexpr int kMaxNestingDepth = 1000;

// Parses one YAML document. Scalars keep YAML 1.2 core-schema types: true/false -> bool,
// integers (decimal, 0x hex, 0o octal) -> int64 (uint64 or double when too large), floats
// (including .inf/.nan) -> double, null/~/empty -> null, quoted and block scalars -> string.
// "yes"/"on"/"off" stay strings. Explicit !!str/!!int/!!float/!!bool/!!null tags are honoured
// (a value that does not fit its tag is an error); any other tag (!!binary, !custom) yields the
// scalar's text as a string. Anchors and aliases are expanded; merge keys (`<<: *base`) merge
// mappings, explicit keys winning. Mapping keys must be scalars and unique.
// An empty document (or one whose root is null) yields an empty object. A stream with more
// than one non-empty document is rejected: a config file holds exactly one document (a
// trailing `---` is fine). Errors: kBadRequest with "<source_name>:<line>:<column>: <what>"
// (1-based). Thread-safe (no shared state).
Result<nlohmann::json> ParseYaml(std::string_view text, std::string_view source_name);

// Reads and parses a file. Errors: kNotFound when missing, kBadRequest on syntax errors or when
// the file cannot be read (the message names the path and the OS error).
Result<nlohmann::json> LoadYamlFile(const std::string& path);

// Parses JSON without throwing. Errors: kBadRequest with "<source_name>: <what> at byte N",
// N counting the bytes read up to and including the offending one (as Go's SyntaxError.Offset).
// Thread-safe.
Result<nlohmann::json> ParseJson(std::string_view text, std::string_view source_name);

// Parses a Kubernetes-style (Go) duration: "1h2m3.5s", "500ms", "10us", "-1.5h", "0"; units
// h, m, s, ms, us/µs, ns; result in nanoseconds, fractions truncated toward zero.
// Errors: kInvalid with `invalid duration "<text>": <why>`; out of int64 range is an error.
Result<int64_t> ParseDurationNs(std::string_view text);

}  // namespace capstan::config
