// Tests for core/protobuf/wire_reader.h: varints, fixed-width values, tags, lengths, skipping.
#include "core/protobuf/wire_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::protobuf {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

struct VarintCase {
  std::string bytes;
  uint64_t value;
};

TEST(WireReaderTest, ReadsVarintsOfEveryLength) {
  const VarintCase cases[] = {
      {Bytes({0x00}), 0},
      {Bytes({0x01}), 1},
      {Bytes({0x7f}), 127},
      {Bytes({0x80, 0x01}), 128},
      {Bytes({0xac, 0x02}), 300},
      {Bytes({0xff, 0xff, 0xff, 0xff, 0x0f}), 0xffffffffu},
      {Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), ~uint64_t{0}},
      // Go writes int32(-1) sign-extended to ten bytes.
      {Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}), uint64_t(int64_t{-1})},
  };
  for (const VarintCase& c : cases) {
    WireReader reader(c.bytes);
    Result<uint64_t> value = reader.ReadVarint();
    ASSERT_TRUE(value.ok()) << value.status().ToString();
    EXPECT_EQ(*value, c.value);
    EXPECT_TRUE(reader.done());
  }
}

TEST(WireReaderTest, RejectsTruncatedAndOverlongVarints) {
  const std::string bad[] = {
      "",
      Bytes({0x80}),
      Bytes({0xff, 0xff}),
      Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}),
      Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}),
  };
  for (const std::string& bytes : bad) {
    WireReader reader(bytes);
    Result<uint64_t> value = reader.ReadVarint();
    ASSERT_FALSE(value.ok());
    EXPECT_EQ(value.status().code(), StatusCode::kBadRequest);
  }
}

TEST(WireReaderTest, SplitsTagsIntoFieldNumberAndWireType) {
  const std::string reader_bytes = Bytes({0x0a, 0x10, 0xf8, 0xff, 0xff, 0xff, 0x0f});
  WireReader reader(reader_bytes);
  Result<Tag> first = reader.ReadTag();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->field_number, 1u);
  EXPECT_EQ(first->wire_type, WireType::kLengthDelimited);
  Result<Tag> second = reader.ReadTag();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->field_number, 2u);
  EXPECT_EQ(second->wire_type, WireType::kVarint);
  Result<Tag> largest = reader.ReadTag();
  ASSERT_TRUE(largest.ok()) << largest.status().ToString();
  EXPECT_EQ(largest->field_number, (1u << 29) - 1);
}

TEST(WireReaderTest, RejectsFieldNumberZeroAndWireTypesSixAndSeven) {
  for (const std::string& bytes : {Bytes({0x02}), Bytes({0x0e}), Bytes({0x0f})}) {
    WireReader reader(bytes);
    EXPECT_FALSE(reader.ReadTag().ok());
  }
}

TEST(WireReaderTest, ReadsLittleEndianFixedValues) {
  const std::string reader_bytes = Bytes({0x78, 0x56, 0x34, 0x12, 1, 2, 3, 4, 5, 6, 7, 8});
  WireReader reader(reader_bytes);
  Result<uint32_t> fixed32 = reader.ReadFixed32();
  ASSERT_TRUE(fixed32.ok());
  EXPECT_EQ(*fixed32, 0x12345678u);
  Result<uint64_t> fixed64 = reader.ReadFixed64();
  ASSERT_TRUE(fixed64.ok());
  EXPECT_EQ(*fixed64, 0x0807060504030201u);
  EXPECT_FALSE(reader.ReadFixed32().ok());
}

TEST(WireReaderTest, RejectsTruncatedFixedValues) {
  const std::string short32_bytes = Bytes({1, 2, 3});
  WireReader short32(short32_bytes);
  EXPECT_FALSE(short32.ReadFixed32().ok());
  const std::string short64_bytes = Bytes({1, 2, 3, 4, 5, 6, 7});
  WireReader short64(short64_bytes);
  EXPECT_FALSE(short64.ReadFixed64().ok());
}

TEST(WireReaderTest, ReturnsLengthDelimitedBytesAsViewsIntoTheInput) {
  const std::string data = Bytes({0x03, 'a', 'b', 'c', 0x00});
  WireReader reader(data);
  Result<std::string_view> abc = reader.ReadLengthDelimited();
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ(*abc, "abc");
  EXPECT_EQ(abc->data(), data.data() + 1);
  Result<std::string_view> empty = reader.ReadLengthDelimited();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_TRUE(reader.done());
}

TEST(WireReaderTest, RejectsLengthsPastTheEndIncludingHugeOnes) {
  for (const std::string& bytes :
       {Bytes({0x04, 'a', 'b', 'c'}),
        Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'a'})}) {
    WireReader reader(bytes);
    Result<std::string_view> value = reader.ReadLengthDelimited();
    ASSERT_FALSE(value.ok());
    EXPECT_NE(value.status().message().find("past the end"), std::string::npos)
        << value.status().message();
  }
}

TEST(WireReaderTest, SkipsEachWireTypeButRejectsGroups) {
  const std::string data = Bytes({0x96, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x02, 'h', 'i', 9, 9, 9, 9});
  WireReader reader(data);
  EXPECT_TRUE(reader.SkipField(WireType::kVarint).ok());
  EXPECT_TRUE(reader.SkipField(WireType::kFixed64).ok());
  EXPECT_TRUE(reader.SkipField(WireType::kLengthDelimited).ok());
  EXPECT_TRUE(reader.SkipField(WireType::kFixed32).ok());
  EXPECT_TRUE(reader.done());
  EXPECT_FALSE(reader.SkipField(WireType::kStartGroup).ok());
  EXPECT_FALSE(reader.SkipField(WireType::kEndGroup).ok());
}

TEST(WireReaderTest, ErrorsNameTheByteOffset) {
  const std::string reader_bytes = Bytes({0x0a, 0x05, 'a'});
  WireReader reader(reader_bytes);
  ASSERT_TRUE(reader.ReadTag().ok());
  Result<std::string_view> value = reader.ReadLengthDelimited();
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.status().message().find("byte 2"), std::string::npos) << value.status().message();
}

}  // namespace
}  // namespace capstan::protobuf
