// Test helper for the example plugin tests: validates a config against a plugin's JSON Schema
// with valijson, as the host does before `on_init`, so every config a test uses is one the host
// would accept.
#ifndef CAPSTAN_TESTS_SDK_EXAMPLES_SCHEMA_CHECK_H_
#define CAPSTAN_TESTS_SDK_EXAMPLES_SCHEMA_CHECK_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

namespace capstan::examples::testing {

// "" when `config` satisfies `schema`; otherwise the first violations, one per line.
inline std::string SchemaErrors(std::string_view schema, std::string_view config) {
  nlohmann::json schema_doc = nlohmann::json::parse(schema);
  nlohmann::json config_doc = nlohmann::json::parse(config);
  valijson::Schema compiled;
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema_doc);
  parser.populateSchema(schema_adapter, compiled);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter config_adapter(config_doc);
  if (validator.validate(compiled, config_adapter, &results)) return "";
  std::string out;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) out += error.description + "\n";
  return out.empty() ? "invalid" : out;
}

}  // namespace capstan::examples::testing

#endif  // CAPSTAN_TESTS_SDK_EXAMPLES_SCHEMA_CHECK_H_
