// End-to-end tests for core/image against a real Debian docker-registry on 127.0.0.1 serving a
// busybox image built here with umoci and pushed with skopeo: pulls by tag, by digest and
// through a docker.io mirror; whiteouts applied; an overlay rootfs that runs busybox under
// chroot; Basic auth (htpasswd), Bearer tokens and redirects (via an in-test front server);
// tampered blobs rejected; coalesced concurrent pulls; GC and removal. Needs root.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/image/digest.h"
#include "core/image/image_service.h"
#include "core/image/rootfs.h"
#include "tests/core/image/test_registry.h"

namespace capstan::image {
namespace {

namespace fs = std::filesystem;
using testing::FakeRequest;
using testing::FakeResponse;
using testing::RegistryProcess;

constexpr char kHtpasswd[] = "alice:$2b$05$1bqupkAEcwL403BCFuYsvOOJSDE6G/7xlVDv8fmcRywJJwmwwDVZe";

std::string g_root;                                // temp dir for the whole suite
std::unique_ptr<RegistryProcess> g_registry;       // anonymous registry
std::unique_ptr<RegistryProcess> g_auth_registry;  // htpasswd registry
std::string g_skip;                                // why the suite cannot run
std::unique_ptr<RegistryProcess> g_tls_registry;   // HTTPS, certificate for 127.0.0.1

// Forwards a request to the real registry and returns its answer verbatim.
FakeResponse Proxy(const FakeRequest& req, const std::string& upstream) {
  HttpRequest r;
  r.method = req.method;
  r.url = *ParseUrl("http://" + upstream + req.target);
  if (auto a = req.headers.find("accept"); a != req.headers.end())
    r.headers.emplace_back("Accept", a->second);
  auto resp = HttpDo(r, HttpOptions{});
  if (!resp.ok()) return FakeResponse{502, {}, resp.status().ToString()};
  FakeResponse out{resp->status, {}, resp->body};
  for (const char* h : {"content-type", "docker-content-digest"}) {
    if (!resp->Header(h).empty()) out.headers[h] = resp->Header(h);
  }
  return out;
}

class RegistryIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) {
      g_skip = "needs root";
      return;
    }
    for (const char* tool : {"docker-registry", "umoci", "skopeo", "busybox"}) {
      if (!testing::Shell(std::string("command -v ") + tool).ok()) {
        g_skip = std::string(tool) + " not installed (scripts/install-deps.sh)";
        return;
      }
    }
    char tmpl[] = "/tmp/capstan-image-it-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    g_root = tmpl;
    fs::create_directories(g_root + "/reg1");
    fs::create_directories(g_root + "/reg2");
    auto reg = RegistryProcess::Start(g_root + "/reg1");
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    g_registry = std::move(*reg);
    auto auth_reg = RegistryProcess::Start(g_root + "/reg2", kHtpasswd);
    ASSERT_TRUE(auth_reg.ok()) << auth_reg.status().ToString();
    g_auth_registry = std::move(*auth_reg);
    std::string oci = g_root + "/oci";
    Status st = testing::BuildBusyboxImage(oci, "t");
    ASSERT_TRUE(st.ok()) << st.ToString();
    for (const char* tag : {"t", "latest"}) {
      st = testing::PushImage(oci, "t", g_registry->HostPort(), "library/busybox", tag);
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
    st = testing::PushImage(oci, "t", g_registry->HostPort(), "library/busybox", "v2s2", "",
                            "--format v2s2");  // Docker image manifest v2 schema 2
    ASSERT_TRUE(st.ok()) << st.ToString();
    st = testing::PushImage(oci, "t", g_auth_registry->HostPort(), "library/busybox", "t",
                            "alice:s3cret");
    ASSERT_TRUE(st.ok()) << st.ToString();
    fs::create_directories(g_root + "/reg3");
    auto pem =
        testing::Shell("cd " + g_root +
                       "/reg3 && openssl req -x509 -newkey ec -pkeyopt "
                       "ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out cert.pem -days 1 "
                       "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1");
    ASSERT_TRUE(pem.ok()) << pem.status().ToString();
    auto tls_reg = RegistryProcess::Start(g_root + "/reg3", "", g_root + "/reg3/cert.pem",
                                          g_root + "/reg3/key.pem");
    ASSERT_TRUE(tls_reg.ok()) << tls_reg.status().ToString();
    g_tls_registry = std::move(*tls_reg);
    st = testing::PushImage(oci, "t", g_tls_registry->HostPort(), "library/busybox", "t");
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  static void TearDownTestSuite() {
    g_registry.reset();
    g_auth_registry.reset();
    g_tls_registry.reset();
    if (!g_root.empty()) fs::remove_all(g_root);
  }

  void SetUp() override {
    if (!g_skip.empty()) GTEST_SKIP() << g_skip;
    ASSERT_NE(g_registry, nullptr);
    data_dir_ = g_root + "/data-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override {
    if (!data_dir_.empty()) {
      (void)UnmountRootfs(data_dir_ + "/c1/rootfs");
      fs::remove_all(data_dir_);
    }
  }

  std::unique_ptr<ImageService> Open(RegistriesConfig registries = {},
                                     std::function<DiskUsage()> usage = nullptr) {
    ImageServiceOptions o;
    o.data_dir = data_dir_;
    o.registries = std::move(registries);
    o.disk_usage = std::move(usage);
    o.http.idle_timeout = std::chrono::milliseconds(10000);
    auto svc = ImageService::Open(std::move(o));
    EXPECT_TRUE(svc.ok()) << svc.status().ToString();
    return svc.ok() ? std::move(*svc) : nullptr;
  }
  std::string Ref(const std::string& suffix) const {
    return g_registry->HostPort() + "/library/busybox" + suffix;
  }

  std::string data_dir_;
};

TEST_F(RegistryIntegrationTest, PullsByTagAndUnpacksBothLayersWithTheWhiteout) {
  auto svc = Open();
  auto start = std::chrono::steady_clock::now();
  int64_t downloaded = 0;
  std::chrono::steady_clock::time_point unpack_start;
  std::chrono::microseconds unpack_time{0};
  auto rec = svc->Pull(Ref(":t"), {}, [&](const PullProgress& p) {
    if (p.phase == PullProgress::Phase::kDownloading) downloaded = std::max(downloaded, p.bytes);
    if (p.phase == PullProgress::Phase::kUnpacking) unpack_start = std::chrono::steady_clock::now();
    if (p.phase == PullProgress::Phase::kLayerDone) {
      unpack_time += std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - unpack_start);
    }
  });
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  std::printf(
      "[figures] pull of %lld-byte busybox image (2 layers): %lld ms, of which unpack %lld us\n",
      static_cast<long long>(rec->size), static_cast<long long>(ms),
      static_cast<long long>(unpack_time.count()));
  EXPECT_GT(downloaded, 1000000);  // the busybox layer streamed through the progress callback
  ASSERT_EQ(rec->layers.size(), 2u);
  EXPECT_EQ(rec->repo_tags, std::vector<std::string>{Ref(":t")});
  EXPECT_EQ(rec->config.cmd, std::vector<std::string>{"/bin/sh"});
  EXPECT_EQ(rec->config.diff_ids.size(), 2u);
  auto dirs = svc->LayerDirs(*rec);
  ASSERT_TRUE(dirs.ok());
  struct stat st;
  ASSERT_EQ(stat(((*dirs)[0] + "/bin/busybox").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0111, 0111u);
  EXPECT_EQ(fs::read_symlink((*dirs)[0] + "/bin/sh"), "busybox");
  ASSERT_EQ(lstat(((*dirs)[1] + "/etc/removeme").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));  // overlay whiteout
  for (const auto& l : rec->layers) EXPECT_TRUE(svc->store().HasBlob(l.digest));
  auto list = svc->List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].size_bytes, rec->size);
  EXPECT_EQ(list[0].names.size(), 2u);  // repo digest + repo tag
  // A second pull finds every layer present and unpacks nothing again.
  auto again = svc->Pull(Ref(":t"), {}, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, rec->id);
  EXPECT_EQ(svc->store().ListLayers().size(), 2u);
}

TEST_F(RegistryIntegrationTest, PullsByDigestAndFindsTheImageByEveryName) {
  auto svc = Open();
  auto by_tag = svc->Pull(Ref(":t"), {}, nullptr);
  ASSERT_TRUE(by_tag.ok()) << by_tag.status().ToString();
  std::string pinned = Ref("@" + by_tag->manifest_digest);
  auto fresh = Open();  // same store: content is reused
  auto by_digest = svc->Pull(pinned, {}, nullptr);
  ASSERT_TRUE(by_digest.ok()) << by_digest.status().ToString();
  EXPECT_EQ(by_digest->id, by_tag->id);
  EXPECT_TRUE(svc->Get(pinned).ok());
  EXPECT_TRUE(svc->Get(by_tag->id).ok());
  EXPECT_TRUE(svc->Get(Ref(":t")).ok());
  EXPECT_EQ(svc->Get(Ref(":nope")).status().code(), StatusCode::kNotFound);
  // The index survives a restart.
  svc.reset();
  fresh.reset();
  auto reopened = Open();
  auto got = reopened->Get(pinned);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->config.cmd, std::vector<std::string>{"/bin/sh"});
}

TEST_F(RegistryIntegrationTest, DockerHubShortNamesAreServedByTheConfiguredMirror) {
  RegistriesConfig cfg;
  cfg.hosts["docker.io"].mirrors = {"http://" + g_registry->HostPort()};
  cfg.hosts["docker.io"].mirrors_only = true;  // never reach the real Docker Hub from a test
  auto svc = Open(cfg);
  auto rec = svc->Pull("busybox", {}, nullptr);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->repo_tags, std::vector<std::string>{"docker.io/library/busybox:latest"});
  EXPECT_TRUE(svc->Get("busybox:latest").ok());
  EXPECT_TRUE(svc->Get("docker.io/library/busybox").ok());
  auto missing = svc->Pull("nginx:1.25", {}, nullptr);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
}

TEST_F(RegistryIntegrationTest, PullsADockerSchema2Manifest) {
  auto svc = Open();
  auto rec = svc->Pull(Ref(":v2s2"), {}, nullptr);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  auto raw = svc->store().ReadBlob(rec->manifest_digest);
  ASSERT_TRUE(raw.ok());
  EXPECT_NE(raw->find(kMediaDockerManifest), std::string::npos);
  EXPECT_EQ(rec->layers.size(), 2u);
  EXPECT_EQ(rec->layers[0].media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip");
}

TEST_F(RegistryIntegrationTest, ResolvesAnIndexToItsLinuxAmd64Manifest) {
  const std::string upstream = g_registry->HostPort();
  std::string index_body;
  testing::FakeHttpServer front([&](const FakeRequest& req) -> FakeResponse {
    if (req.target != "/v2/library/busybox/manifests/multi") return Proxy(req, upstream);
    FakeRequest inner = req;
    inner.target = "/v2/library/busybox/manifests/t";
    inner.headers["accept"] = std::string(kMediaOciManifest);
    FakeResponse m = Proxy(inner, upstream);
    index_body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",
      "manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                 Sha256Digest("not-there") + R"(","size":100,
        "platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                 Sha256Digest(m.body) + R"(","size":)" + std::to_string(m.body.size()) +
                 R"(,"platform":{"os":"linux","architecture":"amd64"}}]})";
    return {200, {{"content-type", std::string(kMediaOciIndex)}}, index_body};
  });
  auto svc = Open();
  std::string name = front.HostPort() + "/library/busybox";
  auto rec = svc->Pull(name + ":multi", {}, nullptr);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->layers.size(), 2u);
  // The repo digest a user would pin is the index's, as upstream reports it.
  EXPECT_EQ(rec->repo_digests, std::vector<std::string>{name + "@" + Sha256Digest(index_body)});
  EXPECT_TRUE(svc->Get(name + "@" + Sha256Digest(index_body)).ok());
}

TEST_F(RegistryIntegrationTest, OverlayRootfsRunsBusyboxUnderChroot) {
  auto svc = Open();
  auto rec = svc->Pull(Ref(":t"), {}, nullptr);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  auto start = std::chrono::steady_clock::now();
  auto rootfs = svc->PrepareRootfs(*rec, data_dir_ + "/c1");
  ASSERT_TRUE(rootfs.ok()) << rootfs.status().ToString();
  std::printf("[figures] rootfs prepared (%s) in %lld us\n",
              OverlaySupported() ? "overlay" : "copy",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::steady_clock::now() - start)
                                         .count()));
  auto again = svc->PrepareRootfs(*rec, data_dir_ + "/c1");  // idempotent: no second mount
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *rootfs);
  EXPECT_TRUE(fs::exists(*rootfs + "/bin/busybox"));
  EXPECT_TRUE(fs::exists(*rootfs + "/etc/keep"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(*rootfs + "/etc/removeme")));  // whiteout applied
  auto out = testing::Shell("chroot " + *rootfs + " /bin/busybox echo ok");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "ok\n");
  auto sh = testing::Shell("chroot " + *rootfs + " /bin/sh -c 'echo hi > /etc/new; cat /etc/keep'");
  ASSERT_TRUE(sh.ok()) << sh.status().ToString();
  EXPECT_EQ(*sh, "keep\n");
  EXPECT_TRUE(fs::exists(data_dir_ + "/c1/upper/etc/new"));  // writes land in the upperdir
  std::vector<std::string> layer_dirs;
  if (auto dirs = svc->LayerDirs(*rec); dirs.ok()) layer_dirs = std::move(dirs.value());
  ASSERT_EQ(layer_dirs.size(), 2u);
  for (const auto& d : layer_dirs) EXPECT_FALSE(fs::exists(d + "/etc/new"));
  ASSERT_TRUE(svc->ReleaseRootfs(data_dir_ + "/c1").ok());
  EXPECT_FALSE(IsMountPoint(data_dir_ + "/c1/rootfs"));
  EXPECT_FALSE(fs::exists(data_dir_ + "/c1"));
}

TEST_F(RegistryIntegrationTest, HttpsMirrorIsVerifiedAgainstTheConfiguredCa) {
  RegistriesConfig cfg;
  auto& hub = cfg.hosts["docker.io"];
  hub.mirrors = {"https://" + g_tls_registry->HostPort()};
  hub.mirrors_only = true;
  auto untrusted = Open(cfg)->Pull("busybox:t", {}, nullptr);
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(untrusted.status().message().find("certificate verify failed"), std::string::npos)
      << untrusted.status().message();
  hub.ca_file = g_root + "/reg3/cert.pem";
  auto trusted = Open(cfg)->Pull("busybox:t", {}, nullptr);
  ASSERT_TRUE(trusted.ok()) << trusted.status().ToString();
  EXPECT_EQ(trusted->repo_tags, std::vector<std::string>{"docker.io/library/busybox:t"});
  hub.ca_file.clear();
  hub.insecure = true;  // skips verification instead
  fs::remove_all(data_dir_);
  EXPECT_TRUE(Open(cfg)->Pull("busybox:t", {}, nullptr).ok());
}

TEST_F(RegistryIntegrationTest, BasicAuthRegistryNeedsThePullSecret) {
  auto svc = Open();
  std::string ref = g_auth_registry->HostPort() + "/library/busybox:t";
  auto anonymous = svc->Pull(ref, {}, nullptr);
  EXPECT_EQ(anonymous.status().code(), StatusCode::kUnauthenticated)
      << anonymous.status().ToString();
  auto wrong = ParseDockerConfigJson(R"({"auths":{")" + g_auth_registry->HostPort() +
                                     R"(":{"auth":")" + Base64Encode("alice:wrong") + R"("}}})");
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(svc->Pull(ref, *wrong, nullptr).status().code(), StatusCode::kUnauthenticated);
  auto secret = ParseDockerConfigJson(R"({"auths":{"http://)" + g_auth_registry->HostPort() +
                                      R"(":{"auth":")" + Base64Encode("alice:s3cret") + R"("}}})");
  ASSERT_TRUE(secret.ok());
  auto rec = svc->Pull(ref, *secret, nullptr);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->layers.size(), 2u);
}

TEST_F(RegistryIntegrationTest, BearerTokenFlowAndBlobRedirects) {
  std::mutex mu;
  std::string seen_scope, seen_basic;
  int token_requests = 0, redirects = 0;
  const std::string upstream = g_registry->HostPort();
  std::unique_ptr<testing::FakeHttpServer> front;
  front = std::make_unique<testing::FakeHttpServer>([&](const FakeRequest& req) -> FakeResponse {
    std::lock_guard<std::mutex> lock(mu);
    if (req.target.rfind("/token?", 0) == 0) {
      ++token_requests;
      seen_scope = req.target;
      auto a = req.headers.find("authorization");
      seen_basic = a == req.headers.end() ? "" : a->second;
      if (seen_basic != "Basic " + Base64Encode("bob:pw")) return {401, {}, "bad credentials"};
      return {
          200, {{"content-type", "application/json"}}, R"({"token":"tok-123","expires_in":300})"};
    }
    auto auth = req.headers.find("authorization");
    if (auth == req.headers.end() || auth->second != "Bearer tok-123") {
      return {401,
              {{"www-authenticate", "Bearer realm=\"http://" + front->HostPort() +
                                        "/token\",service=\"fake-registry\",scope=\"repository:"
                                        "library/busybox:pull\""}},
              "{}"};
    }
    if (req.target.find("/blobs/") != std::string::npos) {
      ++redirects;  // as registries hand blobs to a CDN
      return {307, {{"location", "http://" + upstream + req.target}}, ""};
    }
    return Proxy(req, upstream);
  });
  auto svc = Open();
  std::string ref = front->HostPort() + "/library/busybox:t";
  EXPECT_EQ(svc->Pull(ref, {}, nullptr).status().code(), StatusCode::kUnauthenticated);
  CredentialMap auth{{front->HostPort(), Credentials{"bob", "pw", ""}}};
  auto rec = svc->Pull(ref, auth, nullptr);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_NE(seen_scope.find("service=fake-registry"), std::string::npos) << seen_scope;
  EXPECT_NE(seen_scope.find("scope=repository%3Alibrary%2Fbusybox%3Apull"), std::string::npos);
  EXPECT_EQ(redirects, 3);       // config + two layers
  EXPECT_LE(token_requests, 3);  // the token is cached, not fetched per request
}

TEST_F(RegistryIntegrationTest, TamperedBlobIsRejectedAndNotStored) {
  const std::string upstream = g_registry->HostPort();
  std::string bad_digest;
  testing::FakeHttpServer bad_peer([&](const FakeRequest& req) -> FakeResponse {
    FakeResponse r = Proxy(req, upstream);
    // Flip one byte of the large (busybox) layer; sizes stay right so only the hash can tell.
    if (req.target.find("/blobs/") != std::string::npos && r.body.size() > 100000) {
      r.body[r.body.size() / 2] ^= 0x01;
      bad_digest = req.target.substr(req.target.rfind('/') + 1);
    }
    return r;
  });
  auto svc = Open();
  auto rec = svc->Pull(bad_peer.HostPort() + "/library/busybox:t", {}, nullptr);
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.status().code(), StatusCode::kInvalid);
  EXPECT_NE(rec.status().message().find("digest mismatch"), std::string::npos)
      << rec.status().message();
  ASSERT_FALSE(bad_digest.empty());
  EXPECT_FALSE(svc->store().HasBlob(bad_digest));
  EXPECT_FALSE(svc->store().HasLayer(bad_digest));
  EXPECT_TRUE(svc->List().empty());
}

TEST_F(RegistryIntegrationTest, ConcurrentPullsOfOneImageShareOneTransfer) {
  const std::string upstream = g_registry->HostPort();
  std::mutex mu;
  std::condition_variable cv;
  int manifest_gets = 0, blob_gets = 0, started = 0;
  testing::FakeHttpServer front([&](const FakeRequest& req) -> FakeResponse {
    std::unique_lock<std::mutex> lock(mu);
    if (req.target.find("/manifests/") != std::string::npos) {
      ++manifest_gets;
      // Hold the first pull until every puller has started, so they overlap.
      cv.wait_for(lock, std::chrono::seconds(10), [&] { return started == 4; });
    } else if (req.target.find("/blobs/") != std::string::npos) {
      ++blob_gets;
    }
    lock.unlock();
    return Proxy(req, upstream);
  });
  auto svc = Open();
  std::string ref = front.HostPort() + "/library/busybox:t";
  std::vector<Result<ImageRecord>> results(4, Result<ImageRecord>(InternalError("unset")));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      {
        std::lock_guard<std::mutex> lock(mu);
        ++started;
      }
      cv.notify_all();
      results[static_cast<size_t>(i)] = svc->Pull(ref, {}, nullptr);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->id, results[0]->id);
  }
  EXPECT_EQ(manifest_gets, 1);
  EXPECT_EQ(blob_gets, 3);
}

TEST_F(RegistryIntegrationTest, GarbageCollectionEvictsUnusedImagesAboveTheThreshold) {
  DiskUsage usage{1000, 500};  // 50% used
  auto svc = Open({}, [&] { return usage; });
  RegistriesConfig cfg;
  ASSERT_TRUE(svc->Pull(Ref(":t"), {}, nullptr).ok());
  auto gc = svc->GarbageCollect(GcPolicy{}, {});
  ASSERT_TRUE(gc.ok());
  EXPECT_TRUE(gc->removed_images.empty());  // below the high threshold: nothing goes
  usage.available_bytes = 50;               // 95% used
  auto kept = svc->GarbageCollect(GcPolicy{}, {Ref(":t")});
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->removed_images.empty());  // in use by a container
  auto evicted = svc->GarbageCollect(GcPolicy{}, {});
  ASSERT_TRUE(evicted.ok());
  EXPECT_EQ(evicted->removed_images.size(), 1u);
  EXPECT_GT(evicted->bytes_freed, 1000000);
  EXPECT_TRUE(svc->List().empty());
  EXPECT_TRUE(svc->store().ListBlobs().empty());
  EXPECT_TRUE(svc->store().ListLayers().empty());
}

TEST_F(RegistryIntegrationTest, RemoveUntagsFirstThenDeletesContentAndNeverPolicyDoesNotPull) {
  auto svc = Open();
  ASSERT_TRUE(svc->Pull(Ref(":t"), {}, nullptr).ok());
  ASSERT_TRUE(svc->Pull(Ref(":latest"), {}, nullptr).ok());
  ASSERT_EQ(svc->List().size(), 1u);  // one image, two tags
  ASSERT_TRUE(svc->Remove(Ref(":latest")).ok());
  EXPECT_EQ(svc->Get(Ref(":latest")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(svc->store().ListLayers().size(), 2u);
  ASSERT_TRUE(svc->Remove(Ref(":t")).ok());
  EXPECT_TRUE(svc->List().empty());
  EXPECT_TRUE(svc->store().ListLayers().empty());
  auto never = svc->Ensure(Ref(":t"), PullPolicy::kNever, {});
  EXPECT_EQ(never.status().code(), StatusCode::kNotFound);
  EXPECT_NE(never.status().message().find("ErrImageNeverPull"), std::string::npos);
  auto if_not_present = svc->Ensure(Ref(":t"), PullPolicy::kIfNotPresent, {});
  ASSERT_TRUE(if_not_present.ok()) << if_not_present.status().ToString();
  EXPECT_TRUE(svc->Ensure(Ref(":t"), PullPolicy::kNever, {}).ok());
}

}  // namespace
}  // namespace capstan::image
