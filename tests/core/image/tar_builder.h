// Test helper: builds ustar archives (optionally gzip-compressed) entry by entry, including the
// malicious shapes (`..` paths, writes through symlinks) the unpacker must reject. Header-only;
// used by layer_unpack_test.cc and registry_integration_test.cc.
#pragma once

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace capstan::image::testing {

class TarBuilder {
 public:
  TarBuilder& File(const std::string& name, const std::string& data, unsigned mode = 0644,
                   unsigned uid = 0, unsigned gid = 0) {
    Header(name, '0', data.size(), mode, "", uid, gid);
    out_ += data;
    out_.append((512 - data.size() % 512) % 512, '\0');
    return *this;
  }
  TarBuilder& Dir(const std::string& name, unsigned mode = 0755) {
    Header(name, '5', 0, mode, "");
    return *this;
  }
  TarBuilder& Symlink(const std::string& name, const std::string& target) {
    Header(name, '2', 0, 0777, target);
    return *this;
  }
  TarBuilder& HardLink(const std::string& name, const std::string& target) {
    Header(name, '1', 0, 0644, target);
    return *this;
  }
  // PAX header carrying a long path for the entry that follows.
  TarBuilder& PaxPath(const std::string& path) {
    std::string rec = " path=" + path + "\n";
    size_t len = rec.size();
    while (std::to_string(len).size() + rec.size() != len)
      len = std::to_string(len).size() + rec.size();
    std::string data = std::to_string(len) + rec;
    Header("PaxHeaders/x", 'x', data.size(), 0644, "");
    out_ += data;
    out_.append((512 - data.size() % 512) % 512, '\0');
    return *this;
  }
  std::string Tar() const { return out_ + std::string(1024, '\0'); }

  std::string Gzip() const {
    std::string in = Tar();
    z_stream z;
    std::memset(&z, 0, sizeof(z));
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, in.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
  }

 private:
  void Header(const std::string& name, char type, size_t size, unsigned mode,
              const std::string& link, unsigned uid = 0, unsigned gid = 0) {
    char h[512];
    std::memset(h, 0, sizeof(h));
    std::snprintf(h, 100, "%s", name.c_str());
    std::snprintf(h + 100, 8, "%07o", mode);
    std::snprintf(h + 108, 8, "%07o", uid);
    std::snprintf(h + 116, 8, "%07o", gid);
    std::snprintf(h + 124, 12, "%011zo", size);
    std::snprintf(h + 136, 12, "%011o", 1700000000u);
    h[156] = type;
    std::snprintf(h + 157, 100, "%s", link.c_str());
    std::memcpy(h + 257,
                "ustar\0"
                "00",
                8);
    std::memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
    out_.append(h, sizeof(h));
  }

  std::string out_;
};

}  // namespace capstan::image::testing
