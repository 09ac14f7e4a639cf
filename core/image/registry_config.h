// Per-registry settings (mirrors, insecure/plain-HTTP, CA, credentials) and imagePullSecrets
// (`.dockerconfigjson`) parsing, as Docker's `registry-mirrors`/`insecure-registries` and the
// kubelet's credential keyring configure them. Implementation in registry_config.cc; consumed by
// registry_client.h. Thread-safety: values.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"
#include "core/image/http_client.h"

namespace capstan::image {

struct Credentials {
  std::string username;
  std::string password;
  // A registry token (dockerconfig `registrytoken`) sent as `Authorization: Bearer` directly.
  std::string registry_token;

  bool empty() const { return username.empty() && password.empty() && registry_token.empty(); }
};

// Keyed by registry domain as `Reference::domain` spells it ("docker.io", "registry:5000").
using CredentialMap = std::map<std::string, Credentials>;

struct RegistryHostConfig {
  // Endpoints tried before the registry itself, in order: "http://127.0.0.1:5000" (the scheme
  // decides TLS). A mirror serves the same repository paths as the registry it mirrors.
  std::vector<std::string> mirrors;
  // Talk plain HTTP to the registry itself (Docker's `insecure-registries`), and accept any
  // certificate from its https:// mirrors.
  bool insecure = false;
  // Never fall back to the registry itself when every mirror fails.
  bool mirrors_only = false;
  // Extra PEM CA bundle for this registry's (and its mirrors') TLS endpoints.
  std::string ca_file;
  // Credentials configured for this registry (a pull's own credentials take precedence).
  Credentials credentials;
};

struct RegistriesConfig {
  std::map<std::string, RegistryHostConfig> hosts;  // keyed by registry domain
};

// Parses the operator's JSON form:
//   {"registries": {"docker.io": {"mirrors": ["http://127.0.0.1:5000"]},
//                   "reg:5000": {"insecure": true, "caFile": "/p.pem",
//                                "auth": "<base64 user:pass>"}}}
// kInvalid with the offending key on errors.
Result<RegistriesConfig> ParseRegistriesConfig(std::string_view json);

// Parses a `kubernetes.io/dockerconfigjson` payload (`{"auths": {"host": {"auth": ...}}}`; also
// accepts the legacy `.dockercfg` form without "auths", and `username`/`password` fields).
// Keys are normalized with `NormalizeRegistryKey`. kInvalid on malformed JSON or base64.
Result<CredentialMap> ParseDockerConfigJson(std::string_view json);

// "https://index.docker.io/v1/" -> "docker.io"; "http://reg:5000/v2/" -> "reg:5000";
// "registry-1.docker.io" -> "docker.io"; other keys are returned without scheme and path.
std::string NormalizeRegistryKey(std::string_view key);

// One place to send registry requests: a mirror or the registry itself.
struct Endpoint {
  Url base;  // scheme, host and port; target unused
  TlsOptions tls;
  bool is_mirror = false;
  std::string credential_key;  // domain to look credentials up under for this endpoint
};

// Endpoints for `domain` in the order to try them: mirrors, then the registry itself (unless
// `mirrors_only`). The registry itself is reached over HTTPS unless it is configured insecure
// or is a loopback host (localhost, 127.0.0.0/8, ::1), which like Docker we reach over HTTP;
// docker.io is reached at registry-1.docker.io. kInvalid for a malformed mirror URL.
Result<std::vector<Endpoint>> EndpointsFor(std::string_view domain, const RegistriesConfig& config);

}  // namespace capstan::image
