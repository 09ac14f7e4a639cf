// The one adapter around zlib for SPDY/3 header blocks: a deflater and an inflater, each one
// zlib stream for the whole connection primed with the SPDY/3 dictionary (spdy_zlib.cc).
// Used by spdy_frame.cc; tests in tests/core/agent/server/spdy_frame_test.cc.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::agent::server {

// The 1423-byte SPDY/3 header compression dictionary (the SPDY/3 draft, section 2.6.10.1).
std::string_view SpdyDictionary();

// Compresses header blocks for one direction of a connection; every block ends with a sync
// flush so the peer can decode it at once. Not thread-safe (one per connection direction).
class SpdyDeflater {
 public:
  SpdyDeflater();
  ~SpdyDeflater();
  SpdyDeflater(const SpdyDeflater&) = delete;
  SpdyDeflater& operator=(const SpdyDeflater&) = delete;

  // Errors: kInternal when zlib fails (out of memory).
  Result<std::string> Compress(std::string_view block);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decompresses the peer's header blocks (one zlib stream per connection direction). Not
// thread-safe. After an error the stream is unusable: the connection must end.
class SpdyInflater {
 public:
  // `max_output`: the largest decompressed block accepted (a bound against zlib bombs).
  explicit SpdyInflater(size_t max_output = 256 << 10);
  ~SpdyInflater();
  SpdyInflater(const SpdyInflater&) = delete;
  SpdyInflater& operator=(const SpdyInflater&) = delete;

  // Errors: kBadRequest for corrupt data, a wrong dictionary or a block over `max_output`.
  Result<std::string> Decompress(std::string_view compressed);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t max_output_;
};

}  // namespace capstan::agent::server
