// Tests for core/apiserver/rest_storage.h and the caches under it (cache_hub.h,
// watch_cache.h), on a real LevelDbStore in a temporary directory.
#include "core/apiserver/rest_storage.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/store/leveldb_store.h"
#include "tests/core/apiserver/rest_storage_fixture.h"

namespace capstan::apiserver {
namespace {

class RestStorageTest : public testing::RestStorageFixture {
 protected:
  void SetUp() override {
    ResourceInfo info;
    info.group = "";
    info.version = "v1";
    info.kind = "ConfigMap";
    info.plural = "configmaps";
    OpenStorage(info, "rest");
  }

  static nlohmann::json ConfigMap(const std::string& name) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"labels", {{"app", "web"}}}}},
            {"data", {{"k", "v"}}}};
  }
};

TEST_F(RestStorageTest, CreateFillsBookkeepingAndGetReadsItBack) {
  WriteResult w = Ok(storage_->Create({}, "default", ConfigMap("a")));
  EXPECT_TRUE(w.created);
  const nlohmann::json& meta = w.object["metadata"];
  EXPECT_EQ(meta["namespace"], "default");
  EXPECT_EQ(meta["uid"].get<std::string>().size(), 36u);
  EXPECT_EQ(meta["creationTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_FALSE(meta["resourceVersion"].get<std::string>().empty());

  CachedObjectPtr got = Ok(storage_->Get("default", "a"));
  ASSERT_TRUE(got);
  nlohmann::json parsed = nlohmann::json::parse(got->json);
  EXPECT_EQ(parsed["metadata"]["uid"], meta["uid"]);
  EXPECT_EQ(parsed["metadata"]["resourceVersion"], meta["resourceVersion"]);
}

TEST_F(RestStorageTest, CachedWritesMatchWhatDecodingTheStoredBytesGives) {
  Ok(storage_->Create({}, "default", ConfigMap("same")));
  nlohmann::json changed = ConfigMap("same");
  changed["data"]["k"] = "v2";
  Ok(storage_->Update({}, "default", "same", "", changed));
  CachedObjectPtr cached = Ok(storage_->Get("default", "same"));
  ASSERT_TRUE(cached);
  // The writer prepared the event, so the cache consumed it without parsing; the result must be
  // exactly what the decoder makes of the stored bytes.
  EXPECT_EQ(storage_->cache()->PreparedCount(), 0u);
  Result<store::KeyValue> kv = store_->Get(cached->key);
  ASSERT_TRUE(kv.ok());
  Result<CachedObject> decoded = DecodeStoredObject(kv->key, kv->value, kv->mod_revision, nullptr);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(cached->json, decoded->json);
  EXPECT_EQ(cached->labels, decoded->labels);
  EXPECT_EQ(cached->rv_pos, decoded->rv_pos);
  EXPECT_EQ(nlohmann::json::parse(kv->value)["metadata"].count("resourceVersion"), 0u);
}

TEST_F(RestStorageTest, DuplicateCreateIsAlreadyExistsAndBadNamesAreInvalid) {
  Ok(storage_->Create({}, "default", ConfigMap("a")));
  auto again = storage_->Create({}, "default", ConfigMap("a"));
  ASSERT_TRUE(std::holds_alternative<ApiError>(again));
  EXPECT_EQ(std::get<ApiError>(again).status.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(std::get<ApiError>(again).status.message(), "configmaps \"a\" already exists");

  auto bad = storage_->Create({}, "default", ConfigMap("Bad_Name"));
  ASSERT_TRUE(std::holds_alternative<ApiError>(bad));
  const ApiError& e = std::get<ApiError>(bad);
  EXPECT_EQ(e.status.code(), StatusCode::kInvalid);
  ASSERT_FALSE(e.details.causes.empty());
  EXPECT_EQ(e.details.causes[0].field, "metadata.name");
}

TEST_F(RestStorageTest, GenerateNameAppendsFiveCharacters) {
  nlohmann::json obj = ConfigMap("");
  obj["metadata"].erase("name");
  obj["metadata"]["generateName"] = "web-";
  WriteResult w = Ok(storage_->Create({}, "default", obj));
  std::string name = w.object["metadata"]["name"];
  EXPECT_EQ(name.size(), 9u);
  EXPECT_EQ(name.rfind("web-", 0), 0u);
}

TEST_F(RestStorageTest, AGeneratedNameThatIsTakenIsGeneratedAgain) {
  std::vector<std::string> suffixes = {"aaaaa", "aaaaa", "bbbbb"};
  size_t next = 0;
  storage_->SetNameSuffixSource([&](size_t) { return suffixes[std::min(next++, size_t{2})]; });
  nlohmann::json obj = ConfigMap("");
  obj["metadata"].erase("name");
  obj["metadata"]["generateName"] = "web-";
  EXPECT_EQ(Ok(storage_->Create({}, "default", obj)).object["metadata"]["name"], "web-aaaaa");
  WriteResult second = Ok(storage_->Create({}, "default", obj));
  EXPECT_EQ(second.object["metadata"]["name"], "web-bbbbb");
  EXPECT_EQ(next, 3u);

  // Only so often: a name space that stays taken ends in AlreadyExists, as upstream.
  next = 0;
  suffixes = {"aaaaa", "aaaaa", "aaaaa"};
  ApiResult<WriteResult> taken = storage_->Create({}, "default", obj);
  ASSERT_TRUE(std::holds_alternative<ApiError>(taken));
  EXPECT_EQ(std::get<ApiError>(taken).status.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(next, 8u);
  // A name given by the client is never replaced.
  ApiResult<WriteResult> named = storage_->Create({}, "default", ConfigMap("web-aaaaa"));
  ASSERT_TRUE(std::holds_alternative<ApiError>(named));
  EXPECT_EQ(next, 8u);
}

TEST_F(RestStorageTest, UpdateWithStaleResourceVersionConflicts) {
  WriteResult created = Ok(storage_->Create({}, "default", ConfigMap("a")));
  nlohmann::json v1 = created.object;
  v1["data"]["k"] = "v2";
  WriteResult updated = Ok(storage_->Update({}, "default", "a", "", v1));
  EXPECT_NE(updated.object["metadata"]["resourceVersion"],
            created.object["metadata"]["resourceVersion"]);
  // v1 still carries the old resourceVersion.
  v1["data"]["k"] = "v3";
  auto stale = storage_->Update({}, "default", "a", "", v1);
  ASSERT_TRUE(std::holds_alternative<ApiError>(stale));
  EXPECT_EQ(std::get<ApiError>(stale).status.code(), StatusCode::kConflict);
}

TEST_F(RestStorageTest, NoOpUpdateKeepsResourceVersion) {
  WriteResult created = Ok(storage_->Create({}, "default", ConfigMap("a")));
  WriteResult same = Ok(storage_->Update({}, "default", "a", "", created.object));
  EXPECT_EQ(same.object["metadata"]["resourceVersion"],
            created.object["metadata"]["resourceVersion"]);
}

TEST_F(RestStorageTest, DeleteWithFinalizerWaitsUntilTheFinalizerIsRemoved) {
  nlohmann::json obj = ConfigMap("a");
  obj["metadata"]["finalizers"] = {"example.com/hold"};
  Ok(storage_->Create({}, "default", obj));
  WriteResult marked = Ok(storage_->Delete({}, "default", "a", {}));
  EXPECT_FALSE(marked.removed);
  EXPECT_TRUE(marked.object["metadata"].contains("deletionTimestamp"));
  nlohmann::json cleared = marked.object;
  cleared["metadata"]["finalizers"] = nlohmann::json::array();
  WriteResult done = Ok(storage_->Update({}, "default", "a", "", cleared));
  EXPECT_TRUE(done.removed);
  auto gone = storage_->Get("default", "a");
  ASSERT_TRUE(std::holds_alternative<ApiError>(gone));
  EXPECT_EQ(std::get<ApiError>(gone).status.code(), StatusCode::kNotFound);
}

TEST_F(RestStorageTest, DryRunWritesNothing) {
  WriteContext ctx;
  ctx.dry_run = true;
  Ok(storage_->Create(ctx, "default", ConfigMap("a")));
  EXPECT_EQ(store_->CurrentRevision(), 0);
  auto got = storage_->Get("default", "a");
  EXPECT_TRUE(std::holds_alternative<ApiError>(got));
}

TEST_F(RestStorageTest, WatchFromRevisionSeesLaterChangesWithSelectorTransitions) {
  WriteResult a = Ok(storage_->Create({}, "default", ConfigMap("a")));
  int64_t rv = std::stoll(a.object["metadata"]["resourceVersion"].get<std::string>());
  std::mutex mu;
  std::vector<std::pair<WatchEventType, std::string>> seen;
  ObjectFilter only_web = [](const CachedObject& o) {
    const std::string* app = o.Label("app");
    return app != nullptr && *app == "web";
  };
  auto watcher = storage_->cache()->Watch(rv, only_web, [&](const CacheEvent& e) {
    std::lock_guard l(mu);
    seen.emplace_back(e.type, e.object->name);
    return true;
  });
  ASSERT_TRUE(watcher.ok());
  Ok(storage_->Create({}, "default", ConfigMap("b")));
  CachedObjectPtr current = Ok(storage_->Get("default", "a"));
  ASSERT_TRUE(current);
  nlohmann::json relabel = nlohmann::json::parse(current->json);
  relabel["metadata"]["labels"]["app"] = "db";
  Ok(storage_->Update({}, "default", "a", "", relabel));  // leaves the filter: DELETED
  Ok(storage_->Delete({}, "default", "b", {}));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard l(mu);
      if (seen.size() >= 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::lock_guard l(mu);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(WatchEventType::kAdded, std::string("b")));
  EXPECT_EQ(seen[1], std::make_pair(WatchEventType::kDeleted, std::string("a")));
  EXPECT_EQ(seen[2], std::make_pair(WatchEventType::kDeleted, std::string("b")));
}

TEST_F(RestStorageTest, ListPaginatesInKeyOrderWithRemainingCount) {
  for (const char* n : {"c", "a", "b", "d"}) Ok(storage_->Create({}, "default", ConfigMap(n)));
  ASSERT_TRUE(storage_->WaitForConsistentRead().ok());
  CacheListResult page = storage_->cache()->List(storage_->CollectionPrefix("default"), "", 3, {});
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0]->name, "a");
  EXPECT_EQ(page.remaining, 1);
  CacheListResult rest =
      storage_->cache()->List(storage_->CollectionPrefix("default"), page.continue_after, 3, {});
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0]->name, "d");
  EXPECT_TRUE(rest.continue_after.empty());
}

}  // namespace
}  // namespace capstan::apiserver
