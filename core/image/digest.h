// Content digests (sha256 over bytes, "sha256:<hex>") and base64, both over OpenSSL. Used by the
// registry client (registry_client.h) to verify what it downloads and by the content store.
// Thread-safety: `Sha256` instances are not shared; the free functions are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::image {

// Incremental SHA-256. `Digest()` may be called once; it returns "sha256:<64 lower-case hex>".
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  std::string Digest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// "sha256:<hex>" of `data`.
std::string Sha256Digest(std::string_view data);

// "sha256:<hex>" of the file at `path`; kNotFound / kInternal when it cannot be read.
Result<std::string> Sha256File(const std::string& path);

// The hex part of "sha256:<hex>" (everything after the first ':').
std::string_view DigestHex(std::string_view digest);

// Checks that `data` hashes to `want` ("sha256:..."). kUnimplemented for other algorithms;
// kInvalid "digest mismatch: want X, got Y" otherwise.
Status VerifyDigest(std::string_view data, std::string_view want);

// Standard base64 with padding.
std::string Base64Encode(std::string_view data);
// Decodes standard base64 (padding optional, whitespace not allowed); kInvalid on bad input.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace capstan::image
