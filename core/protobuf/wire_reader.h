// `WireReader`: a bounds-checked cursor over protobuf wire-format bytes (varints, fixed32/64,
// length-delimited fields, tags). Knows nothing of schemas; core/protobuf/decoder.cc drives it.
// Tests: tests/core/protobuf/wire_reader_test.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/common/status.h"

namespace capstan::protobuf {

// The low three bits of a tag. Groups (3, 4) are never written by Kubernetes' encoder.
enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

struct Tag {
  uint32_t field_number = 0;
  WireType wire_type = WireType::kVarint;
};

// Reads from a byte range it does not own; the caller keeps the bytes alive while the reader
// and any `std::string_view` it returned are in use. Every read checks bounds and fails with
// kBadRequest ("... at byte N", N counted from the start of this reader's range) rather than
// reading past the end, so garbage input cannot crash it. After an error the position is
// unspecified; stop reading. Not thread-safe; cheap to copy.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}

  bool done() const { return pos_ >= data_.size(); }
  size_t position() const { return pos_; }

  // A tag: field numbers must be 1..2^29-1 and wire types 0-5.
  Result<Tag> ReadTag();
  // Up to ten bytes; errors on truncation or a varint longer than 64 bits.
  Result<uint64_t> ReadVarint();
  Result<uint32_t> ReadFixed32();
  Result<uint64_t> ReadFixed64();
  // A varint length followed by that many bytes; the view points into the reader's range.
  Result<std::string_view> ReadLengthDelimited();
  // Skips the payload of a field whose tag was just read. Groups are rejected: the Go encoder
  // never emits them, so their presence means the body is not a Kubernetes object.
  Status SkipField(WireType wire_type);

 private:
  Status Truncated(std::string_view what) const;

  std::string_view data_;
  size_t pos_ = 0;
};

// "varint", "length-delimited", ...: for error messages.
std::string_view WireTypeName(WireType wire_type);

}  // namespace capstan::protobuf
