// Implementation of core/protobuf/wire_reader.h.
#include "core/protobuf/wire_reader.h"

#include <string>

namespace capstan::protobuf {

namespace {
constexpr uint32_t kMaxFieldNumber = (1u << 29) - 1;
constexpr int kMaxVarintBytes = 10;
}  // namespace

std::string_view WireTypeName(WireType wire_type) {
  switch (wire_type) {
    case WireType::kVarint:
      return "varint";
    case WireType::kFixed64:
      return "fixed64";
    case WireType::kLengthDelimited:
      return "length-delimited";
    case WireType::kStartGroup:
      return "start-group";
    case WireType::kEndGroup:
      return "end-group";
    case WireType::kFixed32:
      return "fixed32";
  }
  return "unknown";
}

Status WireReader::Truncated(std::string_view what) const {
  return BadRequestError("truncated " + std::string(what) + " at byte " + std::to_string(pos_));
}

Result<uint64_t> WireReader::ReadVarint() {
  uint64_t value = 0;
  const size_t start = pos_;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    if (pos_ >= data_.size()) return Truncated("varint");
    const auto byte = static_cast<uint8_t>(data_[pos_++]);
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (i == kMaxVarintBytes - 1 && byte > 1) break;
    value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) return value;
  }
  return BadRequestError("varint longer than 64 bits at byte " + std::to_string(start));
}

Result<Tag> WireReader::ReadTag() {
  const size_t start = pos_;
  Result<uint64_t> raw = ReadVarint();
  if (!raw.ok()) return raw.status();
  const uint64_t number = *raw >> 3;
  const auto wire = static_cast<uint8_t>(*raw & 7);
  if (number == 0 || number > kMaxFieldNumber) {
    return BadRequestError("invalid field number " + std::to_string(number) + " at byte " +
                           std::to_string(start));
  }
  if (wire > 5) {
    return BadRequestError("invalid wire type " + std::to_string(wire) + " at byte " +
                           std::to_string(start));
  }
  return Tag{static_cast<uint32_t>(number), static_cast<WireType>(wire)};
}

Result<uint32_t> WireReader::ReadFixed32() {
  if (data_.size() - pos_ < 4) return Truncated("fixed32");
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
  }
  pos_ += 4;
  return value;
}

Result<uint64_t> WireReader::ReadFixed64() {
  if (data_.size() - pos_ < 8) return Truncated("fixed64");
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<uint64_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
  }
  pos_ += 8;
  return value;
}

Result<std::string_view> WireReader::ReadLengthDelimited() {
  Result<uint64_t> length = ReadVarint();
  if (!length.ok()) return length.status();
  if (*length > data_.size() - pos_) {
    return BadRequestError("length " + std::to_string(*length) + " at byte " +
                           std::to_string(pos_) + " runs past the end of the data");
  }
  std::string_view bytes = data_.substr(pos_, static_cast<size_t>(*length));
  pos_ += static_cast<size_t>(*length);
  return bytes;
}

Status WireReader::SkipField(WireType wire_type) {
  switch (wire_type) {
    case WireType::kVarint:
      return ReadVarint().status();
    case WireType::kFixed64:
      return ReadFixed64().status();
    case WireType::kLengthDelimited:
      return ReadLengthDelimited().status();
    case WireType::kFixed32:
      return ReadFixed32().status();
    case WireType::kStartGroup:
    case WireType::kEndGroup:
      break;
  }
  return BadRequestError("unsupported " + std::string(WireTypeName(wire_type)) +
                         " field before byte " + std::to_string(pos_));
}

}  // namespace capstan::protobuf
