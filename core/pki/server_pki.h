// The API server's PKI in its data dir: a CA, a serving certificate, an admin client
// certificate and the client certificate the API server presents to node agents
// (kubelet-client), created on first start and reused afterwards, plus the admin kubeconfig.
// Layout: DIR/pki/{ca,server,admin,kubelet-client}.{crt,key} and DIR/admin.kubeconfig.
// Built on certificate.h and kubeconfig.h; tests in tests/core/pki/server_pki_test.cc.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/pki/certificate.h"

namespace capstan::pki {

// File names under a data dir. Keys are written 0600, certificates 0644, DIR/pki is 0700.
struct PkiPaths {
  std::string pki_dir;
  std::string ca_cert;
  std::string ca_key;
  std::string server_cert;
  std::string server_key;
  std::string admin_cert;
  std::string admin_key;
  std::string kubelet_client_cert;
  std::string kubelet_client_key;
  std::string admin_kubeconfig;

  static PkiPaths ForDataDir(std::string_view data_dir);
};

struct ServerPkiOptions {
  // The node's host name, added as a DNS SAN. Empty: gethostname().
  std::string hostname;
  // Added to the serving certificate besides localhost, 127.0.0.1, ::1, the host name and the
  // in-cluster names kubernetes, kubernetes.default, kubernetes.default.svc(.cluster.local).
  std::vector<std::string> extra_dns_names;
  std::vector<std::string> extra_ip_addresses;
  std::string ca_common_name = "capstan-ca";
  std::chrono::seconds ca_validity = std::chrono::hours(24 * 365 * 10);
  std::chrono::seconds cert_validity = std::chrono::hours(24 * 365);
  // Leaf certificates that expire sooner than this are reissued.
  std::chrono::seconds renew_before = std::chrono::hours(24 * 30);
};

struct ServerPki {
  PkiPaths paths;
  CertKeyPair ca;
  CertKeyPair server;  // serverAuth, SANs as above
  CertKeyPair admin;   // clientAuth, CN=admin, O=system:masters
  // clientAuth, CN=capstan-apiserver-kubelet-client, O=system:masters: what the API server
  // presents to node agents when it proxies pods/log, exec, attach and portforward.
  CertKeyPair kubelet_client;
  // What this call wrote (false: reused from disk).
  bool ca_created = false;
  bool server_issued = false;
  bool admin_issued = false;
  bool kubelet_client_issued = false;
};

// Loads or creates the PKI under `data_dir`:
//  - the CA is reused when both files exist; created when neither does;
//  - the serving, admin and kubelet-client certificates are reused when they verify against
//    the CA, are not within `renew_before` of expiry and (serving) cover every wanted SAN;
//    otherwise they are reissued with fresh keys (e.g. after a host name change or a new CA).
// Errors (nothing is overwritten in these cases, so an operator's files are never destroyed):
//  - kBadRequest naming the file when a PEM file is corrupt or holds no certificate/key;
//  - kInvalid when only one of ca.crt/ca.key exists, the CA key does not match the CA
//    certificate, or ca.crt is not a CA;
//  - kInvalid for a malformed extra DNS name or IP; kInternal for I/O errors.
// Not safe to call concurrently for the same directory (callers run it once at startup).
Result<ServerPki> EnsureServerPki(std::string_view data_dir, const ServerPkiOptions& options);

// Writes `pki.paths.admin_kubeconfig` (0600) pointing at `server_url` with the admin client
// certificate. Rewritten on every call, since the URL may change between starts.
Status WriteAdminKubeconfig(const ServerPki& pki, std::string_view server_url);

}  // namespace capstan::pki
