// DNS wire format (RFC 1035) for the cluster DNS server: parsing a query's header and first
// question, and building responses with A, AAAA, CNAME, PTR, SRV and SOA records. Names are
// written uncompressed (responses stay small). Partners: cluster_records.h (what to answer),
// dns_server.h (transport). Tests: tests/core/dns/dns_message_test.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace capstan::dns {

enum class RecordType : uint16_t {
  kA = 1,
  kNs = 2,
  kCname = 5,
  kSoa = 6,
  kPtr = 12,
  kTxt = 16,
  kAaaa = 28,
  kSrv = 33,
  kAny = 255,
};

enum class Rcode : uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kRefused = 5
};

struct Question {
  std::string name;  // lower case, no trailing dot ("web.default.svc.cluster.local")
  uint16_t type = 0;
  uint16_t klass = 1;
};

struct Query {
  uint16_t id = 0;
  uint16_t flags = 0;  // as received (RD is echoed)
  Question question;
};

// Errors: kInvalid for a truncated or malformed message, one that is a response, or one
// without exactly one question.
Result<Query> ParseQuery(std::string_view wire);

// One resource record. `data` is the RDATA already in wire form (see the *Data helpers).
struct Record {
  std::string name;
  RecordType type = RecordType::kA;
  uint32_t ttl = 5;
  std::string data;
};

// RDATA builders. `A/AaaaData` return "" for a malformed address.
std::string AData(std::string_view ipv4);
std::string AaaaData(std::string_view ipv6);
std::string NameData(std::string_view name);  // CNAME and PTR
std::string SrvData(uint16_t priority, uint16_t weight, uint16_t port, std::string_view target);
std::string SoaData(std::string_view mname, std::string_view rname, uint32_t serial,
                    uint32_t minimum_ttl);

// A response to `query` (its id, question and RD flag; AA set when `authoritative`).
std::string BuildResponse(const Query& query, Rcode rcode, bool authoritative,
                          const std::vector<Record>& answers,
                          const std::vector<Record>& authority = {},
                          const std::vector<Record>& additional = {});

// Lower-cases `name` and drops one trailing dot.
std::string CanonicalName(std::string_view name);

}  // namespace capstan::dns
