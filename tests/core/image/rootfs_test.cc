// Tests for core/image/rootfs.h: the copying fallback stacks layers honouring whiteouts, and
// (as root, where overlayfs exists) the overlay mount shows the same merged view.
#include "core/image/rootfs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/image/layer_unpack.h"
#include "tests/core/image/tar_builder.h"

namespace capstan::image {
namespace {

namespace fs = std::filesystem;
using testing::TarBuilder;

class RootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/capstan-rootfs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    lower_ = UnpackInto("l1", TarBuilder()
                                  .File("etc/keep", "keep")
                                  .File("etc/gone", "gone")
                                  .File("cache/old", "old")
                                  .Symlink("bin", "usr/bin"));
    upper_ = UnpackInto("l2", TarBuilder()
                                  .File("etc/.wh.gone", "")
                                  .Dir("cache/")
                                  .File("cache/.wh..wh..opq", "")
                                  .File("cache/new", "new"));
  }
  void TearDown() override {
    if (root_.empty()) return;
    (void)UnmountRootfs(root_ + "/merged");
    fs::remove_all(root_);
  }
  std::string UnpackInto(const std::string& name, const TarBuilder& t) {
    std::string blob = root_ + "/" + name + ".tar", dir = root_ + "/" + name;
    std::ofstream(blob, std::ios::binary) << t.Tar();
    fs::create_directories(dir);
    auto r = UnpackLayer(blob, dir);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return dir;
  }
  void ExpectMergedView(const std::string& dir) {
    EXPECT_TRUE(fs::exists(dir + "/etc/keep"));
    EXPECT_FALSE(fs::exists(fs::symlink_status(dir + "/etc/gone")));
    EXPECT_FALSE(fs::exists(dir + "/cache/old"));
    EXPECT_TRUE(fs::exists(dir + "/cache/new"));
    EXPECT_EQ(fs::read_symlink(dir + "/bin"), "usr/bin");
  }
  std::string root_, lower_, upper_;
};

TEST_F(RootfsTest, CopyFallbackAppliesWhiteoutsAndOpaqueDirectories) {
  ASSERT_TRUE(CopyLayers({lower_, upper_}, root_ + "/copy").ok());
  ExpectMergedView(root_ + "/copy");
}

TEST_F(RootfsTest, OverlayMountShowsTheMergedLayersAndUnmounts) {
  if (!OverlaySupported()) GTEST_SKIP() << "overlayfs not available";
  std::string merged = root_ + "/merged";
  Status s = MountOverlay({lower_, upper_}, root_ + "/upper", root_ + "/work", merged);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(IsMountPoint(merged));
  ExpectMergedView(merged);
  std::ofstream(merged + "/etc/written") << "cow";
  EXPECT_TRUE(fs::exists(root_ + "/upper/etc/written"));  // copy-on-write into the upperdir
  EXPECT_FALSE(fs::exists(lower_ + "/etc/written"));
  ASSERT_TRUE(UnmountRootfs(merged).ok());
  EXPECT_FALSE(IsMountPoint(merged));
  EXPECT_TRUE(UnmountRootfs(merged).ok());  // idempotent
}

TEST_F(RootfsTest, OverlayRejectsPathsWithOptionSeparators) {
  Status s = MountOverlay({lower_ + ",x"}, root_ + "/u", root_ + "/w", root_ + "/m");
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_EQ(MountOverlay({}, "u", "w", "m").code(), StatusCode::kInvalid);
}

}  // namespace
}  // namespace capstan::image
