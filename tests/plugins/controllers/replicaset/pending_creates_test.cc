// Tests for plugins/controllers/replicaset/pending_creates: outstanding until the cache shows
// every created pod, and a full sync once the generation changes or the TTL passes.
#include "plugins/controllers/replicaset/pending_creates.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace capstan::controllers {
namespace {

TEST(PendingCreatesTest, OutstandingUntilTheCacheShowsEveryCreatedPod) {
  PendingCreates p;
  p.Add("ns/web", 1, "web-a");
  p.Add("ns/web", 1, "web-b");
  std::set<std::string> cache = {"web-a"};
  int reads = 0;
  auto in_cache = [&](const std::string& name) {
    ++reads;
    return cache.count(name) > 0;
  };
  EXPECT_TRUE(p.Outstanding("ns/web", 1, in_cache));
  EXPECT_EQ(reads, 2);
  cache.insert("web-b");
  EXPECT_FALSE(p.Outstanding("ns/web", 1, in_cache));
  EXPECT_EQ(reads, 3);  // web-a was confirmed before and is not read again
  EXPECT_FALSE(p.Outstanding("ns/web", 1, in_cache));
  EXPECT_FALSE(p.Outstanding("ns/other", 1, in_cache));
}

TEST(PendingCreatesTest, ANewGenerationOrAnExpiredRecordNeedsAFullSync) {
  int64_t now = 1'700'000'000;
  PendingCreates p([&] { return now; }, 300);
  auto never = [](const std::string&) { return false; };
  p.Add("ns/web", 1, "web-a");
  EXPECT_FALSE(p.Outstanding("ns/web", 2, never));  // spec changed: status must catch up
  EXPECT_FALSE(p.Outstanding("ns/web", 1, never));  // and the record is gone

  p.Add("ns/web", 1, "web-a");
  now += 300;
  EXPECT_TRUE(p.Outstanding("ns/web", 1, never));
  now += 1;
  EXPECT_FALSE(p.Outstanding("ns/web", 1, never));
}

TEST(PendingCreatesTest, ForgetDropsTheRecord) {
  PendingCreates p;
  p.Add("ns/web", 1, "web-a");
  p.Forget("ns/web");
  EXPECT_FALSE(p.Outstanding("ns/web", 1, [](const std::string&) { return false; }));
}

}  // namespace
}  // namespace capstan::controllers
