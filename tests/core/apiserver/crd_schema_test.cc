// Tests for core/apiserver/crd_schema.h: structural-schema parsing, validation messages (table),
// pruning and defaulting of custom resources.
#include "core/apiserver/crd_schema.h"

#include <gtest/gtest.h>

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;

const Json& TestSchema() {
  static const Json schema = Json::parse(R"({
    "type": "object",
    "properties": {
      "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}},
      "spec": {
        "type": "object",
        "required": ["size"],
        "properties": {
          "cronSpec": {"type": "string", "pattern": "^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"},
          "image": {"type": "string", "minLength": 3, "maxLength": 20},
          "replicas": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1},
          "size": {"type": "integer", "format": "int32"},
          "mode": {"type": "string", "enum": ["a", "b"]},
          "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2,
                   "x-kubernetes-list-type": "set"},
          "labels": {"type": "object", "additionalProperties": {"type": "string"}},
          "port": {"x-kubernetes-int-or-string": true},
          "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
          "nick": {"type": "string", "nullable": true},
          "ratio": {"type": "number", "maximum": 1, "exclusiveMaximum": true},
          "when": {"type": "string", "format": "date-time"},
          "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                       "x-kubernetes-preserve-unknown-fields": true},
          "settings": {"type": "object", "default": {},
                       "properties": {"level": {"type": "integer", "default": 3}}},
          "choice": {"type": "string", "anyOf": [{"pattern": "^x"}, {"pattern": "^y"}]}
        }
      },
      "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}
    }
  })");
  return schema;
}

std::shared_ptr<const StructuralSchema> Schema() {
  Result<std::shared_ptr<const StructuralSchema>> s = StructuralSchema::Parse(TestSchema());
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : nullptr;
}

Json WithSpec(Json spec) {
  return {{"apiVersion", "stable.example.com/v1"},
          {"kind", "CronTab"},
          {"metadata", {{"name", "ct"}, {"namespace", "default"}}},
          {"spec", std::move(spec)}};
}

std::vector<std::string> Messages(const Json& obj) {
  std::vector<StatusCause> causes;
  Schema()->Validate(obj, &causes);
  std::vector<std::string> out;
  for (const StatusCause& c : causes) out.push_back(c.field + ": " + c.message);
  return out;
}

struct ValidationCase {
  const char* name;
  const char* spec;  // members set on {"size": 1}; "<absent>" removes one
  std::vector<std::string> want;
};

class SchemaValidationTest : public ::testing::TestWithParam<ValidationCase> {};

TEST_P(SchemaValidationTest, ReportsUpstreamShapedCauses) {
  Json spec = {{"size", 1}};
  const Json changes = Json::parse(GetParam().spec);
  for (auto it = changes.begin(); it != changes.end(); ++it) {
    const std::string& key = it.key();
    const Json& value = *it;
    if (value == "<absent>") {
      spec.erase(key);
    } else {
      spec[key] = value;
    }
  }
  EXPECT_EQ(Messages(WithSpec(spec)), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SchemaValidationTest,
    ::testing::Values(
        ValidationCase{"valid", R"({"replicas": 3, "image": "nginx", "port": 80})", {}},
        ValidationCase{"int_or_string_string", R"({"port": "http"})", {}},
        ValidationCase{"integral_float_is_integer", R"({"replicas": 2.0})", {}},
        ValidationCase{"nullable_null", R"({"free": {"a": null}, "nick": null})", {}},
        ValidationCase{"wrong_type",
                       R"({"replicas": "x"})",
                       {"spec.replicas: Invalid value: \"string\": spec.replicas in body must be "
                        "of type integer: \"string\""}},
        ValidationCase{"fraction_is_number",
                       R"({"replicas": 2.5})",
                       {"spec.replicas: Invalid value: \"number\": spec.replicas in body must be "
                        "of type integer: \"number\""}},
        ValidationCase{"required", R"({"size": "<absent>"})", {"spec.size: Required value"}},
        ValidationCase{"maximum",
                       R"({"replicas": 11})",
                       {"spec.replicas: Invalid value: 11: spec.replicas in body should be less "
                        "than or equal to 10"}},
        ValidationCase{"minimum",
                       R"({"replicas": 0})",
                       {"spec.replicas: Invalid value: 0: spec.replicas in body should be greater "
                        "than or equal to 1"}},
        ValidationCase{"exclusive_maximum",
                       R"({"ratio": 1})",
                       {"spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1"}},
        ValidationCase{"min_length",
                       R"({"image": "ab"})",
                       {"spec.image: Invalid value: \"ab\": spec.image in body should be at least "
                        "3 chars long"}},
        ValidationCase{"max_length",
                       R"({"image": "abcdefghijklmnopqrstuvwxyz"})",
                       {"spec.image: Too long: may not be longer than 20"}},
        ValidationCase{"pattern",
                       R"({"cronSpec": "bad"})",
                       {"spec.cronSpec: Invalid value: \"bad\": spec.cronSpec in body should "
                        "match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'"}},
        ValidationCase{"pattern_ok", R"({"cronSpec": "* * * * */5"})", {}},
        ValidationCase{"enum",
                       R"({"mode": "c"})",
                       {"spec.mode: Unsupported value: \"c\": supported values: \"a\", \"b\""}},
        ValidationCase{"max_items",
                       R"({"tags": ["a", "b", "c"]})",
                       {"spec.tags: Too many: 3: must have at most 2 items"}},
        ValidationCase{"min_items",
                       R"({"tags": []})",
                       {"spec.tags: Invalid value: 0: spec.tags in body should have at least 1 "
                        "items"}},
        ValidationCase{
            "set_duplicate", R"({"tags": ["x", "x"]})", {"spec.tags[1]: Duplicate value: \"x\""}},
        ValidationCase{"item_type",
                       R"({"tags": [1]})",
                       {"spec.tags[0]: Invalid value: \"integer\": spec.tags[0] in body must be of "
                        "type string: \"integer\""}},
        ValidationCase{"additional_properties",
                       R"({"labels": {"a": true}})",
                       {"spec.labels.a: Invalid value: \"boolean\": spec.labels.a in body must be "
                        "of type string: \"boolean\""}},
        ValidationCase{"int_or_string",
                       R"({"port": true})",
                       {"spec.port: Invalid value: \"boolean\": spec.port in body must be of type "
                        "integer,string: \"boolean\""}},
        ValidationCase{"not_nullable",
                       R"({"image": null})",
                       {"spec.image: Invalid value: \"null\": spec.image in body must be of type "
                        "string: \"null\""}},
        ValidationCase{"int32",
                       R"({"size": 3000000000})",
                       {"spec.size: Invalid value: 3000000000: spec.size in body must be of type "
                        "int32: \"3000000000\""}},
        ValidationCase{"date_time",
                       R"({"when": "yesterday"})",
                       {"spec.when: Invalid value: \"yesterday\": spec.when in body must be of "
                        "type date-time: \"yesterday\""}},
        ValidationCase{"embedded_resource",
                       R"({"template": {"spec": {}}})",
                       {"spec.template.apiVersion: Required value: must not be empty",
                        "spec.template.kind: Required value: must not be empty"}},
        ValidationCase{"any_of",
                       R"({"choice": "z"})",
                       {"spec.choice: Invalid value: \"z\": spec.choice in body must validate at "
                        "least one schema (anyOf)"}}),
    [](const ::testing::TestParamInfo<ValidationCase>& p) { return p.param.name; });

TEST(StructuralSchemaTest, ValidatesMetadataNameOnlyWhereTheSchemaConstrainsIt) {
  Json obj = WithSpec({{"size", 1}});
  obj["metadata"]["name"] = "much-too-long-name";
  obj["metadata"]["labels"] = {{"a", "b"}};
  EXPECT_EQ(Messages(obj),
            std::vector<std::string>{"metadata.name: Too long: may not be longer than 10"});
}

TEST(StructuralSchemaTest, PrunesUnknownFieldsButKeepsPreservedAndEmbeddedOnes) {
  Json obj = WithSpec(Json::parse(R"({
    "size": 1, "unknown": 1, "labels": {"any": "x"},
    "free": {"anything": {"deep": 1}},
    "port": {"odd": 1},
    "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "bogus": 1},
                 "spec": {"containers": []}}
  })"));
  obj["extra"] = true;
  obj["metadata"]["bogus"] = 1;
  obj["metadata"]["labels"] = {{"a", "b"}};
  obj["status"] = {{"replicas", 2}, {"other", 3}};
  Schema()->Prune(obj);
  EXPECT_FALSE(obj.contains("extra"));
  EXPECT_FALSE(obj["spec"].contains("unknown"));
  EXPECT_EQ(obj["spec"]["labels"], Json({{"any", "x"}}));
  EXPECT_EQ(obj["spec"]["free"], Json::parse(R"({"anything": {"deep": 1}})"));
  EXPECT_EQ(obj["spec"]["port"], Json::parse(R"({"odd": 1})"));
  EXPECT_EQ(obj["spec"]["template"]["metadata"], Json({{"name", "p"}}));
  EXPECT_TRUE(obj["spec"]["template"].contains("spec"));
  EXPECT_EQ(obj["metadata"], Json::parse(R"({"name": "ct", "namespace": "default",
                                             "labels": {"a": "b"}})"));
  EXPECT_EQ(obj["status"], Json({{"replicas", 2}}));
  EXPECT_EQ(obj["apiVersion"], "stable.example.com/v1");
  EXPECT_EQ(obj["kind"], "CronTab");
}

TEST(StructuralSchemaTest, NamesWhatItPrunesAsStrictDecodingAndServerSideApplyDo) {
  Json obj = WithSpec(Json::parse(R"({
    "size": 1, "unknown": 1, "free": {"anything": 1}, "labels": {"k": "v"},
    "settings": {"level": 1, "deep": {"x": 1}}
  })"));
  obj["metadata"]["bogus"] = 1;
  obj["status"] = {{"other", 3}};
  const Json before = obj;

  std::vector<std::string> strict;
  Schema()->FindUnknownFields(obj, /*apply_style=*/false, &strict);
  EXPECT_EQ(obj, before) << "finding must not modify";
  EXPECT_EQ(strict, (std::vector<std::string>{"metadata.bogus", "spec.settings.deep",
                                              "spec.unknown", "status.other"}));
  std::vector<std::string> apply;
  Schema()->FindUnknownFields(obj, /*apply_style=*/true, &apply);
  EXPECT_EQ(apply, (std::vector<std::string>{".metadata.bogus", ".spec.settings.deep",
                                             ".spec.unknown", ".status.other"}));

  std::vector<std::string> removed;
  Schema()->Prune(obj, &removed);
  EXPECT_EQ(removed, strict) << "the report is what a write prunes";
  std::vector<std::string> after;
  Schema()->FindUnknownFields(obj, false, &after);
  EXPECT_TRUE(after.empty());
}

TEST(StructuralSchemaTest, NamesUnknownFieldsOfListItemsByIndex) {
  Result<std::shared_ptr<const StructuralSchema>> s = StructuralSchema::Parse(Json::parse(R"({
    "type": "object", "properties": {"spec": {"type": "object", "properties": {
      "parts": {"type": "array", "items": {"type": "object",
                "properties": {"name": {"type": "string"}}}}}}}})"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Json obj = WithSpec(Json::parse(R"({"parts": [{"name": "a"}, {"name": "b", "x": 1}]})"));
  std::vector<std::string> paths;
  (*s)->FindUnknownFields(obj, false, &paths);
  EXPECT_EQ(paths, std::vector<std::string>{"spec.parts[1].x"});
}

TEST(StructuralSchemaTest, DefaultsAbsentAndNullFieldsTopDown) {
  Json obj = WithSpec({{"size", 1}});
  Schema()->Default(obj);
  EXPECT_EQ(obj["spec"]["replicas"], 1);
  EXPECT_EQ(obj["spec"]["settings"], Json({{"level", 3}}));

  Json given = WithSpec({{"size", 1}, {"replicas", 5}, {"settings", {{"level", 7}}}});
  Schema()->Default(given);
  EXPECT_EQ(given["spec"]["replicas"], 5);
  EXPECT_EQ(given["spec"]["settings"]["level"], 7);

  Json null_value = WithSpec({{"size", 1}, {"replicas", nullptr}});
  Schema()->Default(null_value);
  EXPECT_EQ(null_value["spec"]["replicas"], 1);
}

TEST(StructuralSchemaTest, DefaultsDoNotCreateAbsentParents) {
  Json obj = {{"apiVersion", "stable.example.com/v1"}, {"kind", "CronTab"}, {"metadata", {}}};
  Schema()->Default(obj);
  EXPECT_FALSE(obj.contains("spec"));
}

struct ParseCase {
  const char* name;
  const char* schema;
  std::string want;  // "field: message" prefix of the first problem
};

class SchemaParseTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(SchemaParseTest, RejectsNonStructuralSchemas) {
  std::vector<StatusCause> problems;
  Result<std::shared_ptr<const StructuralSchema>> s =
      StructuralSchema::Parse(Json::parse(GetParam().schema), &problems);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalid);
  ASSERT_FALSE(problems.empty());
  std::string first = problems[0].field + ": " + problems[0].message;
  EXPECT_EQ(first.substr(0, GetParam().want.size()), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SchemaParseTest,
    ::testing::Values(
        ParseCase{"root_not_object", R"({"type": "string"})",
                  "type: Invalid value: \"string\": must be object at the root"},
        ParseCase{"untyped_field", R"({"type": "object", "properties": {"spec": {}}})",
                  "properties[spec].type: Required value: must not be empty for specified object "
                  "fields"},
        ParseCase{"untyped_items",
                  R"({"type": "object", "properties": {"a": {"type": "array", "items": {}}}})",
                  "properties[a].items.type: Required value: must not be empty for specified "
                  "array items"},
        ParseCase{"array_without_items",
                  R"({"type": "object", "properties": {"a": {"type": "array"}}})",
                  "properties[a].items: Required value: must be specified"},
        ParseCase{"unknown_type", R"({"type": "object", "properties": {"a": {"type": "str"}}})",
                  "properties[a].type: Unsupported value: \"str\": supported values:"},
        ParseCase{"bad_pattern",
                  R"({"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}})",
                  "properties[a].pattern: Invalid value: \"(\": must be a valid regular "
                  "expression"}),
    [](const ::testing::TestParamInfo<ParseCase>& p) { return p.param.name; });

TEST(StructuralSchemaTest, PruneObjectMetaKeepsOnlyObjectMetaFields) {
  Json meta = {{"name", "a"}, {"labels", {{"x", "y"}}}, {"finalizers", {"f"}}, {"nope", 1}};
  PruneObjectMeta(meta);
  EXPECT_EQ(meta, Json({{"name", "a"}, {"labels", {{"x", "y"}}}, {"finalizers", {"f"}}}));
}

}  // namespace
}  // namespace capstan::apiserver
