// Runtime plugin `runc`: the frames on a container's attach socket (`attach.sock` in its bundle,
// served by the shim, shim_attach.h) — the plugin's on_attach (runc_attach.cc) writes them, the
// shim reads them. Stdin bytes and terminal sizes travel in order on one connection, so a size
// sent before a line is applied before the command reads that line. Nothing here allocates or
// takes a lock: the shim's side runs after fork (shim.cc's rules). Tests: attach_frame_test.cc.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_ATTACH_FRAME_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_ATTACH_FRAME_H_

#include <cstddef>
#include <cstdint>

namespace capstan::plugins::runc_runtime {

// A frame is a 5-byte header — type, then the payload length as a big-endian uint32 — and the
// payload. The connection's end means "this attach session ended"; the shim never writes
// anything back and closes its side when the container stops taking stdin.
inline constexpr uint8_t kAttachStdin = 1;   // payload: bytes for the container's stdin
inline constexpr uint8_t kAttachResize = 2;  // payload: columns, rows (big-endian uint16 each)
inline constexpr size_t kAttachHeaderSize = 5;
inline constexpr size_t kAttachResizeFrameSize = kAttachHeaderSize + 4;
// Larger stdin frames are a protocol error; writers cut their data into frames of at most this.
inline constexpr uint32_t kAttachMaxPayload = 16384;

inline constexpr char kAttachSocketFile[] = "attach.sock";

// Writes the header of a frame of `type` carrying `len` payload bytes to `out`.
void PutAttachHeader(uint8_t type, uint32_t len, uint8_t out[kAttachHeaderSize]);
// Writes a whole resize frame to `out`.
void PutAttachResize(uint16_t columns, uint16_t rows, uint8_t out[kAttachResizeFrameSize]);

struct AttachFrame {
  uint8_t type = 0;
  const uint8_t* payload = nullptr;  // points into the parsed buffer
  uint32_t len = 0;
  uint16_t columns = 0, rows = 0;  // kAttachResize only
};

// Parses the frame at the start of `buf[0, len)`. Returns the bytes it spans (> 0) and fills
// `*frame`; 0 when more bytes are needed; -1 when the bytes cannot be a frame (unknown type,
// payload over kAttachMaxPayload, a resize payload that is not 4 bytes): drop the connection.
ptrdiff_t ParseAttachFrame(const uint8_t* buf, size_t len, AttachFrame* frame);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_ATTACH_FRAME_H_
