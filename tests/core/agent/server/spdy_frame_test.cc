// Tests for SPDY/3.1 framing (core/agent/server/spdy_frame.h) and its zlib adapter
// (spdy_zlib.h): round trips of every frame kind through split byte streams, the shared
// compression context across frames, and malformed input as clear errors.
#include "core/agent/server/spdy_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace capstan::agent::server {
namespace {

std::string Encode(SpdyFrameEncoder& enc, const SpdyFrame& f) {
  Result<std::string> bytes = enc.Encode(f);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? *bytes : std::string();
}

// Feeds `bytes` to a decoder `chunk` bytes at a time and collects every frame.
std::vector<SpdyFrame> DecodeAll(SpdyFrameDecoder& dec, const std::string& bytes, size_t chunk) {
  std::vector<SpdyFrame> out;
  for (size_t at = 0; at < bytes.size(); at += chunk) {
    dec.Append(std::string_view(bytes).substr(at, chunk));
    for (;;) {
      Result<std::optional<SpdyFrame>> f = dec.Next();
      EXPECT_TRUE(f.ok()) << f.status().message();
      if (!f.ok() || !f->has_value()) break;
      out.push_back(std::move(**f));
    }
  }
  return out;
}

SpdyFrame SynStream(uint32_t id, SpdyHeaders headers, bool fin) {
  SpdyFrame f;
  f.type = SpdyFrameType::kSynStream;
  f.stream_id = id;
  f.priority = 2;
  f.headers = std::move(headers);
  f.flags = fin ? kSpdyFlagFin : 0;
  return f;
}

SpdyFrame Settings() {
  SpdyFrame f;
  f.type = SpdyFrameType::kSettings;
  f.settings = {{0x01000007, 65536}, {4, 100}};
  return f;
}

SpdyFrame WindowUpdate() {
  SpdyFrame f;
  f.type = SpdyFrameType::kWindowUpdate;
  f.stream_id = 3;
  f.value = 4096;
  return f;
}

TEST(SpdyFrameTest, EveryFrameKindRoundTripsWhateverTheByteSplit) {
  const std::vector<SpdyFrame> frames = {
      SynStream(1, {{"streamtype", "error"}, {"port", "8080"}, {"requestid", "0"}}, true),
      SynStream(3, {{"streamtype", "data"}, {"port", "8080"}, {"requestid", "0"}}, false),
      SpdySynReplyFrame(1),
      SpdySynReplyFrame(3, {{"x", std::string("a\0b", 3)}}, true),
      SpdyDataFrame(3, "GET / HTTP/1.0\r\n\r\n", false),
      SpdyDataFrame(3, "", true),
      SpdyDataFrame(5, std::string(70000, 'x'), false),
      SpdyRstStreamFrame(3, kSpdyRstCancel),
      SpdyPingFrame(1),
      SpdyGoAwayFrame(7, kSpdyGoAwayOk),
      Settings(),
      WindowUpdate(),
  };
  for (size_t chunk : {size_t{1}, size_t{3}, size_t{8}, size_t{4096}, size_t{1} << 20}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    SpdyFrameEncoder enc;
    std::string bytes;
    for (const SpdyFrame& f : frames) bytes += Encode(enc, f);
    SpdyFrameDecoder dec;
    std::vector<SpdyFrame> got = DecodeAll(dec, bytes, chunk);
    ASSERT_EQ(got.size(), frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
      SCOPED_TRACE("frame " + std::to_string(i));
      EXPECT_EQ(got[i].type, frames[i].type);
      EXPECT_EQ(got[i].flags, frames[i].flags);
      EXPECT_EQ(got[i].stream_id, frames[i].stream_id);
      EXPECT_EQ(got[i].status, frames[i].status);
      EXPECT_EQ(got[i].value, frames[i].value);
      EXPECT_EQ(got[i].headers, frames[i].headers);
      EXPECT_EQ(got[i].settings, frames[i].settings);
      EXPECT_EQ(got[i].data, frames[i].data);
    }
    EXPECT_EQ(got[0].priority, 2);
    EXPECT_EQ(dec.buffered(), 0U);
  }
}

TEST(SpdyFrameTest, HeaderLookupIsByLowerCaseNameAndTakesTheFirstValue) {
  SpdyFrameEncoder enc;
  SpdyFrameDecoder dec;
  std::vector<SpdyFrame> got = DecodeAll(
      dec, Encode(enc, SynStream(1, {{"StreamType", std::string("stdout\0x", 8)}}, false)), 64);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(SpdyHeader(got[0].headers, "streamtype"), "stdout");
  EXPECT_EQ(SpdyHeader(got[0].headers, "port"), "");
}

TEST(SpdyFrameTest, HeaderBlocksUseTheStandardDictionary) {
  // A peer that compressed without the dictionary (or with another) is refused.
  SpdyDeflater with_dictionary;
  Result<std::string> a = with_dictionary.Compress(std::string("\0\0\0\0", 4));
  ASSERT_TRUE(a.ok());
  SpdyInflater inflater;
  Result<std::string> back = inflater.Decompress(*a);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, std::string("\0\0\0\0", 4));
  EXPECT_EQ(SpdyDictionary().size(), 1423U);
  EXPECT_EQ(SpdyDictionary().substr(0, 11), std::string_view("\0\0\0\7options", 11));
}

std::string Control(uint16_t type, uint8_t flags, const std::string& payload,
                    uint16_t version = 3) {
  std::string out;
  out.push_back(static_cast<char>(0x80 | version >> 8));
  out.push_back(static_cast<char>(version));
  out.push_back(static_cast<char>(type >> 8));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  out.push_back(static_cast<char>(payload.size() >> 16));
  out.push_back(static_cast<char>(payload.size() >> 8));
  out.push_back(static_cast<char>(payload.size()));
  return out + payload;
}

struct MalformedCase {
  const char* name;
  std::string bytes;
  const char* message_part;
};

TEST(SpdyFrameTest, MalformedFramesAreClearErrorsAndTheDecoderStaysFailed) {
  const std::string zero4("\0\0\0\0", 4);
  const std::string stream1("\0\0\0\1", 4);
  const std::vector<MalformedCase> cases = {
      {"version 2", Control(6, 0, zero4, 2), "unsupported version 2"},
      {"ping of 3 bytes", Control(6, 0, "abc"), "bad length 3"},
      {"rst of 4 bytes", Control(3, 0, stream1), "bad length 4"},
      {"goaway of 5 bytes", Control(7, 0, zero4 + "x"), "bad length 5"},
      {"short syn_stream", Control(1, 0, stream1), "bad length 4"},
      {"syn_stream for stream 0", Control(1, 0, zero4 + zero4 + std::string("\0\0x", 3)),
       "stream 0"},
      {"syn_reply with garbage headers", Control(2, 0, stream1 + "garbage"), "bad header block"},
      {"settings count lies", Control(4, 0, std::string("\0\0\0\5", 4)), "bad length 4"},
      {"data for stream 0", std::string("\0\0\0\0\0\0\0\1x", 9), "stream 0"},
      {"frame over the limit", std::string("\0\0\0\1\0\xff\xff\xff", 8), "exceeds the limit"},
  };
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.name);
    SpdyFrameDecoder dec;
    dec.Append(c.bytes);
    Result<std::optional<SpdyFrame>> f = dec.Next();
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.status().code(), StatusCode::kBadRequest);
    EXPECT_NE(f.status().message().find(c.message_part), std::string::npos) << f.status().message();
    dec.Append(std::string(64, '\0'));
    EXPECT_FALSE(dec.Next().ok());
  }
}

TEST(SpdyFrameTest, TruncatedAndRandomInputNeverCrashes) {
  SpdyFrameEncoder enc;
  std::string good = Encode(enc, SynStream(1, {{"streamtype", "data"}}, false)) +
                     Encode(enc, SpdyDataFrame(1, "hello", true));
  // Every prefix is either incomplete or frames; never an error.
  for (size_t n = 0; n < good.size(); ++n) {
    SpdyFrameDecoder dec;
    dec.Append(good.substr(0, n));
    Result<std::optional<SpdyFrame>> f = dec.Next();
    EXPECT_TRUE(f.ok()) << n << ": " << f.status().message();
  }
  // Bytes flipped anywhere give frames or errors, without crashing.
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    SpdyFrameDecoder dec;
    dec.Append(bad);
    for (int k = 0; k < 4; ++k) {
      Result<std::optional<SpdyFrame>> f = dec.Next();
      if (!f.ok() || !f->has_value()) break;
    }
  }
}

TEST(SpdyFrameTest, UnknownControlFramesDecodeToBeIgnored) {
  SpdyFrameDecoder dec;
  dec.Append(Control(10, 0, "whatever"));
  Result<std::optional<SpdyFrame>> f = dec.Next();
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ(static_cast<int>((*f)->type), 10);
}

TEST(SpdyFrameTest, EncodingRejectsOutOfRangeFields) {
  SpdyFrameEncoder enc;
  EXPECT_EQ(enc.Encode(SpdyDataFrame(0, "x", false)).status().code(), StatusCode::kInvalid);
  EXPECT_EQ(enc.Encode(SpdyDataFrame(0x80000000U, "x", false)).status().code(),
            StatusCode::kInvalid);
  const size_t over_24_bits = size_t{1} << 24;
  EXPECT_EQ(enc.Encode(SpdyDataFrame(1, std::string(over_24_bits, 'x'), false)).status().code(),
            StatusCode::kInvalid);
}

}  // namespace
}  // namespace capstan::agent::server
