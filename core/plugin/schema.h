// A plugin's configuration JSON Schema (draft 7), compiled once with valijson and used to check
// the operator's config before `on_init` (ABI convention 9). valijson is confined to schema.cc.
// Tests in tests/core/plugin/schema_test.cc.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::plugin {

// Immutable after Compile; Validate is thread-safe.
class ConfigSchema {
 public:
  // Parses and compiles `schema_text`. Errors: kInvalid "invalid config schema: <why>" when the
  // text is not JSON or not a usable schema (also for remote $ref, which is never fetched).
  static Result<std::shared_ptr<const ConfigSchema>> Compile(std::string_view schema_text);

  // OK when `config` satisfies the schema. Errors: kInvalid "at <json-pointer>: <why>" naming the
  // most specific failing location ("/" for the document itself).
  Status Validate(const nlohmann::json& config) const;

  ~ConfigSchema();
  ConfigSchema(const ConfigSchema&) = delete;
  ConfigSchema& operator=(const ConfigSchema&) = delete;

 private:
  struct Impl;
  explicit ConfigSchema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capstan::plugin
