// Tests for core/apiserver/query_options.{h,cc}: boolean query parameters are read as upstream
// reads them (the Python client sends "True"), and list options pick them up.
#include "core/apiserver/query_options.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace capstan::apiserver {
namespace {

TEST(QueryBoolTest, FalseOnlyForAbsentZeroAndFalseInAnyCase) {
  EXPECT_FALSE(QueryBool(std::nullopt));
  for (const char* v : {"0", "false", "False", "FALSE"}) EXPECT_FALSE(QueryBool(v)) << v;
  for (const char* v : {"1", "true", "True", "TRUE", "", "yes"}) EXPECT_TRUE(QueryBool(v)) << v;
}

TEST(QueryBoolTest, ListOptionsReadPythonStyleWatch) {
  std::map<std::string, std::string, std::less<>> params = {{"watch", "True"},
                                                            {"allowWatchBookmarks", "False"}};
  Result<ListOptions> opts = ParseListOptions([&](std::string_view n) -> const std::string* {
    auto it = params.find(n);
    return it == params.end() ? nullptr : &it->second;
  });
  ASSERT_TRUE(opts.ok()) << opts.status().ToString();
  EXPECT_TRUE(opts->watch);
  EXPECT_FALSE(opts->allow_bookmarks);
}

}  // namespace
}  // namespace capstan::apiserver
