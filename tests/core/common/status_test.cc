// Tests for core/common/status.h.
#include "core/common/status.h"

#include <gtest/gtest.h>

namespace capstan {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, CodesMapToKubernetesHttpStatusesAndReasons) {
  struct Case {
    StatusCode code;
    int http;
    std::string_view reason;
  };
  const Case cases[] = {
      {StatusCode::kInvalid, 422, "Invalid"},
      {StatusCode::kNotFound, 404, "NotFound"},
      {StatusCode::kConflict, 409, "Conflict"},
      {StatusCode::kAlreadyExists, 409, "AlreadyExists"},
      {StatusCode::kGone, 410, "Expired"},
      {StatusCode::kForbidden, 403, "Forbidden"},
      {StatusCode::kUnauthenticated, 401, "Unauthorized"},
      {StatusCode::kTimeout, 504, "Timeout"},
      {StatusCode::kInternal, 500, "InternalError"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HttpStatus(c.code), c.http) << StatusCodeName(c.code);
    EXPECT_EQ(StatusCodeReason(c.code), c.reason);
  }
}

TEST(StatusTest, WithContextPrefixesMessageAndKeepsCode) {
  Status s = NotFoundError("file missing").WithContext("loading plugin 'x'");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "loading plugin 'x': file missing");
  EXPECT_TRUE(Status().WithContext("ignored").ok());
}

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidError("odd");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  Result<int> r = Half(x);
  CAPSTAN_RETURN_IF_ERROR(r.status());
  *out = *r;
  return Status::Ok();
}

TEST(ResultTest, HoldsValueOrError) {
  EXPECT_EQ(*Half(4), 2);
  EXPECT_EQ(Half(3).status().code(), StatusCode::kInvalid);
  int out = 0;
  EXPECT_TRUE(UseHalf(8, &out).ok());
  EXPECT_EQ(out, 4);
  EXPECT_FALSE(UseHalf(7, &out).ok());
}

}  // namespace
}  // namespace capstan
