// Tests for plugins/controllers/kit/expectations: creates are observed by name, deletes by uid
// (gone or terminating), and records expire.
#include "plugins/controllers/kit/expectations.h"

#include <gtest/gtest.h>

#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers {
namespace {

using testing::kNow;
using testing::Pod;

TEST(ExpectationsTest, CreatesAreSatisfiedWhenTheCacheShowsThePodNames) {
  int64_t now = kNow;
  Expectations e([&] { return now; });
  e.ExpectCreated("ns/rs", "rs-a");
  e.ExpectCreated("ns/rs", "rs-b");
  EXPECT_FALSE(e.Satisfied("ns/rs", Json::array({Pod("rs-a", {})})));
  EXPECT_EQ(e.Pending("ns/rs"), 1u);
  EXPECT_TRUE(e.Satisfied("ns/rs", Json::array({Pod("rs-a", {}), Pod("rs-b", {})})));
  EXPECT_TRUE(e.Satisfied("other", Json::array()));
}

TEST(ExpectationsTest, DeletesAreSatisfiedWhenThePodIsGoneOrTerminating) {
  Expectations e([] { return kNow; });
  e.ExpectDeleted("k", "uid-a");
  e.ExpectDeleted("k", "uid-b");
  Json terminating = Pod("b", {});
  terminating["metadata"]["deletionTimestamp"] = "2023-11-14T22:00:00Z";
  EXPECT_FALSE(e.Satisfied("k", Json::array({Pod("a", {}), terminating})));
  EXPECT_TRUE(e.Satisfied("k", Json::array({terminating})));
}

TEST(ExpectationsTest, RecordsExpireAfterTheirTtlAndCanBeForgotten) {
  int64_t now = kNow;
  Expectations e([&] { return now; }, 10);
  e.ExpectCreated("k", "never-seen");
  EXPECT_FALSE(e.Satisfied("k", Json::array()));
  now += 11;
  EXPECT_TRUE(e.Satisfied("k", Json::array()));
  e.ExpectCreated("j", "x");
  e.Forget("j");
  EXPECT_TRUE(e.Satisfied("j", Json::array()));
}

}  // namespace
}  // namespace capstan::controllers
