// Unit tests of core/agent/volumes.h and atomic_writer.h on a temporary directory: the atomic
// ..data swap, emptyDir, hostPath type checks, configMap/secret items and modes, downwardAPI,
// projected sources, optional sources, container mounts with subPath and readOnly, teardown.
#include "core/agent/volumes.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace capstan::agent {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Mode(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 0777);
}

class VolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capstan-volumes-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    pod_ = {{"metadata",
             {{"name", "p"}, {"namespace", "ns"}, {"uid", "u1"}, {"labels", {{"app", "web"}}}}},
            {"spec", {{"volumes", json::array()}}}};
    objects_["configmaps/cfg"] = {{"data", {{"a.conf", "A"}, {"b.conf", "B"}}}};
    objects_["secrets/sec"] = {{"data", {{"token", "czNjcjN0"}}}};  // s3cr3t
  }
  void TearDown() override {
    EXPECT_TRUE(TearDownVolumes(root_ + "/pods/u1").ok());  // unmounts the tmpfs volumes
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  VolumeContext Ctx() {
    VolumeContext ctx;
    ctx.pod_dir = root_ + "/pods/u1";
    ctx.facts.pod = &pod_;
    ctx.facts.pod_ip = "10.0.0.2";
    ctx.get = [this](const std::string& r, const std::string&, const std::string& n) {
      auto it = objects_.find(r + "/" + n);
      if (it == objects_.end()) return Result<json>(NotFoundError(n));
      return Result<json>(it->second);
    };
    return ctx;
  }
  void AddVolume(const json& v) { pod_["spec"]["volumes"].push_back(v); }

  std::string root_;
  json pod_;
  std::map<std::string, json> objects_;
};

TEST_F(VolumesTest, AtomicWriterSwapsDataAndKeepsUnchangedPayloads) {
  std::string dir = root_ + "/aw";
  bool changed = false;
  ASSERT_TRUE(WriteAtomic(dir, {{"a", "1", 0644}, {"sub/b", "2", 0600}}, &changed).ok());
  EXPECT_TRUE(changed);
  EXPECT_TRUE(fs::is_symlink(dir + "/..data"));
  EXPECT_TRUE(fs::is_symlink(dir + "/a"));
  EXPECT_EQ(fs::read_symlink(dir + "/a").string(), "..data/a");
  EXPECT_EQ(Read(dir + "/sub/b"), "2");
  EXPECT_EQ(Mode(dir + "/sub/b"), 0600);
  std::string first = fs::read_symlink(dir + "/..data").string();
  ASSERT_TRUE(WriteAtomic(dir, {{"a", "1", 0644}, {"sub/b", "2", 0600}}, &changed).ok());
  EXPECT_FALSE(changed);
  ASSERT_TRUE(WriteAtomic(dir, {{"a", "one", 0644}}, &changed).ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(Read(dir + "/a"), "one");
  EXPECT_FALSE(fs::exists(dir + "/sub"));       // stale top-level link removed
  EXPECT_FALSE(fs::exists(dir + "/" + first));  // old payload deleted
  EXPECT_FALSE(WriteAtomic(dir, {{"../escape", "x", 0644}}).ok());
  EXPECT_FALSE(WriteAtomic(dir, {{"/abs", "x", 0644}}).ok());
}

TEST_F(VolumesTest, ApiDataVolumesProjectKeysItemsModesAndDownwardFields) {
  AddVolume({{"name", "cfg"}, {"configMap", {{"name", "cfg"}, {"defaultMode", 0600}}}});
  AddVolume({{"name", "one"},
             {"configMap",
              {{"name", "cfg"},
               {"items", json::array({{{"key", "b.conf"}, {"path", "x/b"}, {"mode", 0400}}})}}}});
  AddVolume({{"name", "sec"}, {"secret", {{"secretName", "sec"}}}});
  AddVolume({{"name", "opt"}, {"secret", {{"secretName", "absent"}, {"optional", true}}}});
  AddVolume(
      {{"name", "dw"},
       {"downwardAPI",
        {{"items",
          json::array({{{"path", "labels"}, {"fieldRef", {{"fieldPath", "metadata.labels"}}}},
                       {{"path", "name"}, {"fieldRef", {{"fieldPath", "metadata.name"}}}}})}}}});
  AddVolume(
      {{"name", "proj"},
       {"projected",
        {{"sources",
          json::array(
              {{{"configMap",
                 {{"name", "cfg"}, {"items", json::array({{{"key", "a.conf"}, {"path", "a"}}})}}}},
               {{"secret", {{"name", "sec"}}}},
               {{"downwardAPI",
                 {{"items",
                   json::array({{{"path", "ns"},
                                 {"fieldRef", {{"fieldPath", "metadata.namespace"}}}}})}}}}})}}}});
  Result<PodVolumes> v = SetUpVolumes(Ctx());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  std::string cfg = v->paths["cfg"];
  EXPECT_EQ(cfg, root_ + "/pods/u1/volumes/kubernetes.io~configmap/cfg");
  EXPECT_EQ(Read(cfg + "/a.conf"), "A");
  EXPECT_EQ(Mode(cfg + "/a.conf"), 0600);
  EXPECT_EQ(Read(v->paths["one"] + "/x/b"), "B");
  EXPECT_EQ(Mode(v->paths["one"] + "/x/b"), 0400);
  EXPECT_FALSE(fs::exists(v->paths["one"] + "/a.conf"));
  EXPECT_EQ(Read(v->paths["sec"] + "/token"), "s3cr3t");
  for (const fs::directory_entry& e : fs::directory_iterator(v->paths["opt"])) {
    EXPECT_EQ(e.path().filename().string().rfind("..", 0), 0u) << e.path();  // only ..data
  }
  EXPECT_EQ(Read(v->paths["dw"] + "/labels"), "app=\"web\"");
  EXPECT_EQ(Read(v->paths["dw"] + "/name"), "p");
  EXPECT_EQ(Read(v->paths["proj"] + "/a"), "A");
  EXPECT_EQ(Read(v->paths["proj"] + "/token"), "s3cr3t");
  EXPECT_EQ(Read(v->paths["proj"] + "/ns"), "ns");
  // A changed object is picked up by the next call.
  objects_["configmaps/cfg"]["data"]["a.conf"] = "A2";
  ASSERT_TRUE(SetUpVolumes(Ctx()).ok());
  EXPECT_EQ(Read(cfg + "/a.conf"), "A2");
  Result<json> mounts = ContainerMounts(
      {{"volumeMounts",
        json::array({{{"name", "cfg"}, {"mountPath", "/etc/cfg"}},
                     {{"name", "sec"}, {"mountPath", "/s"}, {"subPath", "token"}}})}},
      *v, {});
  ASSERT_TRUE(mounts.ok());
  EXPECT_EQ((*mounts)[0],
            json({{"containerPath", "/etc/cfg"}, {"hostPath", cfg}, {"readonly", true}}));
  EXPECT_EQ((*mounts)[1]["hostPath"], v->paths["sec"] + "/token");
}

TEST_F(VolumesTest, MissingObjectFailsWithTheKubeletsFailedMountMessage) {
  AddVolume({{"name", "cfg"}, {"configMap", {{"name", "nope"}}}});
  Result<PodVolumes> v = SetUpVolumes(Ctx());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(v.status().message(),
            "MountVolume.SetUp failed for volume \"cfg\" : configmap \"nope\" not found");
}

struct HostPathCase {
  std::string type;
  std::string path;  // relative to the test root
  bool ok;
};

TEST_F(VolumesTest, HostPathTypesAreCheckedOrCreated) {
  fs::create_directories(root_ + "/dir");
  std::ofstream(root_ + "/file") << "x";
  for (const HostPathCase& c : std::vector<HostPathCase>{{"", "/nowhere", true},
                                                         {"Directory", "/dir", true},
                                                         {"Directory", "/file", false},
                                                         {"Directory", "/missing", false},
                                                         {"DirectoryOrCreate", "/new/d", true},
                                                         {"File", "/file", true},
                                                         {"File", "/dir", false},
                                                         {"FileOrCreate", "/newfile", true},
                                                         {"Socket", "/file", false},
                                                         {"CharDevice", "/dir", false}}) {
    pod_["spec"]["volumes"] =
        json::array({{{"name", "h"}, {"hostPath", {{"path", root_ + c.path}, {"type", c.type}}}}});
    Result<PodVolumes> v = SetUpVolumes(Ctx());
    EXPECT_EQ(v.ok(), c.ok) << c.type << " " << c.path << " " << v.status().ToString();
    if (v.ok()) {
      EXPECT_EQ(v->paths["h"], root_ + c.path);
    }
  }
  EXPECT_TRUE(fs::is_directory(root_ + "/new/d"));
  EXPECT_TRUE(fs::is_regular_file(root_ + "/newfile"));
}

TEST_F(VolumesTest, EmptyDirSubPathAndTeardownRemoveThePodDirectory) {
  AddVolume({{"name", "scratch"}, {"emptyDir", json::object()}});
  AddVolume({{"name", "mem"}, {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", "16Mi"}}}});
  Result<PodVolumes> v = SetUpVolumes(Ctx());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(fs::is_directory(v->paths["scratch"]));
  Result<json> mounts = ContainerMounts(
      {{"volumeMounts",
        json::array({{{"name", "scratch"}, {"mountPath", "/data"}, {"subPathExpr", "$(POD)/x"}},
                     {{"name", "mem"}, {"mountPath", "/m"}, {"readOnly", true}}})}},
      *v, {{"POD", "p"}});
  ASSERT_TRUE(mounts.ok());
  EXPECT_EQ((*mounts)[0]["hostPath"], v->paths["scratch"] + "/p/x");
  EXPECT_TRUE(fs::is_directory(v->paths["scratch"] + "/p/x"));
  EXPECT_EQ((*mounts)[1]["readonly"], true);
  EXPECT_FALSE(
      ContainerMounts(
          {{"volumeMounts",
            json::array({{{"name", "scratch"}, {"mountPath", "/d"}, {"subPath", "../up"}}})}},
          *v, {})
          .ok());
  EXPECT_FALSE(
      ContainerMounts({{"volumeMounts", json::array({{{"name", "nope"}, {"mountPath", "/d"}}})}},
                      *v, {})
          .ok());
  ASSERT_TRUE(TearDownVolumes(root_ + "/pods/u1").ok());
  EXPECT_FALSE(fs::exists(root_ + "/pods/u1"));
}

}  // namespace
}  // namespace capstan::agent
