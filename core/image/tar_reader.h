// Streaming readers for layer blobs: a decompressing byte source (gzip via zlib, or plain) and
// a tar entry reader that understands ustar, GNU long names (L/K) and PAX headers (x/g).
// Implementation in tar_reader.cc; the filesystem side is layer_unpack.h.
// Thread-safety: instances are single-threaded.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "core/common/status.h"
#include "core/image/digest.h"

namespace capstan::image {

// Bytes of a layer blob after decompression; also hashes everything it returns so the caller
// can check the layer's diff ID once the stream is drained.
class LayerSource {
 public:
  // Opens `path` and sniffs its compression: gzip (1f 8b) or an uncompressed tar. zstd and
  // other formats are kUnimplemented; a missing file is kNotFound.
  static Result<std::unique_ptr<LayerSource>> Open(const std::string& path);
  virtual ~LayerSource() = default;

  // Reads up to `n` bytes; returns 0 at the end. kInvalid on corrupt compressed data.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;

  // Reads exactly `n` bytes; kInvalid "unexpected end of layer" when fewer remain.
  Status ReadFull(char* buf, size_t n);
  // Reads and discards everything left, then returns "sha256:..." of all bytes produced.
  Result<std::string> DrainAndDigest();

 protected:
  Sha256 hash_;
};

enum class TarType : char {
  kRegular = '0',
  kHardLink = '1',
  kSymlink = '2',
  kChar = '3',
  kBlock = '4',
  kDirectory = '5',
  kFifo = '6',
};

struct TarEntry {
  std::string name;      // as stored (PAX/GNU long name applied), not yet cleaned
  std::string linkname;  // symlink target or hard-link source
  TarType type = TarType::kRegular;
  uint32_t mode = 0;  // permission bits incl. setuid/setgid/sticky
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t size = 0;
  int64_t mtime = 0;
  uint32_t devmajor = 0;
  uint32_t devminor = 0;
  std::map<std::string, std::string> xattrs;  // from PAX SCHILY.xattr.*
};

class TarReader {
 public:
  explicit TarReader(LayerSource* source) : source_(source) {}

  // Advances to the next entry, skipping unread data of the previous one. Returns false at the
  // end of the archive. kInvalid on a bad header checksum, bad numbers or truncation;
  // kUnimplemented on entry types we do not support (e.g. GNU sparse files).
  Result<bool> Next(TarEntry* entry);
  // Reads up to `n` bytes of the current entry's data; 0 at its end.
  Result<size_t> ReadData(char* buf, size_t n);

 private:
  Status SkipRemaining();
  Result<std::string> ReadSpecialData(int64_t size);

  LayerSource* source_;
  int64_t remaining_ = 0;  // data bytes left in the current entry
  int64_t padding_ = 0;    // padding after them
};

}  // namespace capstan::image
