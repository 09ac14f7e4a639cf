// Data-dir PKI bootstrap (server_pki.h): load-or-create the CA, then reuse or reissue leaves.
#include "core/pki/server_pki.h"

#include <arpa/inet.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>

#include "core/pki/files.h"
#include "core/pki/kubeconfig.h"

namespace capstan::pki {
namespace {

constexpr char kAdminUser[] = "admin";
constexpr char kAdminGroup[] = "system:masters";
constexpr char kKubeletClientUser[] = "capstan-apiserver-kubelet-client";

// Loads a certificate/key pair, checking that both parse and that the key belongs to the
// certificate. Returns kNotFound when neither file exists.
Result<CertKeyPair> LoadPair(const std::string& cert_path, const std::string& key_path) {
  Result<bool> cert_exists = FileExists(cert_path);
  if (!cert_exists.ok()) return cert_exists.status();
  Result<bool> key_exists = FileExists(key_path);
  if (!key_exists.ok()) return key_exists.status();
  if (!*cert_exists && !*key_exists) return NotFoundError(cert_path + ": no such file");
  if (*cert_exists != *key_exists) {
    return InvalidError((*cert_exists ? key_path : cert_path) + " is missing but " +
                        (*cert_exists ? cert_path : key_path) +
                        " exists; restore it or remove both to regenerate");
  }
  Result<std::string> cert_pem = ReadFile(cert_path);
  if (!cert_pem.ok()) return cert_pem.status();
  Result<std::string> key_pem = ReadFile(key_path);
  if (!key_pem.ok()) return key_pem.status();
  Result<CertPtr> cert = ParseCertPem(*cert_pem, cert_path);
  if (!cert.ok()) return cert.status();
  Result<KeyPtr> key = ParseKeyPem(*key_pem, key_path);
  if (!key.ok()) return key.status();
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    ClearOpenSslErrors();
    return InvalidError(key_path + " does not match the public key in " + cert_path);
  }
  return CertKeyPair{std::move(*cert_pem), std::move(*key_pem)};
}

Status SavePair(const CertKeyPair& pair, const std::string& cert_path,
                const std::string& key_path) {
  // Key first: a crash in between leaves a key without its certificate, which the next start
  // reports instead of pairing a new certificate with a stale key.
  CAPSTAN_RETURN_IF_ERROR(WriteFileAtomically(key_path, pair.key_pem, 0600));
  return WriteFileAtomically(cert_path, pair.cert_pem, 0644);
}

bool Covers(const std::vector<std::string>& have, const std::vector<std::string>& want) {
  return std::all_of(want.begin(), want.end(), [&](const std::string& w) {
    return std::find(have.begin(), have.end(), w) != have.end();
  });
}

// Decides whether an existing leaf can be kept. Corrupt files are errors; a leaf that is
// merely stale (wrong CA, expiring, missing names) is reported as false.
Result<bool> Reusable(const CertKeyPair& ca, const CertKeyPair& leaf, VerifyPurpose purpose,
                      const CertSpec& want, std::chrono::seconds renew_before) {
  Result<CertInfo> info = InspectCertPem(leaf.cert_pem);
  if (!info.ok()) return info.status();
  if (!VerifyCert(ca.cert_pem, leaf.cert_pem, purpose).ok()) return false;
  if (info->not_after - std::chrono::system_clock::now() < renew_before) return false;
  if (info->common_name != want.common_name) return false;
  if (!Covers(info->organizations, want.organizations)) return false;
  if (!Covers(info->dns_names, want.dns_names)) return false;
  // `want` holds canonical IP text (CanonicalIp), the form InspectCert prints.
  return Covers(info->ip_addresses, want.ip_addresses);
}

// Loads the leaf at (cert_path, key_path) if reusable, else issues and saves a new one.
Result<CertKeyPair> EnsureLeaf(const CertKeyPair& ca, const std::string& cert_path,
                               const std::string& key_path, const CertSpec& spec,
                               VerifyPurpose purpose, std::chrono::seconds renew_before,
                               bool* issued) {
  Result<CertKeyPair> existing = LoadPair(cert_path, key_path);
  if (existing.ok()) {
    Result<bool> reuse = Reusable(ca, *existing, purpose, spec, renew_before);
    if (!reuse.ok()) return reuse.status().WithContext(cert_path);
    if (*reuse) return existing;
  } else if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  Result<CertKeyPair> fresh = IssueCert(ca, spec);
  if (!fresh.ok()) return fresh.status();
  CAPSTAN_RETURN_IF_ERROR(SavePair(*fresh, cert_path, key_path));
  *issued = true;
  return fresh;
}

// A clientAuth leaf for `user` in group system:masters.
Result<CertKeyPair> EnsureClientLeaf(const CertKeyPair& ca, const std::string& cert_path,
                                     const std::string& key_path, const char* user,
                                     const ServerPkiOptions& options, bool* issued) {
  CertSpec spec;
  spec.common_name = user;
  spec.organizations = {kAdminGroup};
  spec.usage = CertUsage::kClient;
  spec.validity = options.cert_validity;
  return EnsureLeaf(ca, cert_path, key_path, spec, VerifyPurpose::kClient, options.renew_before,
                    issued);
}

std::string Hostname(const ServerPkiOptions& options) {
  if (!options.hostname.empty()) return options.hostname;
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return {};
  return buf;
}

// Canonical text of an IP ("::0001" -> "::1") so SAN comparisons are exact.
Result<std::string> CanonicalIp(const std::string& ip) {
  ASN1_OCTET_STRING* bytes = a2i_IPADDRESS(ip.c_str());
  if (bytes == nullptr) {
    ClearOpenSslErrors();
    return InvalidError("invalid IP address \"" + ip + "\"");
  }
  char text[64] = {};
  int len = ASN1_STRING_length(bytes);
  int family = len == 4 ? AF_INET : AF_INET6;
  const char* ok = inet_ntop(family, ASN1_STRING_get0_data(bytes), text, sizeof(text));
  ASN1_OCTET_STRING_free(bytes);
  if (ok == nullptr) return InvalidError("invalid IP address \"" + ip + "\"");
  return std::string(text);
}

void AddUnique(std::vector<std::string>* list, std::string value) {
  if (!value.empty() && std::find(list->begin(), list->end(), value) == list->end()) {
    list->push_back(std::move(value));
  }
}

}  // namespace

PkiPaths PkiPaths::ForDataDir(std::string_view data_dir) {
  std::string dir(data_dir);
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  PkiPaths p;
  p.pki_dir = dir + "/pki";
  p.ca_cert = p.pki_dir + "/ca.crt";
  p.ca_key = p.pki_dir + "/ca.key";
  p.server_cert = p.pki_dir + "/server.crt";
  p.server_key = p.pki_dir + "/server.key";
  p.admin_cert = p.pki_dir + "/admin.crt";
  p.admin_key = p.pki_dir + "/admin.key";
  p.kubelet_client_cert = p.pki_dir + "/kubelet-client.crt";
  p.kubelet_client_key = p.pki_dir + "/kubelet-client.key";
  p.admin_kubeconfig = dir + "/admin.kubeconfig";
  return p;
}

Result<ServerPki> EnsureServerPki(std::string_view data_dir, const ServerPkiOptions& options) {
  ServerPki pki;
  pki.paths = PkiPaths::ForDataDir(data_dir);
  const PkiPaths& paths = pki.paths;
  CAPSTAN_RETURN_IF_ERROR(MakeDirs(std::string(data_dir), 0700));
  CAPSTAN_RETURN_IF_ERROR(MakeDirs(paths.pki_dir, 0700));

  Result<CertKeyPair> ca = LoadPair(paths.ca_cert, paths.ca_key);
  if (ca.ok()) {
    Result<CertInfo> info = InspectCertPem(ca->cert_pem);
    if (!info.ok()) return info.status().WithContext(paths.ca_cert);
    if (!info->is_ca) return InvalidError(paths.ca_cert + " is not a CA certificate");
  } else if (ca.status().code() == StatusCode::kNotFound) {
    ca = CreateCa(options.ca_common_name, options.ca_validity);
    if (!ca.ok()) return ca.status();
    CAPSTAN_RETURN_IF_ERROR(SavePair(*ca, paths.ca_cert, paths.ca_key));
    pki.ca_created = true;
  } else {
    return ca.status();
  }
  pki.ca = std::move(*ca);

  CertSpec server;
  server.common_name = "capstan-apiserver";
  server.usage = CertUsage::kServer;
  server.validity = options.cert_validity;
  for (const char* name : {"localhost", "kubernetes", "kubernetes.default",
                           "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}) {
    AddUnique(&server.dns_names, name);
  }
  AddUnique(&server.dns_names, Hostname(options));
  for (const std::string& dns : options.extra_dns_names) AddUnique(&server.dns_names, dns);
  for (const char* ip : {"127.0.0.1", "::1"}) AddUnique(&server.ip_addresses, ip);
  for (const std::string& ip : options.extra_ip_addresses) {
    Result<std::string> canonical = CanonicalIp(ip);
    if (!canonical.ok()) return canonical.status();
    AddUnique(&server.ip_addresses, std::move(*canonical));
  }
  Result<CertKeyPair> server_pair =
      EnsureLeaf(pki.ca, paths.server_cert, paths.server_key, server, VerifyPurpose::kServer,
                 options.renew_before, &pki.server_issued);
  if (!server_pair.ok()) return server_pair.status();
  pki.server = std::move(*server_pair);

  Result<CertKeyPair> admin_pair = EnsureClientLeaf(pki.ca, paths.admin_cert, paths.admin_key,
                                                    kAdminUser, options, &pki.admin_issued);
  if (!admin_pair.ok()) return admin_pair.status();
  pki.admin = std::move(*admin_pair);
  Result<CertKeyPair> kubelet_pair =
      EnsureClientLeaf(pki.ca, paths.kubelet_client_cert, paths.kubelet_client_key,
                       kKubeletClientUser, options, &pki.kubelet_client_issued);
  if (!kubelet_pair.ok()) return kubelet_pair.status();
  pki.kubelet_client = std::move(*kubelet_pair);
  return pki;
}

Status WriteAdminKubeconfig(const ServerPki& pki, std::string_view server_url) {
  KubeconfigSpec spec;
  spec.server_url = std::string(server_url);
  spec.ca_cert_pem = pki.ca.cert_pem;
  spec.user_name = kAdminUser;
  spec.client_cert_pem = pki.admin.cert_pem;
  spec.client_key_pem = pki.admin.key_pem;
  return WriteKubeconfig(pki.paths.admin_kubeconfig, spec);
}

}  // namespace capstan::pki
