// Small, dependency-free helpers shared by the SDK headers: views over ABI buffers and arrays,
// JSON string quoting for building outputs by hand, and the convention-4 field-presence check.
// Partners: status.h, host.h, the kind headers. Header-only, C++17; every function is reentrant.
#ifndef CAPSTAN_SDK_TEXT_H_
#define CAPSTAN_SDK_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "capstan/abi/common.h"

// True when the struct at `ptr` (which begins with `struct_size`, convention 4) was written by a
// peer that knew `field`: per convention 4, a field that starts at or beyond `struct_size` was
// unknown to the writer and reads as zero. (The ABI pads structs with reserved fields, so no
// field can hide in a writer's trailing padding.)
#define CAPSTAN_SDK_HAS_FIELD(ptr, Type, field) \
  ((ptr) != nullptr && (ptr)->struct_size > offsetof(Type, field))

namespace capstan::sdk {

// Borrowed views of ABI strings and buffers; {NULL, n} reads as empty.
inline std::string_view ToView(capstan_host_str s) {
  return s.data != nullptr ? std::string_view(s.data, s.len) : std::string_view();
}
inline std::string_view ToView(capstan_host_buf b) {
  return b.data != nullptr ? std::string_view(reinterpret_cast<const char*>(b.data), b.len)
                           : std::string_view();
}
inline std::string_view ToView(capstan_plugin_buf b) {
  return b.data != nullptr ? std::string_view(reinterpret_cast<const char*>(b.data), b.len)
                           : std::string_view();
}
// The reverse, for calling host services and building requests in tests. `s` must outlive use.
inline capstan_host_str ToHostStr(std::string_view s) { return {s.data(), s.size()}; }
inline capstan_host_buf ToHostBuf(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A read-only view of a host-owned array (std::span is C++20). Valid as long as the array is.
template <typename T>
class Span {
 public:
  constexpr Span() = default;
  constexpr Span(const T* data, size_t size)
      : data_(size > 0 ? data : nullptr), size_(data ? size : 0) {}
  constexpr const T* begin() const { return data_; }
  constexpr const T* end() const { return data_ + size_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const T& operator[](size_t i) const { return data_[i]; }

 private:
  const T* data_ = nullptr;
  size_t size_ = 0;
};

// An array of `capstan_host_str` read as string_views.
class StrList {
 public:
  StrList() = default;
  StrList(const capstan_host_str* data, size_t size) : items_(data, size) {}
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::string_view operator[](size_t i) const { return ToView(items_[i]); }
  bool Contains(std::string_view s) const {
    for (const capstan_host_str& item : items_) {
      if (ToView(item) == s) return true;
    }
    return false;
  }

 private:
  Span<capstan_host_str> items_;
};

// Appends `s` to `out` as a JSON string literal (with quotes), escaping per RFC 8259. Bytes are
// copied as is, so `s` should be UTF-8.
inline void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char esc[8];
          std::snprintf(esc, sizeof(esc), "\\u%04x", static_cast<unsigned>(c));
          out->append(esc);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}
inline std::string JsonString(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendJsonString(&out, s);
  return out;
}

// Length of the longest prefix of `s` that is at most `max` bytes and does not end inside a
// UTF-8 multi-byte sequence (used to truncate error text safely).
inline size_t Utf8SafePrefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s.size();
  size_t n = max;
  // Back off over continuation bytes (10xxxxxx) to the lead byte, then drop the lead byte too:
  // the sequence it starts was cut.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace capstan::sdk

#endif  // CAPSTAN_SDK_TEXT_H_
