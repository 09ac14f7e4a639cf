// Content hashes for served documents (OpenAPI `?hash=` values and ETags), via OpenSSL.
// Partners: openapi.cc and discovery.cc. Tests: tests/core/api/content_hash_test.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace capstan::api {

// Upper-case hex SHA-512 of `data`, the form upstream uses in `/openapi/v3` hash URLs.
std::string Sha512Hex(std::string_view data);

// Incremental SHA-512 for hashing a file in chunks without holding it in memory.
// Thread-safety: one instance per thread.
class Sha512Hasher {
 public:
  Sha512Hasher();
  ~Sha512Hasher();
  Sha512Hasher(const Sha512Hasher&) = delete;
  Sha512Hasher& operator=(const Sha512Hasher&) = delete;

  void Update(std::string_view data);
  // Upper-case hex digest; the hasher must not be used afterwards.
  std::string FinishHex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace capstan::api
