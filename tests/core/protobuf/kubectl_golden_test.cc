// Golden test for core/protobuf/decoder.h against bodies captured from real kubectl 1.32 (see
// tools/protobuf_schema/capture_kubectl_bodies.py). For `create` commands the expected JSON is
// kubectl's own `--dry-run=client -o json` rendering of the same object with nulls and empty
// objects and lists removed; for the review kinds and TokenRequest it is written out below.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "core/protobuf/decoder.h"

namespace capstan::protobuf {
namespace {

using nlohmann::json;

struct Golden {
  std::string command;
  std::string path;
  std::string content_type;
  std::string body;
  json expected;  // null when kubectl cannot render the object client-side
};

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::vector<Golden> LoadGoldens() {
  std::vector<Golden> out;
  std::ifstream in(CAPSTAN_PROTOBUF_TESTDATA_DIR "/kubectl_bodies.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    json entry = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!entry.is_object()) {
      ADD_FAILURE() << "unparseable golden line: " << line;
      continue;
    }
    Golden g;
    for (const json& arg : entry["args"])
      g.command += (g.command.empty() ? "" : " ") + arg.get<std::string>();
    g.path = entry["path"].get<std::string>();
    g.content_type = entry["content_type"].get<std::string>();
    g.body = FromHex(entry["body_hex"].get<std::string>());
    g.expected = entry["expected"];
    out.push_back(std::move(g));
  }
  return out;
}

// JSON with nulls, empty objects and empty arrays removed, recursively: what the decoder
// produces for fields Go wrote with their zero value. Empty strings and zeros stay: Go's JSON
// shows them only for fields without omitempty, and so does the decoder.
json WithoutEmpties(const json& value) {
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [key, item] : value.items()) {
      json cleaned = WithoutEmpties(item);
      const bool empty = cleaned.is_null() || (cleaned.is_structured() && cleaned.empty());
      if (!empty) out[key] = std::move(cleaned);
    }
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (const json& item : value) out.push_back(WithoutEmpties(item));
    return out;
  }
  return value;
}

// Objects for the commands kubectl has no client-side dry run for, keyed by command line.
const std::map<std::string, json>& HandWritten() {
  // Go's JSON shows the non-omitempty status fields (`allowed`, `incomplete`, `token`) too.
  static const auto* const kObjects = new std::map<std::string, json>{
      {"create token sa1 --duration=10m --audience=api", json::parse(R"({
          "apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",
          "spec":{"audiences":["api"],"expirationSeconds":600},"status":{"token":""}})")},
      {"auth can-i get pods", json::parse(R"({
          "apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview",
          "spec":{"resourceAttributes":{"namespace":"default","verb":"get","resource":"pods"}},
          "status":{"allowed":false}})")},
      {"auth can-i create deployments.apps -n prod --subresource=scale", json::parse(R"({
          "apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview",
          "spec":{"resourceAttributes":{"namespace":"prod","verb":"create","group":"apps",
                                        "resource":"deployments","subresource":"scale"}},
          "status":{"allowed":false}})")},
      {"auth can-i get /healthz", json::parse(R"({
          "apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview",
          "spec":{"nonResourceAttributes":{"path":"/healthz","verb":"get"}},
          "status":{"allowed":false}})")},
      {"auth can-i --list -n kube-system", json::parse(R"({
          "apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview",
          "spec":{"namespace":"kube-system"},"status":{"incomplete":false}})")},
      {"auth whoami", json::parse(R"({
          "apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"})")},
  };
  return *kObjects;
}

TEST(KubectlGoldenTest, EveryCapturedBodyDecodesToTheObjectKubectlBuilt) {
  const std::vector<Golden> goldens = LoadGoldens();
  ASSERT_GE(goldens.size(), 29u);
  for (const Golden& g : goldens) {
    SCOPED_TRACE("kubectl " + g.command);
    EXPECT_TRUE(IsProtobufContentType(g.content_type)) << g.content_type;
    Result<json> got = DecodeKubernetesProtobuf(g.body);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    json want;
    if (!g.expected.is_null()) {
      want = WithoutEmpties(g.expected);
    } else {
      auto it = HandWritten().find(g.command);
      if (it == HandWritten().end()) {
        ADD_FAILURE() << "no expectation for: " << got->dump();
        continue;
      }
      want = it->second;
    }
    EXPECT_EQ(*got, want) << "got:  " << got->dump() << "\nwant: " << want.dump();
  }
}

}  // namespace
}  // namespace capstan::protobuf
