// Runtime plugin `runc`: attach socket frames (attach_frame.h).
#include "attach_frame.h"

namespace capstan::plugins::runc_runtime {

void PutAttachHeader(uint8_t type, uint32_t len, uint8_t out[kAttachHeaderSize]) {
  out[0] = type;
  out[1] = static_cast<uint8_t>(len >> 24);
  out[2] = static_cast<uint8_t>(len >> 16);
  out[3] = static_cast<uint8_t>(len >> 8);
  out[4] = static_cast<uint8_t>(len);
}

void PutAttachResize(uint16_t columns, uint16_t rows, uint8_t out[kAttachResizeFrameSize]) {
  PutAttachHeader(kAttachResize, 4, out);
  out[5] = static_cast<uint8_t>(columns >> 8);
  out[6] = static_cast<uint8_t>(columns);
  out[7] = static_cast<uint8_t>(rows >> 8);
  out[8] = static_cast<uint8_t>(rows);
}

ptrdiff_t ParseAttachFrame(const uint8_t* buf, size_t len, AttachFrame* frame) {
  if (len < 1) return 0;
  uint8_t type = buf[0];
  if (type != kAttachStdin && type != kAttachResize) return -1;
  if (len < kAttachHeaderSize) return 0;
  uint32_t n = (static_cast<uint32_t>(buf[1]) << 24) | (static_cast<uint32_t>(buf[2]) << 16) |
               (static_cast<uint32_t>(buf[3]) << 8) | static_cast<uint32_t>(buf[4]);
  if (n > kAttachMaxPayload || (type == kAttachResize && n != 4)) return -1;
  if (len < kAttachHeaderSize + n) return 0;
  frame->type = type;
  frame->payload = buf + kAttachHeaderSize;
  frame->len = n;
  frame->columns = frame->rows = 0;
  if (type == kAttachResize) {
    frame->columns = static_cast<uint16_t>((buf[5] << 8) | buf[6]);
    frame->rows = static_cast<uint16_t>((buf[7] << 8) | buf[8]);
  }
  return static_cast<ptrdiff_t>(kAttachHeaderSize + n);
}

}  // namespace capstan::plugins::runc_runtime
