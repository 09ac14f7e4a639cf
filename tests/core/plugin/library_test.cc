// Tests for core/plugin/library.h: loading real test plugins (testdata/) and naming every load
// failure's cause.
#include "core/plugin/library.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/core/plugin/plugin_testing.h"

namespace capstan::plugin {
namespace {

using testing::ExtraPlugin;
using ::testing::HasSubstr;
using testing::TestPlugin;

std::string TempDir() {
  std::string dir = ::testing::TempDir() + "/library_test_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(LibraryTest, LoadsAGoodPluginAndCopiesItsDescriptor) {
  auto lib = LoadLibrary(TestPlugin("good_authn"));
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  const PluginInfo& info = (*lib)->info();
  EXPECT_EQ(info.name, "good-authn");
  EXPECT_EQ(info.version, "1.2.3");
  EXPECT_EQ((*lib)->path(), std::filesystem::canonical(TestPlugin("good_authn")).string());
  ASSERT_NE((*lib)->schema(), nullptr);
  EXPECT_NE(info.vtable(CAPSTAN_KIND_AUTHN), nullptr);
}

TEST(LibraryTest, MissingFileIsNotFound) {
  auto lib = LoadLibrary("/nonexistent/dir/plugin.so");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(lib.status().message(),
            "loading plugin from /nonexistent/dir/plugin.so: file not found");
}

TEST(LibraryTest, TextFileIsNotALoadableLibraryAndCarriesTheDlerrorText) {
  std::string path = TempDir() + "/not_a_library.so";
  std::ofstream(path) << "this is not an ELF file\n";
  auto lib = LoadLibrary(path);
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.status().code(), StatusCode::kInvalid);
  EXPECT_THAT(lib.status().message(), HasSubstr("not a loadable library: "));
  EXPECT_THAT(lib.status().message(), HasSubstr("not_a_library.so"));  // dlerror names the file
}

TEST(LibraryTest, MisspeltEntrySymbolIsNoEntry) {
  auto lib = LoadLibrary(ExtraPlugin("wrong_symbol"));
  ASSERT_FALSE(lib.ok());
  EXPECT_THAT(lib.status().message(), HasSubstr("no entry symbol capstan_plugin_entry"));
}

TEST(LibraryTest, EntryReturningNullIsRefused) {
  auto lib = LoadLibrary(TestPlugin("null_entry"));
  ASSERT_FALSE(lib.ok());
  EXPECT_THAT(lib.status().message(), HasSubstr("entry symbol capstan_plugin_entry returned NULL"));
}

TEST(LibraryTest, MalformedDescriptorIsRefusedWithTheField) {
  auto lib = LoadLibrary(TestPlugin("malformed"));
  ASSERT_FALSE(lib.ok());
  EXPECT_THAT(lib.status().message(), HasSubstr("loading plugin 'malformed' from "));
  EXPECT_THAT(lib.status().message(), HasSubstr(": version is NULL"));
}

TEST(LibraryTest, InvalidConfigSchemaIsALoadError) {
  auto lib = LoadLibrary(TestPlugin("bad_schema"));
  ASSERT_FALSE(lib.ok());
  EXPECT_THAT(lib.status().message(), HasSubstr("loading plugin 'bad-schema' from "));
  EXPECT_THAT(lib.status().message(), HasSubstr("invalid config schema"));
}

TEST(LibraryTest, OtherAbiMajorIsRefused) {
  auto lib = LoadLibrary(TestPlugin("other_major"));
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.status().message(),
            "loading plugin 'other-major' from " +
                std::filesystem::canonical(TestPlugin("other_major")).string() +
                ": ABI major 2, host 1");
}

TEST(LibraryTest, NewerAbiMinorIsRefusedEvenByANewerHost) {
  LoaderOptions newer;
  newer.versions.WithAllMinors(3);
  for (const LoaderOptions& options : {LoaderOptions{}, newer}) {
    auto lib = LoadLibrary(TestPlugin("newer_minor"), options);
    ASSERT_FALSE(lib.ok());
    EXPECT_THAT(lib.status().message(), HasSubstr("plugin needs ABI minor 5, host has " +
                                                  std::to_string(options.versions.abi.minor)));
  }
}

TEST(LibraryTest, OlderAbiMinorLoadsWhenTheHostClaimsMinorThree) {
  EXPECT_FALSE(LoadLibrary(TestPlugin("older_minor")).ok()) << "host 1.0 < plugin 1.2";
  LoaderOptions newer;
  newer.versions.WithAllMinors(3);
  auto lib = LoadLibrary(TestPlugin("older_minor"), newer);
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  EXPECT_EQ((*lib)->info().abi_minor, 2);
}

TEST(LibraryTest, TruncatedSchedVtableLeavesTheGarbageEntriesNull) {
  auto lib = LoadLibrary(TestPlugin("short_sched"));
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  auto* sched = static_cast<const capstan_sched_v1*>((*lib)->info().vtable(CAPSTAN_KIND_SCHED));
  ASSERT_NE(sched, nullptr);
  EXPECT_NE(sched->on_filter, nullptr);
  EXPECT_EQ(sched->on_post_filter, nullptr);
  EXPECT_EQ(sched->on_pre_score, nullptr);
  EXPECT_EQ(sched->on_score, nullptr);
}

TEST(LibraryTest, SameInodeThroughASymlinkSharesTheLoadedObject) {
  std::string link = TempDir() + "/good_link.so";
  std::filesystem::remove(link);
  std::filesystem::create_symlink(TestPlugin("good_authn"), link);
  auto a = LoadLibrary(TestPlugin("good_authn"));
  auto b = LoadLibrary(link);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(&(*a)->object(), &(*b)->object());
  EXPECT_EQ((*a)->path(), (*b)->path());
}

}  // namespace
}  // namespace capstan::plugin
