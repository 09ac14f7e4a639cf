// Tests for core/api/openapi_v2_proto.{h,cc}: the upstream swagger document encodes to gnostic
// `openapi.v2.Document` bytes that a minimal reader (core/protobuf's WireReader) decodes back to
// the same definitions, the oneof/map shapes follow OpenAPIv2.proto's field numbers, Accept
// negotiation picks JSON or protobuf as kube-openapi does, and the cache follows the document.
#include "core/api/openapi_v2_proto.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/protobuf/wire_reader.h"
#include "tests/core/api/test_util.h"

namespace capstan::api {
namespace {

using nlohmann::json;
using protobuf::WireType;

// One decoded message: every field's raw payloads in wire order (varints and fixed64 as
// numbers, length-delimited as byte views into the encoded buffer).
struct Message {
  std::multimap<uint32_t, std::string_view> bytes;
  std::multimap<uint32_t, uint64_t> numbers;

  std::vector<std::string_view> All(uint32_t n) const {
    std::vector<std::string_view> out;
    for (auto [it, end] = bytes.equal_range(n); it != end; ++it) out.push_back(it->second);
    return out;
  }
  std::string_view One(uint32_t n) const {
    auto all = All(n);
    EXPECT_EQ(all.size(), 1u) << "field " << n;
    return all.empty() ? std::string_view() : all.front();
  }
  bool Has(uint32_t n) const { return bytes.count(n) + numbers.count(n) != 0; }
  uint64_t Number(uint32_t n) const {
    auto it = numbers.find(n);
    return it == numbers.end() ? 0 : it->second;
  }
  double Double(uint32_t n) const {
    uint64_t bits = Number(n);
    double d = 0;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
};

Message Decode(std::string_view data) {
  Message m;
  protobuf::WireReader r(data);
  while (!r.done()) {
    Result<protobuf::Tag> tag = r.ReadTag();
    EXPECT_TRUE(tag.ok()) << tag.status().ToString();
    if (!tag.ok()) break;
    if (tag->wire_type == WireType::kLengthDelimited) {
      Result<std::string_view> v = r.ReadLengthDelimited();
      EXPECT_TRUE(v.ok()) << v.status().ToString();
      if (!v.ok()) break;
      m.bytes.emplace(tag->field_number, *v);
    } else if (tag->wire_type == WireType::kVarint) {
      Result<uint64_t> v = r.ReadVarint();
      m.numbers.emplace(tag->field_number, v.ok() ? *v : ~0ull);
    } else if (tag->wire_type == WireType::kFixed64) {
      Result<uint64_t> v = r.ReadFixed64();
      m.numbers.emplace(tag->field_number, v.ok() ? *v : ~0ull);
    } else {
      ADD_FAILURE() << "unexpected wire type";
      break;
    }
  }
  return m;
}

// Repeated `NamedX {name = 1, value = 2}` entries as name -> value payload.
std::map<std::string, std::string_view> NamedEntries(const std::vector<std::string_view>& entries) {
  std::map<std::string, std::string_view> out;
  for (std::string_view entry : entries) {
    Message named = Decode(entry);
    out.emplace(std::string(named.One(1)), named.One(2));
  }
  return out;
}

// A map wrapper (`repeated NamedX additional_properties = 1`, or another repeated field).
std::map<std::string, std::string_view> Named(std::string_view wrapper, uint32_t field = 1) {
  return NamedEntries(Decode(wrapper).All(field));
}

// The JSON text an Any (`yaml`, field 2) carries, parsed.
json AnyValue(std::string_view any) { return json::parse(Decode(any).One(2), nullptr, false); }

std::string EncodeOrDie(const json& doc) {
  Result<std::string> bytes = EncodeOpenApiV2Proto(doc.dump());
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

// The Schema of definition `name` in an encoded document of only definitions.
Message Definition(const std::string& encoded, const std::string& name) {
  auto definitions = Named(Decode(encoded).One(9));
  EXPECT_EQ(definitions.count(name), 1u) << name;
  return Decode(definitions[name]);
}

class UpstreamDocumentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = new std::string(testing::ReadFileOrDie(testing::OpenApiDir() / "swagger.json"));
    auto start = std::chrono::steady_clock::now();
    Result<std::string> encoded = EncodeOpenApiV2Proto(*source_);
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
    encoded_ = new std::string(std::move(*encoded));
    // Figures for the record, not assertions.
    std::cout << "swagger.json " << source_->size() << " bytes -> protobuf " << encoded_->size()
              << " bytes in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
  }
  static void TearDownTestSuite() {
    delete source_;
    delete encoded_;
  }

  json Json() const { return json::parse(*source_); }
  Message Schema(const std::string& name) const {
    return Decode(Named(Decode(*encoded_).One(9))[name]);
  }

  static std::string* source_;
  static std::string* encoded_;
};
std::string* UpstreamDocumentTest::source_ = nullptr;
std::string* UpstreamDocumentTest::encoded_ = nullptr;

TEST_F(UpstreamDocumentTest, DocumentHeaderAndEveryDefinitionAndPathAreCarried) {
  json doc = Json();
  Message root = Decode(*encoded_);
  EXPECT_EQ(root.One(1), "2.0");
  EXPECT_EQ(Decode(root.One(2)).One(1), "Kubernetes");
  auto definitions = Named(root.One(9));
  EXPECT_EQ(definitions.size(), doc["definitions"].size());
  auto paths = Named(root.One(8), 2);
  EXPECT_EQ(paths.size(), doc["paths"].size());
  EXPECT_EQ(Named(root.One(10)).size(), doc["parameters"].size());
  // security: [{"BearerToken": []}]; securityDefinitions.BearerToken is an ApiKeySecurity (2).
  EXPECT_EQ(Named(root.One(12)).count("BearerToken"), 1u);
  Message bearer = Decode(Decode(Named(root.One(13))["BearerToken"]).One(2));
  EXPECT_EQ(bearer.One(1), "apiKey");
  EXPECT_EQ(bearer.One(3), "header");
}

TEST_F(UpstreamDocumentTest, PodPropertiesTypeAndGroupVersionKindRoundTrip) {
  json pod = Json()["definitions"]["io.k8s.api.core.v1.Pod"];
  Message schema = Schema("io.k8s.api.core.v1.Pod");
  auto properties = Named(schema.One(25));
  std::set<std::string> names;
  for (const auto& [name, value] : properties) names.insert(name);
  std::set<std::string> expected;
  for (const auto& [name, value] : pod["properties"].items()) expected.insert(name);
  EXPECT_EQ(names, expected);
  // `type` is a TypeItem with repeated value.
  EXPECT_EQ(Decode(schema.One(22)).All(1), std::vector<std::string_view>{"object"});
  // `$ref` is field 1 (`_ref`).
  EXPECT_EQ(Decode(properties["spec"]).One(1), "#/definitions/io.k8s.api.core.v1.PodSpec");
  EXPECT_EQ(Decode(properties["kind"]).One(4), pod["properties"]["kind"]["description"]);
  // Vendor extensions are NamedAny (31) holding the value as text in Any.yaml.
  auto extensions = NamedEntries(schema.All(31));
  ASSERT_EQ(extensions.count("x-kubernetes-group-version-kind"), 1u);
  EXPECT_EQ(AnyValue(extensions["x-kubernetes-group-version-kind"]),
            json::parse(R"([{"group":"","kind":"Pod","version":"v1"}])"));
}

TEST_F(UpstreamDocumentTest, ItemsRequiredAndAdditionalPropertiesRoundTrip) {
  Message containers = Decode(Named(Schema("io.k8s.api.core.v1.PodSpec").One(25))["containers"]);
  EXPECT_EQ(Decode(containers.One(22)).All(1), std::vector<std::string_view>{"array"});
  Message item = Decode(Decode(containers.One(23)).One(1));
  EXPECT_EQ(item.One(1), "#/definitions/io.k8s.api.core.v1.Container");

  EXPECT_EQ(Schema("io.k8s.api.core.v1.Container").All(19), std::vector<std::string_view>{"name"});

  // ConfigMap.data: {type: object, additionalProperties: {type: string}} -> oneof schema (1).
  Message data = Decode(Named(Schema("io.k8s.api.core.v1.ConfigMap").One(25))["data"]);
  EXPECT_EQ(Decode(data.One(22)).All(1), std::vector<std::string_view>{"object"});
  EXPECT_FALSE(data.Has(25));
  Message value = Decode(Decode(data.One(21)).One(1));
  EXPECT_EQ(Decode(value.One(22)).All(1), std::vector<std::string_view>{"string"});
}

TEST_F(UpstreamDocumentTest, OperationsCarryParametersResponsesAndExtensions) {
  Message root = Decode(*encoded_);
  Message item = Decode(Named(root.One(8), 2)["/api/v1/namespaces/{namespace}/pods"]);
  Message post = Decode(item.One(4));
  EXPECT_EQ(post.One(5), "createCoreV1NamespacedPod");
  // Path-level parameters are JsonReferences (ParametersItem field 2).
  std::vector<std::string_view> refs;
  for (std::string_view p : item.All(9)) refs.push_back(Decode(Decode(p).One(2)).One(1));
  EXPECT_FALSE(refs.empty());
  for (std::string_view ref : refs) EXPECT_TRUE(ref.starts_with("#/parameters/")) << ref;
  // The body parameter: ParametersItem.parameter (1) -> Parameter.body_parameter (1).
  bool found_body = false;
  for (std::string_view p : post.All(8)) {
    Message parameters_item = Decode(p);
    if (!parameters_item.Has(1)) continue;
    Message parameter = Decode(parameters_item.One(1));
    if (!parameter.Has(1)) continue;
    Message body = Decode(parameter.One(1));
    EXPECT_EQ(body.One(3), "body");
    EXPECT_EQ(Decode(body.One(5)).One(1), "#/definitions/io.k8s.api.core.v1.Pod");
    found_body = true;
  }
  EXPECT_TRUE(found_body);
  auto responses = Named(post.One(9));
  ASSERT_EQ(responses.count("201"), 1u);
  Message response = Decode(Decode(responses["201"]).One(1));
  EXPECT_EQ(Decode(Decode(response.One(2)).One(1)).One(1), "#/definitions/io.k8s.api.core.v1.Pod");
  auto extensions = NamedEntries(post.All(13));
  ASSERT_EQ(extensions.count("x-kubernetes-action"), 1u);
  EXPECT_EQ(AnyValue(extensions["x-kubernetes-action"]), "post");
}

TEST(OpenApiV2ProtoTest, SchemaShapesFollowTheProtoFieldNumbers) {
  json doc = {{"definitions",
               {{"T",
                 {{"type", {"string", "null"}},
                  {"properties", json::object()},
                  {"additionalProperties", false},
                  {"items", {{{"type", "integer"}}, {{"type", "string"}}}},
                  {"maximum", 2.5},
                  {"minLength", -1},
                  {"uniqueItems", true},
                  {"enum", {"a", 1}},
                  {"default", {{"k", "v"}}}}}}}};
  std::string encoded = EncodeOrDie(doc);
  Message t = Definition(encoded, "T");
  EXPECT_EQ(Decode(t.One(22)).All(1), (std::vector<std::string_view>{"string", "null"}));
  // An empty `properties` is still present (readers tell objects from maps by its presence).
  EXPECT_TRUE(t.Has(25));
  EXPECT_TRUE(t.One(25).empty());
  // additionalProperties: false is the oneof boolean (2), written although false.
  Message additional = Decode(t.One(21));
  EXPECT_TRUE(additional.Has(2));
  EXPECT_EQ(additional.Number(2), 0u);
  EXPECT_EQ(Decode(t.One(23)).All(1).size(), 2u);
  EXPECT_EQ(t.Double(7), 2.5);
  EXPECT_EQ(static_cast<int64_t>(t.Number(12)), -1);
  EXPECT_EQ(t.Number(16), 1u);
  ASSERT_EQ(t.All(20).size(), 2u);
  EXPECT_EQ(AnyValue(t.All(20)[1]), 1);
  EXPECT_EQ(AnyValue(t.One(5)), json({{"k", "v"}}));
}

TEST(OpenApiV2ProtoTest, NonBodyParametersPickTheirOneofByLocation) {
  struct Case {
    const char* in;
    uint32_t oneof;    // NonBodyParameter field
    uint32_t type_at;  // `type` field number in that sub-schema
  };
  for (const Case& c :
       {Case{"header", 1, 5}, Case{"formData", 2, 6}, Case{"query", 3, 6}, Case{"path", 4, 5}}) {
    json doc = {{"parameters", {{"p", {{"in", c.in}, {"name", "n"}, {"type", "string"}}}}}};
    std::string encoded = EncodeOrDie(doc);
    Message parameter = Decode(Named(Decode(encoded).One(10))["p"]);
    Message non_body = Decode(parameter.One(2));
    Message sub = Decode(non_body.One(c.oneof));
    EXPECT_EQ(sub.One(2), c.in);
    EXPECT_EQ(sub.One(4), "n");
    EXPECT_EQ(sub.One(c.type_at), "string") << c.in;
  }
}

TEST(OpenApiV2ProtoTest, WrongJsonTypesAndBadJsonAreErrors) {
  EXPECT_EQ(EncodeOpenApiV2Proto("{").status().code(), StatusCode::kBadRequest);
  json bad = {{"definitions", {{"T", {{"required", "name"}}}}}};
  Result<std::string> r = EncodeOpenApiV2Proto(bad.dump());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
  EXPECT_NE(r.status().message().find("Schema.required"), std::string::npos)
      << r.status().message();
  json bad_in = {{"parameters", {{"p", {{"in", "cookie"}}}}}};
  EXPECT_EQ(EncodeOpenApiV2Proto(bad_in.dump()).status().code(), StatusCode::kInvalid);
}

TEST(OpenApiV2ProtoTest, NegotiationPicksJsonOrProtobufAsKubeOpenApi) {
  struct Case {
    const char* accept;
    OpenApiV2Format want;
  };
  const Case cases[] = {
      {"", OpenApiV2Format::kJson},
      {"application/json", OpenApiV2Format::kJson},
      {"*/*", OpenApiV2Format::kJson},
      {"application/com.github.proto-openapi.spec.v2@v1.0+protobuf", OpenApiV2Format::kProtobuf},
      {"application/com.github.proto-openapi.spec.v2.v1.0+protobuf", OpenApiV2Format::kProtobuf},
      {"application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json",
       OpenApiV2Format::kProtobuf},
      {"application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
       OpenApiV2Format::kProtobuf},
      {"*/*, application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
       OpenApiV2Format::kProtobuf},
      {"application/com.github.proto-openapi.spec.v2@v1.0+protobuf;q=0, application/json",
       OpenApiV2Format::kJson},
      {"text/html", OpenApiV2Format::kNone},
      {"application/yaml", OpenApiV2Format::kNone},
  };
  for (const Case& c : cases) EXPECT_EQ(NegotiateOpenApiV2(c.accept), c.want) << c.accept;
}

// Writes `doc` as dir/swagger.json and loads it with OpenApi.
std::unique_ptr<OpenApi> LoadDocument(const std::filesystem::path& dir, const json& doc) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "swagger.json") << doc.dump();
  Result<std::unique_ptr<OpenApi>> loaded = OpenApi::Load(dir, nullptr);
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  return loaded.ok() ? std::move(*loaded) : nullptr;
}

TEST(OpenApiV2ProtoCacheTest, ServesCachedBytesUntilTheDocumentChanges) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("openapi-v2-proto-test-" + std::to_string(::getpid()));
  std::unique_ptr<OpenApi> first = LoadDocument(dir / "a", {{"swagger", "2.0"}});
  std::unique_ptr<OpenApi> second = LoadDocument(dir / "b", {{"swagger", "2.1"}});
  ASSERT_TRUE(first && second);
  constexpr char kProto[] = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
  OpenApiV2ProtoCache cache;

  Result<ServedDocument> a = cache.Serve(*first, kProto);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->content_type, kOpenApiV2ProtoContentType);
  EXPECT_EQ(Decode(*a->body).One(1), "2.0");
  EXPECT_FALSE(a->etag.empty());
  Result<ServedDocument> again = cache.Serve(*first, kProto);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->body.get(), a->body.get());  // the cached bytes, not a re-encoding

  Result<ServedDocument> b = cache.Serve(*second, kProto);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(Decode(*b->body).One(1), "2.1");
  EXPECT_NE(b->etag, a->etag);

  Result<ServedDocument> json_doc = cache.Serve(*first, "application/json");
  ASSERT_TRUE(json_doc.ok());
  EXPECT_EQ(json_doc->content_type, "application/json");
  EXPECT_EQ(cache.Serve(*first, "text/html").status().code(), StatusCode::kNotAcceptable);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace capstan::api
