// Tests for core/image/reference.h: normalization and rejection as docker/distribution does.
#include "core/image/reference.h"

#include <gtest/gtest.h>

namespace capstan::image {
namespace {

constexpr char kDigest[] =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct NormalizeCase {
  std::string input;
  std::string want;
};

class ReferenceNormalizes : public ::testing::TestWithParam<NormalizeCase> {};

TEST_P(ReferenceNormalizes, ToTheUpstreamFullForm) {
  auto ref = ParseReference(GetParam().input);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->String(), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ReferenceNormalizes,
    ::testing::Values(
        NormalizeCase{"busybox", "docker.io/library/busybox:latest"},
        NormalizeCase{"nginx:1.25", "docker.io/library/nginx:1.25"},
        NormalizeCase{"user/app", "docker.io/user/app:latest"},
        NormalizeCase{"docker.io/busybox", "docker.io/library/busybox:latest"},
        NormalizeCase{"index.docker.io/library/busybox:1", "docker.io/library/busybox:1"},
        NormalizeCase{"localhost/x", "localhost/x:latest"},
        NormalizeCase{"localhost:5000/x:y", "localhost:5000/x:y"},
        NormalizeCase{"registry:5000/a/b@" + std::string(kDigest),
                      "registry:5000/a/b@" + std::string(kDigest)},
        NormalizeCase{"busybox:1.36@" + std::string(kDigest),
                      "docker.io/library/busybox:1.36@" + std::string(kDigest)},
        NormalizeCase{"quay.io/a/b/c:v1.0-rc_1", "quay.io/a/b/c:v1.0-rc_1"},
        NormalizeCase{"Registry.Example.com/a", "Registry.Example.com/a:latest"},
        NormalizeCase{"[::1]:5000/a:b", "[::1]:5000/a:b"},
        NormalizeCase{"a__b/c-d.e---f", "docker.io/a__b/c-d.e---f:latest"},
        NormalizeCase{"127.0.0.1:5000/library/busybox:t", "127.0.0.1:5000/library/busybox:t"}));

TEST(Reference, SplitsDomainPathTagAndDigest) {
  auto ref = ParseReference("registry:5000/a/b:v1@" + std::string(kDigest));
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->domain, "registry:5000");
  EXPECT_EQ(ref->path, "a/b");
  EXPECT_EQ(ref->tag, "v1");
  EXPECT_EQ(ref->digest, kDigest);
  EXPECT_EQ(ref->ManifestKey(), kDigest);
}

TEST(Reference, DigestOnlyReferenceGetsNoDefaultTag) {
  auto ref = ParseReference("busybox@" + std::string(kDigest));
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->tag, "");
  EXPECT_EQ(ref->String(), "docker.io/library/busybox@" + std::string(kDigest));
}

struct RejectCase {
  std::string input;
  std::string message_part;
};

class ReferenceRejects : public ::testing::TestWithParam<RejectCase> {};

TEST_P(ReferenceRejects, WithAClearMessage) {
  auto ref = ParseReference(GetParam().input);
  ASSERT_FALSE(ref.ok()) << GetParam().input << " parsed as " << ref->String();
  EXPECT_EQ(ref.status().code(), StatusCode::kInvalid);
  EXPECT_NE(ref.status().message().find(GetParam().message_part), std::string::npos)
      << ref.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, ReferenceRejects,
    ::testing::Values(RejectCase{"", "empty reference"}, RejectCase{"Busybox", "must be lowercase"},
                      RejectCase{"docker.io/Library/busybox", "must be lowercase"},
                      RejectCase{"busybox:", "invalid tag"},
                      RejectCase{"busybox:-bad", "invalid tag"},
                      RejectCase{"busybox:" + std::string(129, 'a'), "invalid tag"},
                      RejectCase{"busybox@sha256:abc", "invalid digest"},
                      RejectCase{"busybox@md5", "invalid digest"},
                      RejectCase{"a//b", "path component"}, RejectCase{"a/-b", "path component"},
                      RejectCase{"a/b_", "path component"}, RejectCase{"a/b...c", "path component"},
                      RejectCase{"reg:port/a", "invalid registry domain"},
                      RejectCase{":tag", "missing repository name"},
                      RejectCase{std::string(64, 'a'), "64-byte hexadecimal"},
                      RejectCase{"a/" + std::string(300, 'b'), "more than 255"},
                      RejectCase{"a b", "path component"}));

TEST(Digest, ValidatesAlgorithmAndHexLength) {
  EXPECT_TRUE(IsValidDigest(kDigest));
  EXPECT_FALSE(
      IsValidDigest("sha256:ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"));
  EXPECT_FALSE(IsValidDigest("sha256:"));
  EXPECT_FALSE(IsValidDigest(":abc"));
  EXPECT_TRUE(IsValidDigest("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"));
}

}  // namespace
}  // namespace capstan::image
