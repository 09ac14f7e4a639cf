// Tests for core/store/record.h: row keys and the binary key/event row encoding.
#include "core/store/record.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace capstan::store::record {
namespace {

TEST(RecordTest, KeyRowsRoundTrip) {
  std::string data;
  EncodeKeyRow(KeyRow{3, 300}, &data);
  Result<KeyRow> got = DecodeKeyRow("/a", data);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->create_revision, 3);
  EXPECT_EQ(got->mod_revision, 300);
  EXPECT_EQ(KeyRowKey("/a"), "k//a");
}

TEST(RecordTest, EventRowsRoundTripForEveryShape) {
  struct Case {
    const char* name;
    int64_t revision;
    EventRow row;
  };
  std::vector<Case> cases = {
      {"create", 7, {EventType::kPut, "/a", 7, 0}},
      {"update", 9, {EventType::kPut, "/a", 7, 7}},
      {"delete", 12, {EventType::kDelete, "/a", 7, 9}},
      {"binary key", 5, {EventType::kPut, std::string("k\0\xff", 3), 5, 0}},
  };
  for (const Case& c : cases) {
    std::string data;
    EncodeEventRow(c.row, &data);
    Result<EventRow> got = DecodeEventRow(c.revision, data);
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status().ToString();
    EXPECT_EQ(got->type, c.row.type) << c.name;
    EXPECT_EQ(got->key, c.row.key) << c.name;
    EXPECT_EQ(got->create_revision, c.row.create_revision) << c.name;
    EXPECT_EQ(got->prev_mod_revision, c.row.prev_mod_revision) << c.name;
  }
}

TEST(RecordTest, RevisionKeysSortInRevisionOrderAndParseBack) {
  std::vector<int64_t> revs = {0, 1, 255, 256, 65535, 1LL << 40, (1LL << 62) + 5};
  for (size_t i = 0; i + 1 < revs.size(); ++i) {
    EXPECT_LT(EventRowKey(revs[i]), EventRowKey(revs[i + 1]));
    EXPECT_LT(ValueRowKey(revs[i]), ValueRowKey(revs[i + 1]));
  }
  for (int64_t r : revs) {
    Result<int64_t> got = ParseRevisionKey(kEventPrefix, EventRowKey(r));
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, r);
  }
  EXPECT_EQ(ParseRevisionKey(kEventPrefix, "r/123").status().code(), StatusCode::kInternal);
  EXPECT_EQ(ParseRevisionKey(kEventPrefix, ValueRowKey(1)).status().code(), StatusCode::kInternal);
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

TEST(RecordTest, DecodeKeyRowRejectsGarbageWithInternalError) {
  std::vector<GarbageCase> cases = {
      {"empty", ""},
      {"wrong tag", "\x02\x01\x01"},
      {"truncated varint", "\x01\x81"},
      {"zero create revision", std::string("\x01\x00\x01", 3)},
      {"mod below create", "\x01\x05\x02"},
      {"trailing bytes", "\x01\x01\x01x"},
      {"overlong varint", "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x01"},
  };
  for (const GarbageCase& c : cases) {
    Result<KeyRow> got = DecodeKeyRow("k", c.data);
    EXPECT_EQ(got.status().code(), StatusCode::kInternal) << c.name;
    EXPECT_NE(got.status().message().find("\"k\""), std::string::npos) << c.name;
  }
}

TEST(RecordTest, DecodeEventRowRejectsGarbageAndImpossibleRevisions) {
  std::string update;
  EncodeEventRow(EventRow{EventType::kPut, "key", 3, 4}, &update);
  std::vector<GarbageCase> cases = {
      {"empty", ""},
      {"wrong tag", "\x01" + update.substr(1)},
      {"bad type", update.substr(0, 1) + "\x07" + update.substr(2)},
      {"key length past end", std::string("\x02\x00\x7f", 3)},
      {"truncated", update.substr(0, update.size() - 1)},
      {"trailing bytes", update + "z"},
      {"create not at its own revision", std::string("\x02\x00\x01k\x04\x00", 6)},
      {"delete without previous value", std::string("\x02\x01\x01k\x05\x00", 6)},
      {"previous value before the create", std::string("\x02\x00\x01k\x03\x02", 6)},
      {"previous value not older", std::string("\x02\x00\x01k\x03\x05", 6)},
  };
  for (const GarbageCase& c : cases) {
    EXPECT_EQ(DecodeEventRow(5, c.data).status().code(), StatusCode::kInternal) << c.name;
  }
  EXPECT_TRUE(DecodeEventRow(5, update).ok());
}

}  // namespace
}  // namespace capstan::store::record
