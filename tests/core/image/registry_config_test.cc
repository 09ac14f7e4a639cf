// Tests for core/image/registry_config.h: pull-secret parsing, registry settings, endpoints.
#include "core/image/registry_config.h"

#include <gtest/gtest.h>

#include "core/image/digest.h"

namespace capstan::image {
namespace {

TEST(DockerConfigJson, DecodesAuthsAndNormalizesHostKeys) {
  std::string json = R"({"auths": {
      "https://index.docker.io/v1/": {"auth": ")" +
                     Base64Encode("alice:pw1") + R"("},
      "reg.example.com:5000": {"username": "bob", "password": "pw:2"},
      "http://127.0.0.1:5001/v2/": {"auth": ")" +
                     Base64Encode("carol:a:b") + R"("}}})";
  auto creds = ParseDockerConfigJson(json);
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  ASSERT_EQ(creds->size(), 3u);
  EXPECT_EQ(creds->at("docker.io").username, "alice");
  EXPECT_EQ(creds->at("docker.io").password, "pw1");
  EXPECT_EQ(creds->at("reg.example.com:5000").password, "pw:2");
  EXPECT_EQ(creds->at("127.0.0.1:5001").username, "carol");
  EXPECT_EQ(creds->at("127.0.0.1:5001").password, "a:b");
}

TEST(DockerConfigJson, AcceptsTheLegacyDockercfgShape) {
  auto creds = ParseDockerConfigJson(R"({"r:1": {"auth": ")" + Base64Encode("u:p") + R"("}})");
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->at("r:1").username, "u");
}

TEST(DockerConfigJson, RejectsMalformedInput) {
  EXPECT_EQ(ParseDockerConfigJson("not json").status().code(), StatusCode::kInvalid);
  EXPECT_EQ(ParseDockerConfigJson(R"({"auths": {"r": {"auth": "!!!"}}})").status().code(),
            StatusCode::kInvalid);
  auto no_colon =
      ParseDockerConfigJson(R"({"auths": {"r": {"auth": ")" + Base64Encode("nocolon") + R"("}}})");
  EXPECT_EQ(no_colon.status().code(), StatusCode::kInvalid);
  EXPECT_NE(no_colon.status().message().find("user:password"), std::string::npos);
}

TEST(RegistriesConfig, ParsesMirrorsInsecureAndAuth) {
  auto cfg = ParseRegistriesConfig(R"({"registries": {
      "docker.io": {"mirrors": ["http://127.0.0.1:5000"], "mirrorsOnly": true},
      "reg:5000": {"insecure": true, "auth": ")" +
                                   Base64Encode("u:p") + R"("}}})");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->hosts.at("docker.io").mirrors.at(0), "http://127.0.0.1:5000");
  EXPECT_TRUE(cfg->hosts.at("docker.io").mirrors_only);
  EXPECT_TRUE(cfg->hosts.at("reg:5000").insecure);
  EXPECT_EQ(cfg->hosts.at("reg:5000").credentials.username, "u");
  EXPECT_FALSE(ParseRegistriesConfig(R"({"registries": {"a": {"mirrors": ["ftp://x"]}}})").ok());
}

TEST(Endpoints, MirrorsComeFirstThenTheRegistryOverHttps) {
  RegistriesConfig cfg;
  cfg.hosts["docker.io"].mirrors = {"http://127.0.0.1:5000", "https://mirror.example:8443"};
  auto eps = EndpointsFor("docker.io", cfg);
  ASSERT_TRUE(eps.ok());
  ASSERT_EQ(eps->size(), 3u);
  EXPECT_EQ((*eps)[0].base.String(), "http://127.0.0.1:5000/");
  EXPECT_TRUE((*eps)[0].is_mirror);
  EXPECT_EQ((*eps)[1].base.String(), "https://mirror.example:8443/");
  EXPECT_EQ((*eps)[2].base.String(), "https://registry-1.docker.io/");
  EXPECT_FALSE((*eps)[2].is_mirror);
}

TEST(Endpoints, InsecureAndLoopbackRegistriesUsePlainHttp) {
  RegistriesConfig cfg;
  cfg.hosts["reg:5000"].insecure = true;
  EXPECT_EQ((*EndpointsFor("reg:5000", cfg))[0].base.String(), "http://reg:5000/");
  EXPECT_EQ((*EndpointsFor("127.0.0.1:5001", cfg))[0].base.String(), "http://127.0.0.1:5001/");
  EXPECT_EQ((*EndpointsFor("localhost", cfg))[0].base.String(), "http://localhost/");
  EXPECT_EQ((*EndpointsFor("quay.io", cfg))[0].base.String(), "https://quay.io/");
}

TEST(Endpoints, MirrorsOnlyNeverFallsBackToTheRegistry) {
  RegistriesConfig cfg;
  cfg.hosts["docker.io"].mirrors = {"http://127.0.0.1:5000"};
  cfg.hosts["docker.io"].mirrors_only = true;
  EXPECT_EQ(EndpointsFor("docker.io", cfg)->size(), 1u);
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  EXPECT_EQ(Base64Encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(*Base64Decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(*Base64Decode("YQ"), "a");
  EXPECT_FALSE(Base64Decode("a b").ok());
}

}  // namespace
}  // namespace capstan::image
