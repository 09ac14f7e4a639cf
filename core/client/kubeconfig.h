// Loading a kubeconfig into a `ClientConfig`: the server URL, the CA to verify it with and the
// credentials (client certificate + key, or bearer token) of one context. Partners: the writer
// in core/pki/kubeconfig.h (what `capstan server` writes to DIR/admin.kubeconfig) and
// api_client.h (which connects with a `ClientConfig`). Implementation in kubeconfig.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::client {

// Everything `ApiClient` needs to reach and authenticate to an API server. A value type; all
// PEM material is held in memory (files named by the kubeconfig are read at load time).
struct ClientConfig {
  // "https://host:port" (an optional path prefix is kept and prepended to every request path).
  std::string server_url;
  // PEM bundle the server certificate must chain to. Required: the client never talks to an
  // unverified server.
  std::string ca_pem;
  // Overrides the name checked against the server certificate (kubeconfig `tls-server-name`);
  // empty: the host of `server_url`.
  std::string tls_server_name;
  // Client certificate authentication: both set or both empty.
  std::string client_cert_pem;
  std::string client_key_pem;
  // Bearer token authentication (kubeconfig `token`, or the contents of `tokenFile`, trimmed).
  std::string bearer_token;
  // The context's namespace; empty when the context names none.
  std::string default_namespace;
};

// Parses kubeconfig YAML text. `context` selects a context by name; empty means
// `current-context`. Relative file paths (`certificate-authority`, `client-certificate`,
// `client-key`, `tokenFile`) are resolved against `base_dir` (the kubeconfig's directory).
// A `*-data` field wins over its file counterpart, as in kubectl.
// Errors (the message names the field, e.g. "kubeconfig: users[admin].user.client-key-data:
// not valid base64"):
//   kBadRequest  the text is not YAML, a field has the wrong type, base64 is malformed, or a
//                referenced file cannot be read;
//   kInvalid     a required field is missing: current-context (when `context` is empty), the
//                named context/cluster/user, clusters[].cluster.server, the CA (neither
//                certificate-authority nor certificate-authority-data), or credentials (neither
//                a certificate+key pair nor a token); a certificate without its key or the
//                reverse; a server URL that is not https://.
Result<ClientConfig> ParseKubeconfig(std::string_view yaml_text, std::string_view base_dir = "",
                                     std::string_view context = "");

// Reads the file at `path` and parses it as above with `base_dir` = the file's directory.
// Errors: kNotFound when the file does not exist; kInternal when it cannot be read; otherwise
// those of ParseKubeconfig, prefixed with the path.
Result<ClientConfig> LoadKubeconfig(const std::string& path, std::string_view context = "");

// "https://host:port/prefix" split into parts; IPv6 hosts are written "[::1]" and returned
// without brackets. Errors: kInvalid when the scheme is not https, the host is empty or the port
// is not 1..65535. The port defaults to 443.
struct ServerAddress {
  std::string host;
  uint16_t port = 443;
  std::string path_prefix;  // "" or "/prefix" (no trailing '/')
};
Result<ServerAddress> ParseServerUrl(std::string_view url);

}  // namespace capstan::client
