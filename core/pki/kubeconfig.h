// Kubeconfig files for clients of a Capstan API server: one cluster (server URL + CA), one user
// (client certificate or bearer token), one context. Used by `capstan server`/`init` to write
// DIR/admin.kubeconfig (see server_pki.h). Implementation in kubeconfig.cc.
#pragma once

#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::pki {

struct KubeconfigSpec {
  std::string server_url;   // "https://127.0.0.1:6443"
  std::string ca_cert_pem;  // becomes certificate-authority-data
  std::string cluster_name = "capstan";
  std::string user_name = "admin";
  std::string context_name = "capstan";
  std::string default_namespace;  // optional context namespace
  // Credentials: either a client certificate and key (both PEM) or a bearer token.
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;
};

// Renders the kubeconfig YAML. Every string is double-quoted, so no value can change the
// document's structure. Errors: kInvalid when the URL or CA is missing, or the credentials are
// not exactly one of {cert + key, token}.
Result<std::string> RenderKubeconfig(const KubeconfigSpec& spec);

// Renders and writes atomically with mode 0600 (the file holds a private key or a token).
Status WriteKubeconfig(const std::string& path, const KubeconfigSpec& spec);

// Standard base64 with padding, as kubeconfig `*-data` fields expect.
std::string Base64Encode(std::string_view data);

}  // namespace capstan::pki
