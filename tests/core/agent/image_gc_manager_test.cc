// Tests of image garbage collection (core/agent/image_gc_manager.h) against a real image store
// filled from a real Debian docker-registry on 127.0.0.1 (helpers from
// tests/core/image/test_registry.h), with the disk usage and the clock injected so thresholds
// and ages are crossed deterministically (and once on a real tmpfs with statvfs): the pass
// itself, then through a running agent whose pod keeps its image. Needs root (overlay rootfs,
// tmpfs), docker-registry, umoci, skopeo, busybox.
#include "core/agent/image_gc_manager.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "core/image/image_service.h"
#include "core/image/reference.h"
#include "tests/core/agent/agent_fixture.h"
#include "tests/core/image/test_registry.h"

namespace capstan::agent {
namespace {

using client::testing::Eventually;
using image::testing::RegistryProcess;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr int64_t kGiB = int64_t{1} << 30;

// One registry for the binary holding test/gc-<v>:v1 for v in a..d: busybox plus one layer of
// 64 KiB random bytes of its own, so removing one image frees a layer no other image shares.
class RegistryEnv : public ::testing::Environment {
 public:
  void SetUp() override {
    if (geteuid() != 0) {
      skip = "needs root (overlay mounts)";
      return;
    }
    for (const char* tool : {"docker-registry", "umoci", "skopeo", "busybox"}) {
      if (!image::testing::Shell(std::string("command -v ") + tool).ok()) {
        skip = std::string(tool) + " not installed (scripts/install-deps.sh)";
        return;
      }
    }
    char tmpl[] = "/tmp/capstan-image-gc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root = tmpl;
    fs::create_directories(root + "/reg");
    auto reg = RegistryProcess::Start(root + "/reg");
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    registry = std::move(*reg);
    std::string oci = root + "/oci";
    Status st = image::testing::BuildBusyboxImage(oci, "base");
    ASSERT_TRUE(st.ok()) << st.ToString();
    for (std::string v : {"a", "b", "c", "d"}) {
      auto made = image::testing::Shell("set -e; head -c 65536 /dev/urandom > " + root + "/" + v +
                                        "; umoci insert --image " + oci + ":base --tag " + v + " " +
                                        root + "/" + v + " /data/" + v);
      ASSERT_TRUE(made.ok()) << made.status().ToString();
      st = image::testing::PushImage(oci, v, registry->HostPort(), "test/gc-" + v, "v1");
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }
  void TearDown() override {
    registry.reset();
    if (!root.empty()) fs::remove_all(root);
  }
  std::string Image(const std::string& v) const {
    return registry->HostPort() + "/test/gc-" + v + ":v1";
  }

  std::string skip, root;
  std::unique_ptr<RegistryProcess> registry;
};

RegistryEnv* const g_env =
    static_cast<RegistryEnv*>(::testing::AddGlobalTestEnvironment(new RegistryEnv));

// The filesystem as the image service and the collector both see it.
struct FakeDisk {
  std::atomic<int64_t> capacity{100 * kGiB};
  std::atomic<int64_t> used{50 * kGiB};
  void Set(int64_t c, int64_t u) {
    capacity = c;
    used = u;
  }
  image::DiskUsage Usage() const { return {capacity.load(), capacity.load() - used.load()}; }
};

class ImageGcManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!g_env->skip.empty()) GTEST_SKIP() << g_env->skip;
    char tmpl[] = "/tmp/capstan-image-gc-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    image::ImageServiceOptions io;
    io.data_dir = dir_;
    io.disk_usage = [this] { return disk_.Usage(); };
    io.now = [this] { return now_.load(); };
    auto images = image::ImageService::Open(io);
    ASSERT_TRUE(images.ok()) << images.status().ToString();
    images_ = std::move(*images);
  }
  void TearDown() override {
    images_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  ImageGcManager Manager(ImageGcOptions o = {}) {
    return ImageGcManager(
        o, {images_.get(), [this] { return disk_.Usage(); }, [this] { return now_.load(); },
            [this](bool warning, const std::string& reason, const std::string&) {
              events_.push_back((warning ? "Warning " : "Normal ") + reason);
            }});
  }
  // Pulls image `v` at unix second `at`.
  image::ImageRecord Pull(const std::string& v, int64_t at) {
    now_ = at;
    auto rec = images_->Pull(g_env->Image(v), {});
    EXPECT_TRUE(rec.ok()) << rec.status().ToString();
    return rec.ok() ? *rec : image::ImageRecord{};
  }
  bool Present(const std::string& v) { return images_->Get(g_env->Image(v)).ok(); }
  // The normalized reference a pod spec naming image `v` resolves to.
  static std::string Ref(const std::string& v) {
    return image::ParseReference(g_env->Image(v))->String();
  }

  std::string dir_;
  FakeDisk disk_;
  std::atomic<int64_t> now_{1'000'000};
  std::unique_ptr<image::ImageService> images_;
  std::vector<std::string> events_;
};

TEST_F(ImageGcManagerTest, BelowTheHighThresholdNothingIsRemoved) {
  Pull("a", 1000);
  Pull("b", 1000);
  now_ = 100'000;  // both long past the minimum age
  disk_.Set(100, 84);
  ImageGcManager gc = Manager();
  Result<ImageGcOutcome> pass = gc.RunOnce({});
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  EXPECT_FALSE(pass->over_high_threshold);
  EXPECT_TRUE(pass->gc.removed_images.empty());
  EXPECT_TRUE(Present("a"));
  EXPECT_TRUE(Present("b"));
  EXPECT_TRUE(events_.empty());
}

TEST_F(ImageGcManagerTest, FreesTheLeastRecentlyUsedUnusedImageButNeverAnInUseOrYoungOne) {
  image::ImageRecord a = Pull("a", 1000);  // the oldest, but a pod uses it
  image::ImageRecord b = Pull("b", 1010);
  Pull("d", 1020);
  Pull("c", 1100);  // 50 s old at the pass: younger than the 2 min minimum age
  now_ = 1150;
  disk_.Set(100, 85);  // at the high threshold; 5 bytes to free, which one image frees
  ImageGcManager gc = Manager();
  Result<ImageGcOutcome> pass = gc.RunOnce({Ref("a")});
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  EXPECT_TRUE(pass->over_high_threshold);
  EXPECT_EQ(pass->bytes_to_free, 5);
  EXPECT_EQ(pass->gc.removed_images, std::vector<std::string>{b.id});
  EXPECT_GE(pass->gc.bytes_freed, 65536);
  EXPECT_TRUE(pass->low_threshold_reached);
  EXPECT_TRUE(Present("a"));
  EXPECT_FALSE(Present("b"));
  EXPECT_TRUE(Present("c"));
  EXPECT_TRUE(Present("d"));  // the low threshold was reached without it
  EXPECT_TRUE(events_.empty());
  // In use by image ID (a running container's imageID) protects it just as well.
  now_ = 100'000;
  pass = gc.RunOnce({a.id});
  ASSERT_TRUE(pass.ok());
  EXPECT_TRUE(Present("a"));
  EXPECT_FALSE(Present("d"));
}

TEST_F(ImageGcManagerTest, AYoungImageIsCollectedOnceOlderThanTheMinimumAge) {
  Pull("c", 5000);
  disk_.Set(100, 90);
  ImageGcOptions o;
  o.minimum_age = std::chrono::seconds(120);
  ImageGcManager gc = Manager(o);
  now_ = 5119;
  ASSERT_TRUE(gc.RunOnce({}).ok());
  EXPECT_TRUE(Present("c"));
  now_ = 5121;
  Result<ImageGcOutcome> pass = gc.RunOnce({});
  ASSERT_TRUE(pass.ok());
  EXPECT_EQ(pass->gc.removed_images.size(), 1u);
  EXPECT_FALSE(Present("c"));
}

TEST_F(ImageGcManagerTest, RecordsFreeDiskSpaceFailedWhenTheLowThresholdIsOutOfReach) {
  Pull("a", 1000);
  Pull("b", 1000);
  now_ = 100'000;
  disk_.Set(100 * kGiB, 95 * kGiB);  // 15 GiB to free; the images hold a few MiB
  ImageGcManager gc = Manager();
  Result<ImageGcOutcome> pass = gc.RunOnce({Ref("a")});
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  EXPECT_FALSE(pass->low_threshold_reached);
  EXPECT_EQ(pass->gc.removed_images.size(), 1u);
  EXPECT_TRUE(Present("a"));
  EXPECT_FALSE(Present("b"));
  EXPECT_EQ(events_, std::vector<std::string>{"Warning FreeDiskSpaceFailed"});
}

TEST_F(ImageGcManagerTest, AHighThresholdOf100DisablesCollection) {
  Pull("b", 1000);
  now_ = 100'000;
  disk_.Set(100, 100);
  ImageGcOptions o;
  o.high_threshold_percent = 100;
  ImageGcManager gc = Manager(o);
  Result<ImageGcOutcome> pass = gc.RunOnce({});
  ASSERT_TRUE(pass.ok());
  EXPECT_FALSE(pass->over_high_threshold);
  EXPECT_TRUE(Present("b"));
}

TEST_F(ImageGcManagerTest, AZeroCapacityIsReportedAsInvalidDiskCapacity) {
  disk_.Set(0, 0);
  ImageGcManager gc = Manager();
  Result<ImageGcOutcome> pass = gc.RunOnce({});
  EXPECT_EQ(pass.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(events_, std::vector<std::string>{"Warning InvalidDiskCapacity"});
}

// A tmpfs the test mounts, unmounted and removed however the test ends.
struct SmallFilesystem {
  explicit SmallFilesystem(const std::string& size) {
    char tmpl[] = "/tmp/capstan-image-gc-fs-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir = tmpl;
    mounted = image::testing::Shell("mount -t tmpfs -o size=" + size + " tmpfs " + dir).ok();
  }
  ~SmallFilesystem() {
    if (mounted) (void)image::testing::Shell("umount " + dir);
    if (!dir.empty()) fs::remove_all(dir);
  }
  std::string dir;
  bool mounted = false;
};

TEST_F(ImageGcManagerTest, OnARealFilesystemUnusedImagesGoUntilUsageIsBelowTheLowThreshold) {
  SmallFilesystem small("8m");
  ASSERT_TRUE(small.mounted);
  image::ImageServiceOptions io;  // statvfs and time(2): nothing injected
  io.data_dir = small.dir + "/images";
  auto opened = image::ImageService::Open(io);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<image::ImageService> images = std::move(*opened);
  for (std::string v : {"a", "b", "c", "d"}) ASSERT_TRUE(images->Pull(g_env->Image(v), {}).ok());
  image::DiskUsage before = FilesystemUsage(small.dir);
  ASSERT_GT(before.capacity_bytes, 0);
  int64_t used = before.capacity_bytes - before.available_bytes;
  // High at today's usage, low one percent (84 KiB) below: one or two of the three unused
  // images (about 130 KiB each) must go.
  ImageGcOptions o;
  o.high_threshold_percent = static_cast<int>(used * 100 / before.capacity_bytes);
  o.low_threshold_percent = o.high_threshold_percent - 1;
  o.minimum_age = std::chrono::seconds(0);
  ImageGcManager gc(o, {images.get(), nullptr, nullptr,
                        [this](bool, const std::string& reason, const std::string&) {
                          events_.push_back(reason);
                        }});
  Result<ImageGcOutcome> pass = gc.RunOnce({Ref("a")});
  ASSERT_TRUE(pass.ok()) << pass.status().ToString();
  EXPECT_TRUE(pass->over_high_threshold);
  EXPECT_TRUE(pass->low_threshold_reached);
  EXPECT_GE(pass->gc.removed_images.size(), 1u);
  EXPECT_LE(pass->gc.removed_images.size(), 2u);
  EXPECT_TRUE(images->Get(g_env->Image("a")).ok());
  image::DiskUsage after = FilesystemUsage(small.dir);
  EXPECT_LE(after.capacity_bytes - after.available_bytes,
            after.capacity_bytes * o.low_threshold_percent / 100);
  EXPECT_TRUE(events_.empty());
}

TEST(ImageGcOptionsTest, ValidationMatchesTheKubeletsRules) {
  struct Case {
    int high, low;
    int64_t period_ms, min_age_s;
    bool ok;
    std::string mention;
  };
  const Case cases[] = {
      {85, 80, 300'000, 120, true, ""},
      {100, 80, 300'000, 120, true, ""},  // disabled, still valid
      {101, 80, 300'000, 120, false, "--image-gc-high-threshold"},
      {85, -1, 300'000, 120, false, "--image-gc-low-threshold"},
      {80, 80, 300'000, 120, false, "must be below"},
      {70, 80, 300'000, 120, false, "must be below"},
      {85, 80, 0, 120, false, "--image-gc-period"},
      {85, 80, 300'000, -1, false, "--image-minimum-gc-age"},
  };
  for (const Case& c : cases) {
    ImageGcOptions o;
    o.high_threshold_percent = c.high;
    o.low_threshold_percent = c.low;
    o.period = std::chrono::milliseconds(c.period_ms);
    o.minimum_age = std::chrono::seconds(c.min_age_s);
    Status s = ValidateImageGcOptions(o);
    EXPECT_EQ(s.ok(), c.ok) << c.high << "/" << c.low << ": " << s.ToString();
    if (!c.ok) {
      EXPECT_NE(s.message().find(c.mention), std::string::npos) << s.message();
    }
  }
}

TEST(ImageGcOptionsTest, FilesystemUsageReadsTheRealFilesystem) {
  image::DiskUsage tmp = FilesystemUsage("/tmp");
  EXPECT_GT(tmp.capacity_bytes, 0);
  EXPECT_LE(tmp.available_bytes, tmp.capacity_bytes);
  image::DiskUsage none = FilesystemUsage("/nonexistent/capstan-image-gc");
  EXPECT_EQ(none.capacity_bytes, 0);
}

// The agent runs passes on its own queue and derives "in use" from the pods bound to it.
class AgentImageGcTest : public testing::AgentFixture {
 protected:
  void SetUp() override {
    if (!g_env->skip.empty()) GTEST_SKIP() << g_env->skip;
    AgentFixture::SetUp();
    image::ImageServiceOptions io;
    io.data_dir = data_dir_ + "/images";
    io.disk_usage = [this] { return disk_.Usage(); };
    auto images = image::ImageService::Open(io);
    ASSERT_TRUE(images.ok()) << images.status().ToString();
    images_ = std::move(*images);
  }
  void Start(std::chrono::milliseconds period) {
    StartAgent([this, period](AgentOptions& o) {
      o.images = images_.get();
      o.image_disk_usage = [this] { return disk_.Usage(); };
      o.image_gc.period = period;
      o.image_gc.minimum_age = std::chrono::seconds(0);
    });
  }
  void TearDown() override {
    AgentFixture::TearDown();  // stops the agent before the image service goes
    images_.reset();
  }
  bool NodeHasEvent(const std::string& reason) {
    Result<json> list = client_->Get("/api/v1/namespaces/default/events");
    if (!list.ok()) return false;
    for (const json& e : (*list)["items"]) {
      if (e["involvedObject"].value("kind", "") == "Node" &&
          e["involvedObject"].value("name", "") == node_ && e.value("reason", "") == reason &&
          e.value("type", "") == "Warning") {
        return true;
      }
    }
    return false;
  }

  FakeDisk disk_;
  std::unique_ptr<image::ImageService> images_;
};

TEST_F(AgentImageGcTest, CollectsUnusedImagesButKeepsTheRunningPodsImage) {
  Start(std::chrono::milliseconds(50));
  json pod = Pod("user", {{"containers", json::array({{{"name", "main"},
                                                       {"image", g_env->Image("a")},
                                                       {"imagePullPolicy", "IfNotPresent"}}})}});
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", pod).ok());
  ASSERT_TRUE(Eventually([&] { return Condition(GetPod("user"), "Ready") == "True"; },
                         std::chrono::seconds(20)));
  ASSERT_TRUE(images_->Pull(g_env->Image("b"), {}).ok());  // on the node, used by no pod
  disk_.Set(100, 85);
  EXPECT_TRUE(Eventually([&] { return !images_->Get(g_env->Image("b")).ok(); }));
  EXPECT_TRUE(images_->Get(g_env->Image("a")).ok());
  EXPECT_FALSE(NodeHasEvent("FreeDiskSpaceFailed"));
  // Nothing left to free but the pod's image: the node says so, the image stays.
  disk_.Set(100 * kGiB, 95 * kGiB);
  EXPECT_TRUE(Eventually([&] { return NodeHasEvent("FreeDiskSpaceFailed"); }));
  EXPECT_TRUE(images_->Get(g_env->Image("a")).ok());
  EXPECT_EQ(Condition(GetPod("user"), "Ready"), "True");
}

TEST_F(AgentImageGcTest, APullFailingWithTheDiskOverTheHighThresholdRunsAPassAtOnce) {
  Start(std::chrono::hours(1));  // no periodic pass during the test
  ASSERT_TRUE(images_->Pull(g_env->Image("b"), {}).ok());
  disk_.Set(100, 85);
  std::string missing = g_env->registry->HostPort() + "/test/nothere:v1";
  json pod = Pod("stuck", {{"containers", json::array({{{"name", "main"}, {"image", missing}}})}});
  ASSERT_TRUE(Create("/api/v1/namespaces/default/pods", pod).ok());
  EXPECT_TRUE(Eventually([&] { return !images_->Get(g_env->Image("b")).ok(); }));
}

}  // namespace
}  // namespace capstan::agent
