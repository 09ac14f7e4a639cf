// Tests for the parsing half of core/image/registry_client.h: manifests, indexes, platform
// selection and WWW-Authenticate challenges.
#include <gtest/gtest.h>

#include "core/image/digest.h"
#include "core/image/registry_client.h"

namespace capstan::image {
namespace {

const std::string kD1 = Sha256Digest("one");
const std::string kD2 = Sha256Digest("two");
const std::string kD3 = Sha256Digest("three");

TEST(Manifest, ParsesAnOciImageManifest) {
  std::string raw = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
    "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                    kD1 +
                    R"(","size":10},
    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
                    kD2 + R"(","size":20}]})";
  auto m = ParseImageManifest(raw, "application/vnd.oci.image.manifest.v1+json");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->config.digest, kD1);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].digest, kD2);
  EXPECT_EQ(m->layers[0].size, 20);
}

TEST(Manifest, InfersTheMediaTypeFromTheBodyWhenTheContentTypeIsGeneric) {
  std::string raw =
      R"({"schemaVersion":2,"config":{"digest":")" + kD1 + R"(","size":1},"layers":[]})";
  EXPECT_EQ(ManifestMediaType(raw, "application/json"), kMediaOciManifest);
  EXPECT_EQ(ManifestMediaType(R"({"manifests":[]})", ""), kMediaOciIndex);
  EXPECT_EQ(ManifestMediaType("{}", std::string(kMediaDockerManifest) + "; charset=utf-8"),
            kMediaDockerManifest);
}

TEST(Manifest, RejectsSchema1AndMissingFields) {
  EXPECT_EQ(ParseImageManifest(R"({"schemaVersion":1,"fsLayers":[]})", "").status().code(),
            StatusCode::kUnimplemented);
  EXPECT_EQ(ParseImageManifest(R"({"layers":[]})", std::string(kMediaOciManifest)).status().code(),
            StatusCode::kInvalid);
  std::string bad_digest = R"({"config":{"digest":"sha256:zz","size":1},"layers":[]})";
  EXPECT_EQ(ParseImageManifest(bad_digest, std::string(kMediaOciManifest)).status().code(),
            StatusCode::kInvalid);
}

TEST(Index, SelectsLinuxAmd64) {
  std::string raw = R"({"schemaVersion":2,"manifests":[
    {"digest":")" + kD1 +
                    R"(","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
    {"digest":")" + kD2 +
                    R"(","size":2,"platform":{"os":"windows","architecture":"amd64"}},
    {"digest":")" + kD3 +
                    R"(","size":3,"platform":{"os":"linux","architecture":"amd64"}}]})";
  auto d = SelectPlatform(raw, Platform{});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->digest, kD3);
  auto arm = SelectPlatform(raw, Platform{"linux", "arm64", "v8"});
  ASSERT_TRUE(arm.ok());
  EXPECT_EQ(arm->digest, kD1);
  auto none = SelectPlatform(raw, Platform{"linux", "s390x", ""});
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("linux/arm64/v8"), std::string::npos);
}

TEST(Challenge, ParsesBearerParametersWithQuotedCommas) {
  Challenge c = ParseChallenge(
      R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push")");
  EXPECT_EQ(c.scheme, "bearer");
  EXPECT_EQ(c.params["realm"], "https://auth.example/token");
  EXPECT_EQ(c.params["service"], "registry.example");
  EXPECT_EQ(c.params["scope"], "repository:a/b:pull,push");
  EXPECT_EQ(ParseChallenge(R"(Basic realm="Registry Realm")").scheme, "basic");
}

TEST(Url, ParsesAndResolvesRedirectLocations) {
  auto u = ParseUrl("http://127.0.0.1:5000/v2/a/blobs/x?y=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "5000");
  EXPECT_EQ(u->target, "/v2/a/blobs/x?y=1");
  EXPECT_EQ(ResolveUrl(*u, "/other")->String(), "http://127.0.0.1:5000/other");
  EXPECT_EQ(ResolveUrl(*u, "z")->String(), "http://127.0.0.1:5000/v2/a/blobs/z");
  EXPECT_EQ(ResolveUrl(*u, "https://cdn.example/blob")->String(), "https://cdn.example/blob");
  EXPECT_EQ(ParseUrl("https://h")->port, "443");
  EXPECT_FALSE(ParseUrl("ftp://h").ok());
  EXPECT_FALSE(ParseUrl("http://u:p@h/").ok());
}

TEST(VerifyDigest, RejectsMismatchedBytes) {
  EXPECT_TRUE(VerifyDigest("one", kD1).ok());
  Status s = VerifyDigest("tampered", kD1);
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_NE(s.message().find("digest mismatch"), std::string::npos);
}

}  // namespace
}  // namespace capstan::image
