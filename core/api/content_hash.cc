// SHA-512 through OpenSSL's EVP interface; aborts if OpenSSL cannot provide SHA-512 at all,
// since every later hash would be wrong.
#include "core/api/content_hash.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace capstan::api {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "capstan::api: OpenSSL SHA-512 failed in %s\n", what);
  std::abort();
}

std::string Hex(const unsigned char* digest, unsigned int size) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(kDigits[digest[i] >> 4]);
    out.push_back(kDigits[digest[i] & 0xF]);
  }
  return out;
}

}  // namespace

struct Sha512Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha512Hasher::Sha512Hasher() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  if (ctx_->md == nullptr || EVP_DigestInit_ex(ctx_->md, EVP_sha512(), nullptr) != 1) {
    Die("init");
  }
}

Sha512Hasher::~Sha512Hasher() = default;

void Sha512Hasher::Update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_->md, data.data(), data.size()) != 1) Die("update");
}

std::string Sha512Hasher::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_->md, digest, &size) != 1) Die("final");
  return Hex(digest, size);
}

std::string Sha512Hex(std::string_view data) {
  Sha512Hasher hasher;
  hasher.Update(data);
  return hasher.FinishHex();
}

}  // namespace capstan::api
