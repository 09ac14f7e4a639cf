// Tests for sdk/examples/example-tmpdir (csi): identity, create/delete under the configured root,
// and publish/unpublish as a symlink at the target path, in a fresh temporary directory.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "sdk/examples/example-tmpdir/tmpdir_csi.h"
#include "tests/sdk/examples/schema_check.h"

namespace capstan::examples {
namespace {

namespace fs = std::filesystem;
using sdk::json::Json;
using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;

class ExampleTmpDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "capstan-tmpdir-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    config_ = Json{{"root", (dir_ / "volumes").string()}, {"nodeId", "node-9"}}.dump();
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string config_;
  FakeHost host_;
};

TEST_F(ExampleTmpDirTest, ConfigsAreCheckedAgainstTheSchemaAndRootIsCreated) {
  EXPECT_EQ(testing::SchemaErrors(kTmpDirCsiSchema, config_), "");
  EXPECT_NE(testing::SchemaErrors(kTmpDirCsiSchema, R"({"root":""})"), "");
  TestPlugin<TmpDirCsi> p(host_, config_);
  ASSERT_TRUE(p.init().ok()) << p.init().error;
  EXPECT_TRUE(fs::is_directory(dir_ / "volumes"));
  FakeHost other;
  EXPECT_EQ(TestPlugin<TmpDirCsi>(other, R"({"root":"relative/path"})").init().rc,
            CAPSTAN_RC_INVALID);
}

TEST_F(ExampleTmpDirTest, IdentityAndCapabilities) {
  TestPlugin<TmpDirCsi> p(host_, config_);
  EXPECT_EQ(Json::parse(p.Csi(&capstan_csi_v1::on_get_plugin_info, "{}").output),
            Json::parse(R"({"name":"example-tmpdir.csi.capstan.io","vendorVersion":"0.1.0"})"));
  EXPECT_EQ(p.Csi(&capstan_csi_v1::on_probe, "").output, R"({"ready":true})");
  EXPECT_EQ(Json::parse(p.Csi(&capstan_csi_v1::on_node_get_info, "{}").output)["nodeId"], "node-9");
  EXPECT_NE(p.Csi(&capstan_csi_v1::on_controller_get_capabilities, "{}")
                .output.find("CREATE_DELETE_VOLUME"),
            std::string::npos);
  // Not implemented RPCs are NULL, so the host sees UNIMPLEMENTED without calling in.
  auto* vt = p.Vtable<capstan_csi_v1>(CAPSTAN_KIND_CSI);
  EXPECT_EQ(vt->on_node_stage_volume, nullptr);
  EXPECT_EQ(vt->on_controller_publish_volume, nullptr);
}

TEST_F(ExampleTmpDirTest, CreateIsIdempotentAndDeleteRemovesTheDirectory) {
  TestPlugin<TmpDirCsi> p(host_, config_);
  const std::string create = R"({"name":"pvc-1","capacityRange":{"requiredBytes":"1048576"}})";
  Outcome o = p.Csi(&capstan_csi_v1::on_create_volume, create);
  ASSERT_TRUE(o.ok()) << o.error;
  Json volume = Json::parse(o.output)["volume"];
  EXPECT_EQ(volume["volumeId"], "pvc-1");
  EXPECT_EQ(volume["capacityBytes"], "1048576");
  EXPECT_TRUE(fs::is_directory(dir_ / "volumes" / "pvc-1"));
  EXPECT_TRUE(p.Csi(&capstan_csi_v1::on_create_volume, create).ok());
  EXPECT_EQ(p.Csi(&capstan_csi_v1::on_create_volume,
                  R"({"name":"pvc-1","capacityRange":{"requiredBytes":2}})")
                .rc,
            CAPSTAN_RC_ALREADY_EXISTS);

  EXPECT_TRUE(p.Csi(&capstan_csi_v1::on_delete_volume, R"({"volumeId":"pvc-1"})").ok());
  EXPECT_FALSE(fs::exists(dir_ / "volumes" / "pvc-1"));
  EXPECT_TRUE(p.Csi(&capstan_csi_v1::on_delete_volume, R"({"volumeId":"pvc-1"})").ok());
}

TEST_F(ExampleTmpDirTest, VolumeNamesCannotEscapeTheRoot) {
  TestPlugin<TmpDirCsi> p(host_, config_);
  for (const char* name : {"..", "a/b", "", "x y"}) {
    Json req = {{"name", name}};
    EXPECT_EQ(p.Csi(&capstan_csi_v1::on_create_volume, req.dump()).rc, CAPSTAN_RC_INVALID) << name;
  }
  EXPECT_EQ(p.Csi(&capstan_csi_v1::on_delete_volume, R"({"volumeId":"../volumes"})").rc,
            CAPSTAN_RC_INVALID);
  EXPECT_TRUE(fs::is_directory(dir_ / "volumes"));
}

TEST_F(ExampleTmpDirTest, PublishLinksTheTargetAndUnpublishRemovesIt) {
  TestPlugin<TmpDirCsi> p(host_, config_);
  ASSERT_TRUE(p.Csi(&capstan_csi_v1::on_create_volume, R"({"name":"v1"})").ok());
  fs::path target = dir_ / "pods" / "uid" / "volumes" / "v1";
  fs::create_directories(target);  // as a kubelet would: an empty directory
  Json publish = {{"volumeId", "v1"}, {"targetPath", target.string()}};
  ASSERT_TRUE(p.Csi(&capstan_csi_v1::on_node_publish_volume, publish.dump()).ok());
  EXPECT_TRUE(fs::is_symlink(target));
  EXPECT_EQ(fs::read_symlink(target), dir_ / "volumes" / "v1");
  EXPECT_TRUE(p.Csi(&capstan_csi_v1::on_node_publish_volume, publish.dump()).ok());

  Json other = {{"volumeId", "v2"}, {"targetPath", target.string()}};
  EXPECT_EQ(p.Csi(&capstan_csi_v1::on_node_publish_volume, other.dump()).rc, CAPSTAN_RC_NOT_FOUND);
  ASSERT_TRUE(p.Csi(&capstan_csi_v1::on_create_volume, R"({"name":"v2"})").ok());
  EXPECT_EQ(p.Csi(&capstan_csi_v1::on_node_publish_volume, other.dump()).rc,
            CAPSTAN_RC_ALREADY_EXISTS);

  Json unpublish = {{"volumeId", "v1"}, {"targetPath", target.string()}};
  ASSERT_TRUE(p.Csi(&capstan_csi_v1::on_node_unpublish_volume, unpublish.dump()).ok());
  EXPECT_FALSE(fs::exists(fs::symlink_status(target)));
  EXPECT_TRUE(fs::is_directory(dir_ / "volumes" / "v1"));  // data stays with the volume
  EXPECT_TRUE(p.Csi(&capstan_csi_v1::on_node_unpublish_volume, unpublish.dump()).ok());
}

}  // namespace
}  // namespace capstan::examples
