// Test-only protobuf writer for building Kubernetes request bodies by hand, field by field, the
// way Go's encoder lays them out. Used by the tests in this folder; not a general encoder.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace capstan::protobuf::testing {

class ProtoWriter {
 public:
  ProtoWriter& Varint(uint32_t field, uint64_t value) {
    Tag(field, 0);
    RawVarint(value);
    return *this;
  }
  // Go writes negative int32/int64 as ten-byte two's complement varints.
  ProtoWriter& Int(uint32_t field, int64_t value) {
    return Varint(field, static_cast<uint64_t>(value));
  }
  ProtoWriter& Bytes(uint32_t field, std::string_view value) {
    Tag(field, 2);
    RawVarint(value.size());
    out_.append(value);
    return *this;
  }
  ProtoWriter& Message(uint32_t field, const ProtoWriter& message) {
    return Bytes(field, message.bytes());
  }
  ProtoWriter& Fixed64(uint32_t field, uint64_t value) {
    Tag(field, 1);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(value >> (8 * i)));
    return *this;
  }
  ProtoWriter& Fixed32(uint32_t field, uint32_t value) {
    Tag(field, 5);
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>(value >> (8 * i)));
    return *this;
  }
  // One map<string, string> (or map<string, bytes>) entry.
  ProtoWriter& Entry(uint32_t field, std::string_view key, std::string_view value) {
    return Message(field, ProtoWriter().Bytes(1, key).Bytes(2, value));
  }
  ProtoWriter& Entry(uint32_t field, std::string_view key, const ProtoWriter& value) {
    return Message(field, ProtoWriter().Bytes(1, key).Message(2, value));
  }
  ProtoWriter& Raw(std::string_view bytes) {
    out_.append(bytes);
    return *this;
  }

  const std::string& bytes() const { return out_; }

 private:
  void Tag(uint32_t field, uint32_t wire_type) { RawVarint(uint64_t{field} << 3 | wire_type); }
  void RawVarint(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }

  std::string out_;
};

// "k8s\0" + runtime.Unknown{typeMeta, raw, contentEncoding "", contentType ""} as client-go
// writes it (the two empty strings included).
inline std::string Envelope(std::string_view api_version, std::string_view kind,
                            const ProtoWriter& object) {
  ProtoWriter unknown;
  unknown.Message(1, ProtoWriter().Bytes(1, api_version).Bytes(2, kind))
      .Message(2, object)
      .Bytes(3, "")
      .Bytes(4, "");
  return std::string("k8s\0", 4) + unknown.bytes();
}

// Go's meta.v1.Time {1 seconds, 2 nanos}; both always written for a non-zero time.
inline ProtoWriter Time(int64_t seconds, int32_t nanos = 0) {
  ProtoWriter t;
  t.Int(1, seconds).Int(2, nanos);
  return t;
}

}  // namespace capstan::protobuf::testing
