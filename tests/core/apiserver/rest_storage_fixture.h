// `RestStorageFixture`: one RestStorage over a real LevelDbStore (no fsync) in a per-test
// temporary directory, with its CacheHub and watch cache, for the tests that drive RestStorage
// directly (rest_storage_test.cc, namespace_lifecycle_test.cc). Header-only.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <variant>

#include "core/apiserver/rest_storage.h"
#include "core/store/leveldb_store.h"

namespace capstan::apiserver::testing {

class RestStorageFixture : public ::testing::Test {
 protected:
  // Opens the store under <tmp>/capstan-<tag>-<pid>-<test> and serves resource `info`.
  void OpenStorage(const ResourceInfo& info, const std::string& tag) {
    dir_ = std::filesystem::temp_directory_path() /
           ("capstan-" + tag + "-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store::LevelDbStore::Options opts;
    opts.sync = false;
    auto s = store::LevelDbStore::Open(dir_.string(), opts);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    hub_ = std::make_unique<CacheHub>(store_.get());
    ASSERT_TRUE(hub_->Start().ok());
    info_ = info;
    WatchCache::Options copts;
    copts.prefix = ResourcePrefix(info.group, info.plural);
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

  // The value of a successful call; a failure is reported and yields a default value.
  template <typename T>
  static const T& Ok(const ApiResult<T>& r) {
    if (const ApiError* e = std::get_if<ApiError>(&r)) {
      ADD_FAILURE() << e->status.ToString();
      static T empty{};
      return empty;
    }
    return std::get<T>(r);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::LevelDbStore> store_;
  std::unique_ptr<CacheHub> hub_;
  ResourceInfo info_;
  std::unique_ptr<RestStorage> storage_;
};

}  // namespace capstan::apiserver::testing
