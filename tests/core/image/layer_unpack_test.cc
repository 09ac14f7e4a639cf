// Tests for core/image/layer_unpack.h (and tar_reader.h beneath it): metadata preservation,
// overlay-form whiteouts, diff IDs, and rejection of archives that try to escape the layer.
#include "core/image/layer_unpack.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/image/digest.h"
#include "tests/core/image/tar_builder.h"

namespace capstan::image {
namespace {

namespace fs = std::filesystem;
using testing::TarBuilder;

class LayerUnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (ownership, mknod, trusted xattrs)";
    char tmpl[] = "/tmp/capstan-unpack-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dest_ = root_ + "/dest";
    fs::create_directories(dest_);
  }
  void TearDown() override {
    if (!root_.empty()) fs::remove_all(root_);
  }
  std::string WriteBlob(const std::string& bytes) {
    std::string path = root_ + "/blob" + std::to_string(++n_);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  Result<UnpackResult> Unpack(const std::string& bytes) {
    return UnpackLayer(WriteBlob(bytes), dest_);
  }

  std::string root_, dest_;
  int n_ = 0;
};

TEST_F(LayerUnpackTest, PreservesModesOwnershipSymlinksAndHardLinks) {
  TarBuilder t;
  t.Dir("./bin/", 0750)
      .File("./bin/tool", "#!/bin/sh\n", 04755, 1000, 1001)
      .Symlink("./bin/sh", "tool")
      .Symlink("./bin/abs", "/etc/passwd")
      .HardLink("./bin/tool2", "bin/tool")
      .File("deep/implicit/parent.txt", "x")
      .PaxPath("long/" + std::string(150, 'n') + "/file")
      .File("placeholder", "long-content");
  auto r = Unpack(t.Gzip());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->diff_id, Sha256Digest(t.Tar()));
  struct stat st;
  ASSERT_EQ(stat((dest_ + "/bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_nlink, 2u);  // bin/tool2 is a hard link
  ASSERT_EQ(stat((dest_ + "/bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(fs::read_symlink(dest_ + "/bin/sh"), "tool");
  EXPECT_EQ(fs::read_symlink(dest_ + "/bin/abs"), "/etc/passwd");
  EXPECT_TRUE(fs::exists(dest_ + "/deep/implicit/parent.txt"));
  std::ifstream in(dest_ + "/long/" + std::string(150, 'n') + "/file");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "long-content");
}

TEST_F(LayerUnpackTest, ConvertsWhiteoutsToOverlayMarkers) {
  TarBuilder t;
  t.File("etc/.wh.removed", "").Dir("var/cache/").File("var/cache/.wh..wh..opq", "");
  auto r = Unpack(t.Tar());  // uncompressed layers are valid too
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  struct stat st;
  ASSERT_EQ(lstat((dest_ + "/etc/removed").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(fs::exists(dest_ + "/etc/.wh.removed"));
  char v[4] = {0};
  EXPECT_EQ(lgetxattr((dest_ + "/var/cache").c_str(), kOverlayOpaqueXattr, v, sizeof(v)), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_FALSE(fs::exists(dest_ + "/var/cache/.wh..wh..opq"));
}

TEST_F(LayerUnpackTest, RejectsDotDotPaths) {
  auto r = Unpack(TarBuilder().File("../escaped", "pwned").Tar());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
  EXPECT_NE(r.status().message().find("escapes"), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ + "/escaped"));
}

TEST_F(LayerUnpackTest, RejectsWritingThroughASymlinkToOutside) {
  fs::create_directories(root_ + "/outside");
  auto r = Unpack(TarBuilder().Symlink("link", root_ + "/outside").File("link/pwned", "x").Tar());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("symlink"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(root_ + "/outside/pwned"));
}

TEST_F(LayerUnpackTest, RejectsRelativeSymlinkEscapesAndHardLinksOutside) {
  auto rel = Unpack(TarBuilder().Symlink("up", "../..").File("up/pwned", "x").Tar());
  EXPECT_FALSE(rel.ok());
  EXPECT_FALSE(fs::exists(root_ + "/pwned"));
  fs::remove_all(dest_);
  fs::create_directories(dest_);
  auto hard = Unpack(TarBuilder().HardLink("passwd", "../../../../etc/passwd").Tar());
  ASSERT_FALSE(hard.ok());
  EXPECT_EQ(hard.status().code(), StatusCode::kInvalid);
}

TEST_F(LayerUnpackTest, ConfinesAbsoluteEntryNamesToTheLayer) {
  auto r = Unpack(TarBuilder().File("/etc/confined", "ok").Tar());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(fs::exists(dest_ + "/etc/confined"));
}

TEST_F(LayerUnpackTest, RejectsCorruptData) {
  std::string gz = TarBuilder().File("a", std::string(5000, 'a')).Gzip();
  auto truncated = Unpack(gz.substr(0, gz.size() / 2));
  EXPECT_EQ(truncated.status().code(), StatusCode::kInvalid);
  std::string tar = TarBuilder().File("a", "b").Tar();
  tar[0] = 'z';  // breaks the header checksum
  auto bad = Unpack(tar);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalid);
  EXPECT_NE(bad.status().message().find("checksum"), std::string::npos);
  auto zstd = Unpack(std::string("\x28\xb5\x2f\xfd", 4) + "rest");
  EXPECT_EQ(zstd.status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace capstan::image
