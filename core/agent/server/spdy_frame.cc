// SPDY/3.1 frame encoding and decoding (spdy_frame.h). Wire layout (SPDY/3 draft §2.2):
// control frames start with 1 bit set, a 15-bit version (3) and a 16-bit type; data frames
// with a 31-bit stream id; both then carry 8 bits of flags and a 24-bit payload length.
#include "core/agent/server/spdy_frame.h"

namespace capstan::agent::server {
namespace {

constexpr uint16_t kVersion = 3;
constexpr uint32_t kMaxStreamId = 0x7fffffff;
constexpr size_t kMaxPayload = 0xffffff;
constexpr size_t kHeadLength = 8;

void Put32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

uint32_t Get32(std::string_view in, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(in[at + i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

std::string HeaderBlock(const SpdyHeaders& headers) {
  std::string out;
  Put32(out, static_cast<uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    Put32(out, static_cast<uint32_t>(name.size()));
    out += name;
    Put32(out, static_cast<uint32_t>(value.size()));
    out += value;
  }
  return out;
}

Result<SpdyHeaders> ParseHeaderBlock(std::string_view block) {
  auto bad = [](const std::string& why) {
    return BadRequestError("spdy: bad header block: " + why);
  };
  if (block.size() < 4) return bad("no pair count");
  uint32_t count = Get32(block, 0);
  // Each pair takes at least 8 bytes: a count beyond that is a lie, not a big allocation.
  if (count > (block.size() - 4) / 8) return bad("pair count " + std::to_string(count));
  SpdyHeaders headers;
  size_t at = 4;
  auto take = [&](std::string* out) {
    if (block.size() - at < 4) return false;
    uint32_t n = Get32(block, at);
    at += 4;
    if (block.size() - at < n) return false;
    out->assign(block.substr(at, n));
    at += n;
    return true;
  };
  for (uint32_t i = 0; i < count; ++i) {
    std::string name, value;
    if (!take(&name) || !take(&value)) return bad("truncated pair " + std::to_string(i));
    if (name.empty()) return bad("empty header name");
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    headers.emplace_back(std::move(name), std::move(value));
  }
  if (at != block.size()) return bad("trailing bytes");
  return headers;
}

}  // namespace

std::string SpdyHeader(const SpdyHeaders& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v.substr(0, v.find('\0'));
  }
  return "";
}

SpdyFrame SpdyDataFrame(uint32_t stream_id, std::string data, bool fin) {
  SpdyFrame f;
  f.stream_id = stream_id;
  f.data = std::move(data);
  f.flags = fin ? kSpdyFlagFin : 0;
  return f;
}

SpdyFrame SpdySynReplyFrame(uint32_t stream_id, SpdyHeaders headers, bool fin) {
  SpdyFrame f;
  f.type = SpdyFrameType::kSynReply;
  f.stream_id = stream_id;
  f.headers = std::move(headers);
  f.flags = fin ? kSpdyFlagFin : 0;
  return f;
}

SpdyFrame SpdyRstStreamFrame(uint32_t stream_id, uint32_t status) {
  SpdyFrame f;
  f.type = SpdyFrameType::kRstStream;
  f.stream_id = stream_id;
  f.status = status;
  return f;
}

SpdyFrame SpdyPingFrame(uint32_t id) {
  SpdyFrame f;
  f.type = SpdyFrameType::kPing;
  f.value = id;
  return f;
}

SpdyFrame SpdyGoAwayFrame(uint32_t last_good_stream_id, uint32_t status) {
  SpdyFrame f;
  f.type = SpdyFrameType::kGoAway;
  f.value = last_good_stream_id;
  f.status = status;
  return f;
}

Result<std::string> SpdyFrameEncoder::Encode(const SpdyFrame& f) {
  if (f.stream_id > kMaxStreamId || f.associated_id > kMaxStreamId) {
    return InvalidError("spdy: stream id over 31 bits");
  }
  std::string payload;
  switch (f.type) {
    case SpdyFrameType::kData:
      if (f.stream_id == 0) return InvalidError("spdy: data frame without a stream id");
      payload = f.data;
      break;
    case SpdyFrameType::kSynStream:
      Put32(payload, f.stream_id);
      Put32(payload, f.associated_id);
      payload.push_back(static_cast<char>((f.priority & 0x7) << 5));
      payload.push_back('\0');  // slot
      break;
    case SpdyFrameType::kSynReply:
    case SpdyFrameType::kHeaders:
      Put32(payload, f.stream_id);
      break;
    case SpdyFrameType::kRstStream:
      Put32(payload, f.stream_id);
      Put32(payload, f.status);
      break;
    case SpdyFrameType::kSettings:
      Put32(payload, static_cast<uint32_t>(f.settings.size()));
      for (const auto& [id, value] : f.settings) {
        Put32(payload, id);
        Put32(payload, value);
      }
      break;
    case SpdyFrameType::kPing:
      Put32(payload, f.value);
      break;
    case SpdyFrameType::kGoAway:
    case SpdyFrameType::kWindowUpdate:
      Put32(payload, f.type == SpdyFrameType::kGoAway ? f.value : f.stream_id);
      Put32(payload, f.type == SpdyFrameType::kGoAway ? f.status : f.value);
      break;
    default:
      return InvalidError("spdy: cannot encode frame type " +
                          std::to_string(static_cast<int>(f.type)));
  }
  bool has_headers = f.type == SpdyFrameType::kSynStream || f.type == SpdyFrameType::kSynReply ||
                     f.type == SpdyFrameType::kHeaders;
  std::string block = has_headers ? HeaderBlock(f.headers) : std::string();
  if (payload.size() + block.size() > kMaxPayload) return InvalidError("spdy: frame too large");
  if (has_headers) {
    Result<std::string> compressed = deflater_.Compress(block);
    if (!compressed.ok()) return compressed.status();
    payload += *compressed;
  }
  if (payload.size() > kMaxPayload) return InvalidError("spdy: frame too large");
  std::string out;
  out.reserve(kHeadLength + payload.size());
  if (f.type == SpdyFrameType::kData) {
    Put32(out, f.stream_id);
  } else {
    Put32(out, 0x80000000U | kVersion << 16 | static_cast<uint32_t>(f.type));
  }
  Put32(out, static_cast<uint32_t>(f.flags) << 24 | static_cast<uint32_t>(payload.size()));
  out += payload;
  return out;
}

Result<std::optional<SpdyFrame>> SpdyFrameDecoder::Next() {
  if (!error_.ok()) return error_;
  std::string_view rest = std::string_view(buffer_).substr(consumed_);
  if (rest.size() < kHeadLength) return std::optional<SpdyFrame>();
  uint32_t word = Get32(rest, 0);
  uint32_t flags_length = Get32(rest, 4);
  size_t length = flags_length & kMaxPayload;
  auto flags = static_cast<uint8_t>(flags_length >> 24);
  if (length > max_frame_) {
    error_ = BadRequestError("spdy: frame of " + std::to_string(length) +
                             " bytes exceeds the limit of " + std::to_string(max_frame_));
    return error_;
  }
  if (rest.size() < kHeadLength + length) return std::optional<SpdyFrame>();
  std::string_view payload = rest.substr(kHeadLength, length);
  Result<SpdyFrame> frame = SpdyFrame();
  if ((word & 0x80000000U) == 0) {
    frame->stream_id = word;
    frame->flags = flags;
    frame->data.assign(payload);
    if (word == 0) frame = BadRequestError("spdy: data frame for stream 0");
  } else if (uint32_t version = (word >> 16) & 0x7fff; version != kVersion) {
    frame = BadRequestError("spdy: unsupported version " + std::to_string(version));
  } else {
    frame = ParseControl(static_cast<uint16_t>(word & 0xffff), flags, payload);
  }
  if (!frame.ok()) {
    error_ = frame.status();
    return error_;
  }
  consumed_ += kHeadLength + length;
  if (consumed_ > (64 << 10) && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return std::optional<SpdyFrame>(std::move(*frame));
}

Result<SpdyFrame> SpdyFrameDecoder::ParseControl(uint16_t type, uint8_t flags,
                                                 std::string_view payload) {
  SpdyFrame f;
  f.type = static_cast<SpdyFrameType>(type);
  f.flags = flags;
  auto bad_length = [&]() {
    return BadRequestError("spdy: control frame type " + std::to_string(type) +
                           " with a bad length " + std::to_string(payload.size()));
  };
  auto need_stream = [&]() -> Status {
    if (f.stream_id == 0) {
      return BadRequestError("spdy: control frame type " + std::to_string(type) + " for stream 0");
    }
    return Status::Ok();
  };
  auto headers_from = [&](size_t at) -> Status {
    Result<std::string> block = inflater_.Decompress(payload.substr(at));
    if (!block.ok()) return block.status();
    Result<SpdyHeaders> headers = ParseHeaderBlock(*block);
    if (!headers.ok()) return headers.status();
    f.headers = std::move(*headers);
    return Status::Ok();
  };
  switch (f.type) {
    case SpdyFrameType::kSynStream:
      if (payload.size() < 10) return bad_length();
      f.stream_id = Get32(payload, 0) & 0x7fffffff;
      f.associated_id = Get32(payload, 4) & 0x7fffffff;
      f.priority = static_cast<uint8_t>(static_cast<uint8_t>(payload[8]) >> 5);
      CAPSTAN_RETURN_IF_ERROR(need_stream());
      CAPSTAN_RETURN_IF_ERROR(headers_from(10));
      break;
    case SpdyFrameType::kSynReply:
    case SpdyFrameType::kHeaders:
      if (payload.size() < 4) return bad_length();
      f.stream_id = Get32(payload, 0) & 0x7fffffff;
      CAPSTAN_RETURN_IF_ERROR(need_stream());
      CAPSTAN_RETURN_IF_ERROR(headers_from(4));
      break;
    case SpdyFrameType::kRstStream:
    case SpdyFrameType::kWindowUpdate:
      if (payload.size() != 8) return bad_length();
      f.stream_id = Get32(payload, 0) & 0x7fffffff;
      (f.type == SpdyFrameType::kRstStream ? f.status : f.value) = Get32(payload, 4);
      if (f.type == SpdyFrameType::kWindowUpdate) f.value &= 0x7fffffff;
      break;
    case SpdyFrameType::kSettings: {
      if (payload.size() < 4) return bad_length();
      uint32_t count = Get32(payload, 0);
      if (payload.size() != 4 + static_cast<size_t>(count) * 8) return bad_length();
      for (uint32_t i = 0; i < count; ++i) {
        f.settings.emplace_back(Get32(payload, 4 + i * 8), Get32(payload, 8 + i * 8));
      }
      break;
    }
    case SpdyFrameType::kPing:
      if (payload.size() != 4) return bad_length();
      f.value = Get32(payload, 0);
      break;
    case SpdyFrameType::kGoAway:
      if (payload.size() != 8) return bad_length();
      f.value = Get32(payload, 0) & 0x7fffffff;
      f.status = Get32(payload, 4);
      break;
    default:
      break;  // unknown control frames are ignored (SPDY/3 §2.2.1)
  }
  return f;
}

}  // namespace capstan::agent::server
