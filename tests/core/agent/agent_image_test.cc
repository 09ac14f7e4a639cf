// Integration tests of the agent's image handling (core/agent/image_pull.cc) against a real
// Debian docker-registry on 127.0.0.1 serving a busybox image built with umoci and pushed with
// skopeo (helpers from tests/core/image/test_registry.h): pull, overlay rootfs and image config
// handed to the runtime, release on deletion; ErrImagePull then ImagePullBackOff for a missing
// image; ErrImageNeverPull; imagePullSecrets against an htpasswd registry. Needs root.
#include <unistd.h>

#include <filesystem>

#include "core/image/image_service.h"
#include "tests/core/agent/agent_fixture.h"
#include "tests/core/image/test_registry.h"

namespace capstan::agent {
namespace {

using client::testing::Eventually;
using image::testing::RegistryProcess;
using nlohmann::json;
namespace fs = std::filesystem;

std::string g_root, g_skip;
std::unique_ptr<RegistryProcess> g_registry, g_auth_registry;

class AgentImageTest : public testing::AgentFixture {
 protected:
  static void SetUpTestSuite() {
    AgentFixture::SetUpTestSuite();
    if (geteuid() != 0) {
      g_skip = "needs root (overlay mounts)";
      return;
    }
    for (const char* tool : {"docker-registry", "umoci", "skopeo", "busybox"}) {
      if (!image::testing::Shell(std::string("command -v ") + tool).ok()) {
        g_skip = std::string(tool) + " not installed (scripts/install-deps.sh)";
        return;
      }
    }
    char tmpl[] = "/tmp/capstan-agent-image-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    g_root = tmpl;
    fs::create_directories(g_root + "/reg1");
    fs::create_directories(g_root + "/reg2");
    auto reg = RegistryProcess::Start(g_root + "/reg1");
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    g_registry = std::move(*reg);
    auto auth = RegistryProcess::Start(
        g_root + "/reg2", "alice:$2b$05$1bqupkAEcwL403BCFuYsvOOJSDE6G/7xlVDv8fmcRywJJwmwwDVZe");
    ASSERT_TRUE(auth.ok()) << auth.status().ToString();
    g_auth_registry = std::move(*auth);
    std::string oci = g_root + "/oci";
    Status st = image::testing::BuildBusyboxImage(oci, "t");
    ASSERT_TRUE(st.ok()) << st.ToString();
    st = image::testing::PushImage(oci, "t", g_registry->HostPort(), "test/busybox", "v1");
    ASSERT_TRUE(st.ok()) << st.ToString();
    st = image::testing::PushImage(oci, "t", g_auth_registry->HostPort(), "private/busybox", "v1",
                                   "alice:s3cret");
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  static void TearDownTestSuite() {
    g_registry.reset();
    g_auth_registry.reset();
    if (!g_root.empty()) fs::remove_all(g_root);
    AgentFixture::TearDownTestSuite();
  }
  void SetUp() override {
    if (!g_skip.empty()) GTEST_SKIP() << g_skip;
    AgentFixture::SetUp();
    image::ImageServiceOptions io;
    io.data_dir = data_dir_ + "/images";
    Result<std::unique_ptr<image::ImageService>> images = image::ImageService::Open(io);
    ASSERT_TRUE(images.ok()) << images.status().ToString();
    images_ = std::move(*images);
    StartAgent([this](AgentOptions& o) { o.images = images_.get(); });
  }
  void TearDown() override {
    AgentFixture::TearDown();  // stops the agent before the image service goes
    images_.reset();
  }
  json ImagePod(const std::string& name, const std::string& image, const json& extra = {}) {
    json c = {{"name", "main"}, {"image", image}};
    for (auto it = extra.begin(); extra.is_object() && it != extra.end(); ++it) c[it.key()] = *it;
    return Pod(name, {{"containers", json::array({c})}});
  }
  std::string WaitingReason(const std::string& pod) {
    const json cs = GetPod(pod)["status"].value("containerStatuses", json::array());
    if (cs.empty() || !cs[0]["state"].contains("waiting")) return "";
    return cs[0]["state"]["waiting"].value("reason", "");
  }

  std::unique_ptr<image::ImageService> images_;
};

TEST_F(AgentImageTest, PullsTheImageAndHandsTheRuntimeARootfsAndImageConfig) {
  std::string image = g_registry->HostPort() + "/test/busybox:v1";
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", ImagePod("pulled", image)).ok());
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("pulled"), "Ready") == "True"; },
                         std::chrono::seconds(30)));
  json config = CreatedConfig("pulled", "main");
  ASSERT_TRUE(config.is_object());
  std::string rootfs = config.value("rootfs", "");
  ASSERT_FALSE(rootfs.empty());
  EXPECT_TRUE(fs::exists(rootfs + "/bin/busybox"));
  EXPECT_FALSE(fs::exists(rootfs + "/etc/removeme"));  // the upper layer's whiteout applied
  EXPECT_EQ(config["imageConfig"]["Cmd"], json::array({"/bin/sh"}));
  EXPECT_EQ(config["imageConfig"]["Env"], json::array({"PATH=/bin"}));
  Result<image::ImageRecord> record = images_->Get(image);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(GetPod("pulled")["status"]["containerStatuses"][0]["imageID"], record->id);
  EXPECT_TRUE(HasEvent("pulled", "Pulling: Pulling image \"" + image + "\""));
  EXPECT_TRUE(HasEvent("pulled", "Pulled: Successfully pulled image \"" + image + "\" in "));
  // A second pod with IfNotPresent reuses the local image.
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods",
                     ImagePod("cached", image, {{"imagePullPolicy", "IfNotPresent"}}))
                  .ok());
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("cached"), "Ready") == "True"; }));
  EXPECT_TRUE(
      HasEvent("cached", "Pulled: Container image \"" + image + "\" already present on machine"));
  ASSERT_TRUE(client_->Delete("/api/v1/namespaces/default/pods/pulled").ok());
  EXPECT_TRUE(Eventually([&] { return !fs::exists(rootfs); }));
}

TEST_F(AgentImageTest, MissingImageGoesFromErrImagePullToImagePullBackOff) {
  std::string image = g_registry->HostPort() + "/test/nothere:v1";
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", ImagePod("missing", image)).ok());
  bool saw_err = false, saw_backoff = false;
  EXPECT_TRUE(Eventually(
      [&] {
        std::string reason = WaitingReason("missing");
        saw_err = saw_err || reason == "ErrImagePull";
        saw_backoff = saw_backoff || reason == "ImagePullBackOff";
        return saw_err && saw_backoff;
      },
      std::chrono::seconds(20)));
  EXPECT_TRUE(HasEvent("missing", "Failed: Failed to pull image \"" + image + "\": "));
  EXPECT_TRUE(HasEvent("missing", "Failed: Error: ErrImagePull"));
  EXPECT_TRUE(HasEvent("missing", "BackOff: Back-off pulling image \"" + image + "\""));
  EXPECT_EQ(GetPod("missing")["status"]["phase"], "Pending");
}

TEST_F(AgentImageTest, NeverPolicyWithoutTheImageIsErrImageNeverPull) {
  std::string image = g_registry->HostPort() + "/test/busybox:absent";
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods",
                     ImagePod("never", image, {{"imagePullPolicy", "Never"}}))
                  .ok());
  EXPECT_TRUE(Eventually([&] { return WaitingReason("never") == "ErrImageNeverPull"; }));
}

TEST_F(AgentImageTest, ImagePullSecretsAuthenticateToAPrivateRegistry) {
  std::string host = g_auth_registry->HostPort();
  std::string image = host + "/private/busybox:v1";
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", ImagePod("nosecret", image)).ok());
  EXPECT_TRUE(Eventually([&] { return WaitingReason("nosecret") == "ErrImagePull"; },
                         std::chrono::seconds(20)));
  // {"auths": {host: {"auth": base64("alice:s3cret")}}}
  std::string docker_config = json({{"auths", {{host, {{"auth", "YWxpY2U6czNjcmV0"}}}}}}).dump();
  ASSERT_TRUE(Create("/api/v1/namespaces/default/secrets",
                     {{"apiVersion", "v1"},
                      {"kind", "Secret"},
                      {"metadata", {{"name", "regcred"}}},
                      {"type", "kubernetes.io/dockerconfigjson"},
                      {"stringData", {{".dockerconfigjson", docker_config}}}})
                  .ok());
  json pod = ImagePod("withsecret", image);
  pod["spec"]["imagePullSecrets"] = json::array({{{"name", "regcred"}}});
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", pod).ok());
  EXPECT_TRUE(Eventually([&] { return Condition(GetPod("withsecret"), "Ready") == "True"; },
                         std::chrono::seconds(30)));
}

}  // namespace
}  // namespace capstan::agent
