// Helpers shared by the core/api tests: reading testdata/ and the OpenAPI data files as JSON.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/api/field_schema.h"
#include "core/api/openapi.h"

namespace capstan::api::testing {

inline std::string ReadFileOrDie(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A file from tests/core/api/testdata, parsed (discarded value on a parse error).
inline nlohmann::json TestData(const std::string& name) {
  return nlohmann::json::parse(ReadFileOrDie(std::filesystem::path(CAPSTAN_API_TESTDATA) / name),
                               nullptr, false);
}

inline std::filesystem::path OpenApiDir() {
  Result<std::filesystem::path> dir = FindOpenApiDir();
  EXPECT_TRUE(dir.ok()) << dir.status().ToString();
  return dir.ok() ? *dir : std::filesystem::path();
}

inline nlohmann::json OpenApiFile(const std::string& relative) {
  return nlohmann::json::parse(ReadFileOrDie(OpenApiDir() / relative), nullptr, false);
}

// A suite fixture holding the upstream documents and a field-schema cache over them, loaded
// once per test suite.
class FieldSchemaSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<std::unique_ptr<OpenApi>> loaded = OpenApi::Load(OpenApiDir(), nullptr);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    openapi_ = loaded->release();
    cache_ = new FieldSchemaCache(openapi_);
  }
  static void TearDownTestSuite() {
    delete cache_;
    delete openapi_;
    cache_ = nullptr;
    openapi_ = nullptr;
  }

  static inline OpenApi* openapi_ = nullptr;
  static inline FieldSchemaCache* cache_ = nullptr;
};

}  // namespace capstan::api::testing
