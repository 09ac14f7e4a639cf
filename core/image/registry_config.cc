// Registry settings and pull-secret parsing (registry_config.h). nlohmann's exceptions stay in
// this file: every parse goes through `ParseJson`.
#include "core/image/registry_config.h"

#include <nlohmann/json.hpp>

#include "core/image/digest.h"
#include "core/image/reference.h"

namespace capstan::image {
namespace {

using nlohmann::json;

Result<json> ParseJson(std::string_view text, std::string_view what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidError(std::string(what) + ": not a JSON object");
  }
  return j;
}

std::string StringField(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool BoolField(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

Result<Credentials> CredentialsFromEntry(const json& entry, const std::string& key) {
  Credentials c;
  if (!entry.is_object()) return InvalidError("auths[\"" + key + "\"]: not an object");
  c.username = StringField(entry, "username");
  c.password = StringField(entry, "password");
  c.registry_token = StringField(entry, "registrytoken");
  std::string auth = StringField(entry, "auth");
  if (!auth.empty()) {
    auto decoded = Base64Decode(auth);
    if (!decoded.ok()) return InvalidError("auths[\"" + key + "\"].auth: illegal base64 data");
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) {
      return InvalidError("auths[\"" + key + "\"].auth: want base64(\"user:password\")");
    }
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  }
  return c;
}

bool IsLoopbackHost(std::string_view hostport) {
  std::string_view host = hostport;
  if (!host.empty() && host[0] == '[') {
    return host.substr(0, 5) == "[::1]";
  }
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.substr(0, 4) == "127.";
}

}  // namespace

std::string NormalizeRegistryKey(std::string_view key) {
  std::string_view k = key;
  if (size_t sep = k.find("://"); sep != std::string_view::npos) k = k.substr(sep + 3);
  k = k.substr(0, k.find('/'));
  std::string out(k);
  if (out == "index.docker.io" || out == "registry-1.docker.io" || out == "registry.hub.docker.com")
    out = "docker.io";
  return out;
}

Result<CredentialMap> ParseDockerConfigJson(std::string_view text) {
  auto parsed = ParseJson(text, "dockerconfigjson");
  if (!parsed.ok()) return parsed.status();
  const json& root = *parsed;
  const json* auths = &root;
  if (auto it = root.find("auths"); it != root.end()) {
    if (!it->is_object()) return InvalidError("dockerconfigjson: \"auths\" is not an object");
    auths = &*it;
  }
  CredentialMap out;
  for (const auto& [key, entry] : auths->items()) {
    auto c = CredentialsFromEntry(entry, key);
    if (!c.ok()) return c.status();
    out[NormalizeRegistryKey(key)] = std::move(*c);
  }
  return out;
}

Result<RegistriesConfig> ParseRegistriesConfig(std::string_view text) {
  auto parsed = ParseJson(text, "registries config");
  if (!parsed.ok()) return parsed.status();
  RegistriesConfig cfg;
  auto regs = parsed->find("registries");
  if (regs == parsed->end()) return cfg;
  if (!regs->is_object()) return InvalidError("registries config: \"registries\" is not an object");
  for (const auto& [host, entry] : regs->items()) {
    if (!entry.is_object()) return InvalidError("registries[\"" + host + "\"]: not an object");
    RegistryHostConfig h;
    if (auto m = entry.find("mirrors"); m != entry.end()) {
      if (!m->is_array()) return InvalidError("registries[\"" + host + "\"].mirrors: not a list");
      for (const auto& u : *m) {
        if (!u.is_string() || !ParseUrl(u.get<std::string>()).ok()) {
          return InvalidError("registries[\"" + host + "\"].mirrors: want http(s)://host[:port]");
        }
        h.mirrors.push_back(u.get<std::string>());
      }
    }
    h.insecure = BoolField(entry, "insecure");
    h.mirrors_only = BoolField(entry, "mirrorsOnly");
    h.ca_file = StringField(entry, "caFile");
    auto c = CredentialsFromEntry(entry, host);
    if (!c.ok()) return c.status();
    h.credentials = std::move(*c);
    cfg.hosts[NormalizeRegistryKey(host)] = std::move(h);
  }
  return cfg;
}

Result<std::vector<Endpoint>> EndpointsFor(std::string_view domain,
                                           const RegistriesConfig& config) {
  std::vector<Endpoint> out;
  const RegistryHostConfig* host = nullptr;
  if (auto it = config.hosts.find(std::string(domain)); it != config.hosts.end()) {
    host = &it->second;
  }
  if (host != nullptr) {
    for (const std::string& m : host->mirrors) {
      auto url = ParseUrl(m);
      if (!url.ok()) return url.status().WithContext("mirror of " + std::string(domain));
      Endpoint e;
      e.base = *url;
      e.tls.ca_file = host->ca_file;
      e.tls.insecure_skip_verify = host->insecure;  // an insecure registry's mirrors too
      e.is_mirror = true;
      e.credential_key = NormalizeRegistryKey(m);
      out.push_back(std::move(e));
    }
    if (host->mirrors_only) return out;
  }
  bool plain = (host != nullptr && host->insecure) || IsLoopbackHost(domain);
  std::string hostport = domain == kDefaultDomain ? "registry-1.docker.io" : std::string(domain);
  auto url = ParseUrl((plain ? "http://" : "https://") + hostport);
  if (!url.ok()) return url.status().WithContext("registry " + std::string(domain));
  Endpoint e;
  e.base = *url;
  if (host != nullptr) e.tls.ca_file = host->ca_file;
  e.credential_key = std::string(domain);
  out.push_back(std::move(e));
  return out;
}

}  // namespace capstan::image
