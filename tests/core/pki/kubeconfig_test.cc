// Tests for core/pki/kubeconfig.h: rendering, credential rules and quoting.
#include "core/pki/kubeconfig.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace capstan::pki {
namespace {

KubeconfigSpec TokenSpec() {
  KubeconfigSpec spec;
  spec.server_url = "https://127.0.0.1:6443";
  spec.ca_cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  spec.token = "abc.def";
  spec.default_namespace = "kube-system";
  return spec;
}

TEST(KubeconfigTest, TokenUserIsRenderedWithBase64Ca) {
  Result<std::string> text = RenderKubeconfig(TokenSpec());
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  YAML::Node doc = YAML::Load(*text);
  EXPECT_EQ(doc["kind"].as<std::string>(), "Config");
  EXPECT_EQ(doc["users"][0]["user"]["token"].as<std::string>(), "abc.def");
  EXPECT_FALSE(doc["users"][0]["user"]["client-key-data"]);
  EXPECT_EQ(doc["contexts"][0]["context"]["namespace"].as<std::string>(), "kube-system");
  EXPECT_EQ(doc["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>(),
            Base64Encode(TokenSpec().ca_cert_pem));
}

TEST(KubeconfigTest, HostileStringsCannotChangeTheStructure) {
  KubeconfigSpec spec = TokenSpec();
  spec.token = "x\"\nusers: []\n#";
  spec.user_name = "a: b";
  Result<std::string> text = RenderKubeconfig(spec);
  ASSERT_TRUE(text.ok());
  YAML::Node doc = YAML::Load(*text);
  EXPECT_EQ(doc["users"][0]["user"]["token"].as<std::string>(), spec.token);
  EXPECT_EQ(doc["users"][0]["name"].as<std::string>(), "a: b");
}

TEST(KubeconfigTest, CredentialsMustBeExactlyOneKind) {
  KubeconfigSpec both = TokenSpec();
  both.client_cert_pem = "c";
  both.client_key_pem = "k";
  KubeconfigSpec none = TokenSpec();
  none.token.clear();
  KubeconfigSpec half = none;
  half.client_cert_pem = "c";
  KubeconfigSpec no_url = TokenSpec();
  no_url.server_url.clear();
  for (const KubeconfigSpec& spec : {both, none, half, no_url}) {
    Result<std::string> text = RenderKubeconfig(spec);
    ASSERT_FALSE(text.ok());
    EXPECT_EQ(text.status().code(), StatusCode::kInvalid);
  }
}

TEST(KubeconfigTest, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

}  // namespace
}  // namespace capstan::pki
