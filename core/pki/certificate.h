// Keys and X.509 certificates for Capstan's PKI: generate, issue, parse, inspect and verify,
// all PEM in and out, with OpenSSL 3 EVP APIs. The data-dir layout built on top of this is in
// server_pki.h; kubeconfig files in kubeconfig.h. Tests in tests/core/pki/certificate_test.cc.
//
// Key algorithm: ECDSA on P-256 with SHA-256 signatures. Key generation takes well under a
// millisecond (RSA-2048 takes ~50-200 ms, which matters for tests and for issuing many client
// certs), handshakes are cheaper for the server, and every client we must serve (Go's
// crypto/tls in kubectl, Python, Node.js) supports it; kubeadm and k3s offer the same choice.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/pki/openssl_util.h"

namespace capstan::pki {

// A certificate and its private key, both PEM text. The key is PKCS#8 ("PRIVATE KEY").
struct CertKeyPair {
  std::string cert_pem;
  std::string key_pem;
};

// Extended key usages a leaf certificate is issued for.
enum class CertUsage { kServer, kClient, kServerAndClient };

// What to put in a leaf certificate. Kubernetes convention for client certificates: the
// common name is the user name and each organization is a group.
struct CertSpec {
  std::string common_name;
  std::vector<std::string> organizations;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries ("*.x" allowed)
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries, IPv4 or IPv6 text
  CertUsage usage = CertUsage::kServer;
  std::chrono::seconds validity = std::chrono::hours(24 * 365);
};

// Generates a fresh P-256 key. Errors: kInternal when OpenSSL fails.
Result<KeyPtr> GenerateKey();

// PEM conversions. `source` names the input in error messages (a path, or "ca.crt").
// Errors: kBadRequest when the text holds no parseable key/certificate.
Result<std::string> KeyToPem(EVP_PKEY* key);
Result<KeyPtr> ParseKeyPem(std::string_view pem, std::string_view source);
Result<std::string> CertToPem(X509* cert);
// Parses the first certificate in `pem`.
Result<CertPtr> ParseCertPem(std::string_view pem, std::string_view source);
// Parses every certificate in `pem`, in order (leaf first for a chain). Errors: kBadRequest
// when there is none or one is corrupt.
Result<std::vector<CertPtr>> ParseCertChainPem(std::string_view pem, std::string_view source);

// Creates a self-signed CA (CA:TRUE, keyCertSign) named `common_name`.
Result<CertKeyPair> CreateCa(std::string_view common_name, std::chrono::seconds validity);

// Issues a leaf certificate for `spec` with a fresh key, signed by `ca`. Errors: kInvalid for a
// bad spec (empty common name, malformed IP or DNS name), kBadRequest for an unparseable CA.
Result<CertKeyPair> IssueCert(const CertKeyPair& ca, const CertSpec& spec);

// Facts read from one certificate.
struct CertInfo {
  std::string common_name;                 // first CN of the subject; empty when absent
  std::vector<std::string> organizations;  // every O of the subject, in order
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;  // canonical text ("127.0.0.1", "::1")
  bool is_ca = false;
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
};

Result<CertInfo> InspectCert(X509* cert);
// Inspects the first certificate in `pem` (the leaf of a chain).
Result<CertInfo> InspectCertPem(std::string_view pem);

// The Kubernetes x509 client-certificate identity: CN is the user name, O entries are groups.
struct X509Identity {
  std::string user;
  std::vector<std::string> groups;
};

// Extracts the identity of the leaf (first) certificate in `chain_pem`. It does not verify the
// chain; callers pass a chain that the TLS layer already verified. Errors: kBadRequest for
// unparseable PEM, kUnauthenticated when the subject has no common name.
Result<X509Identity> IdentityFromCertPem(std::string_view chain_pem);

enum class VerifyPurpose { kAny, kServer, kClient };

// Verifies that the first certificate in `chain_pem` chains to the CA in `ca_pem` (any further
// certificates in `chain_pem` are untrusted intermediates), is within its validity period, and
// fits `purpose`. When `host` is non-empty it must match a DNS or IP subjectAltName.
// Errors: kUnauthenticated with OpenSSL's reason ("certificate has expired"), kBadRequest for
// unparseable PEM.
Status VerifyCert(std::string_view ca_pem, std::string_view chain_pem, VerifyPurpose purpose,
                  std::string_view host = {});

// VerifyCert that also returns the verified chain as PEM, leaf first, up to and including the
// trusted CA: what a TLS server records for a verified client certificate (the API server's
// `HttpRequest::client_cert_chain_pem`). Errors: those of VerifyCert.
Result<std::string> VerifiedChainPem(std::string_view ca_pem, std::string_view chain_pem,
                                     VerifyPurpose purpose, std::string_view host = {});

// OK when `key_pem` is the private key of the first certificate in `cert_pem` (what a TLS
// handshake proves). Errors: kBadRequest for unparseable PEM; kInvalid when they do not match.
Status CheckKeyMatchesCert(std::string_view cert_pem, std::string_view key_pem);

}  // namespace capstan::pki
