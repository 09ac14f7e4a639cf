// The `x509` authn plugin (x509_authn.h), on OpenSSL.
#include "x509_authn.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace capstan::plugins {
namespace {

std::string EntryText(X509_NAME_ENTRY* entry) {
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

bool ParseLeafSubject(std::string_view pem, std::string* common_name,
                      std::vector<std::string>* organizations) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return false;
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) return false;
  X509_NAME* subject = X509_get_subject_name(cert.get());
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(subject, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    if (nid == NID_commonName) *common_name = EntryText(e);
    if (nid == NID_organizationName) organizations->push_back(EntryText(e));
  }
  return true;
}

sdk::Status X509Authn::Init(const sdk::Host& /*host*/, std::string_view /*config_json*/) {
  return sdk::Status::Ok();
}

sdk::Status X509Authn::Authenticate(sdk::Call& /*call*/, const sdk::AuthnRequest& request,
                                    std::string* user_json) {
  if (!request.client_cert_verified() || request.client_cert_chain_pem().empty()) {
    return sdk::Status::Skip();
  }
  std::string pem(request.client_cert_chain_pem());
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = users_.find(pem);
    if (it != users_.end()) {
      *user_json = it->second;
      return sdk::Status::Ok();
    }
  }
  std::string cn;
  std::vector<std::string> orgs;
  if (!ParseLeafSubject(request.client_cert_chain_pem(), &cn, &orgs)) {
    return sdk::Status::Denied("client certificate does not parse");
  }
  if (cn.empty()) return sdk::Status::Denied("client certificate has no common name");
  sdk::UserInfo user;
  user.username = cn;
  user.groups = std::move(orgs);
  *user_json = user.ToJson();
  std::lock_guard<std::mutex> lock(mu_);
  if (users_.size() >= kMaxCached) users_.clear();
  users_.emplace(std::move(pem), *user_json);
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins
