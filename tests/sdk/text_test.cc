// Tests for sdk/include/capstan/sdk/text.h: buffer views, JSON quoting, UTF-8-safe truncation
// and the convention-4 field-presence check.
#include "capstan/sdk/text.h"

#include <gtest/gtest.h>

#include "capstan/abi/authn.h"

namespace capstan::sdk {
namespace {

TEST(TextTest, NullBuffersReadAsEmpty) {
  EXPECT_EQ(ToView(capstan_host_str{nullptr, 5}), "");
  EXPECT_EQ(ToView(capstan_host_buf{nullptr, 5}), "");
  EXPECT_EQ(ToView(capstan_plugin_buf{nullptr, 5}), "");
  std::string s = "abc";
  EXPECT_EQ(ToView(ToHostStr(s)), "abc");
  EXPECT_EQ(ToView(ToHostBuf(s)), "abc");
}

TEST(TextTest, JsonStringEscapesPerRfc8259) {
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"plain", R"("plain")"},
      {"a\"b", R"("a\"b")"},
      {"back\\slash", R"("back\\slash")"},
      {"line\nbreak\ttab\r", R"("line\nbreak\ttab\r")"},
      {std::string("nul\0x", 5), R"("nul\u0000x")"},
      {"\x1f", R"("\u001f")"},
      {"é/ü", "\"é/ü\""},
  };
  for (const Case& c : cases) EXPECT_EQ(JsonString(c.in), c.out) << c.in;
}

TEST(TextTest, Utf8SafePrefixNeverSplitsACharacter) {
  const std::string two = "aé";                  // 'a' + 2-byte sequence
  const std::string four = "a\xF0\x9F\x98\x80";  // 'a' + 4-byte emoji
  EXPECT_EQ(Utf8SafePrefix(two, 10), 3u);
  EXPECT_EQ(Utf8SafePrefix(two, 3), 3u);
  EXPECT_EQ(Utf8SafePrefix(two, 2), 1u);  // would cut é
  for (size_t max = 1; max < 5; ++max) EXPECT_EQ(Utf8SafePrefix(four, max), 1u) << max;
  EXPECT_EQ(Utf8SafePrefix(four, 5), 5u);
  EXPECT_EQ(Utf8SafePrefix("abc", 0), 0u);
}

TEST(TextTest, StrListReadsHostStrings) {
  std::string a = "x", b = "y";
  capstan_host_str items[] = {ToHostStr(a), ToHostStr(b)};
  StrList list(items, 2);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1], "y");
  EXPECT_TRUE(list.Contains("x"));
  EXPECT_FALSE(list.Contains("z"));
  EXPECT_TRUE(StrList(nullptr, 3).empty());
}

TEST(TextTest, HasFieldHonoursTheWritersStructSize) {
  capstan_authn_request r{};
  r.struct_size = sizeof(r);
  EXPECT_TRUE(CAPSTAN_SDK_HAS_FIELD(&r, capstan_authn_request, remote_addr));
  // A writer that knew only the fields up to `bearer_token`.
  r.struct_size = offsetof(capstan_authn_request, bearer_token) + sizeof(capstan_host_str);
  EXPECT_TRUE(CAPSTAN_SDK_HAS_FIELD(&r, capstan_authn_request, bearer_token));
  EXPECT_FALSE(CAPSTAN_SDK_HAS_FIELD(&r, capstan_authn_request, client_cert_chain_pem));
  const capstan_authn_request* none = nullptr;
  EXPECT_FALSE(CAPSTAN_SDK_HAS_FIELD(none, capstan_authn_request, headers));
}

}  // namespace
}  // namespace capstan::sdk
