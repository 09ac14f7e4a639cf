// Swagger 2.0 JSON -> gnostic `openapi.v2.Document` wire bytes, driven by field tables whose
// numbers follow gnostic-models' openapiv2/OpenAPIv2.proto; the `oneof` wrappers and the maps
// with mixed keys (Paths, Responses) have small hand-written encoders. Also Accept negotiation
// and the cache that serves the bytes.
#include "core/api/openapi_v2_proto.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <span>
#include <utility>
#include <vector>

#include "core/api/content_hash.h"
#include "core/common/config.h"

namespace capstan::api {
namespace {

using nlohmann::json;

constexpr uint32_t kWireVarint = 0;
constexpr uint32_t kWireFixed64 = 1;
constexpr uint32_t kWireBytes = 2;

// Appends protobuf wire format to one growing buffer. A nested message is written in place and
// its length inserted in front of it when it ends, which moves only that message's bytes. The
// first error is kept and later writes are still accepted (the result is then discarded), so
// the table walk needs no error plumbing.
class WireWriter {
 public:
  void Varint(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  void Tag(uint32_t number, uint32_t wire_type) { Varint((uint64_t{number} << 3) | wire_type); }
  void BytesField(uint32_t number, std::string_view bytes) {
    Tag(number, kWireBytes);
    Varint(bytes.size());
    out_.append(bytes);
  }
  void VarintField(uint32_t number, uint64_t value) {
    Tag(number, kWireVarint);
    Varint(value);
  }
  void DoubleField(uint32_t number, double value) {
    Tag(number, kWireFixed64);
    uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  // Opens a length-delimited field; pass the result to End once its content is written.
  size_t Begin(uint32_t number) {
    Tag(number, kWireBytes);
    return out_.size();
  }
  void End(size_t mark) {
    std::array<char, 10> length{};
    size_t n = 0;
    uint64_t value = out_.size() - mark;
    while (value >= 0x80) {
      length[n++] = static_cast<char>((value & 0x7f) | 0x80);
      value >>= 7;
    }
    length[n++] = static_cast<char>(value);
    out_.insert(mark, length.data(), n);
  }
  void Fail(std::string_view message, std::string_view key, std::string_view expected) {
    if (!error_.ok()) return;
    error_ = InvalidError("OpenAPI v2 " + std::string(message) + "." + std::string(key) +
                          ": expected " + std::string(expected));
  }

  const Status& error() const { return error_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
  Status error_ = Status::Ok();
};

// How a JSON value maps onto a field. Maps are wrapper messages holding `repeated NamedX
// additional_properties = 1`, each entry {name = 1, value = 2}.
enum class Kind : uint8_t {
  kString,
  kStrings,
  kBool,
  kInt64,
  kDouble,
  kAny,         // gnostic `Any` with the value as text in `yaml` (field 2)
  kAnys,        // repeated Any, from a JSON array
  kMessage,     // `message` below
  kMessages,    // repeated `message`, from a JSON array
  kMap,         // JSON object -> wrapper of Named{name, `message`}
  kStringMap,   // JSON object -> wrapper of NamedString
  kAnyMap,      // JSON object -> wrapper of NamedAny
  kPrimitives,  // the shared validation keywords below, numbers shifted by `number`
};

struct MessageDef;
struct FieldDef {
  std::string_view key;
  uint32_t number;
  Kind kind;
  const MessageDef* message = nullptr;
};
using SpecialEncoder = void (*)(const json& value, WireWriter& w);
struct MessageDef {
  std::string_view name;
  std::span<const FieldDef> fields;
  uint32_t extensions = 0;  // number of `repeated NamedAny vendor_extension`; 0: none
  SpecialEncoder special = nullptr;
};

void EncodeBody(const MessageDef& def, const json& value, WireWriter& w);

void EncodeMessage(uint32_t number, const MessageDef& def, const json& value, WireWriter& w) {
  size_t mark = w.Begin(number);
  EncodeBody(def, value, w);
  w.End(mark);
}

std::string Text(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

void EncodeAny(uint32_t number, const json& value, WireWriter& w) {
  size_t mark = w.Begin(number);
  w.BytesField(2, Text(value));
  w.End(mark);
}

void EncodeNamedAny(uint32_t number, std::string_view name, const json& value, WireWriter& w) {
  size_t mark = w.Begin(number);
  w.BytesField(1, name);
  EncodeAny(2, value, w);
  w.End(mark);
}

void EncodeField(const MessageDef& owner, const FieldDef& f, const json& v, WireWriter& w);

// Header, PrimitivesItems and the non-body parameters share these, numbered from `type` = 1.
extern const MessageDef kPrimitivesItems;
constexpr std::array kPrimitiveFields = {
    FieldDef{"type", 1, Kind::kString},
    FieldDef{"format", 2, Kind::kString},
    FieldDef{"items", 3, Kind::kMessage, &kPrimitivesItems},
    FieldDef{"collectionFormat", 4, Kind::kString},
    FieldDef{"default", 5, Kind::kAny},
    FieldDef{"maximum", 6, Kind::kDouble},
    FieldDef{"exclusiveMaximum", 7, Kind::kBool},
    FieldDef{"minimum", 8, Kind::kDouble},
    FieldDef{"exclusiveMinimum", 9, Kind::kBool},
    FieldDef{"maxLength", 10, Kind::kInt64},
    FieldDef{"minLength", 11, Kind::kInt64},
    FieldDef{"pattern", 12, Kind::kString},
    FieldDef{"maxItems", 13, Kind::kInt64},
    FieldDef{"minItems", 14, Kind::kInt64},
    FieldDef{"uniqueItems", 15, Kind::kBool},
    FieldDef{"enum", 16, Kind::kAnys},
    FieldDef{"multipleOf", 17, Kind::kDouble},
};

void EncodeObjectEntries(const MessageDef& owner, const FieldDef& f, const json& v, WireWriter& w) {
  if (!v.is_object()) return w.Fail(owner.name, f.key, "an object");
  size_t wrapper = w.Begin(f.number);
  for (const auto& [name, item] : v.items()) {
    size_t entry = w.Begin(1);
    w.BytesField(1, name);
    if (f.kind == Kind::kMap) {
      EncodeMessage(2, *f.message, item, w);
    } else if (f.kind == Kind::kAnyMap) {
      EncodeAny(2, item, w);
    } else if (item.is_string()) {
      w.BytesField(2, item.get_ref<const std::string&>());
    } else {
      w.Fail(owner.name, f.key, "string values");
    }
    w.End(entry);
  }
  w.End(wrapper);
}

void EncodeField(const MessageDef& owner, const FieldDef& f, const json& v, WireWriter& w) {
  switch (f.kind) {
    case Kind::kString:
      if (!v.is_string()) return w.Fail(owner.name, f.key, "a string");
      if (!v.get_ref<const std::string&>().empty()) {
        w.BytesField(f.number, v.get_ref<const std::string&>());
      }
      return;
    case Kind::kStrings:
      if (!v.is_array()) return w.Fail(owner.name, f.key, "an array of strings");
      for (const json& item : v) {
        if (!item.is_string()) return w.Fail(owner.name, f.key, "an array of strings");
        w.BytesField(f.number, item.get_ref<const std::string&>());
      }
      return;
    case Kind::kBool:
      if (!v.is_boolean()) return w.Fail(owner.name, f.key, "a boolean");
      if (v.get<bool>()) w.VarintField(f.number, 1);
      return;
    case Kind::kInt64:
      if (v.is_number_unsigned()) {
        if (v.get<uint64_t>() != 0) w.VarintField(f.number, v.get<uint64_t>());
      } else if (v.is_number_integer()) {
        if (v.get<int64_t>() != 0) w.VarintField(f.number, static_cast<uint64_t>(v.get<int64_t>()));
      } else {
        w.Fail(owner.name, f.key, "an integer");
      }
      return;
    case Kind::kDouble:
      if (!v.is_number()) return w.Fail(owner.name, f.key, "a number");
      if (v.get<double>() != 0) w.DoubleField(f.number, v.get<double>());
      return;
    case Kind::kAny:
      return EncodeAny(f.number, v, w);
    case Kind::kAnys:
      if (!v.is_array()) return w.Fail(owner.name, f.key, "an array");
      for (const json& item : v) EncodeAny(f.number, item, w);
      return;
    case Kind::kMessage:
      return EncodeMessage(f.number, *f.message, v, w);
    case Kind::kMessages:
      if (!v.is_array()) return w.Fail(owner.name, f.key, "an array");
      for (const json& item : v) EncodeMessage(f.number, *f.message, item, w);
      return;
    case Kind::kMap:
    case Kind::kStringMap:
    case Kind::kAnyMap:
      return EncodeObjectEntries(owner, f, v, w);
    case Kind::kPrimitives:
      break;  // expanded by EncodeBody
  }
}

void EncodeBody(const MessageDef& def, const json& value, WireWriter& w) {
  if (def.special != nullptr) return def.special(value, w);
  if (!value.is_object()) return w.Fail(def.name, "", "an object");
  for (const FieldDef& f : def.fields) {
    if (f.kind == Kind::kPrimitives) {
      for (FieldDef shifted : kPrimitiveFields) {
        auto it = value.find(shifted.key);
        if (it == value.end()) continue;
        shifted.number += f.number;
        EncodeField(def, shifted, *it, w);
      }
      continue;
    }
    auto it = value.find(f.key);
    if (it != value.end()) EncodeField(def, f, *it, w);
  }
  if (def.extensions == 0) return;
  for (const auto& [key, item] : value.items()) {
    if (key.starts_with("x-")) EncodeNamedAny(def.extensions, key, item, w);
  }
}

// --- Messages (numbers from OpenAPIv2.proto). -----------------------------------------------

extern const MessageDef kSchema, kParameter, kParametersItem, kResponses, kResponse,
    kSecurityRequirement, kSecurityDefinitionsItem, kPaths, kSchemaItem, kTypeItem, kItemsItem,
    kAdditionalProperties;

constexpr std::array kJsonReferenceFields = {FieldDef{"$ref", 1, Kind::kString},
                                             FieldDef{"description", 2, Kind::kString}};
const MessageDef kJsonReference{"JsonReference", kJsonReferenceFields};

constexpr std::array kExternalDocsFields = {FieldDef{"description", 1, Kind::kString},
                                            FieldDef{"url", 2, Kind::kString}};
const MessageDef kExternalDocs{"ExternalDocs", kExternalDocsFields, 3};

constexpr std::array kContactFields = {FieldDef{"name", 1, Kind::kString},
                                       FieldDef{"url", 2, Kind::kString},
                                       FieldDef{"email", 3, Kind::kString}};
const MessageDef kContact{"Contact", kContactFields, 4};

constexpr std::array kLicenseFields = {FieldDef{"name", 1, Kind::kString},
                                       FieldDef{"url", 2, Kind::kString}};
const MessageDef kLicense{"License", kLicenseFields, 3};

constexpr std::array kInfoFields = {FieldDef{"title", 1, Kind::kString},
                                    FieldDef{"version", 2, Kind::kString},
                                    FieldDef{"description", 3, Kind::kString},
                                    FieldDef{"termsOfService", 4, Kind::kString},
                                    FieldDef{"contact", 5, Kind::kMessage, &kContact},
                                    FieldDef{"license", 6, Kind::kMessage, &kLicense}};
const MessageDef kInfo{"Info", kInfoFields, 7};

constexpr std::array kTagFields = {FieldDef{"name", 1, Kind::kString},
                                   FieldDef{"description", 2, Kind::kString},
                                   FieldDef{"externalDocs", 3, Kind::kMessage, &kExternalDocs}};
const MessageDef kTag{"Tag", kTagFields, 4};

constexpr std::array kXmlFields = {
    FieldDef{"name", 1, Kind::kString}, FieldDef{"namespace", 2, Kind::kString},
    FieldDef{"prefix", 3, Kind::kString}, FieldDef{"attribute", 4, Kind::kBool},
    FieldDef{"wrapped", 5, Kind::kBool}};
const MessageDef kXml{"Xml", kXmlFields, 6};

constexpr std::array kSchemaFields = {
    FieldDef{"$ref", 1, Kind::kString},
    FieldDef{"format", 2, Kind::kString},
    FieldDef{"title", 3, Kind::kString},
    FieldDef{"description", 4, Kind::kString},
    FieldDef{"default", 5, Kind::kAny},
    FieldDef{"multipleOf", 6, Kind::kDouble},
    FieldDef{"maximum", 7, Kind::kDouble},
    FieldDef{"exclusiveMaximum", 8, Kind::kBool},
    FieldDef{"minimum", 9, Kind::kDouble},
    FieldDef{"exclusiveMinimum", 10, Kind::kBool},
    FieldDef{"maxLength", 11, Kind::kInt64},
    FieldDef{"minLength", 12, Kind::kInt64},
    FieldDef{"pattern", 13, Kind::kString},
    FieldDef{"maxItems", 14, Kind::kInt64},
    FieldDef{"minItems", 15, Kind::kInt64},
    FieldDef{"uniqueItems", 16, Kind::kBool},
    FieldDef{"maxProperties", 17, Kind::kInt64},
    FieldDef{"minProperties", 18, Kind::kInt64},
    FieldDef{"required", 19, Kind::kStrings},
    FieldDef{"enum", 20, Kind::kAnys},
    FieldDef{"additionalProperties", 21, Kind::kMessage, &kAdditionalProperties},
    FieldDef{"type", 22, Kind::kMessage, &kTypeItem},
    FieldDef{"items", 23, Kind::kMessage, &kItemsItem},
    FieldDef{"allOf", 24, Kind::kMessages, &kSchema},
    FieldDef{"properties", 25, Kind::kMap, &kSchema},
    FieldDef{"discriminator", 26, Kind::kString},
    FieldDef{"readOnly", 27, Kind::kBool},
    FieldDef{"xml", 28, Kind::kMessage, &kXml},
    FieldDef{"externalDocs", 29, Kind::kMessage, &kExternalDocs},
    FieldDef{"example", 30, Kind::kAny},
};
const MessageDef kSchema{"Schema", kSchemaFields, 31};

constexpr std::array kFileSchemaFields = {
    FieldDef{"format", 1, Kind::kString},
    FieldDef{"title", 2, Kind::kString},
    FieldDef{"description", 3, Kind::kString},
    FieldDef{"default", 4, Kind::kAny},
    FieldDef{"required", 5, Kind::kStrings},
    FieldDef{"type", 6, Kind::kString},
    FieldDef{"readOnly", 7, Kind::kBool},
    FieldDef{"externalDocs", 8, Kind::kMessage, &kExternalDocs},
    FieldDef{"example", 9, Kind::kAny}};
const MessageDef kFileSchema{"FileSchema", kFileSchemaFields, 10};

constexpr std::array kPrimitivesItemsFields = {FieldDef{"", 0, Kind::kPrimitives}};
const MessageDef kPrimitivesItems{"PrimitivesItems", kPrimitivesItemsFields, 18};

constexpr std::array kHeaderFields = {FieldDef{"", 0, Kind::kPrimitives},
                                      FieldDef{"description", 18, Kind::kString}};
const MessageDef kHeader{"Header", kHeaderFields, 19};

constexpr std::array kBodyParameterFields = {
    FieldDef{"description", 1, Kind::kString}, FieldDef{"name", 2, Kind::kString},
    FieldDef{"in", 3, Kind::kString}, FieldDef{"required", 4, Kind::kBool},
    FieldDef{"schema", 5, Kind::kMessage, &kSchema}};
const MessageDef kBodyParameter{"BodyParameter", kBodyParameterFields, 6};

// Header and path parameters: `type` is 5; query and form-data ones add allowEmptyValue = 5.
constexpr std::array kHeaderOrPathParameterFields = {
    FieldDef{"required", 1, Kind::kBool}, FieldDef{"in", 2, Kind::kString},
    FieldDef{"description", 3, Kind::kString}, FieldDef{"name", 4, Kind::kString},
    FieldDef{"", 4, Kind::kPrimitives}};
const MessageDef kHeaderOrPathParameter{"HeaderParameterSubSchema", kHeaderOrPathParameterFields,
                                        22};
constexpr std::array kQueryOrFormParameterFields = {
    FieldDef{"required", 1, Kind::kBool},        FieldDef{"in", 2, Kind::kString},
    FieldDef{"description", 3, Kind::kString},   FieldDef{"name", 4, Kind::kString},
    FieldDef{"allowEmptyValue", 5, Kind::kBool}, FieldDef{"", 5, Kind::kPrimitives}};
const MessageDef kQueryOrFormParameter{"QueryParameterSubSchema", kQueryOrFormParameterFields, 23};

constexpr std::array kResponseFields = {
    FieldDef{"description", 1, Kind::kString}, FieldDef{"schema", 2, Kind::kMessage, &kSchemaItem},
    FieldDef{"headers", 3, Kind::kMap, &kHeader}, FieldDef{"examples", 4, Kind::kAnyMap}};
const MessageDef kResponse{"Response", kResponseFields, 5};

constexpr std::array kOperationFields = {
    FieldDef{"tags", 1, Kind::kStrings},
    FieldDef{"summary", 2, Kind::kString},
    FieldDef{"description", 3, Kind::kString},
    FieldDef{"externalDocs", 4, Kind::kMessage, &kExternalDocs},
    FieldDef{"operationId", 5, Kind::kString},
    FieldDef{"produces", 6, Kind::kStrings},
    FieldDef{"consumes", 7, Kind::kStrings},
    FieldDef{"parameters", 8, Kind::kMessages, &kParametersItem},
    FieldDef{"responses", 9, Kind::kMessage, &kResponses},
    FieldDef{"schemes", 10, Kind::kStrings},
    FieldDef{"deprecated", 11, Kind::kBool},
    FieldDef{"security", 12, Kind::kMessages, &kSecurityRequirement}};
const MessageDef kOperation{"Operation", kOperationFields, 13};

constexpr std::array kPathItemFields = {
    FieldDef{"$ref", 1, Kind::kString},
    FieldDef{"get", 2, Kind::kMessage, &kOperation},
    FieldDef{"put", 3, Kind::kMessage, &kOperation},
    FieldDef{"post", 4, Kind::kMessage, &kOperation},
    FieldDef{"delete", 5, Kind::kMessage, &kOperation},
    FieldDef{"options", 6, Kind::kMessage, &kOperation},
    FieldDef{"head", 7, Kind::kMessage, &kOperation},
    FieldDef{"patch", 8, Kind::kMessage, &kOperation},
    FieldDef{"parameters", 9, Kind::kMessages, &kParametersItem}};
const MessageDef kPathItem{"PathItem", kPathItemFields, 10};

constexpr std::array kBasicAuthFields = {FieldDef{"type", 1, Kind::kString},
                                         FieldDef{"description", 2, Kind::kString}};
const MessageDef kBasicAuth{"BasicAuthenticationSecurity", kBasicAuthFields, 3};
constexpr std::array kApiKeyFields = {
    FieldDef{"type", 1, Kind::kString}, FieldDef{"name", 2, Kind::kString},
    FieldDef{"in", 3, Kind::kString}, FieldDef{"description", 4, Kind::kString}};
const MessageDef kApiKey{"ApiKeySecurity", kApiKeyFields, 5};
constexpr std::array kOauth2ImplicitFields = {
    FieldDef{"type", 1, Kind::kString}, FieldDef{"flow", 2, Kind::kString},
    FieldDef{"scopes", 3, Kind::kStringMap}, FieldDef{"authorizationUrl", 4, Kind::kString},
    FieldDef{"description", 5, Kind::kString}};
const MessageDef kOauth2Implicit{"Oauth2ImplicitSecurity", kOauth2ImplicitFields, 6};
// Password and application flows have the same fields.
constexpr std::array kOauth2TokenFields = {
    FieldDef{"type", 1, Kind::kString}, FieldDef{"flow", 2, Kind::kString},
    FieldDef{"scopes", 3, Kind::kStringMap}, FieldDef{"tokenUrl", 4, Kind::kString},
    FieldDef{"description", 5, Kind::kString}};
const MessageDef kOauth2Token{"Oauth2PasswordSecurity", kOauth2TokenFields, 6};
constexpr std::array kOauth2AccessCodeFields = {
    FieldDef{"type", 1, Kind::kString},      FieldDef{"flow", 2, Kind::kString},
    FieldDef{"scopes", 3, Kind::kStringMap}, FieldDef{"authorizationUrl", 4, Kind::kString},
    FieldDef{"tokenUrl", 5, Kind::kString},  FieldDef{"description", 6, Kind::kString}};
const MessageDef kOauth2AccessCode{"Oauth2AccessCodeSecurity", kOauth2AccessCodeFields, 7};

constexpr std::array kDocumentFields = {
    FieldDef{"swagger", 1, Kind::kString},
    FieldDef{"info", 2, Kind::kMessage, &kInfo},
    FieldDef{"host", 3, Kind::kString},
    FieldDef{"basePath", 4, Kind::kString},
    FieldDef{"schemes", 5, Kind::kStrings},
    FieldDef{"consumes", 6, Kind::kStrings},
    FieldDef{"produces", 7, Kind::kStrings},
    FieldDef{"paths", 8, Kind::kMessage, &kPaths},
    FieldDef{"definitions", 9, Kind::kMap, &kSchema},
    FieldDef{"parameters", 10, Kind::kMap, &kParameter},
    FieldDef{"responses", 11, Kind::kMap, &kResponse},
    FieldDef{"security", 12, Kind::kMessages, &kSecurityRequirement},
    FieldDef{"securityDefinitions", 13, Kind::kMap, &kSecurityDefinitionsItem},
    FieldDef{"tags", 14, Kind::kMessages, &kTag},
    FieldDef{"externalDocs", 15, Kind::kMessage, &kExternalDocs}};
const MessageDef kDocument{"Document", kDocumentFields, 16};

// --- Hand-written bodies: oneofs and wrappers. ------------------------------------------------

bool IsReference(const json& v) { return v.is_object() && v.contains("$ref"); }

std::string_view StringAt(const json& v, const char* key) {
  if (!v.is_object()) return {};
  auto it = v.find(key);
  if (it == v.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

// TypeItem { repeated string value = 1 }: "type" is a string or a list of strings.
void EncodeTypeItem(const json& v, WireWriter& w) {
  if (v.is_string()) return w.BytesField(1, v.get_ref<const std::string&>());
  EncodeField(kSchema, FieldDef{"type", 1, Kind::kStrings}, v, w);
}

// ItemsItem { repeated Schema schema = 1 }: one schema or a list (tuple validation).
void EncodeItemsItem(const json& v, WireWriter& w) {
  if (v.is_array()) {
    for (const json& item : v) EncodeMessage(1, kSchema, item, w);
  } else {
    EncodeMessage(1, kSchema, v, w);
  }
}

// AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2; } }. A oneof member
// is written even when false: presence is what tells readers "no additional properties".
void EncodeAdditionalProperties(const json& v, WireWriter& w) {
  if (v.is_boolean()) return w.VarintField(2, v.get<bool>() ? 1 : 0);
  EncodeMessage(1, kSchema, v, w);
}

// Parameter { oneof { BodyParameter = 1; NonBodyParameter = 2 } }, NonBodyParameter being a
// oneof of header = 1, formData = 2, query = 3, path = 4 by the parameter's `in`.
void EncodeParameter(const json& v, WireWriter& w) {
  std::string_view in = StringAt(v, "in");
  if (in == "body") return EncodeMessage(1, kBodyParameter, v, w);
  uint32_t number = 0;
  const MessageDef* def = &kHeaderOrPathParameter;
  if (in == "header") {
    number = 1;
  } else if (in == "formData") {
    number = 2;
    def = &kQueryOrFormParameter;
  } else if (in == "query") {
    number = 3;
    def = &kQueryOrFormParameter;
  } else if (in == "path") {
    number = 4;
  } else {
    return w.Fail("Parameter", "in", "body, header, formData, query or path");
  }
  size_t mark = w.Begin(2);
  EncodeMessage(number, *def, v, w);
  w.End(mark);
}

// ParametersItem { oneof { Parameter parameter = 1; JsonReference json_reference = 2; } }
void EncodeParametersItem(const json& v, WireWriter& w) {
  if (IsReference(v)) return EncodeMessage(2, kJsonReference, v, w);
  EncodeMessage(1, kParameter, v, w);
}

// SchemaItem { oneof { Schema schema = 1; FileSchema file_schema = 2; } }
void EncodeSchemaItem(const json& v, WireWriter& w) {
  EncodeMessage(StringAt(v, "type") == "file" ? 2 : 1,
                StringAt(v, "type") == "file" ? kFileSchema : kSchema, v, w);
}

// Responses { repeated NamedResponseValue response_code = 1; repeated NamedAny ext = 2; } with
// ResponseValue { oneof { Response response = 1; JsonReference json_reference = 2; } }.
void EncodeResponses(const json& v, WireWriter& w) {
  if (!v.is_object()) return w.Fail("Operation", "responses", "an object");
  for (const auto& [code, response] : v.items()) {
    if (code.starts_with("x-")) {
      EncodeNamedAny(2, code, response, w);
      continue;
    }
    size_t named = w.Begin(1);
    w.BytesField(1, code);
    size_t value = w.Begin(2);
    if (IsReference(response)) {
      EncodeMessage(2, kJsonReference, response, w);
    } else {
      EncodeMessage(1, kResponse, response, w);
    }
    w.End(value);
    w.End(named);
  }
}

// Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2; }
void EncodePaths(const json& v, WireWriter& w) {
  if (!v.is_object()) return w.Fail("Document", "paths", "an object");
  for (const auto& [path, item] : v.items()) {
    if (path.starts_with("x-")) {
      EncodeNamedAny(1, path, item, w);
      continue;
    }
    size_t named = w.Begin(2);
    w.BytesField(1, path);
    EncodeMessage(2, kPathItem, item, w);
    w.End(named);
  }
}

// SecurityRequirement { repeated NamedStringArray additional_properties = 1; } with
// StringArray { repeated string value = 1; }.
void EncodeSecurityRequirement(const json& v, WireWriter& w) {
  if (!v.is_object()) return w.Fail("Document", "security", "objects");
  for (const auto& [name, scopes] : v.items()) {
    size_t named = w.Begin(1);
    w.BytesField(1, name);
    size_t array = w.Begin(2);
    EncodeField(kDocument, FieldDef{"security", 1, Kind::kStrings}, scopes, w);
    w.End(array);
    w.End(named);
  }
}

// SecurityDefinitionsItem: a oneof chosen by `type` and, for oauth2, `flow`.
void EncodeSecurityDefinitionsItem(const json& v, WireWriter& w) {
  std::string_view type = StringAt(v, "type");
  std::string_view flow = StringAt(v, "flow");
  if (type == "basic") return EncodeMessage(1, kBasicAuth, v, w);
  if (type == "apiKey") return EncodeMessage(2, kApiKey, v, w);
  if (type == "oauth2" && flow == "implicit") return EncodeMessage(3, kOauth2Implicit, v, w);
  if (type == "oauth2" && flow == "password") return EncodeMessage(4, kOauth2Token, v, w);
  if (type == "oauth2" && flow == "application") return EncodeMessage(5, kOauth2Token, v, w);
  if (type == "oauth2" && flow == "accessCode") return EncodeMessage(6, kOauth2AccessCode, v, w);
  w.Fail("SecurityDefinitionsItem", "type", "basic, apiKey or oauth2 with a known flow");
}

const MessageDef kTypeItem{"TypeItem", {}, 0, EncodeTypeItem};
const MessageDef kItemsItem{"ItemsItem", {}, 0, EncodeItemsItem};
const MessageDef kAdditionalProperties{
    "AdditionalPropertiesItem", {}, 0, EncodeAdditionalProperties};
const MessageDef kParameter{"Parameter", {}, 0, EncodeParameter};
const MessageDef kParametersItem{"ParametersItem", {}, 0, EncodeParametersItem};
const MessageDef kSchemaItem{"SchemaItem", {}, 0, EncodeSchemaItem};
const MessageDef kResponses{"Responses", {}, 0, EncodeResponses};
const MessageDef kPaths{"Paths", {}, 0, EncodePaths};
const MessageDef kSecurityRequirement{"SecurityRequirement", {}, 0, EncodeSecurityRequirement};
const MessageDef kSecurityDefinitionsItem{
    "SecurityDefinitionsItem", {}, 0, EncodeSecurityDefinitionsItem};

// --- Accept negotiation. ---------------------------------------------------------------------

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

struct MediaRange {
  std::string_view type;
  std::string_view subtype;
  double q = 1;
  int specificity = 0;  // 2 for type/subtype, 1 for type/*, 0 for */*
};

std::vector<MediaRange> ParseAccept(std::string_view accept) {
  std::vector<MediaRange> ranges;
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view clause = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    size_t semi = clause.find(';');
    std::string_view media = Trim(clause.substr(0, semi));
    size_t slash = media.find('/');
    if (media.empty() || slash == std::string_view::npos) continue;
    MediaRange range{Trim(media.substr(0, slash)), Trim(media.substr(slash + 1))};
    range.specificity = range.type == "*" ? 0 : range.subtype == "*" ? 1 : 2;
    while (semi != std::string_view::npos) {
      clause.remove_prefix(semi + 1);
      semi = clause.find(';');
      std::string_view param = Trim(clause.substr(0, semi));
      if (param.starts_with("q="))
        range.q = std::strtod(std::string(param.substr(2)).c_str(), nullptr);
    }
    ranges.push_back(range);
  }
  std::stable_sort(ranges.begin(), ranges.end(), [](const MediaRange& a, const MediaRange& b) {
    if (a.q != b.q) return a.q > b.q;
    return a.specificity > b.specificity;
  });
  return ranges;
}

}  // namespace

Result<std::string> EncodeOpenApiV2Proto(std::string_view json_text) {
  Result<json> doc = config::ParseJson(json_text, "OpenAPI v2 document");
  if (!doc.ok()) return doc.status();
  WireWriter w;
  EncodeBody(kDocument, *doc, w);
  if (!w.error().ok()) return w.error();
  return w.Take();
}

OpenApiV2Format NegotiateOpenApiV2(std::string_view accept) {
  if (Trim(accept).empty()) return OpenApiV2Format::kJson;
  for (const MediaRange& range : ParseAccept(accept)) {
    if (range.q <= 0) continue;
    bool application = range.type == "*" || EqualsIgnoreCase(range.type, "application");
    if (!application) continue;
    if (range.subtype == "*" || EqualsIgnoreCase(range.subtype, "json")) {
      return OpenApiV2Format::kJson;
    }
    if (EqualsIgnoreCase(range.subtype, "com.github.proto-openapi.spec.v2@v1.0+protobuf") ||
        EqualsIgnoreCase(range.subtype, "com.github.proto-openapi.spec.v2.v1.0+protobuf")) {
      return OpenApiV2Format::kProtobuf;
    }
  }
  return OpenApiV2Format::kNone;
}

Result<ServedDocument> OpenApiV2ProtoCache::Serve(const OpenApi& openapi, std::string_view accept) {
  OpenApiV2Format format = NegotiateOpenApiV2(accept);
  if (format == OpenApiV2Format::kNone) {
    return Status(StatusCode::kNotAcceptable,
                  "/openapi/v2 is served as application/json or "
                  "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
  }
  Result<ServedDocument> source = openapi.ServeV2("application/json");
  if (!source.ok() || format == OpenApiV2Format::kJson) return source;
  std::lock_guard<std::mutex> lock(mu_);
  if (!body_ || source_etag_ != source->etag) {
    Result<std::string> encoded = EncodeOpenApiV2Proto(*source->body);
    if (!encoded.ok()) return encoded.status().WithContext("encoding /openapi/v2 as protobuf");
    etag_ = "\"" + Sha512Hex(*encoded) + "\"";
    body_ = std::make_shared<const std::string>(std::move(*encoded));
    source_etag_ = source->etag;
  }
  ServedDocument doc;
  doc.content_type = std::string(kOpenApiV2ProtoContentType);
  doc.body = body_;
  doc.etag = etag_;
  return doc;
}

OpenApiV2ProtoCache& SharedOpenApiV2ProtoCache() {
  static auto* cache = new OpenApiV2ProtoCache();  // never destroyed: no exit-order hazards
  return *cache;
}

}  // namespace capstan::api
