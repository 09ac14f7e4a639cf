// Tests for the shared string pool (core/scheduler/string_pool.h).
#include "core/scheduler/string_pool.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::scheduler {
namespace {

TEST(StringPoolTest, EqualStringsShareOneStableCopy) {
  StringPool pool;
  std::string a = "kubernetes.io/hostname";
  std::string b = "kubernetes.io/hostname";
  std::string_view first = pool.Intern(a);
  std::string_view second = pool.Intern(b);
  EXPECT_EQ(first, "kubernetes.io/hostname");
  EXPECT_EQ(first.data(), second.data());
  EXPECT_NE(first.data(), a.data());
  a.assign("changed");  // the pooled copy does not depend on the caller's storage
  EXPECT_EQ(pool.Intern("kubernetes.io/hostname").data(), first.data());
  EXPECT_EQ(pool.size(), 1u);
}

TEST(StringPoolTest, ShortStringsKeepTheirAddressWhileThePoolGrows) {
  StringPool pool;
  std::string_view zone = pool.Intern("zone-1");
  for (int i = 0; i < 1000; ++i) (void)pool.Intern("value-" + std::to_string(i));
  EXPECT_EQ(zone, "zone-1");
  EXPECT_EQ(pool.Intern("zone-1").data(), zone.data());
}

TEST(StringPoolTest, AFullPoolReturnsTheCallersStringUnchanged) {
  StringPool pool(/*max_entries=*/1);
  std::string_view kept = pool.Intern("a");
  std::string other = "b";
  std::string_view v = pool.Intern(other);
  EXPECT_EQ(v.data(), other.data());
  EXPECT_EQ(pool.Intern("a").data(), kept.data());
  EXPECT_EQ(pool.size(), 1u);
}

}  // namespace
}  // namespace capstan::scheduler
