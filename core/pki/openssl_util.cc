// OpenSSL error-queue formatting and BIO helpers (openssl_util.h).
#include "core/pki/openssl_util.h"

#include <openssl/err.h>

namespace capstan::pki {

Status OpenSslError(std::string_view what, StatusCode code) {
  std::string message(what);
  bool first = true;
  unsigned long err = 0;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    message += first ? ": " : "; ";
    message += buf;
    first = false;
  }
  return Status(code, std::move(message));
}

void ClearOpenSslErrors() { ERR_clear_error(); }

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace capstan::pki
