// Tests for core/protobuf/message_decoder.h against a small hand-written schema: the zero-value
// rules, every field shape, the special types, merging, unknown fields and error paths.
#include "core/protobuf/message_decoder.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tests/core/protobuf/test_encoder.h"

namespace capstan::protobuf {
namespace {

using nlohmann::json;
using testing::ProtoWriter;

constexpr std::string_view kTestSchema =
    "message t.Top 1=name:string 2=count:int32 3=big:int64 4=flag:bool 5=ratio:double "
    "6=blob:bytes 7=small:float 8=unsigned:uint64 "
    "10=ptrCount:*int32 11=ptrFlag:*bool 12=ptrName:*string "
    "20=inner:t.Inner 21=ptrInner:*t.Inner 22=items:[]t.Inner 23=words:[]string "
    "24=numbers:[]int32 25=labels:{}string 26=secrets:{}bytes 27=limits:{}q.Quantity "
    "28=embedded:^t.Inner "
    "30=when:t.Time 31=ptrWhen:*t.Time 32=micro:t.MicroTime 33=timeout:t.Duration "
    "34=raw:r.Raw 35=port:i.IntOrString 36=ptrPort:*i.IntOrString 37=extra:{}t.List "
    "38=deep:*t.Top 40=shown:+string 41=shownCount:+int32 42=shownPort:+i.IntOrString "
    "43=shownInner:+t.Inner 44=shownWhen:+t.Time\n"
    "message t.Inner 1=value:string 2=other:string\n"
    "message t.Time !time\n"
    "message t.MicroTime !microtime\n"
    "message t.Duration !duration\n"
    "message r.Raw !rawjson\n"
    "message q.Quantity !quantity\n"
    "message i.IntOrString !intorstring\n"
    "message t.List !list\n";

class MessageDecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Schema> parsed = Schema::Parse(kTestSchema);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    schema_ = std::make_unique<Schema>(std::move(*parsed));
    top_ = schema_->FindMessage("t.Top");
  }

  json Decode(const ProtoWriter& w) {
    Result<json> out = DecodeMessage(*top_, w.bytes());
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : json();
  }

  Status DecodeError(const ProtoWriter& w) {
    Result<json> out = DecodeMessage(*top_, w.bytes());
    EXPECT_FALSE(out.ok()) << out->dump();
    return out.status();
  }

  std::unique_ptr<Schema> schema_;
  const MessageSchema* top_ = nullptr;
};

TEST_F(MessageDecoderTest, DropsZeroValuesOfNonPointerFieldsAsGoWritesThemAnyway) {
  ProtoWriter w;
  w.Bytes(1, "").Varint(2, 0).Varint(3, 0).Varint(4, 0).Fixed64(5, 0).Bytes(6, "");
  w.Message(20, ProtoWriter()).Message(30, ProtoWriter()).Message(33, ProtoWriter().Varint(1, 0));
  w.Message(34, ProtoWriter()).Message(35, ProtoWriter().Varint(1, 0).Varint(2, 0).Bytes(3, ""));
  w.Message(28, ProtoWriter().Bytes(1, ""));
  EXPECT_EQ(Decode(w), json::object());
}

TEST_F(MessageDecoderTest, KeepsZeroValuesOfPointerFieldsBecauseGoWroteThemOnPurpose) {
  ProtoWriter w;
  w.Varint(10, 0).Varint(11, 0).Bytes(12, "").Message(21, ProtoWriter());
  w.Message(36, ProtoWriter().Varint(1, 0).Varint(2, 0).Bytes(3, ""));
  EXPECT_EQ(Decode(w), json::parse(R"({"ptrCount":0,"ptrFlag":false,"ptrName":"",
                                       "ptrInner":{},"ptrPort":0})"));
}

TEST_F(MessageDecoderTest, KeepsZeroValuesThatGoJsonShowsForLackOfOmitempty) {
  ProtoWriter w;
  w.Bytes(40, "").Varint(41, 0).Message(42, ProtoWriter().Varint(1, 0).Varint(2, 0));
  w.Message(43, ProtoWriter()).Message(44, ProtoWriter());  // {} and null stay out
  EXPECT_EQ(Decode(w), json::parse(R"({"shown":"","shownCount":0,"shownPort":0})"));
}

TEST_F(MessageDecoderTest, DecodesEveryScalarType) {
  ProtoWriter w;
  double ratio = 0.25;
  uint64_t ratio_bits = 0;
  std::memcpy(&ratio_bits, &ratio, sizeof ratio);
  float small = 1.5f;
  uint32_t small_bits = 0;
  std::memcpy(&small_bits, &small, sizeof small);
  w.Bytes(1, "web").Int(2, -5).Int(3, int64_t{1} << 40).Varint(4, 1).Fixed64(5, ratio_bits);
  w.Bytes(6, std::string("\x00\xff", 2)).Fixed32(7, small_bits).Varint(8, ~uint64_t{0});
  EXPECT_EQ(Decode(w), json::parse(R"({"name":"web","count":-5,"big":1099511627776,"flag":true,
      "ratio":0.25,"blob":"AP8=","small":1.5,"unsigned":18446744073709551615})"));
}

TEST_F(MessageDecoderTest, KeepsRepeatedElementsAndMapValuesEvenWhenEmpty) {
  ProtoWriter w;
  w.Message(22, ProtoWriter()).Message(22, ProtoWriter().Bytes(1, "b"));
  w.Bytes(23, "").Bytes(23, "x");
  w.Entry(25, "empty", "").Entry(25, "k", "v").Message(25, ProtoWriter().Bytes(1, "novalue"));
  w.Entry(26, "bin", std::string("\x01\x02", 2));
  EXPECT_EQ(Decode(w), json::parse(R"({"items":[{},{"value":"b"}],"words":["","x"],
      "labels":{"empty":"","k":"v","novalue":""},"secrets":{"bin":"AQI="}})"));
}

TEST_F(MessageDecoderTest, AcceptsPackedAndUnpackedRepeatedScalars) {
  ProtoWriter packed;
  packed.Raw("\x01\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");  // 1, 2, -1
  ProtoWriter w;
  w.Varint(24, 7).Message(24, packed).Varint(24, 8);
  EXPECT_EQ(Decode(w)["numbers"], json::parse("[7,1,2,-1,8]"));
}

TEST_F(MessageDecoderTest, MergesInlineFieldsIntoTheEnclosingObject) {
  ProtoWriter w;
  w.Bytes(1, "n").Message(28, ProtoWriter().Bytes(1, "v").Bytes(2, "o"));
  EXPECT_EQ(Decode(w), json::parse(R"({"name":"n","value":"v","other":"o"})"));
}

TEST_F(MessageDecoderTest, FollowsProtobufRulesForRepeatedSingularFields) {
  ProtoWriter w;
  w.Bytes(1, "first").Bytes(1, "second");
  w.Message(20, ProtoWriter().Bytes(1, "v")).Message(20, ProtoWriter().Bytes(2, "o"));
  w.Varint(2, 5).Varint(2, 0);  // the last value wins, and it is zero
  EXPECT_EQ(Decode(w), json::parse(R"({"name":"second","inner":{"value":"v","other":"o"}})"));
}

TEST_F(MessageDecoderTest, SkipsUnknownFieldsOfEveryWireType) {
  ProtoWriter w;
  w.Varint(99, 1).Fixed64(98, 2).Bytes(97, "junk").Fixed32(96, 3).Bytes(1, "kept");
  w.Message(20, ProtoWriter().Varint(50, 1).Bytes(1, "v"));
  EXPECT_EQ(Decode(w), json::parse(R"({"name":"kept","inner":{"value":"v"}})"));
}

TEST_F(MessageDecoderTest, DecodesSpecialTypes) {
  ProtoWriter w;
  w.Message(30, testing::Time(1700000000, 5))
      .Message(31, testing::Time(0))
      .Message(32, testing::Time(1700000000, 123456789))
      .Message(33, ProtoWriter().Varint(1, 90000000000))
      .Message(34, ProtoWriter().Bytes(1, R"({"a":[1,true]})"))
      .Message(35, ProtoWriter().Varint(1, 1).Varint(2, 0).Bytes(3, "http"))
      .Entry(27, "cpu", ProtoWriter().Bytes(1, "100m"))
      .Entry(27, "pods", ProtoWriter())
      .Entry(37, "groups", ProtoWriter().Bytes(1, "a").Bytes(1, "b"))
      .Entry(37, "none", ProtoWriter());
  EXPECT_EQ(Decode(w), json::parse(R"({
      "when":"2023-11-14T22:13:20Z", "ptrWhen":"1970-01-01T00:00:00Z",
      "micro":"2023-11-14T22:13:20.123456Z", "timeout":"1m30s", "raw":{"a":[1,true]},
      "port":"http", "limits":{"cpu":"100m","pods":"0"},
      "extra":{"groups":["a","b"],"none":[]}})"));
}

TEST_F(MessageDecoderTest, ReplacesInvalidUtf8InStringsAndKeys) {
  ProtoWriter w;
  w.Bytes(1, "a\xff").Entry(25, "k\xfe", "v");
  EXPECT_EQ(Decode(w),
            json::parse("{\"name\":\"a\xef\xbf\xbd\",\"labels\":{\"k\xef\xbf\xbd\":\"v\"}}"));
}

TEST_F(MessageDecoderTest, RejectsWrongWireTypesAndNamesThePath) {
  Status status =
      DecodeError(ProtoWriter().Message(22, ProtoWriter()).Message(22, ProtoWriter().Varint(1, 3)));
  EXPECT_EQ(status.code(), StatusCode::kBadRequest);
  EXPECT_EQ(status.message(), "at items[1].value: wrong wire type varint, want length-delimited");
  status = DecodeError(ProtoWriter().Bytes(2, "x"));
  EXPECT_EQ(status.message(), "at count: wrong wire type length-delimited, want varint");
  status = DecodeError(ProtoWriter().Entry(27, "cpu", ProtoWriter().Varint(1, 1)));
  EXPECT_EQ(status.message(), "at limits[cpu]: wrong wire type varint, want length-delimited");
}

TEST_F(MessageDecoderTest, RejectsValuesGoCannotHaveWritten) {
  const ProtoWriter bad[] = {
      ProtoWriter().Message(34, ProtoWriter().Bytes(1, "{not json")),
      ProtoWriter().Message(35, ProtoWriter().Varint(1, 2)),
      ProtoWriter().Entry(27, "cpu", ProtoWriter().Bytes(1, "")),
      ProtoWriter().Message(30, testing::Time(int64_t{1} << 40)),
      ProtoWriter().Fixed64(5, 0x7ff0000000000000),  // +Inf
  };
  for (const ProtoWriter& w : bad) EXPECT_EQ(DecodeError(w).code(), StatusCode::kBadRequest);
}

TEST_F(MessageDecoderTest, RejectsNestingBeyondTheDepthLimit) {
  ProtoWriter nested;
  for (int i = 0; i < kMaxMessageDepth + 5; ++i) nested = ProtoWriter().Message(38, nested);
  Status status = DecodeError(nested);
  EXPECT_NE(status.message().find("nested too deeply"), std::string::npos) << status.message();
  ProtoWriter shallow;
  for (int i = 0; i < 10; ++i) shallow = ProtoWriter().Message(38, shallow);
  EXPECT_TRUE(DecodeMessage(*top_, shallow.bytes()).ok());
}

}  // namespace
}  // namespace capstan::protobuf
