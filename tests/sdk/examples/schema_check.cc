// Test helper: JSON Schema validation of example configs with valijson (see schema_check.h).
#include "tests/sdk/examples/schema_check.h"

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

namespace capstan::examples::testing {

std::string SchemaErrors(std::string_view schema, std::string_view config) {
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
