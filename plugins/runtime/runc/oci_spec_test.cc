// Tests for the CRI -> OCI spec translation of the `runc` runtime (oci_spec.h), without runc:
// the command/args rule, env overlay, users, namespaces, mounts, resources and capabilities.
#include "oci_spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace capstan::plugins::runc_runtime {
namespace {

using sdk::json::Json;
using Strings = std::vector<std::string>;

TEST(ProcessArgsTest, FollowsTheKubernetesCommandAndArgsRule) {
  struct Case {
    const char* what;
    Strings entrypoint, cmd, command, args, want;
  };
  const std::vector<Case> cases = {
      {"image defaults", {"/ep"}, {"c1", "c2"}, {}, {}, {"/ep", "c1", "c2"}},
      {"args replace Cmd", {"/ep"}, {"c1"}, {}, {"a1"}, {"/ep", "a1"}},
      {"command drops Cmd", {"/ep"}, {"c1"}, {"/cmd"}, {}, {"/cmd"}},
      {"command and args", {"/ep"}, {"c1"}, {"/cmd"}, {"a1", "a2"}, {"/cmd", "a1", "a2"}},
      {"no entrypoint, Cmd only", {}, {"/bin/sh"}, {}, {}, {"/bin/sh"}},
      {"no entrypoint, args", {}, {"/bin/sh"}, {}, {"x"}, {"x"}},
      {"nothing at all", {}, {}, {}, {}, {}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ProcessArgs(c.entrypoint, c.cmd, c.command, c.args), c.want) << c.what;
  }
}

TEST(MergeEnvTest, PodValuesOverrideImageValuesInPlaceAndPathDefaults) {
  Json envs = Json::array({{{"key", "B"}, {"value", "pod"}}, {{"key", "C"}, {"value", "new"}}});
  EXPECT_EQ(MergeEnv({"A=1", "B=image"}, envs),
            (Strings{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1",
                     "B=pod", "C=new"}));
  EXPECT_EQ(MergeEnv({"PATH=/x"}, Json::array()), (Strings{"PATH=/x"}));
}

class BuildSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rootfs_ =
        std::filesystem::temp_directory_path() / ("oci-spec-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(rootfs_ / "etc");
    std::ofstream(rootfs_ / "etc/passwd") << "root:x:0:0::/root:/bin/sh\nweb:x:1000:1001::/:/x\n";
    std::ofstream(rootfs_ / "etc/group") << "root:x:0:\nstaff:x:50:\n";
  }
  void TearDown() override { std::filesystem::remove_all(rootfs_); }

  Json Config(const Json& extra = Json::object()) {
    Json c = {{"metadata", {{"name", "app"}}},
              {"rootfs", rootfs_.string()},
              {"imageConfig", {{"Cmd", {"/bin/sh"}}, {"Env", {"A=1"}}}}};
    c.update(extra);
    return c;
  }
  Json Build(const Json& config, const PodNamespacePaths& ns = {}) {
    Json spec;
    sdk::Status st = BuildSpec(config, ns, "capstan/sb/ctr", &spec);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return spec;
  }
  static std::vector<std::string> Types(const Json& spec) {
    std::vector<std::string> out;
    for (const Json& ns : spec["linux"]["namespaces"]) out.push_back(ns["type"]);
    return out;
  }

  std::filesystem::path rootfs_;
};

TEST_F(BuildSpecTest, UsersComeFromSecurityContextOrTheImage) {
  struct Case {
    const char* what;
    Json extra;
    int uid, gid;
  };
  const std::vector<Case> cases = {
      {"default root", Json::object(), 0, 0},
      {"runAsUser looks up its group",
       {{"linux", {{"securityContext", {{"runAsUser", {{"value", 1000}}}}}}}},
       1000,
       1001},
      {"runAsUser and runAsGroup",
       {{"linux",
         {{"securityContext", {{"runAsUser", {{"value", 7}}}, {"runAsGroup", {{"value", 8}}}}}}}},
       7,
       8},
      {"image numeric user:group", {{"imageConfig", {{"Cmd", {"x"}}, {"User", "5:6"}}}}, 5, 6},
      {"image user name", {{"imageConfig", {{"Cmd", {"x"}}, {"User", "web"}}}}, 1000, 1001},
      {"image user:group names",
       {{"imageConfig", {{"Cmd", {"x"}}, {"User", "web:staff"}}}},
       1000,
       50},
  };
  for (const Case& c : cases) {
    Json spec = Build(Config(c.extra));
    EXPECT_EQ(spec["process"]["user"]["uid"], c.uid) << c.what;
    EXPECT_EQ(spec["process"]["user"]["gid"], c.gid) << c.what;
  }
  Json spec;
  EXPECT_EQ(
      BuildSpec(Config({{"imageConfig", {{"Cmd", {"x"}}, {"User", "nobody"}}}}), {}, "p", &spec)
          .code(),
      CAPSTAN_RC_INVALID);
}

TEST_F(BuildSpecTest, ProcessGetsArgsEnvAndWorkingDirectory) {
  Json spec = Build(Config({{"command", {"/bin/echo"}},
                            {"args", {"hi"}},
                            {"envs", {{{"key", "A"}, {"value", "2"}}}},
                            {"workingDir", "/tmp"}}));
  EXPECT_EQ(spec["process"]["args"], Json({"/bin/echo", "hi"}));
  EXPECT_EQ(spec["process"]["env"][1], "A=2");
  EXPECT_EQ(spec["process"]["cwd"], "/tmp");
  EXPECT_EQ(Build(Config())["process"]["cwd"], "/");
  Json spec2;
  EXPECT_EQ(BuildSpec(Config({{"imageConfig", Json::object()}}), {}, "p", &spec2).code(),
            CAPSTAN_RC_INVALID);
}

TEST_F(BuildSpecTest, OnlyATtyContainerGetsATerminal) {
  EXPECT_EQ(Build(Config())["process"]["terminal"], false);
  EXPECT_EQ(Build(Config({{"stdin", true}}))["process"]["terminal"], false);
  EXPECT_EQ(Build(Config({{"stdin", true}, {"tty", true}}))["process"]["terminal"], true);
}

TEST_F(BuildSpecTest, PodNamespacesAreJoinedByPathAndHostOnesOmitted) {
  Json pod = Build(Config(), {"/s/net", "/s/ipc", "/s/uts", "web-0"});
  EXPECT_EQ(Types(pod), (Strings{"mount", "network", "ipc", "uts", "pid"}));
  EXPECT_EQ(pod["linux"]["namespaces"][1]["path"], "/s/net");
  EXPECT_EQ(pod["hostname"], "web-0");
  EXPECT_EQ(pod["linux"]["cgroupsPath"], "capstan/sb/ctr");
  Json host =
      Build(Config({{"linux", {{"securityContext", {{"namespaceOptions", {{"pid", 2}}}}}}}}),
            {"", "/s/ipc", "", ""});
  EXPECT_EQ(Types(host), (Strings{"mount", "ipc"}));
  EXPECT_FALSE(host.contains("hostname"));
}

TEST_F(BuildSpecTest, BindMountsHonourReadonlyAndReplaceDefaults) {
  Json spec =
      Build(Config({{"mounts",
                     {{{"containerPath", "/data"}, {"hostPath", "/srv/data"}, {"readonly", true}},
                      {{"containerPath", "/dev/shm"}, {"hostPath", "/srv/shm"}}}}}));
  auto find = [&](const std::string& dest) {
    for (const Json& m : spec["mounts"]) {
      if (m["destination"] == dest) return m;
    }
    return Json();
  };
  EXPECT_EQ(find("/data")["options"], Json({"rbind", "rprivate", "ro"}));
  EXPECT_EQ(find("/dev/shm")["source"], "/srv/shm");
  EXPECT_EQ(find("/proc")["type"], "proc");
  EXPECT_EQ(find("/sys")["options"].back(), "ro");
  size_t shm = std::count_if(spec["mounts"].begin(), spec["mounts"].end(),
                             [](const Json& m) { return m["destination"] == "/dev/shm"; });
  EXPECT_EQ(shm, 1u);
}

TEST_F(BuildSpecTest, ResourcesAndRootfsFlagsAreTranslated) {
  Json spec =
      Build(Config({{"linux",
                     {{"resources",
                       {{"cpuShares", 512},
                        {"cpuQuota", 50000},
                        {"cpuPeriod", 100000},
                        {"memoryLimitInBytes", 64 << 20},
                        {"pidsLimit", 100}}},
                      {"securityContext", {{"readonlyRootfs", true}, {"noNewPrivs", true}}}}}}));
  const Json& r = spec["linux"]["resources"];
  EXPECT_EQ(r["cpu"]["shares"], 512);
  EXPECT_EQ(r["cpu"]["quota"], 50000);
  EXPECT_EQ(r["cpu"]["period"], 100000);
  EXPECT_EQ(r["memory"]["limit"], 64 << 20);
  EXPECT_EQ(r["pids"]["limit"], 100);
  EXPECT_EQ(spec["root"]["readonly"], true);
  EXPECT_EQ(spec["root"]["path"], rootfs_.string());
  EXPECT_EQ(spec["process"]["noNewPrivileges"], true);
}

TEST_F(BuildSpecTest, CapabilitiesStartFromTheDefaultSet) {
  auto caps = [&](const Json& sc) {
    Json spec = Build(Config({{"linux", {{"securityContext", sc}}}}));
    return spec["process"]["capabilities"]["bounding"].get<Strings>();
  };
  auto has = [](const Strings& v, const char* c) {
    return std::find(v.begin(), v.end(), c) != v.end();
  };
  Strings def = caps(Json::object());
  EXPECT_EQ(def, DefaultCapabilities());
  Strings changed = caps(
      {{"capabilities", {{"addCapabilities", {"NET_ADMIN"}}, {"dropCapabilities", {"CHOWN"}}}}});
  EXPECT_TRUE(has(changed, "CAP_NET_ADMIN"));
  EXPECT_FALSE(has(changed, "CAP_CHOWN"));
  EXPECT_TRUE(caps({{"capabilities", {{"dropCapabilities", {"ALL"}}}}}).empty());
  Strings priv = caps({{"privileged", true}});
  EXPECT_TRUE(has(priv, "CAP_SYS_ADMIN"));
  Json spec = Build(Config({{"linux", {{"securityContext", {{"privileged", true}}}}}}));
  EXPECT_FALSE(spec["linux"].contains("maskedPaths"));
  EXPECT_EQ(spec["linux"]["resources"]["devices"][0]["allow"], true);
}

}  // namespace
}  // namespace capstan::plugins::runc_runtime
