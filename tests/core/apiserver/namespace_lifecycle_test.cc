// Tests for core/apiserver/namespace_lifecycle.h through RestStorage on a real LevelDbStore:
// a deleted namespace stays Terminating until /finalize empties spec.finalizers.
#include "core/apiserver/namespace_lifecycle.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/store/leveldb_store.h"

namespace capstan::apiserver {
namespace {

class NamespaceLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("capstan-nslife-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store::LevelDbStore::Options opts;
    opts.sync = false;
    auto s = store::LevelDbStore::Open(dir_.string(), opts);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    hub_ = std::make_unique<CacheHub>(store_.get());
    ASSERT_TRUE(hub_->Start().ok());
    info_ = {"", "v1", "Namespace", "namespaces", false, true, NameRule::kDnsLabel, {}};
    WatchCache::Options copts;
    copts.prefix = ResourcePrefix("", "namespaces");
    copts.decoder = [](std::string_view key, std::string_view bytes, int64_t rev) {
      return DecodeStoredObject(key, bytes, rev, nullptr);
    };
    auto cache = hub_->AddResource(std::move(copts));
    ASSERT_TRUE(cache.ok());
    storage_ = std::make_unique<RestStorage>(info_, nullptr, store_.get(), hub_.get(), *cache,
                                             [] { return int64_t{1700000000000}; });
  }
  void TearDown() override {
    storage_.reset();
    hub_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  static nlohmann::json Namespace(const std::string& name, nlohmann::json finalizers) {
    return {{"apiVersion", "v1"},
            {"kind", "Namespace"},
            {"metadata", {{"name", name}}},
            {"spec", {{"finalizers", std::move(finalizers)}}},
            {"status", {{"phase", "Active"}}}};
  }

  template <typename T>
  static T Ok(const ApiResult<T>& r) {
    if (const ApiError* e = std::get_if<ApiError>(&r)) {
      ADD_FAILURE() << e->status.ToString();
      return T{};
    }
    return std::get<T>(r);
  }

  bool Exists(const std::string& name) const {
    return !std::holds_alternative<ApiError>(storage_->Get("", name));
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::LevelDbStore> store_;
  std::unique_ptr<CacheHub> hub_;
  ResourceInfo info_;
  std::unique_ptr<RestStorage> storage_;
};

TEST_F(NamespaceLifecycleTest, DeleteMarksTheNamespaceTerminatingWhileSpecFinalizersRemain) {
  Ok(storage_->Create({}, "", Namespace("x", {"kubernetes"})));
  WriteResult marked = Ok(storage_->Delete({}, "", "x", {}));
  EXPECT_FALSE(marked.removed);
  EXPECT_TRUE(marked.object["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(marked.object["status"]["phase"], "Terminating");
  EXPECT_TRUE(Exists("x"));
}

TEST_F(NamespaceLifecycleTest, FinalizeRemovingTheLastFinalizerDeletesTheNamespace) {
  Ok(storage_->Create({}, "", Namespace("x", {"kubernetes", "example.com/keep"})));
  WriteResult marked = Ok(storage_->Delete({}, "", "x", {}));
  nlohmann::json request = marked.object;
  request["spec"]["finalizers"] = {"example.com/keep"};
  request["status"]["phase"] = "Active";         // ignored by finalize
  request["metadata"]["labels"] = {{"a", "b"}};  // ignored too
  WriteResult one = Ok(storage_->Update({}, "", "x", kFinalizeSubresource, request));
  EXPECT_FALSE(one.removed);
  EXPECT_EQ(one.object["spec"]["finalizers"], nlohmann::json({"example.com/keep"}));
  EXPECT_EQ(one.object["status"]["phase"], "Terminating");
  EXPECT_FALSE(one.object["metadata"].contains("labels"));
  request = one.object;  // the resourceVersion is a precondition
  request["spec"]["finalizers"] = nlohmann::json::array();
  WriteResult done = Ok(storage_->Update({}, "", "x", kFinalizeSubresource, request));
  EXPECT_TRUE(done.removed);
  EXPECT_FALSE(Exists("x"));
}

TEST_F(NamespaceLifecycleTest, NamespaceWithoutSpecFinalizersIsDeletedAtOnce) {
  Ok(storage_->Create({}, "", Namespace("x", nlohmann::json::array())));
  WriteResult r = Ok(storage_->Delete({}, "", "x", {}));
  EXPECT_TRUE(r.removed);
  EXPECT_FALSE(Exists("x"));
}

TEST_F(NamespaceLifecycleTest, MetadataFinalizersStillHoldAFinalizedNamespace) {
  nlohmann::json ns = Namespace("x", {"kubernetes"});
  ns["metadata"]["finalizers"] = {"example.com/hold"};
  Ok(storage_->Create({}, "", ns));
  WriteResult marked = Ok(storage_->Delete({}, "", "x", {}));
  nlohmann::json request = marked.object;
  request["spec"]["finalizers"] = nlohmann::json::array();
  WriteResult r = Ok(storage_->Update({}, "", "x", kFinalizeSubresource, request));
  EXPECT_FALSE(r.removed);
  EXPECT_TRUE(Exists("x"));
}

TEST(NamespaceLifecycleHelpersTest, OnlyNamespacesAwaitSpecFinalizers) {
  ResourceInfo pods{"", "v1", "Pod", "pods", true, true, NameRule::kDnsSubdomain, {}};
  nlohmann::json obj = {{"spec", {{"finalizers", {"kubernetes"}}}}};
  EXPECT_FALSE(AwaitsSpecFinalizers(pods, obj));
  MarkTerminating(pods, obj);
  EXPECT_FALSE(obj.contains("status"));
}

}  // namespace
}  // namespace capstan::apiserver
