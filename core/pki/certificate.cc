// Key and certificate generation, parsing and verification (certificate.h) on OpenSSL 3.
#include "core/pki/certificate.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <climits>
#include <ctime>

namespace capstan::pki {
namespace {

// Never prompt on a terminal for a passphrase: our keys are unencrypted, and an encrypted
// one must fail instead of blocking the process.
int NoPassword(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

Result<BioPtr> MemBio(std::string_view data) {
  if (data.size() > static_cast<size_t>(INT_MAX)) return BadRequestError("PEM input too large");
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) return OpenSslError("BIO_new_mem_buf");
  return bio;
}

std::string Context(std::string_view source) {
  return source.empty() ? std::string("PEM") : std::string(source);
}

Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  std::unique_ptr<X509_EXTENSION, OpenSslFree> ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(std::string("adding extension ") + OBJ_nid2sn(nid) + "=" + value);
  }
  return Status::Ok();
}

bool ValidDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '*' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Status AddSubjectAltNames(X509* cert, const CertSpec& spec) {
  if (spec.dns_names.empty() && spec.ip_addresses.empty()) return Status::Ok();
  std::unique_ptr<GENERAL_NAMES, OpenSslFree> names(sk_GENERAL_NAME_new_null());
  if (!names) return OpenSslError("allocating subjectAltName");
  for (const std::string& dns : spec.dns_names) {
    if (!ValidDnsName(dns)) return InvalidError("invalid DNS name \"" + dns + "\"");
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_IA5STRING* str = ASN1_IA5STRING_new();
    if (gn == nullptr || str == nullptr ||
        ASN1_STRING_set(str, dns.data(), static_cast<int>(dns.size())) != 1) {
      GENERAL_NAME_free(gn);
      ASN1_IA5STRING_free(str);
      return OpenSslError("building DNS subjectAltName");
    }
    GENERAL_NAME_set0_value(gn, GEN_DNS, str);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  for (const std::string& ip : spec.ip_addresses) {
    ASN1_OCTET_STRING* bytes = a2i_IPADDRESS(ip.c_str());
    if (bytes == nullptr) {
      ClearOpenSslErrors();
      return InvalidError("invalid IP address \"" + ip + "\"");
    }
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (gn == nullptr) {
      ASN1_OCTET_STRING_free(bytes);
      return OpenSslError("building IP subjectAltName");
    }
    GENERAL_NAME_set0_value(gn, GEN_IPADD, bytes);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("adding subjectAltName");
  }
  return Status::Ok();
}

// Sets version, a random positive 127-bit serial, validity (backdated five minutes to absorb
// clock skew between nodes), subject and public key.
Status FillBasics(X509* cert, EVP_PKEY* key, std::string_view common_name,
                  const std::vector<std::string>& organizations, std::chrono::seconds validity) {
  if (X509_set_version(cert, X509_VERSION_3) != 1) return OpenSslError("X509_set_version");
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) return OpenSslError("RAND_bytes");
  serial_bytes[0] &= 0x7f;
  std::unique_ptr<BIGNUM, OpenSslFree> bn(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError("setting serial number");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert), -300) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(validity.count())) == nullptr) {
    return OpenSslError("setting validity");
  }
  X509_NAME* name = X509_get_subject_name(cert);
  auto add = [name](const char* field, std::string_view value) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  for (const std::string& org : organizations) {
    if (org.empty()) return InvalidError("empty organization (group) name");
    if (!add("O", org)) return OpenSslError("adding O=" + org);
  }
  if (!add("CN", common_name)) return OpenSslError("adding CN");
  if (X509_set_pubkey(cert, key) != 1) return OpenSslError("X509_set_pubkey");
  return Status::Ok();
}

Result<std::string> AsnStringToUtf8(const ASN1_STRING* str) {
  unsigned char* out = nullptr;
  int len = ASN1_STRING_to_UTF8(&out, str);
  if (len < 0) return OpenSslError("decoding subject entry", StatusCode::kBadRequest);
  std::string s(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return s;
}

Result<std::vector<std::string>> NameEntries(X509_NAME* name, int nid) {
  std::vector<std::string> values;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    Result<std::string> v = AsnStringToUtf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (!v.ok()) return v.status();
    values.push_back(std::move(*v));
  }
  return values;
}

Result<std::chrono::system_clock::time_point> ToTimePoint(const ASN1_TIME* t) {
  struct tm tm = {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return OpenSslError("decoding certificate time", StatusCode::kBadRequest);
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

Result<KeyPtr> GenerateKey() {
  ClearOpenSslErrors();
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslError("generating P-256 key");
  return key;
}

Result<std::string> KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("encoding private key");
  }
  return BioToString(bio.get());
}

Result<KeyPtr> ParseKeyPem(std::string_view pem, std::string_view source) {
  ClearOpenSslErrors();
  Result<BioPtr> bio = MemBio(pem);
  if (!bio.ok()) return bio.status();
  KeyPtr key(PEM_read_bio_PrivateKey(bio->get(), nullptr, NoPassword, nullptr));
  if (!key) {
    return OpenSslError(Context(source) + ": no valid PEM private key", StatusCode::kBadRequest);
  }
  return key;
}

Result<std::string> CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return OpenSslError("encoding certificate");
  return BioToString(bio.get());
}

Result<CertPtr> ParseCertPem(std::string_view pem, std::string_view source) {
  ClearOpenSslErrors();
  Result<BioPtr> bio = MemBio(pem);
  if (!bio.ok()) return bio.status();
  CertPtr cert(PEM_read_bio_X509(bio->get(), nullptr, NoPassword, nullptr));
  if (!cert) {
    return OpenSslError(Context(source) + ": no valid PEM certificate", StatusCode::kBadRequest);
  }
  return cert;
}

Result<std::vector<CertPtr>> ParseCertChainPem(std::string_view pem, std::string_view source) {
  ClearOpenSslErrors();
  Result<BioPtr> bio = MemBio(pem);
  if (!bio.ok()) return bio.status();
  std::vector<CertPtr> chain;
  while (true) {
    CertPtr cert(PEM_read_bio_X509(bio->get(), nullptr, NoPassword, nullptr));
    if (cert) {
      chain.push_back(std::move(cert));
      continue;
    }
    unsigned long err = ERR_peek_last_error();
    bool clean_end = !chain.empty() && ERR_GET_LIB(err) == ERR_LIB_PEM &&
                     ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
    if (clean_end) {
      ClearOpenSslErrors();
      return chain;
    }
    return OpenSslError(
        Context(source) + ": certificate " + std::to_string(chain.size() + 1) + " is not valid PEM",
        StatusCode::kBadRequest);
  }
}

Result<CertKeyPair> CreateCa(std::string_view common_name, std::chrono::seconds validity) {
  if (common_name.empty()) return InvalidError("CA common name is empty");
  Result<KeyPtr> key = GenerateKey();
  if (!key.ok()) return key.status();
  CertPtr cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  CAPSTAN_RETURN_IF_ERROR(FillBasics(cert.get(), key->get(), common_name, {}, validity));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) {
    return OpenSslError("setting issuer");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  CAPSTAN_RETURN_IF_ERROR(
      AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE"));
  CAPSTAN_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_key_usage,
                                       "critical,digitalSignature,keyCertSign,cRLSign"));
  CAPSTAN_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key->get(), EVP_sha256()) <= 0) return OpenSslError("signing CA");
  Result<std::string> cert_pem = CertToPem(cert.get());
  if (!cert_pem.ok()) return cert_pem.status();
  Result<std::string> key_pem = KeyToPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  return CertKeyPair{std::move(*cert_pem), std::move(*key_pem)};
}

Result<CertKeyPair> IssueCert(const CertKeyPair& ca, const CertSpec& spec) {
  if (spec.common_name.empty()) return InvalidError("certificate common name is empty");
  Result<CertPtr> ca_cert = ParseCertPem(ca.cert_pem, "CA certificate");
  if (!ca_cert.ok()) return ca_cert.status();
  Result<KeyPtr> ca_key = ParseKeyPem(ca.key_pem, "CA key");
  if (!ca_key.ok()) return ca_key.status();
  Result<KeyPtr> key = GenerateKey();
  if (!key.ok()) return key.status();

  CertPtr cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  CAPSTAN_RETURN_IF_ERROR(
      FillBasics(cert.get(), key->get(), spec.common_name, spec.organizations, spec.validity));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert->get())) != 1) {
    return OpenSslError("setting issuer");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert->get(), cert.get(), nullptr, nullptr, 0);
  const char* eku = spec.usage == CertUsage::kServer   ? "serverAuth"
                    : spec.usage == CertUsage::kClient ? "clientAuth"
                                                       : "serverAuth,clientAuth";
  CAPSTAN_RETURN_IF_ERROR(
      AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  CAPSTAN_RETURN_IF_ERROR(
      AddExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
  CAPSTAN_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_ext_key_usage, eku));
  CAPSTAN_RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  CAPSTAN_RETURN_IF_ERROR(
      AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  CAPSTAN_RETURN_IF_ERROR(AddSubjectAltNames(cert.get(), spec));
  if (X509_sign(cert.get(), ca_key->get(), EVP_sha256()) <= 0) {
    return OpenSslError("signing certificate");
  }
  Result<std::string> cert_pem = CertToPem(cert.get());
  if (!cert_pem.ok()) return cert_pem.status();
  Result<std::string> key_pem = KeyToPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  return CertKeyPair{std::move(*cert_pem), std::move(*key_pem)};
}

Result<CertInfo> InspectCert(X509* cert) {
  CertInfo info;
  X509_NAME* subject = X509_get_subject_name(cert);
  Result<std::vector<std::string>> cns = NameEntries(subject, NID_commonName);
  if (!cns.ok()) return cns.status();
  if (!cns->empty()) info.common_name = cns->front();
  Result<std::vector<std::string>> orgs = NameEntries(subject, NID_organizationName);
  if (!orgs.ok()) return orgs.status();
  info.organizations = std::move(*orgs);

  std::unique_ptr<GENERAL_NAMES, OpenSslFree> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans.get(), i);
    if (gn->type == GEN_DNS) {
      const ASN1_IA5STRING* s = gn->d.dNSName;
      info.dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                  static_cast<size_t>(ASN1_STRING_length(s)));
    } else if (gn->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = gn->d.iPAddress;
      int len = ASN1_STRING_length(s);
      char text[INET6_ADDRSTRLEN] = {};
      int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
      if (family != 0 && inet_ntop(family, ASN1_STRING_get0_data(s), text, sizeof(text))) {
        info.ip_addresses.emplace_back(text);
      }
    }
  }
  info.is_ca = X509_check_ca(cert) != 0;
  Result<std::chrono::system_clock::time_point> nb = ToTimePoint(X509_get0_notBefore(cert));
  if (!nb.ok()) return nb.status();
  Result<std::chrono::system_clock::time_point> na = ToTimePoint(X509_get0_notAfter(cert));
  if (!na.ok()) return na.status();
  info.not_before = *nb;
  info.not_after = *na;
  return info;
}

Result<CertInfo> InspectCertPem(std::string_view pem) {
  Result<CertPtr> cert = ParseCertPem(pem, "certificate");
  if (!cert.ok()) return cert.status();
  return InspectCert(cert->get());
}

Result<X509Identity> IdentityFromCertPem(std::string_view chain_pem) {
  Result<CertInfo> info = InspectCertPem(chain_pem);
  if (!info.ok()) return info.status();
  if (info->common_name.empty()) {
    return Status(StatusCode::kUnauthenticated, "client certificate has no common name");
  }
  return X509Identity{std::move(info->common_name), std::move(info->organizations)};
}

namespace {

// VerifyCert; when `verified_pem` is not null, also the verified chain as PEM.
Status Verify(std::string_view ca_pem, std::string_view chain_pem, VerifyPurpose purpose,
              std::string_view host, std::string* verified_pem) {
  Result<std::vector<CertPtr>> cas = ParseCertChainPem(ca_pem, "CA bundle");
  if (!cas.ok()) return cas.status();
  Result<std::vector<CertPtr>> chain = ParseCertChainPem(chain_pem, "certificate chain");
  if (!chain.ok()) return chain.status();

  std::unique_ptr<X509_STORE, OpenSslFree> store(X509_STORE_new());
  CertStackPtr untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, OpenSslFree> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) return OpenSslError("allocating verify context");
  for (const CertPtr& ca : *cas) {
    if (X509_STORE_add_cert(store.get(), ca.get()) != 1) return OpenSslError("adding CA");
  }
  for (size_t i = 1; i < chain->size(); ++i) {
    if (sk_X509_push(untrusted.get(), (*chain)[i].get()) <= 0) return OpenSslError("chain");
    X509_up_ref((*chain)[i].get());
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), chain->front().get(), untrusted.get()) != 1) {
    return OpenSslError("X509_STORE_CTX_init");
  }
  if (purpose != VerifyPurpose::kAny &&
      X509_STORE_CTX_set_purpose(ctx.get(), purpose == VerifyPurpose::kServer
                                                ? X509_PURPOSE_SSL_SERVER
                                                : X509_PURPOSE_SSL_CLIENT) != 1) {
    return OpenSslError("X509_STORE_CTX_set_purpose");
  }
  if (!host.empty()) {
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    std::string h(host);
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(h.c_str());
    ClearOpenSslErrors();
    int ok = ip != nullptr ? X509_VERIFY_PARAM_set1_ip_asc(param, h.c_str())
                           : X509_VERIFY_PARAM_set1_host(param, h.c_str(), 0);
    ASN1_OCTET_STRING_free(ip);
    if (ok != 1) return OpenSslError("setting expected host");
  }
  ClearOpenSslErrors();
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ClearOpenSslErrors();
    return Status(StatusCode::kUnauthenticated, std::string("certificate verification failed: ") +
                                                    X509_verify_cert_error_string(err));
  }
  if (verified_pem == nullptr) return Status::Ok();
  STACK_OF(X509)* verified = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; verified != nullptr && i < sk_X509_num(verified); ++i) {
    Result<std::string> pem = CertToPem(sk_X509_value(verified, i));
    if (!pem.ok()) return pem.status();
    verified_pem->append(*pem);
  }
  return Status::Ok();
}

}  // namespace

Status VerifyCert(std::string_view ca_pem, std::string_view chain_pem, VerifyPurpose purpose,
                  std::string_view host) {
  return Verify(ca_pem, chain_pem, purpose, host, nullptr);
}

Result<std::string> VerifiedChainPem(std::string_view ca_pem, std::string_view chain_pem,
                                     VerifyPurpose purpose, std::string_view host) {
  std::string out;
  CAPSTAN_RETURN_IF_ERROR(Verify(ca_pem, chain_pem, purpose, host, &out));
  return out;
}

Status CheckKeyMatchesCert(std::string_view cert_pem, std::string_view key_pem) {
  Result<CertPtr> cert = ParseCertPem(cert_pem, "client certificate");
  if (!cert.ok()) return cert.status();
  Result<KeyPtr> key = ParseKeyPem(key_pem, "client key");
  if (!key.ok()) return key.status();
  ClearOpenSslErrors();
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    ClearOpenSslErrors();
    return InvalidError("the private key does not match the certificate");
  }
  return Status::Ok();
}

}  // namespace capstan::pki
