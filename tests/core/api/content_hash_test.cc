// Tests for core/api/content_hash.{h,cc}: SHA-512 in upper-case hex, one-shot and streamed.
#include "core/api/content_hash.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::api {
namespace {

constexpr char kAbc[] =
    "DDAF35A193617ABACC417349AE20413112E6FA4E89A97EA20A9EEEE64B55D39A2192992A274FC1A836BA3C23A3FEE"
    "BBD454D4423643CE80E2A9AC94FA54CA49F";

TEST(Sha512HexTest, MatchesTheFips180TestVectorInUpperCase) { EXPECT_EQ(Sha512Hex("abc"), kAbc); }

TEST(Sha512HexTest, StreamingInChunksEqualsOneShot) {
  Sha512Hasher hasher;
  hasher.Update("a");
  hasher.Update("");
  hasher.Update("bc");
  EXPECT_EQ(hasher.FinishHex(), kAbc);
  std::string big(200000, 'x');
  Sha512Hasher chunked;
  for (size_t i = 0; i < big.size(); i += 4096)
    chunked.Update(std::string_view(big).substr(i, 4096));
  EXPECT_EQ(chunked.FinishHex(), Sha512Hex(big));
  EXPECT_NE(Sha512Hex(big), Sha512Hex(big + "y"));
}

}  // namespace
}  // namespace capstan::api
