// Tests for plugins/controllers/replicaset/event_spam_filter: client-go's per-object burst of 25
// events, one more every 5 minutes, independent objects, and the bounded memory.
#include "plugins/controllers/replicaset/event_spam_filter.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::controllers {
namespace {

int Allowed(EventSpamFilter& f, const std::string& object, int attempts) {
  int n = 0;
  for (int i = 0; i < attempts; ++i) n += f.Allow(object) ? 1 : 0;
  return n;
}

TEST(EventSpamFilterTest, AllowsABurstOfTwentyFivePerObjectThenOneEveryFiveMinutes) {
  int64_t now = 1'700'000'000;
  EventSpamFilter f([&] { return now; });
  EXPECT_EQ(Allowed(f, "rs-uid", 100), 25);
  now += 299;
  EXPECT_FALSE(f.Allow("rs-uid"));
  now += 1;
  EXPECT_TRUE(f.Allow("rs-uid"));
  EXPECT_FALSE(f.Allow("rs-uid"));
  now += 3 * 300;
  EXPECT_EQ(Allowed(f, "rs-uid", 10), 3);
}

TEST(EventSpamFilterTest, ObjectsHaveTheirOwnBuckets) {
  int64_t now = 1'700'000'000;
  EventSpamFilter f([&] { return now; });
  EXPECT_EQ(Allowed(f, "a", 30), 25);
  EXPECT_EQ(Allowed(f, "b", 30), 25);
}

TEST(EventSpamFilterTest, ForgetsTheLeastRecentlyUsedObjectPastItsLimit) {
  int64_t now = 1'700'000'000;
  EventSpamFilter f([&] { return now; }, /*burst=*/2, /*refill_seconds=*/300, /*max_objects=*/2);
  EXPECT_EQ(Allowed(f, "a", 5), 2);
  now += 1;
  EXPECT_EQ(Allowed(f, "b", 5), 2);
  now += 1;
  EXPECT_EQ(Allowed(f, "c", 5), 2);  // evicts "a", the least recently used
  EXPECT_EQ(Allowed(f, "b", 5), 0);  // still remembered
  EXPECT_EQ(Allowed(f, "a", 5), 2);  // forgotten: a fresh burst
}

}  // namespace
}  // namespace capstan::controllers
