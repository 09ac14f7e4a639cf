// DNS wire format (dns_message.h).
#include "core/dns/dns_message.h"

#include <arpa/inet.h>

#include <cctype>

namespace capstan::dns {
namespace {

constexpr uint16_t kFlagResponse = 0x8000;
constexpr uint16_t kFlagAuthoritative = 0x0400;
constexpr uint16_t kFlagRecursionDesired = 0x0100;
constexpr uint16_t kFlagRecursionAvailable = 0x0080;

void Put16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

void Put32(std::string* out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v & 0xffff));
}

uint16_t Get16(std::string_view wire, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(wire[at]) << 8) |
                               static_cast<uint8_t>(wire[at + 1]));
}

void PutName(std::string* out, std::string_view name) {
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    std::string_view label = name.substr(start, std::min<size_t>(dot - start, 63));
    out->push_back(static_cast<char>(label.size()));
    out->append(label);
    start = dot + 1;
  }
  out->push_back(0);
}

void PutRecord(std::string* out, const Record& r) {
  PutName(out, r.name);
  Put16(out, static_cast<uint16_t>(r.type));
  Put16(out, 1);  // IN
  Put32(out, r.ttl);
  Put16(out, static_cast<uint16_t>(r.data.size()));
  out->append(r.data);
}

}  // namespace

std::string CanonicalName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<Query> ParseQuery(std::string_view wire) {
  if (wire.size() < 12) return InvalidError("DNS message shorter than its header");
  Query q;
  q.id = Get16(wire, 0);
  q.flags = Get16(wire, 2);
  if ((q.flags & kFlagResponse) != 0) return InvalidError("DNS message is a response");
  if (Get16(wire, 4) != 1) return InvalidError("DNS query without exactly one question");
  size_t at = 12;
  std::string name;
  while (true) {
    if (at >= wire.size()) return InvalidError("DNS question name runs past the message");
    auto len = static_cast<uint8_t>(wire[at++]);
    if (len == 0) break;
    if (len > 63 || at + len > wire.size()) return InvalidError("malformed DNS question name");
    if (!name.empty()) name += '.';
    name.append(wire.substr(at, len));
    at += len;
    if (name.size() > 253) return InvalidError("DNS question name too long");
  }
  if (at + 4 > wire.size()) return InvalidError("DNS question runs past the message");
  q.question.name = CanonicalName(name);
  q.question.type = Get16(wire, at);
  q.question.klass = Get16(wire, at + 2);
  return q;
}

std::string AData(std::string_view ipv4) {
  in_addr addr{};
  if (inet_pton(AF_INET, std::string(ipv4).c_str(), &addr) != 1) return "";
  return std::string(reinterpret_cast<const char*>(&addr), 4);
}

std::string AaaaData(std::string_view ipv6) {
  in6_addr addr{};
  if (inet_pton(AF_INET6, std::string(ipv6).c_str(), &addr) != 1) return "";
  return std::string(reinterpret_cast<const char*>(&addr), 16);
}

std::string NameData(std::string_view name) {
  std::string out;
  PutName(&out, name);
  return out;
}

std::string SrvData(uint16_t priority, uint16_t weight, uint16_t port, std::string_view target) {
  std::string out;
  Put16(&out, priority);
  Put16(&out, weight);
  Put16(&out, port);
  PutName(&out, target);
  return out;
}

std::string SoaData(std::string_view mname, std::string_view rname, uint32_t serial,
                    uint32_t minimum_ttl) {
  std::string out;
  PutName(&out, mname);
  PutName(&out, rname);
  Put32(&out, serial);
  Put32(&out, 7200);   // refresh
  Put32(&out, 1800);   // retry
  Put32(&out, 86400);  // expire
  Put32(&out, minimum_ttl);
  return out;
}

std::string BuildResponse(const Query& query, Rcode rcode, bool authoritative,
                          const std::vector<Record>& answers, const std::vector<Record>& authority,
                          const std::vector<Record>& additional) {
  std::string out;
  Put16(&out, query.id);
  uint16_t flags = kFlagResponse | kFlagRecursionAvailable | (query.flags & kFlagRecursionDesired) |
                   static_cast<uint16_t>(rcode);
  if (authoritative) flags |= kFlagAuthoritative;
  Put16(&out, flags);
  Put16(&out, 1);
  Put16(&out, static_cast<uint16_t>(answers.size()));
  Put16(&out, static_cast<uint16_t>(authority.size()));
  Put16(&out, static_cast<uint16_t>(additional.size()));
  PutName(&out, query.question.name);
  Put16(&out, query.question.type);
  Put16(&out, query.question.klass);
  for (const auto* section : {&answers, &authority, &additional}) {
    for (const Record& r : *section) PutRecord(&out, r);
  }
  return out;
}

}  // namespace capstan::dns
