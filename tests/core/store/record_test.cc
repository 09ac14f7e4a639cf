// Tests for core/store/record.h: row keys and the binary value/event encoding.
#include "core/store/record.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace capstan::store::record {
namespace {

KeyValue Kv(std::string key, std::string value, int64_t create, int64_t mod) {
  return KeyValue{std::move(key), std::move(value), create, mod};
}

TEST(RecordTest, ValueRoundTripsIncludingBinaryBytes) {
  KeyValue kv = Kv("/registry/pods/a", std::string("x\0y\xff", 4), 3, 300);
  std::string data;
  EncodeValue(kv, &data);
  Result<KeyValue> got = DecodeValue(kv.key, data);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->key, kv.key);
  EXPECT_EQ(got->value, kv.value);
  EXPECT_EQ(got->create_revision, 3);
  EXPECT_EQ(got->mod_revision, 300);
}

TEST(RecordTest, EventsRoundTripForEveryShape) {
  Event create{EventType::kPut, Kv("a", "v1", 7, 7), std::nullopt};
  Event update{EventType::kPut, Kv("a", "v2", 7, 9), Kv("a", "v1", 7, 7)};
  Event del{EventType::kDelete, Kv("a", "", 0, 12), Kv("a", "v2", 7, 9)};
  for (const Event& e : {create, update, del}) {
    std::string data;
    EncodeEvent(e, &data);
    Result<Event> got = DecodeEvent(e.kv.mod_revision, data);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->type, e.type);
    EXPECT_EQ(got->kv.key, e.kv.key);
    EXPECT_EQ(got->kv.value, e.kv.value);
    EXPECT_EQ(got->kv.create_revision, e.kv.create_revision);
    EXPECT_EQ(got->kv.mod_revision, e.kv.mod_revision);
    ASSERT_EQ(got->prev.has_value(), e.prev.has_value());
    if (e.prev) {
      EXPECT_EQ(got->prev->key, e.prev->key);
      EXPECT_EQ(got->prev->value, e.prev->value);
      EXPECT_EQ(got->prev->create_revision, e.prev->create_revision);
      EXPECT_EQ(got->prev->mod_revision, e.prev->mod_revision);
    }
  }
}

TEST(RecordTest, HistoryKeysSortInRevisionOrderAndParseBack) {
  std::vector<int64_t> revs = {0, 1, 255, 256, 65535, 1LL << 40, (1LL << 62) + 5};
  for (size_t i = 0; i + 1 < revs.size(); ++i) {
    EXPECT_LT(HistoryKey(revs[i]), HistoryKey(revs[i + 1]));
  }
  for (int64_t r : revs) {
    Result<int64_t> got = ParseHistoryKey(HistoryKey(r));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, r);
  }
  EXPECT_EQ(ParseHistoryKey("h/123").status().code(), StatusCode::kInternal);
  EXPECT_EQ(ParseHistoryKey("k/12345678").status().code(), StatusCode::kInternal);
}

TEST(RecordTest, RevisionCounterRoundTripsAndRejectsGarbage) {
  for (int64_t r : {0LL, 1LL, 127LL, 128LL, 1LL << 50}) {
    Result<int64_t> got = DecodeRevision(EncodeRevision(r));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, r);
  }
  EXPECT_FALSE(DecodeRevision("").ok());
  EXPECT_FALSE(DecodeRevision("\x80").ok());
  EXPECT_FALSE(DecodeRevision(std::string("\x01\x01", 2)).ok());
}

struct GarbageCase {
  const char* name;
  std::string data;
};

TEST(RecordTest, DecodeValueRejectsGarbageWithInternalError) {
  std::vector<GarbageCase> cases = {
      {"empty", ""},
      {"wrong tag", "\x02\x01\x01v"},
      {"truncated varint", "\x01\x81"},
      {"zero create revision", std::string("\x01\x00\x01v", 4)},
      {"mod below create", "\x01\x05\x02v"},
      {"overlong varint", "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x01"},
  };
  for (const GarbageCase& c : cases) {
    Result<KeyValue> got = DecodeValue("k", c.data);
    EXPECT_EQ(got.status().code(), StatusCode::kInternal) << c.name;
    EXPECT_NE(got.status().message().find("\"k\""), std::string::npos) << c.name;
  }
}

TEST(RecordTest, DecodeEventRejectsGarbageWithInternalError) {
  std::string good;
  EncodeEvent(Event{EventType::kPut, Kv("key", "value", 3, 5), Kv("key", "old", 3, 4)}, &good);
  std::vector<GarbageCase> cases = {
      {"empty", ""},
      {"wrong tag", "\x01" + good.substr(1)},
      {"bad type", good.substr(0, 1) + "\x07" + good.substr(2)},
      {"key length past end", std::string("\x02\x00\x7f", 3)},
      {"truncated before flags", good.substr(0, 13)},
      {"bad flags", std::string("\x02\x00\x01k\x01\x00\x04", 7)},
      {"trailing bytes without prev", std::string("\x02\x00\x01k\x01\x00\x00zz", 9)},
      {"delete without prev", std::string("\x02\x01\x01k\x00", 5)},
  };
  for (const GarbageCase& c : cases) {
    EXPECT_EQ(DecodeEvent(5, c.data).status().code(), StatusCode::kInternal) << c.name;
  }
  // A previous value newer than the event itself is impossible.
  EXPECT_EQ(DecodeEvent(4, good).status().code(), StatusCode::kInternal);
  EXPECT_TRUE(DecodeEvent(5, good).ok());
}

}  // namespace
}  // namespace capstan::store::record
