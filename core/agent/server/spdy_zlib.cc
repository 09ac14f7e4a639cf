// SpdyDeflater/SpdyInflater (spdy_zlib.h): the only file that calls zlib.
#include "core/agent/server/spdy_zlib.h"

#include <zlib.h>

#include <array>

namespace capstan::agent::server {
namespace {

// From the SPDY/3 draft (2.6.10.1); a protocol constant every SPDY/3 peer shares.
constexpr char kDictionary[] =
    "\000\000\000\007options\000\000\000\004head\000\000\000\004post\000\000\000\003put\000"
    "\000\000\006delete\000\000\000\005trace\000\000\000\006accept\000\000\000\016accept-char"
    "set\000\000\000\017accept-encoding\000\000\000\017accept-language\000\000\000\015accept-"
    "ranges\000\000\000\003age\000\000\000\005allow\000\000\000\015authorization\000\000\000"
    "\015cache-control\000\000\000\012connection\000\000\000\014content-base\000\000\000\020c"
    "ontent-encoding\000\000\000\020content-language\000\000\000\016content-length\000\000"
    "\000\020content-location\000\000\000\013content-md5\000\000\000\015content-range\000\000"
    "\000\014content-type\000\000\000\004date\000\000\000\004etag\000\000\000\006expect\000"
    "\000\000\007expires\000\000\000\004from\000\000\000\004host\000\000\000\010if-match\000"
    "\000\000\021if-modified-since\000\000\000\015if-none-match\000\000\000\010if-range\000"
    "\000\000\023if-unmodified-since\000\000\000\015last-modified\000\000\000\010location\000"
    "\000\000\014max-forwards\000\000\000\006pragma\000\000\000\022proxy-authenticate\000\000"
    "\000\023proxy-authorization\000\000\000\005range\000\000\000\007referer\000\000\000\013r"
    "etry-after\000\000\000\006server\000\000\000\002te\000\000\000\007trailer\000\000\000"
    "\021transfer-encoding\000\000\000\007upgrade\000\000\000\012user-agent\000\000\000\004va"
    "ry\000\000\000\003via\000\000\000\007warning\000\000\000\020www-authenticate\000\000\000"
    "\006method\000\000\000\003get\000\000\000\006status\000\000\000\006200 OK\000\000\000"
    "\007version\000\000\000\010HTTP/1.1\000\000\000\003url\000\000\000\006public\000\000\000"
    "\012set-cookie\000\000\000\012keep-alive\000\000\000\006origin10010120120220520630030230"
    "3304305306307402405406407408409410411412413414415416417502504505203 Non-Authoritative In"
    "formation204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden"
    "404 Not Found500 Internal Server Error501 Not Implemented503 Service UnavailableJan Feb "
    "Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,te"
    "xt/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-"
    "8859-1,utf-,*,enq=0.";

// The literal's terminating NUL is not part of the dictionary.
constexpr size_t kDictionarySize = sizeof(kDictionary) - 1;
static_assert(kDictionarySize == 1423, "the SPDY/3 dictionary is 1423 bytes");

const Bytef* DictBytes() { return reinterpret_cast<const Bytef*>(kDictionary); }

}  // namespace

std::string_view SpdyDictionary() { return {kDictionary, kDictionarySize}; }

struct SpdyDeflater::Impl {
  z_stream z{};
  bool ok = false;
};

SpdyDeflater::SpdyDeflater() : impl_(std::make_unique<Impl>()) {
  impl_->ok = deflateInit(&impl_->z, Z_DEFAULT_COMPRESSION) == Z_OK &&
              deflateSetDictionary(&impl_->z, DictBytes(), kDictionarySize) == Z_OK;
}

SpdyDeflater::~SpdyDeflater() { deflateEnd(&impl_->z); }

Result<std::string> SpdyDeflater::Compress(std::string_view block) {
  if (!impl_->ok) return InternalError("spdy: header compressor unavailable");
  std::string out;
  std::array<Bytef, 4096> chunk{};
  // zlib's API takes a non-const input pointer but does not write through it.
  impl_->z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(block.data()));
  impl_->z.avail_in = static_cast<uInt>(block.size());
  do {
    impl_->z.next_out = chunk.data();
    impl_->z.avail_out = chunk.size();
    int rc = deflate(&impl_->z, Z_SYNC_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      impl_->ok = false;
      return InternalError("spdy: compressing a header block failed (zlib " + std::to_string(rc) +
                           ")");
    }
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - impl_->z.avail_out);
  } while (impl_->z.avail_out == 0);
  return out;
}

struct SpdyInflater::Impl {
  z_stream z{};
  bool ok = false;
};

SpdyInflater::SpdyInflater(size_t max_output)
    : impl_(std::make_unique<Impl>()), max_output_(max_output) {
  impl_->ok = inflateInit(&impl_->z) == Z_OK;
}

SpdyInflater::~SpdyInflater() { inflateEnd(&impl_->z); }

Result<std::string> SpdyInflater::Decompress(std::string_view compressed) {
  if (!impl_->ok) return BadRequestError("spdy: header decompressor unusable after an error");
  auto fail = [this](const std::string& why) {
    impl_->ok = false;
    return BadRequestError("spdy: bad header block: " + why);
  };
  std::string out;
  std::array<Bytef, 4096> chunk{};
  impl_->z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  impl_->z.avail_in = static_cast<uInt>(compressed.size());
  do {
    impl_->z.next_out = chunk.data();
    impl_->z.avail_out = chunk.size();
    int rc = inflate(&impl_->z, Z_SYNC_FLUSH);
    if (rc == Z_NEED_DICT) {
      if (inflateSetDictionary(&impl_->z, DictBytes(), kDictionarySize) != Z_OK) {
        return fail("not compressed with the SPDY/3 dictionary");
      }
      rc = inflate(&impl_->z, Z_SYNC_FLUSH);
    }
    if (rc == Z_STREAM_END) return fail("the compression stream ended");
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return fail(impl_->z.msg != nullptr ? impl_->z.msg : "zlib " + std::to_string(rc));
    }
    size_t produced = chunk.size() - impl_->z.avail_out;
    out.append(reinterpret_cast<const char*>(chunk.data()), produced);
    if (out.size() > max_output_) return fail("larger than " + std::to_string(max_output_));
    if (rc == Z_BUF_ERROR && produced == 0) break;  // no progress possible: input used up
  } while (impl_->z.avail_in > 0 || impl_->z.avail_out == 0);
  return out;
}

}  // namespace capstan::agent::server
