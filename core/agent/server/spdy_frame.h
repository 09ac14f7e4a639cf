// SPDY/3.1 framing as kubectl's spdystream speaks it (kubectl contract §9.3): `SpdyFrame`,
// `SpdyFrameEncoder` (frames to bytes) and `SpdyFrameDecoder` (bytes, in any split, to frames),
// each owning its direction's header-block zlib stream (spdy_zlib.h). No I/O: the session
// (spdy_session.h) drives them. Tests: tests/core/agent/server/spdy_frame_test.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/agent/server/spdy_zlib.h"
#include "core/common/status.h"

namespace capstan::agent::server {

enum class SpdyFrameType : uint16_t {
  kData = 0,  // not a control frame type: data frames have no type field
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
};

constexpr uint8_t kSpdyFlagFin = 0x01;
constexpr uint32_t kSpdyRstProtocolError = 1;
constexpr uint32_t kSpdyRstRefusedStream = 3;
constexpr uint32_t kSpdyRstCancel = 5;
constexpr uint32_t kSpdyGoAwayOk = 0;
constexpr uint32_t kSpdyGoAwayProtocolError = 1;

// Header names are lower case; a value may hold several NUL-separated values, as sent.
using SpdyHeaders = std::vector<std::pair<std::string, std::string>>;

// The first value of header `name` ("" when absent).
std::string SpdyHeader(const SpdyHeaders& headers, std::string_view name);

// One frame. Which fields are meaningful depends on `type`:
//   kData: stream_id, flags, data. kSynStream: stream_id, associated_id, priority, flags,
//   headers. kSynReply and kHeaders: stream_id, flags, headers. kRstStream: stream_id, status.
//   kSettings: settings (id with its flags in the top byte, value). kPing: value (the ping
//   id). kGoAway: value (last good stream id), status. kWindowUpdate: stream_id, value (delta).
// Control frames of other types decode with their raw type and no fields (to be ignored).
struct SpdyFrame {
  SpdyFrameType type = SpdyFrameType::kData;
  uint8_t flags = 0;
  uint32_t stream_id = 0;
  uint32_t associated_id = 0;
  uint8_t priority = 0;
  uint32_t status = 0;
  uint32_t value = 0;
  SpdyHeaders headers;
  std::vector<std::pair<uint32_t, uint32_t>> settings;
  std::string data;

  bool fin() const { return (flags & kSpdyFlagFin) != 0; }
};

// Convenience constructors for what the server sends.
SpdyFrame SpdyDataFrame(uint32_t stream_id, std::string data, bool fin);
SpdyFrame SpdySynReplyFrame(uint32_t stream_id, SpdyHeaders headers = {}, bool fin = false);
SpdyFrame SpdyRstStreamFrame(uint32_t stream_id, uint32_t status);
SpdyFrame SpdyPingFrame(uint32_t id);
SpdyFrame SpdyGoAwayFrame(uint32_t last_good_stream_id, uint32_t status);

// Serialises frames for one direction of a connection. Not thread-safe.
class SpdyFrameEncoder {
 public:
  // Errors: kInvalid for a field out of range (a stream id over 31 bits, a payload over 24
  // bits); kInternal when compression fails. The compression stream is unchanged on kInvalid.
  Result<std::string> Encode(const SpdyFrame& frame);

 private:
  SpdyDeflater deflater_;
};

// Parses the peer's byte stream into frames. Not thread-safe.
class SpdyFrameDecoder {
 public:
  // `max_frame`: the largest frame payload accepted (the 24-bit field allows 16 MiB).
  explicit SpdyFrameDecoder(size_t max_frame = 1 << 20) : max_frame_(max_frame) {}

  // Appends received bytes; frames may be split anywhere.
  void Append(std::string_view bytes) { buffer_.append(bytes); }

  // The next complete frame, or nullopt when more bytes are needed. Errors: kBadRequest with
  // what is malformed (wrong version, bad length for the type, stream id 0 where one is
  // required, a corrupt header block, a frame over `max_frame`). After an error the decoder
  // keeps failing: the connection must end (with GOAWAY PROTOCOL_ERROR).
  Result<std::optional<SpdyFrame>> Next();

  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  Result<SpdyFrame> ParseControl(uint16_t type, uint8_t flags, std::string_view payload);

  std::string buffer_;
  size_t consumed_ = 0;
  size_t max_frame_;
  Status error_ = Status::Ok();
  SpdyInflater inflater_;
};

}  // namespace capstan::agent::server
