// Tests for core/client/kubeconfig.h: the admin kubeconfig `capstan server` writes, tokens and
// token files, file references relative to the kubeconfig, context selection, and one error per
// missing or malformed field (table-driven), each naming the field.
#include "core/client/kubeconfig.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/pki/kubeconfig.h"
#include "core/pki/server_pki.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::client {
namespace {

using Json = nlohmann::json;

constexpr char kCa[] = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
constexpr char kCert[] = "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n";
constexpr char kKey[] = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";

// A valid kubeconfig as JSON (a YAML subset) that each case breaks in one place.
Json BaseConfig() {
  return {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters",
       {{{"name", "c"},
         {"cluster",
          {{"server", "https://127.0.0.1:6443"},
           {"certificate-authority-data", pki::Base64Encode(kCa)}}}}}},
      {"users",
       {{{"name", "u"},
         {"user",
          {{"client-certificate-data", pki::Base64Encode(kCert)},
           {"client-key-data", pki::Base64Encode(kKey)}}}}}},
      {"contexts",
       {{{"name", "ctx"}, {"context", {{"cluster", "c"}, {"user", "u"}, {"namespace", "team"}}}},
        {{"name", "other"}, {"context", {{"cluster", "missing"}, {"user", "u"}}}}}},
      {"current-context", "ctx"}};
}

TEST(KubeconfigTest, ParsesClusterUserAndContext) {
  Result<ClientConfig> c = ParseKubeconfig(BaseConfig().dump());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server_url, "https://127.0.0.1:6443");
  EXPECT_EQ(c->ca_pem, kCa);
  EXPECT_EQ(c->client_cert_pem, kCert);
  EXPECT_EQ(c->client_key_pem, kKey);
  EXPECT_EQ(c->bearer_token, "");
  EXPECT_EQ(c->default_namespace, "team");
}

TEST(KubeconfigTest, LoadsTheAdminKubeconfigCapstanServerWrites) {
  apiserver::testing::TestPki pki;
  ASSERT_TRUE(pki::WriteAdminKubeconfig(pki.pki(), "https://127.0.0.1:43210").ok());
  Result<ClientConfig> c = LoadKubeconfig(pki.pki().paths.admin_kubeconfig);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server_url, "https://127.0.0.1:43210");
  EXPECT_EQ(c->ca_pem, pki.pki().ca.cert_pem);
  EXPECT_EQ(c->client_cert_pem, pki.pki().admin.cert_pem);
  EXPECT_EQ(c->client_key_pem, pki.pki().admin.key_pem);
}

TEST(KubeconfigTest, TokenAndFilesRelativeToTheKubeconfig) {
  apiserver::testing::TestPki tmp;  // just a temporary directory
  std::filesystem::create_directories(tmp.dir() + "/sub");
  std::ofstream(tmp.dir() + "/sub/ca.crt") << kCa;
  std::ofstream(tmp.dir() + "/sub/token") << "  s3cret\n";
  Json doc = BaseConfig();
  doc["clusters"][0]["cluster"].erase("certificate-authority-data");
  doc["clusters"][0]["cluster"]["certificate-authority"] = "sub/ca.crt";
  doc["users"][0]["user"] = {{"tokenFile", "sub/token"}};
  std::string path = tmp.dir() + "/config";
  std::ofstream(path) << doc.dump();
  Result<ClientConfig> c = LoadKubeconfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ca_pem, kCa);
  EXPECT_EQ(c->bearer_token, "s3cret");
  EXPECT_EQ(c->client_cert_pem, "");

  doc["users"][0]["user"] = {{"token", "inline"}};
  Result<ClientConfig> inline_token = ParseKubeconfig(doc.dump(), tmp.dir());
  ASSERT_TRUE(inline_token.ok()) << inline_token.status().ToString();
  EXPECT_EQ(inline_token->bearer_token, "inline");
}

TEST(KubeconfigTest, AMissingFileIsNotFound) {
  EXPECT_EQ(LoadKubeconfig("/nonexistent/kubeconfig").status().code(), StatusCode::kNotFound);
}

TEST(KubeconfigTest, AnExplicitContextOverridesCurrentContext) {
  Result<ClientConfig> c = ParseKubeconfig(BaseConfig().dump(), "", "other");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalid);
  EXPECT_NE(c.status().message().find("clusters: no entry named \"missing\""), std::string::npos)
      << c.status().message();
}

struct ErrorCase {
  const char* name;
  std::function<void(Json&)> mutate;
  StatusCode code;
  const char* message;  // substring naming the field
};

TEST(KubeconfigTest, EachMissingOrMalformedFieldIsNamed) {
  const ErrorCase cases[] = {
      {"no current-context", [](Json& d) { d.erase("current-context"); }, StatusCode::kInvalid,
       "current-context: missing"},
      {"unknown context", [](Json& d) { d["current-context"] = "nope"; }, StatusCode::kInvalid,
       "contexts: no entry named \"nope\""},
      {"context without user", [](Json& d) { d["contexts"][0]["context"].erase("user"); },
       StatusCode::kInvalid, "contexts[ctx].context.user: missing"},
      {"no server", [](Json& d) { d["clusters"][0]["cluster"].erase("server"); },
       StatusCode::kInvalid, "clusters[c].cluster.server: missing"},
      {"plain http", [](Json& d) { d["clusters"][0]["cluster"]["server"] = "http://h:1"; },
       StatusCode::kInvalid, "is not https://"},
      {"no CA", [](Json& d) { d["clusters"][0]["cluster"].erase("certificate-authority-data"); },
       StatusCode::kInvalid, "clusters[c].cluster: missing certificate-authority"},
      {"CA file unreadable",
       [](Json& d) {
         d["clusters"][0]["cluster"].erase("certificate-authority-data");
         d["clusters"][0]["cluster"]["certificate-authority"] = "/nonexistent/ca.crt";
       },
       StatusCode::kBadRequest, "clusters[c].cluster.certificate-authority: cannot read"},
      {"no credentials", [](Json& d) { d["users"][0]["user"] = Json::object(); },
       StatusCode::kInvalid, "users[u].user: no credentials"},
      {"certificate without key", [](Json& d) { d["users"][0]["user"].erase("client-key-data"); },
       StatusCode::kInvalid, "client-certificate without client-key"},
      {"key without certificate",
       [](Json& d) { d["users"][0]["user"].erase("client-certificate-data"); },
       StatusCode::kInvalid, "client-key without client-certificate"},
      {"bad base64", [](Json& d) { d["users"][0]["user"]["client-key-data"] = "%%%"; },
       StatusCode::kBadRequest, "users[u].user.client-key-data: not valid base64"},
      {"server not a string", [](Json& d) { d["clusters"][0]["cluster"]["server"] = 5; },
       StatusCode::kBadRequest, "clusters[c].cluster.server: not a string"},
      {"unknown user", [](Json& d) { d["users"][0]["name"] = "someone"; }, StatusCode::kInvalid,
       "users: no entry named \"u\""},
  };
  for (const ErrorCase& c : cases) {
    Json doc = BaseConfig();
    c.mutate(doc);
    Result<ClientConfig> r = ParseKubeconfig(doc.dump());
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.name << ": " << r.status().message();
  }
}

TEST(KubeconfigTest, TextThatIsNotYamlIsABadRequest) {
  EXPECT_EQ(ParseKubeconfig("clusters: [unclosed").status().code(), StatusCode::kBadRequest);
  EXPECT_EQ(ParseKubeconfig("- a list").status().code(), StatusCode::kBadRequest);
}

TEST(ServerUrlTest, SplitsHostPortAndPrefix) {
  Result<ServerAddress> a = ParseServerUrl("https://[::1]:8443/prefix/");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 8443);
  EXPECT_EQ(a->path_prefix, "/prefix");
  Result<ServerAddress> b = ParseServerUrl("https://kubernetes.default.svc");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "kubernetes.default.svc");
  EXPECT_EQ(b->port, 443);
  for (const char* bad : {"https://", "https://h:0", "https://h:99999", "https://h:x", "h:1"}) {
    EXPECT_EQ(ParseServerUrl(bad).status().code(), StatusCode::kInvalid) << bad;
  }
}

}  // namespace
}  // namespace capstan::client
