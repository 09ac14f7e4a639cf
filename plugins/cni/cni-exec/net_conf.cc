// cni-exec's configuration, version negotiation, per-binary configs, results and errors
// (net_conf.h).
#include "net_conf.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace capstan::cni {
namespace {

namespace json = sdk::json;

std::vector<int64_t> VersionParts(std::string_view v) {
  std::vector<int64_t> parts;
  int64_t cur = 0;
  bool any = false;
  for (char c : v) {
    if (c >= '0' && c <= '9') {
      cur = cur * 10 + (c - '0');
      any = true;
    } else if (c == '.') {
      parts.push_back(cur);
      cur = 0;
      any = false;
    } else {
      break;  // pre-release or build suffix: ignored
    }
  }
  if (any || !parts.empty()) parts.push_back(cur);
  while (parts.size() < 3) parts.push_back(0);
  return parts;
}

bool Supports(const std::vector<std::string>& versions, std::string_view v) {
  return std::any_of(versions.begin(), versions.end(),
                     [&](const std::string& s) { return CompareVersions(s, v) == 0; });
}

bool IsValidType(const std::string& type) {
  return !type.empty() && type.find('/') == std::string::npos && type != "." && type != "..";
}

// `disableCheck` is a boolean in 1.x and the string "true"/"false" in older lists.
bool Truthy(const Json* v) {
  if (v == nullptr) return false;
  if (v->is_boolean()) return v->get<bool>();
  return v->is_string() && v->get_ref<const std::string&>() == "true";
}

}  // namespace

int CompareVersions(std::string_view a, std::string_view b) {
  std::vector<int64_t> pa = VersionParts(a);
  std::vector<int64_t> pb = VersionParts(b);
  for (size_t i = 0; i < 3; ++i) {
    if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

sdk::Status ParseNetConfList(const Json& doc, std::string_view source, NetConfList* out) {
  std::string where(source);
  if (!doc.is_object()) return sdk::Status::Invalid(where + ": not a JSON object");
  out->name = json::GetString(doc, "name").value_or("");
  if (out->name.empty()) return sdk::Status::Invalid(where + ": `name` is required");
  out->cni_version = json::GetString(doc, "cniVersion").value_or(kDefaultCniVersion);
  out->cni_versions.clear();
  if (const Json* versions = json::GetArray(doc, "cniVersions")) {
    for (const Json& v : *versions) {
      if (std::optional<std::string> s = json::AsString(v)) out->cni_versions.push_back(*s);
    }
  }
  out->disable_check = Truthy(json::Find(doc, "disableCheck"));
  out->disable_gc = Truthy(json::Find(doc, "disableGC"));
  const Json* plugins = json::GetArray(doc, "plugins");
  if (plugins == nullptr || plugins->empty()) {
    return sdk::Status::Invalid(where + ": `plugins` must be a non-empty list");
  }
  out->plugins.clear();
  for (size_t i = 0; i < plugins->size(); ++i) {
    const Json& p = (*plugins)[i];
    std::string type = json::GetString(p, "type").value_or("");
    if (!IsValidType(type)) {
      return sdk::Status::Invalid(where + ": plugins[" + std::to_string(i) +
                                  "].type must name an executable (no '/'), got '" + type + "'");
    }
    out->plugins.push_back(p);
  }
  return sdk::Status::Ok();
}

sdk::Status ParseExecConfig(const Json& config, ExecConfig* out) {
  if (!config.is_object()) return sdk::Status::Invalid("config is not a JSON object");
  out->bin_dirs.clear();
  if (const Json* dirs = json::Find(config, "binDir")) {
    if (dirs->is_string()) out->bin_dirs.push_back(dirs->get<std::string>());
    if (dirs->is_array()) {
      for (const Json& d : *dirs) {
        if (std::optional<std::string> s = json::AsString(d)) out->bin_dirs.push_back(*s);
      }
    }
    if (out->bin_dirs.empty()) return sdk::Status::Invalid("binDir: no directory given");
  } else {
    out->bin_dirs = {"/usr/lib/cni", "/opt/cni/bin"};
  }
  std::optional<std::string> path = json::GetString(config, "conflist");
  bool inline_list = json::Find(config, "plugins") != nullptr;
  if (path.has_value() == inline_list) {
    return sdk::Status::Invalid("give exactly one of `conflist` (a file) or inline `plugins`");
  }
  if (inline_list) return ParseNetConfList(config, "config", &out->list);
  std::ifstream in(*path);
  if (!in) return sdk::Status::Invalid("conflist " + *path + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  std::optional<Json> doc = json::Parse(text.str());
  if (!doc) return sdk::Status::Invalid("conflist " + *path + ": not valid JSON");
  return ParseNetConfList(*doc, "conflist " + *path, &out->list);
}

std::optional<std::string> NegotiateVersion(
    const NetConfList& list, const std::vector<std::vector<std::string>>& supported) {
  std::vector<std::string> wanted = list.cni_versions;
  if (wanted.empty()) wanted.push_back(list.cni_version);
  std::sort(wanted.begin(), wanted.end(),
            [](const std::string& a, const std::string& b) { return CompareVersions(a, b) > 0; });
  auto all_support = [&](std::string_view v) {
    return std::all_of(supported.begin(), supported.end(),
                       [&](const std::vector<std::string>& s) { return Supports(s, v); });
  };
  for (const std::string& v : wanted) {
    if (all_support(v)) return v;
  }
  std::optional<std::string> best;
  for (const std::vector<std::string>& s : supported) {
    for (const std::string& v : s) {
      if (CompareVersions(v, wanted.front()) > 0 || !all_support(v)) continue;
      if (!best || CompareVersions(v, *best) > 0) best = v;
    }
  }
  if (supported.empty()) return wanted.front();
  return best;
}

Json BuildPluginConf(const Json& plugin, const std::string& name, const std::string& version,
                     const Json* prev_result, const Json* runtime_config) {
  Json conf = plugin;
  conf["name"] = name;
  conf["cniVersion"] = version;
  conf.erase("runtimeConfig");
  conf.erase("prevResult");
  if (prev_result != nullptr && prev_result->is_object()) {
    conf["prevResult"] = ConvertResult(*prev_result, version);
  }
  const Json* caps = json::GetObject(plugin, "capabilities");
  if (caps != nullptr && runtime_config != nullptr && runtime_config->is_object()) {
    Json rc = Json::object();
    for (auto it = runtime_config->begin(); it != runtime_config->end(); ++it) {
      if (json::GetBool(*caps, it.key()).value_or(false)) rc[it.key()] = it.value();
    }
    if (!rc.empty()) conf["runtimeConfig"] = std::move(rc);
  }
  return conf;
}

Json ConvertResult(const Json& result, const std::string& version) {
  if (!result.is_object()) return result;
  Json out = result;
  out["cniVersion"] = version;
  auto ips = out.find("ips");
  if (ips == out.end() || !ips->is_array()) return out;
  bool legacy = CompareVersions(version, "1.0.0") < 0;
  for (Json& ip : *ips) {
    if (!ip.is_object()) continue;
    if (!legacy) {
      ip.erase("version");
    } else if (!ip.contains("version")) {
      std::string address = json::GetString(ip, "address").value_or("");
      ip["version"] = address.find(':') == std::string::npos ? "4" : "6";
    }
  }
  return out;
}

std::optional<CniError> ParseCniError(std::string_view stdout_text) {
  std::optional<Json> doc = json::Parse(stdout_text);
  if (!doc || !doc->is_object()) return std::nullopt;
  std::optional<int64_t> code = json::GetInt(*doc, "code");
  if (!code) return std::nullopt;
  CniError e;
  e.code = *code;
  e.msg = json::GetString(*doc, "msg").value_or("");
  e.details = json::GetString(*doc, "details").value_or("");
  return e;
}

std::string_view CniErrorName(int64_t code) {
  switch (code) {
    case 1:
      return "incompatible CNI version";
    case 2:
      return "unsupported field in network configuration";
    case 3:
      return "container unknown or does not exist";
    case 4:
      return "invalid necessary environment variables";
    case 5:
      return "I/O failure";
    case 6:
      return "failed to decode content";
    case 7:
      return "invalid network config";
    case 11:
      return "try again later";
    case 50:
      return "plugin not available";
    case 51:
      return "plugin not available, limited connectivity";
    default:
      return "";
  }
}

sdk::Status StatusFromCniError(std::string_view type, const CniError& error) {
  std::string text = std::string(type) + ": CNI error " + std::to_string(error.code);
  std::string_view name = CniErrorName(error.code);
  if (!name.empty()) text += " (" + std::string(name) + ")";
  text += ": " + error.msg;
  if (!error.details.empty()) text += ": " + error.details;
  if (error.code == 11) return sdk::Status::RetryLater(text);
  if (error.code == 50 || error.code == 51) return sdk::Status::Unavailable(text);
  return sdk::Status::Error(text);
}

}  // namespace capstan::cni
