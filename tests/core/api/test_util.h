// Helpers shared by the core/api tests: reading testdata/ and the OpenAPI data files as JSON.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

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

}  // namespace capstan::api::testing
