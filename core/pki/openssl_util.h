// RAII owners for OpenSSL objects and a helper that turns the OpenSSL error queue into a
// `capstan::Status`. Shared by core/pki (certificate.cc, server_pki.cc) and the API server's
// TLS setup (core/apiserver/http_tls.cc). Implementation in openssl_util.cc.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::pki {

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(ASN1_INTEGER* p) const { ASN1_INTEGER_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
};

using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using CertPtr = std::unique_ptr<X509, OpenSslFree>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree>;
using CertStackPtr = std::unique_ptr<STACK_OF(X509), OpenSslFree>;

// Returns a Status with `code` and message "<what>: <drained OpenSSL error queue>" (or
// "<what>" alone when the queue is empty). Always clears the calling thread's error queue.
Status OpenSslError(std::string_view what, StatusCode code = StatusCode::kInternal);

// Clears the calling thread's OpenSSL error queue (call before an operation whose failure
// is reported through `OpenSslError`, so stale entries do not leak into its message).
void ClearOpenSslErrors();

// Reads everything written into a memory BIO.
std::string BioToString(BIO* bio);

}  // namespace capstan::pki
