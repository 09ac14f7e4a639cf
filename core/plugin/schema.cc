// valijson adapter for schema.h: the only file that includes valijson (built with exceptions so
// a bad schema is an error, not an abort).
#include "core/plugin/schema.h"

#include <exception>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <vector>

#ifndef VALIJSON_USE_EXCEPTIONS
#error "core/plugin/schema.cc must be built with VALIJSON_USE_EXCEPTIONS=1"
#endif

namespace capstan::plugin {

struct ConfigSchema::Impl {
  valijson::Schema schema;
};

namespace {

// valijson names locations as {"<root>", "[key]", "[0]", ...}; turn that into a JSON pointer.
std::string ToJsonPointer(const std::vector<std::string>& context) {
  std::string out;
  for (const std::string& part : context) {
    if (part == "<root>") continue;
    std::string_view token = part;
    if (token.size() >= 2 && token.front() == '[' && token.back() == ']') {
      token = token.substr(1, token.size() - 2);
    }
    out += '/';
    for (char c : token) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
  }
  return out.empty() ? "/" : out;
}

}  // namespace

ConfigSchema::ConfigSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConfigSchema::~ConfigSchema() = default;

Result<std::shared_ptr<const ConfigSchema>> ConfigSchema::Compile(std::string_view schema_text) {
  nlohmann::json doc = nlohmann::json::parse(schema_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidError("invalid config schema: not valid JSON");
  if (!doc.is_object() && !doc.is_boolean()) {
    return InvalidError("invalid config schema: must be a JSON object");
  }
  auto impl = std::make_unique<Impl>();
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    parser.populateSchema(adapter, impl->schema);
  } catch (const std::exception& e) {
    return InvalidError(std::string("invalid config schema: ") + e.what());
  } catch (...) {
    return InvalidError("invalid config schema: unknown error");
  }
  return std::shared_ptr<const ConfigSchema>(new ConfigSchema(std::move(impl)));
}

Status ConfigSchema::Validate(const nlohmann::json& config) const {
  valijson::ValidationResults results;
  bool ok = false;
  try {
    valijson::Validator validator;
    valijson::adapters::NlohmannJsonAdapter adapter(config);
    ok = validator.validate(impl_->schema, adapter, &results);
  } catch (const std::exception& e) {
    return InvalidError(std::string("schema validation failed: ") + e.what());
  }
  if (ok) return Status::Ok();
  // The deepest location is the most specific; valijson reports enclosing failures too.
  const valijson::ValidationResults::Error* best = nullptr;
  for (const auto& error : results) {
    if (best == nullptr || error.context.size() > best->context.size()) best = &error;
  }
  if (best == nullptr) return InvalidError("at /: does not match the schema");
  return InvalidError("at " + ToJsonPointer(best->context) + ": " + best->description);
}

}  // namespace capstan::plugin
