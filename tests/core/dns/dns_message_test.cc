// Tests for core/dns/dns_message.h: query parsing (case, trailing dots, malformed input) and
// the response header and sections.
#include "core/dns/dns_message.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::dns {
namespace {

// A query for `name` of `type` with id 0xbeef and RD set.
std::string QueryWire(const std::string& name, uint16_t type, uint16_t questions = 1) {
  std::string w = {'\xbe', '\xef', 0x01, 0x00, 0, static_cast<char>(questions), 0, 0, 0, 0, 0, 0};
  w += NameData(name);
  w += {static_cast<char>(type >> 8), static_cast<char>(type & 0xff), 0, 1};
  return w;
}

TEST(DnsMessageTest, ParsesTheQuestionLowerCased) {
  Result<Query> q = ParseQuery(QueryWire("Web.Default.SVC.cluster.local", 33));
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->id, 0xbeef);
  EXPECT_EQ(q->question.name, "web.default.svc.cluster.local");
  EXPECT_EQ(q->question.type, 33);
  EXPECT_EQ(CanonicalName("A.B."), "a.b");
}

TEST(DnsMessageTest, MalformedQueriesAreRejected) {
  std::string response = QueryWire("a.b", 1);
  response[2] = static_cast<char>(0x81);
  std::string truncated = QueryWire("a.b", 1);
  truncated.resize(truncated.size() - 3);
  std::string bad_label = QueryWire("a.b", 1);
  bad_label[12] = 70;  // a label longer than 63
  for (const std::string& wire :
       {std::string("short"), response, QueryWire("a.b", 1, 2), truncated, bad_label}) {
    EXPECT_FALSE(ParseQuery(wire).ok());
  }
}

TEST(DnsMessageTest, ResponseEchoesIdQuestionAndRecursionDesired) {
  Query q = *ParseQuery(QueryWire("a.b", 1));
  std::string r = BuildResponse(q, Rcode::kNxDomain, true, {}, {{"b", RecordType::kSoa, 5, "x"}});
  EXPECT_EQ(static_cast<uint8_t>(r[0]), 0xbe);
  EXPECT_EQ(static_cast<uint8_t>(r[2]), 0x85);  // QR, AA, RD
  EXPECT_EQ(static_cast<uint8_t>(r[3]), 0x83);  // RA, NXDOMAIN
  EXPECT_EQ(r[5], 1);                           // one question
  EXPECT_EQ(r[9], 1);                           // one authority record
  EXPECT_EQ(AData("10.0.0.1"), std::string("\x0a\x00\x00\x01", 4));
  EXPECT_EQ(AData("not-an-ip"), "");
  EXPECT_EQ(AaaaData("::1").size(), 16u);
}

}  // namespace
}  // namespace capstan::dns
