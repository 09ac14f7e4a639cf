// Decompression sources and the tar header parser (tar_reader.h).
#include "core/image/tar_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace capstan::image {
namespace {

constexpr size_t kBlock = 512;

class FileSource : public LayerSource {
 public:
  explicit FileSource(std::FILE* f) : f_(f) {}
  ~FileSource() override { std::fclose(f_); }
  Result<size_t> Read(char* buf, size_t n) override {
    size_t got = std::fread(buf, 1, n, f_);
    if (got == 0 && std::ferror(f_)) return InternalError("reading layer failed");
    hash_.Update(buf, got);
    return got;
  }

 private:
  std::FILE* f_;
};

class GzipSource : public LayerSource {
 public:
  explicit GzipSource(std::FILE* f) : f_(f), in_(1 << 16) {
    std::memset(&z_, 0, sizeof(z_));
    ok_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK;
  }
  ~GzipSource() override {
    inflateEnd(&z_);
    std::fclose(f_);
  }
  Result<size_t> Read(char* buf, size_t n) override {
    if (!ok_) return InternalError("zlib init failed");
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = static_cast<uInt>(n);
    while (z_.avail_out == n && !done_) {
      if (z_.avail_in == 0) {
        size_t got = std::fread(in_.data(), 1, in_.size(), f_);
        if (got == 0) {
          if (std::ferror(f_)) return InternalError("reading layer failed");
          if (!member_ended_) return InvalidError("corrupt gzip layer: unexpected end of data");
          done_ = true;
          break;
        }
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(got);
      }
      if (member_ended_) {
        // Another gzip member follows (concatenated gzip is valid).
        inflateReset(&z_);
        member_ended_ = false;
      }
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_ended_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return InvalidError(std::string("corrupt gzip layer: ") + (z_.msg ? z_.msg : "inflate"));
      }
    }
    size_t produced = n - z_.avail_out;
    hash_.Update(buf, produced);
    return produced;
  }

 private:
  std::FILE* f_;
  std::vector<char> in_;
  z_stream z_;
  bool ok_ = false;
  bool member_ended_ = false;
  bool done_ = false;
};

// Octal (NUL/space terminated) or GNU base-256 numbers.
Result<int64_t> ParseNumber(const char* p, size_t n, const char* field) {
  if (n > 0 && (static_cast<unsigned char>(p[0]) & 0x80) != 0) {
    int64_t v = static_cast<unsigned char>(p[0]) & 0x3f;
    for (size_t i = 1; i < n; ++i) {
      if (v > (INT64_MAX >> 8)) return InvalidError(std::string("tar: ") + field + " overflows");
      v = (v << 8) | static_cast<unsigned char>(p[i]);
    }
    return v;
  }
  int64_t v = 0;
  size_t i = 0;
  while (i < n && p[i] == ' ') ++i;
  for (; i < n && p[i] != '\0' && p[i] != ' '; ++i) {
    if (p[i] < '0' || p[i] > '7') return InvalidError(std::string("tar: bad ") + field);
    if (v > (INT64_MAX >> 3)) return InvalidError(std::string("tar: ") + field + " overflows");
    v = v * 8 + (p[i] - '0');
  }
  return v;
}

std::string Field(const char* p, size_t n) { return std::string(p, strnlen(p, n)); }

// PAX records: "<len> <key>=<value>\n".
Status ApplyPax(const std::string& data, std::map<std::string, std::string>* out) {
  size_t pos = 0;
  while (pos < data.size()) {
    size_t sp = data.find(' ', pos);
    if (sp == std::string::npos) return InvalidError("tar: malformed PAX record");
    size_t len = 0;
    for (size_t i = pos; i < sp; ++i) {
      if (data[i] < '0' || data[i] > '9') return InvalidError("tar: malformed PAX length");
      len = len * 10 + static_cast<size_t>(data[i] - '0');
    }
    if (len == 0 || pos + len > data.size() || data[pos + len - 1] != '\n') {
      return InvalidError("tar: malformed PAX record");
    }
    std::string rec = data.substr(sp + 1, pos + len - 1 - (sp + 1));
    size_t eq = rec.find('=');
    if (eq == std::string::npos) return InvalidError("tar: malformed PAX record");
    (*out)[rec.substr(0, eq)] = rec.substr(eq + 1);
    pos += len;
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<LayerSource>> LayerSource::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return NotFoundError("cannot open layer " + path);
  unsigned char magic[4] = {0, 0, 0, 0};
  size_t got = std::fread(magic, 1, sizeof(magic), f);
  if (std::fseek(f, 0, SEEK_SET) != 0) {
    std::fclose(f);
    return InternalError("cannot rewind layer " + path);
  }
  if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    return std::unique_ptr<LayerSource>(new GzipSource(f));
  }
  if (got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
    std::fclose(f);
    return UnimplementedError("zstd-compressed layers are not supported: " + path);
  }
  return std::unique_ptr<LayerSource>(new FileSource(f));
}

Status LayerSource::ReadFull(char* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    auto r = Read(buf + done, n - done);
    if (!r.ok()) return r.status();
    if (*r == 0) return InvalidError("unexpected end of layer");
    done += *r;
  }
  return Status::Ok();
}

Result<std::string> LayerSource::DrainAndDigest() {
  char buf[1 << 14];
  while (true) {
    auto r = Read(buf, sizeof(buf));
    if (!r.ok()) return r.status();
    if (*r == 0) break;
  }
  return hash_.Digest();
}

Status TarReader::SkipRemaining() {
  char buf[1 << 14];
  int64_t left = remaining_ + padding_;
  while (left > 0) {
    size_t n = static_cast<size_t>(std::min<int64_t>(left, sizeof(buf)));
    CAPSTAN_RETURN_IF_ERROR(source_->ReadFull(buf, n));
    left -= static_cast<int64_t>(n);
  }
  remaining_ = padding_ = 0;
  return Status::Ok();
}

Result<std::string> TarReader::ReadSpecialData(int64_t size) {
  if (size > (int64_t{1} << 20)) return InvalidError("tar: extended header too large");
  std::string data(static_cast<size_t>(size), '\0');
  CAPSTAN_RETURN_IF_ERROR(source_->ReadFull(data.data(), data.size()));
  constexpr auto kB = static_cast<int64_t>(kBlock);
  int64_t pad = (kB - size % kB) % kB;
  char skip[kBlock];
  CAPSTAN_RETURN_IF_ERROR(source_->ReadFull(skip, static_cast<size_t>(pad)));
  return data;
}

Result<bool> TarReader::Next(TarEntry* e) {
  CAPSTAN_RETURN_IF_ERROR(SkipRemaining());
  std::string long_name, long_link;
  std::map<std::string, std::string> pax;
  while (true) {
    char h[kBlock];
    auto r = source_->Read(h, kBlock);
    if (!r.ok()) return r.status();
    if (*r == 0) return false;  // tolerate archives without the two zero blocks
    if (*r < kBlock) CAPSTAN_RETURN_IF_ERROR(source_->ReadFull(h + *r, kBlock - *r));
    if (std::all_of(h, h + kBlock, [](char c) { return c == '\0'; })) return false;
    auto sum = ParseNumber(h + 148, 8, "checksum");
    if (!sum.ok()) return sum.status();
    int64_t want = 0;
    for (size_t i = 0; i < kBlock; ++i) {
      want += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    }
    if (*sum != want) return InvalidError("tar: header checksum mismatch (not a tar layer?)");
    auto size = ParseNumber(h + 124, 12, "size");
    if (!size.ok()) return size.status();
    char type = h[156];
    if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
      auto data = ReadSpecialData(*size);
      if (!data.ok()) return data.status();
      if (type == 'L') long_name = data->substr(0, data->find('\0'));
      if (type == 'K') long_link = data->substr(0, data->find('\0'));
      if (type == 'x') CAPSTAN_RETURN_IF_ERROR(ApplyPax(*data, &pax));
      continue;  // 'g' (global PAX) carries nothing we use
    }
    *e = TarEntry{};
    bool ustar = std::memcmp(h + 257, "ustar\0", 6) == 0;
    std::string prefix = ustar ? Field(h + 345, 155) : std::string();
    e->name = Field(h, 100);
    if (!prefix.empty()) e->name = prefix + "/" + e->name;
    e->linkname = Field(h + 157, 100);
    if (!long_name.empty()) e->name = long_name;
    if (!long_link.empty()) e->linkname = long_link;
    auto mode = ParseNumber(h + 100, 8, "mode");
    auto uid = ParseNumber(h + 108, 8, "uid");
    auto gid = ParseNumber(h + 116, 8, "gid");
    auto mtime = ParseNumber(h + 136, 12, "mtime");
    auto major = ParseNumber(h + 329, 8, "devmajor");
    auto minor = ParseNumber(h + 337, 8, "devminor");
    for (const auto* v : {&mode, &uid, &gid, &mtime, &major, &minor}) {
      if (!v->ok()) return v->status();
    }
    e->mode = static_cast<uint32_t>(*mode & 07777);
    e->uid = static_cast<uint32_t>(*uid);
    e->gid = static_cast<uint32_t>(*gid);
    e->mtime = *mtime;
    e->devmajor = static_cast<uint32_t>(*major);
    e->devminor = static_cast<uint32_t>(*minor);
    e->size = *size;
    for (const auto& [k, v] : pax) {
      if (k == "path")
        e->name = v;
      else if (k == "linkpath")
        e->linkname = v;
      else if (k == "size")
        e->size = std::strtoll(v.c_str(), nullptr, 10);
      else if (k == "uid")
        e->uid = static_cast<uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
      else if (k == "gid")
        e->gid = static_cast<uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
      else if (k == "mtime")
        e->mtime = std::strtoll(v.c_str(), nullptr, 10);
      else if (k.rfind("SCHILY.xattr.", 0) == 0)
        e->xattrs[k.substr(13)] = v;
    }
    if (e->size < 0) return InvalidError("tar: negative size for " + e->name);
    switch (type) {
      case '\0':
      case '0':
      case '7':
        e->type = TarType::kRegular;
        break;
      case '1':
        e->type = TarType::kHardLink;
        break;
      case '2':
        e->type = TarType::kSymlink;
        break;
      case '3':
        e->type = TarType::kChar;
        break;
      case '4':
        e->type = TarType::kBlock;
        break;
      case '5':
        e->type = TarType::kDirectory;
        break;
      case '6':
        e->type = TarType::kFifo;
        break;
      default:
        return UnimplementedError("tar: unsupported entry type '" + std::string(1, type) +
                                  "' for " + e->name);
    }
    // Only regular files carry data; a size on links/directories is padding-free metadata.
    remaining_ = e->type == TarType::kRegular ? e->size : 0;
    if (e->type != TarType::kRegular) e->size = 0;
    padding_ = (static_cast<int64_t>(kBlock) - remaining_ % static_cast<int64_t>(kBlock)) %
               static_cast<int64_t>(kBlock);
    return true;
  }
}

Result<size_t> TarReader::ReadData(char* buf, size_t n) {
  if (remaining_ == 0) return size_t{0};
  size_t want = static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(n)));
  CAPSTAN_RETURN_IF_ERROR(source_->ReadFull(buf, want));
  remaining_ -= static_cast<int64_t>(want);
  return want;
}

}  // namespace capstan::image
