// Tests of core/controllers/object_text_cache.h: one serialization per object version, shared
// by readers; stale and unversioned objects serialized on demand; deletes forgotten.
#include "core/controllers/object_text_cache.h"

#include <gtest/gtest.h>

namespace capstan::controllers {
namespace {

nlohmann::json Pod(const std::string& rv, const std::string& node = "") {
  nlohmann::json pod = {
      {"kind", "Pod"}, {"metadata", {{"name", "p"}, {"namespace", "ns"}, {"resourceVersion", rv}}}};
  if (!node.empty()) pod["spec"]["nodeName"] = node;
  return pod;
}

TEST(ObjectTextCacheTest, ReadersOfTheSameVersionShareOneText) {
  ObjectTextCache cache;
  nlohmann::json v1 = Pod("1");
  ObjectTextCache::Text put = cache.Put("ns/p", v1);
  EXPECT_EQ(*put, v1.dump());
  nlohmann::json copy = v1;  // another copy of the same version (a different DOM)
  EXPECT_EQ(cache.Get("ns/p", copy).get(), put.get());
  EXPECT_EQ(cache.Put("ns/p", copy).get(), put.get());
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ObjectTextCacheTest, AnotherVersionIsNeverServedTheRememberedText) {
  ObjectTextCache cache;
  cache.Put("ns/p", Pod("1"));
  nlohmann::json v2 = Pod("2", "node-1");
  // A reader that got v2 from the informer before its handler ran: serialized, not remembered.
  ObjectTextCache::Text got = cache.Get("ns/p", v2);
  EXPECT_EQ(*got, v2.dump());
  EXPECT_NE(cache.Get("ns/p", v2).get(), got.get());
  // The handler's Put replaces the entry.
  ObjectTextCache::Text put = cache.Put("ns/p", v2);
  EXPECT_EQ(cache.Get("ns/p", v2).get(), put.get());
  EXPECT_EQ(*cache.Get("ns/p", Pod("1")), Pod("1").dump());
}

TEST(ObjectTextCacheTest, DeletedAndUnversionedObjectsAreNotRemembered) {
  ObjectTextCache cache;
  cache.Put("ns/p", Pod("1"));
  cache.Forget("ns/p");
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(*cache.Get("ns/p", Pod("1")), Pod("1").dump());
  EXPECT_EQ(cache.size(), 0u);
  nlohmann::json unversioned = {{"kind", "Pod"}, {"metadata", {{"name", "q"}}}};
  EXPECT_EQ(*cache.Put("q", unversioned), unversioned.dump());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ObjectTextCacheTest, InvalidUtf8IsReplacedNotThrown) {
  ObjectTextCache cache;
  nlohmann::json pod = Pod("1");
  pod["metadata"]["labels"]["bad"] = std::string("a\xff");
  EXPECT_EQ(*cache.Put("ns/p", pod),
            pod.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace
}  // namespace capstan::controllers
