// Tests for core/apiserver/http_response.h: response heads, chunks and error bodies.
#include "core/apiserver/http_response.h"

#include <gtest/gtest.h>

namespace capstan::apiserver {
namespace {

TEST(HttpResponseTest, HeadCarriesContentLengthAndHandlerHeaders) {
  std::string out;
  AppendResponseHead(200, {{"Content-Type", "application/json"}}, BodyFraming::kContentLength, 12,
                     false, &out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n");
}

TEST(HttpResponseTest, ChunkedHeadWithCloseAndUnknownStatus) {
  std::string out;
  AppendResponseHead(299, {}, BodyFraming::kChunked, 0, true, &out);
  EXPECT_EQ(out, "HTTP/1.1 299 Unknown\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
}

TEST(HttpResponseTest, FramingHeadersAndInjectedLinesFromHandlersAreDropped) {
  std::string out;
  AppendResponseHead(404,
                     {{"content-length", "999"},
                      {"Transfer-Encoding", "gzip"},
                      {"Connection", "keep-alive"},
                      {"X-Evil", "a\r\nSet-Cookie: x"},
                      {"Bad Name", "v"},
                      {"X-Ok", "fine"}},
                     BodyFraming::kContentLength, 0, false, &out);
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nX-Ok: fine\r\nContent-Length: 0\r\n\r\n");
}

TEST(HttpResponseTest, NoBodyStatusesHaveNoFramingHeader) {
  EXPECT_TRUE(StatusForbidsBody(204));
  EXPECT_TRUE(StatusForbidsBody(101));
  EXPECT_FALSE(StatusForbidsBody(304));
  std::string out;
  AppendResponseHead(204, {}, BodyFraming::kNone, 0, false, &out);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST(HttpResponseTest, ChunksAreHexFramedAndEmptyOnesSkipped) {
  std::string out;
  AppendChunk(std::string(26, 'x'), &out);
  AppendChunk("", &out);
  EXPECT_EQ(out, "1a\r\n" + std::string(26, 'x') + "\r\n");
  EXPECT_EQ(kLastChunk, "0\r\n\r\n");
}

TEST(HttpResponseTest, ErrorStatusJsonEscapesTheMessage) {
  EXPECT_EQ(ErrorStatusJson(413, "RequestEntityTooLarge", "too \"big\"\n"),
            R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
            R"("message":"too \"big\"","reason":"RequestEntityTooLarge","code":413})");
}

}  // namespace
}  // namespace capstan::apiserver
