// Tests for core/client/api_status.h: responses and watch ERROR objects map to Status codes by
// the metav1.Status reason first, then by HTTP status, keeping the server's message.
#include "core/client/api_status.h"

#include <gtest/gtest.h>

namespace capstan::client {
namespace {

using Json = nlohmann::json;

TEST(ApiStatusTest, ResponsesMapByReasonThenHttpStatus) {
  struct Case {
    int http;
    std::string body;
    StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {404, R"({"kind":"Status","reason":"NotFound","message":"pods \"a\" not found"})",
       StatusCode::kNotFound, "pods \"a\" not found"},
      {409, R"({"kind":"Status","reason":"AlreadyExists","message":"exists"})",
       StatusCode::kAlreadyExists, "exists"},
      {409, R"({"kind":"Status","reason":"Conflict","message":"modified"})", StatusCode::kConflict,
       "modified"},
      {422, R"({"kind":"Status","reason":"Invalid","message":"bad"})", StatusCode::kInvalid, "bad"},
      {410, R"({"kind":"Status","reason":"Expired","message":"too old"})", StatusCode::kGone,
       "too old"},
      {500, R"({"kind":"Status","reason":"ServerTimeout","message":"slow"})", StatusCode::kTimeout,
       "slow"},
      {409, R"({"kind":"Status","message":"no reason"})", StatusCode::kConflict, "no reason"},
      {503, "upstream down", StatusCode::kUnavailable, "HTTP 503: upstream down"},
      {429, "", StatusCode::kTooManyRequests, "HTTP 429"},
      {418, "", StatusCode::kBadRequest, "HTTP 418"},
  };
  for (const Case& c : cases) {
    Status s = StatusFromResponse(ApiResponse{c.http, c.body, "application/json"});
    EXPECT_EQ(s.code(), c.code) << c.http << " " << c.body;
    EXPECT_EQ(s.message(), c.message) << c.http << " " << c.body;
  }
  EXPECT_TRUE(StatusFromResponse(ApiResponse{201, "{}", ""}).ok());
  EXPECT_EQ(StatusFromStatusObject(Json::parse(R"({"kind":"Status","code":410})")).code(),
            StatusCode::kGone);
}

TEST(ApiStatusTest, KnownReasonsAndUnknownOnes) {
  EXPECT_EQ(StatusCodeFromReason("NotFound"), StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeFromReason("Gone"), StatusCode::kGone);
  EXPECT_EQ(StatusCodeFromReason("Unauthorized"), StatusCode::kUnauthenticated);
  EXPECT_EQ(StatusCodeFromReason("SomethingNew"), std::nullopt);
  EXPECT_EQ(StatusCodeFromReason(""), std::nullopt);
}

}  // namespace
}  // namespace capstan::client
