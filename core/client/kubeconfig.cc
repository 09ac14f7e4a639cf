// Kubeconfig loading (kubeconfig.h). YAML goes through config::ParseYaml (the one yaml-cpp
// adapter); this file walks the resulting JSON and reads referenced files.
#include "core/client/kubeconfig.h"

#include <openssl/evp.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/common/config.h"

namespace capstan::client {
namespace {

using Json = nlohmann::json;

Result<std::string> Base64Decode(std::string_view in, const std::string& field) {
  std::string clean;
  clean.reserve(in.size());
  for (char c : in) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') clean += c;
  }
  auto bad = [&] { return BadRequestError("kubeconfig: " + field + ": not valid base64"); };
  if (clean.size() % 4 != 0) return bad();
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()),
                          static_cast<int>(clean.size()));
  if (n < 0) return bad();
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (!clean.empty() && clean.back() == '=') --len;
  if (clean.size() >= 2 && clean[clean.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

Result<std::string> ReadFile(const std::string& path, const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return BadRequestError("kubeconfig: " + field + ": cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Resolve(std::string_view base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).string();
}

// The string at `obj[key]`: "" when absent or null; kBadRequest when not a string.
Result<std::string> StringField(const Json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return BadRequestError("kubeconfig: " + where + "." + key + ": not a string");
  return it->get<std::string>();
}

// `named[]` entry whose name is `name`, returning its `inner` object.
Result<const Json*> FindNamed(const Json& doc, const char* list, const char* inner,
                              const std::string& name) {
  auto it = doc.find(list);
  if (it != doc.end() && !it->is_null() && !it->is_array()) {
    return BadRequestError(std::string("kubeconfig: ") + list + ": not a list");
  }
  if (it != doc.end() && it->is_array()) {
    for (const Json& entry : *it) {
      if (!entry.is_object()) continue;
      auto n = entry.find("name");
      if (n == entry.end() || !n->is_string() || n->get_ref<const std::string&>() != name) continue;
      auto in = entry.find(inner);
      if (in == entry.end() || !in->is_object()) {
        return InvalidError(std::string("kubeconfig: ") + list + "[" + name + "]." + inner +
                            ": missing");
      }
      return &*in;
    }
  }
  return InvalidError(std::string("kubeconfig: ") + list + ": no entry named \"" + name + "\"");
}

// Reads `<key>-data` (base64) or `<key>` (a file path); "" when neither is set.
Result<std::string> DataOrFile(const Json& obj, const std::string& key, const std::string& where,
                               std::string_view base_dir) {
  Result<std::string> data = StringField(obj, (key + "-data").c_str(), where);
  if (!data.ok()) return data.status();
  if (!data->empty()) return Base64Decode(*data, where + "." + key + "-data");
  Result<std::string> file = StringField(obj, key.c_str(), where);
  if (!file.ok()) return file.status();
  if (file->empty()) return std::string();
  return ReadFile(Resolve(base_dir, *file), where + "." + key);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t start = s.find_first_not_of(" \t\r\n");
  return start == std::string::npos ? std::string() : s.substr(start);
}

Status ReadCluster(const Json& cluster, const std::string& where, std::string_view base_dir,
                   ClientConfig* out) {
  Result<std::string> server = StringField(cluster, "server", where);
  if (!server.ok()) return server.status();
  if (server->empty()) return InvalidError("kubeconfig: " + where + ".server: missing");
  Result<ServerAddress> addr = ParseServerUrl(*server);
  if (!addr.ok()) return addr.status().WithContext("kubeconfig: " + where + ".server");
  out->server_url = *server;
  Result<std::string> ca = DataOrFile(cluster, "certificate-authority", where, base_dir);
  if (!ca.ok()) return ca.status();
  if (ca->empty()) {
    return InvalidError("kubeconfig: " + where +
                        ": missing certificate-authority or certificate-authority-data");
  }
  out->ca_pem = std::move(*ca);
  Result<std::string> sni = StringField(cluster, "tls-server-name", where);
  if (!sni.ok()) return sni.status();
  out->tls_server_name = std::move(*sni);
  return Status::Ok();
}

Status ReadUser(const Json& user, const std::string& where, std::string_view base_dir,
                ClientConfig* out) {
  Result<std::string> cert = DataOrFile(user, "client-certificate", where, base_dir);
  if (!cert.ok()) return cert.status();
  Result<std::string> key = DataOrFile(user, "client-key", where, base_dir);
  if (!key.ok()) return key.status();
  if (!cert->empty() && key->empty()) {
    return InvalidError("kubeconfig: " + where + ": client-certificate without client-key(-data)");
  }
  if (cert->empty() && !key->empty()) {
    return InvalidError("kubeconfig: " + where + ": client-key without client-certificate(-data)");
  }
  out->client_cert_pem = std::move(*cert);
  out->client_key_pem = std::move(*key);
  Result<std::string> token = StringField(user, "token", where);
  if (!token.ok()) return token.status();
  if (token->empty()) {
    Result<std::string> token_file = StringField(user, "tokenFile", where);
    if (!token_file.ok()) return token_file.status();
    if (!token_file->empty()) {
      Result<std::string> t = ReadFile(Resolve(base_dir, *token_file), where + ".tokenFile");
      if (!t.ok()) return t.status();
      *token = Trim(std::move(*t));
      if (token->empty()) return InvalidError("kubeconfig: " + where + ".tokenFile: empty");
    }
  }
  out->bearer_token = std::move(*token);
  if (out->client_cert_pem.empty() && out->bearer_token.empty()) {
    return InvalidError("kubeconfig: " + where +
                        ": no credentials (client-certificate-data + client-key-data, or token)");
  }
  return Status::Ok();
}

}  // namespace

Result<ServerAddress> ParseServerUrl(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return InvalidError("server URL \"" + std::string(url) + "\" is not https://");
  }
  std::string_view rest = url.substr(kScheme.size());
  ServerAddress out;
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    out.path_prefix = std::string(prefix);
  }
  std::string_view port_text;
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      return InvalidError("server URL \"" + std::string(url) + "\": unterminated IPv6 host");
    }
    out.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return InvalidError("server URL \"" + std::string(url) + "\": bad port");
      port_text = after.substr(1);
    }
  } else {
    size_t colon = hostport.rfind(':');
    out.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port_text = hostport.substr(colon + 1);
  }
  if (out.host.empty()) return InvalidError("server URL \"" + std::string(url) + "\": no host");
  if (!port_text.empty() || hostport.ends_with(":")) {
    int port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return InvalidError("server URL \"" + std::string(url) + "\": bad port");
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

Result<ClientConfig> ParseKubeconfig(std::string_view yaml_text, std::string_view base_dir,
                                     std::string_view context) {
  Result<Json> doc = config::ParseYaml(yaml_text, "kubeconfig");
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) return BadRequestError("kubeconfig: not a mapping");
  std::string context_name(context);
  if (context_name.empty()) {
    Result<std::string> current = StringField(*doc, "current-context", "");
    if (!current.ok()) return current.status();
    if (current->empty()) return InvalidError("kubeconfig: current-context: missing");
    context_name = std::move(*current);
  }
  Result<const Json*> ctx = FindNamed(*doc, "contexts", "context", context_name);
  if (!ctx.ok()) return ctx.status();
  std::string ctx_where = "contexts[" + context_name + "].context";
  Result<std::string> cluster_name = StringField(**ctx, "cluster", ctx_where);
  if (!cluster_name.ok()) return cluster_name.status();
  if (cluster_name->empty()) return InvalidError("kubeconfig: " + ctx_where + ".cluster: missing");
  Result<std::string> user_name = StringField(**ctx, "user", ctx_where);
  if (!user_name.ok()) return user_name.status();
  if (user_name->empty()) return InvalidError("kubeconfig: " + ctx_where + ".user: missing");
  ClientConfig out;
  Result<std::string> ns = StringField(**ctx, "namespace", ctx_where);
  if (!ns.ok()) return ns.status();
  out.default_namespace = std::move(*ns);

  Result<const Json*> cluster = FindNamed(*doc, "clusters", "cluster", *cluster_name);
  if (!cluster.ok()) return cluster.status();
  CAPSTAN_RETURN_IF_ERROR(
      ReadCluster(**cluster, "clusters[" + *cluster_name + "].cluster", base_dir, &out));
  Result<const Json*> user = FindNamed(*doc, "users", "user", *user_name);
  if (!user.ok()) return user.status();
  CAPSTAN_RETURN_IF_ERROR(ReadUser(**user, "users[" + *user_name + "].user", base_dir, &out));
  return out;
}

Result<ClientConfig> LoadKubeconfig(const std::string& path, std::string_view context) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return NotFoundError("kubeconfig " + path + ": not found");
  std::ifstream in(path, std::ios::binary);
  if (!in) return InternalError("kubeconfig " + path + ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string dir = std::filesystem::path(path).parent_path().string();
  Result<ClientConfig> cfg = ParseKubeconfig(ss.str(), dir, context);
  if (!cfg.ok()) return cfg.status().WithContext(path);
  return cfg;
}

}  // namespace capstan::client
