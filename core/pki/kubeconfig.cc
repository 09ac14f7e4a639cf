// Kubeconfig rendering (kubeconfig.h). Plain text rather than a YAML library: the shape is
// fixed and every scalar is emitted as a YAML double-quoted string.
#include "core/pki/kubeconfig.h"

#include <openssl/evp.h>

#include <cstdio>

#include "core/pki/files.h"

namespace capstan::pki {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

Result<std::string> RenderKubeconfig(const KubeconfigSpec& spec) {
  if (spec.server_url.empty()) return InvalidError("kubeconfig: server URL is empty");
  if (spec.ca_cert_pem.empty()) return InvalidError("kubeconfig: CA certificate is empty");
  bool has_cert = !spec.client_cert_pem.empty() || !spec.client_key_pem.empty();
  bool has_token = !spec.token.empty();
  if (has_cert == has_token) {
    return InvalidError("kubeconfig: need exactly one of client certificate or token");
  }
  if (has_cert && (spec.client_cert_pem.empty() || spec.client_key_pem.empty())) {
    return InvalidError("kubeconfig: client certificate and key must both be set");
  }
  std::string y;
  y += "apiVersion: v1\nkind: Config\n";
  y += "clusters:\n- name: " + Quote(spec.cluster_name) + "\n  cluster:\n";
  y += "    server: " + Quote(spec.server_url) + "\n";
  y += "    certificate-authority-data: " + Quote(Base64Encode(spec.ca_cert_pem)) + "\n";
  y += "users:\n- name: " + Quote(spec.user_name) + "\n  user:\n";
  if (has_cert) {
    y += "    client-certificate-data: " + Quote(Base64Encode(spec.client_cert_pem)) + "\n";
    y += "    client-key-data: " + Quote(Base64Encode(spec.client_key_pem)) + "\n";
  } else {
    y += "    token: " + Quote(spec.token) + "\n";
  }
  y += "contexts:\n- name: " + Quote(spec.context_name) + "\n  context:\n";
  y += "    cluster: " + Quote(spec.cluster_name) + "\n";
  y += "    user: " + Quote(spec.user_name) + "\n";
  if (!spec.default_namespace.empty()) {
    y += "    namespace: " + Quote(spec.default_namespace) + "\n";
  }
  y += "current-context: " + Quote(spec.context_name) + "\npreferences: {}\n";
  return y;
}

Status WriteKubeconfig(const std::string& path, const KubeconfigSpec& spec) {
  Result<std::string> text = RenderKubeconfig(spec);
  if (!text.ok()) return text.status();
  return WriteFileAtomically(path, *text, 0600);
}

}  // namespace capstan::pki
