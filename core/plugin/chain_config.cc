// Strict parsing of the plugin configuration file (chain_config.h).
#include "core/plugin/chain_config.h"

#include <cstdio>
#include <filesystem>
#include <set>

#include "core/common/config.h"
#include "core/plugin/descriptor.h"
#include "core/plugin/kinds.h"

namespace capstan::plugin {
namespace {

using json = nlohmann::json;

constexpr int64_t kMaxWeight = 1'000'000;

// Collects every problem with its path instead of stopping at the first.
class Problems {
 public:
  void Add(const std::string& path, const std::string& what) {
    list_.push_back(path.empty() ? what : path + ": " + what);
  }
  bool empty() const { return list_.empty(); }
  Status ToStatus(std::string_view source) const {
    std::string m(source);
    m += ": ";
    for (size_t i = 0; i < list_.size(); ++i) {
      if (i > 0) m += "; ";
      m += list_[i];
    }
    return InvalidError(std::move(m));
  }

 private:
  std::vector<std::string> list_;
};

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string TypeName(const json& v) { return v.type_name(); }

// Reports keys of `obj` not in `allowed`.
void CheckKeys(const json& obj, const std::set<std::string_view>& allowed, const std::string& path,
               Problems& p) {
  for (const auto& [key, value] : obj.items()) {
    if (allowed.count(key) == 0) p.Add(Join(path, key), "unknown key");
  }
}

bool ParseDuration(const json& v, const std::string& path, Problems& p, int64_t* out) {
  if (!v.is_string()) {
    p.Add(path, "must be a duration string such as \"500ms\", got " + TypeName(v));
    return false;
  }
  auto ns = config::ParseDurationNs(v.get<std::string>());
  if (!ns.ok()) {
    p.Add(path, ns.status().message());
    return false;
  }
  if (*ns <= 0) {
    p.Add(path, "must be positive");
    return false;
  }
  *out = *ns;
  return true;
}

void ParseEntry(const json& v, const std::string& path, const KindTraits& kind,
                std::set<std::string>& names, Problems& p, ChainEntryConfig* out) {
  if (!v.is_object()) {
    p.Add(path, "must be a mapping, got " + TypeName(v));
    return;
  }
  CheckKeys(v, {"name", "library", "failurePolicy", "timeout", "weight", "config"}, path, p);
  out->timeout_ns = kind.default_timeout_ns;
  if (!v.contains("name") || !v["name"].is_string()) {
    p.Add(Join(path, "name"), "required string");
  } else {
    out->name = v["name"].get<std::string>();
    if (!IsValidPluginName(out->name)) {
      p.Add(Join(path, "name"), "\"" + out->name + "\" is not [a-z0-9][a-z0-9._-]*");
    } else if (!names.insert(out->name).second) {
      p.Add(Join(path, "name"),
            "duplicate instance name \"" + out->name + "\" in chain " + std::string(kind.name));
    }
  }
  if (!v.contains("library") || !v["library"].is_string() ||
      v["library"].get<std::string>().empty()) {
    p.Add(Join(path, "library"), "required non-empty string");
  } else {
    out->library = v["library"].get<std::string>();
  }
  if (v.contains("failurePolicy")) {
    const json& fp = v["failurePolicy"];
    if (fp == "Fail") {
      out->failure_policy = FailurePolicy::kFail;
    } else if (fp == "Ignore") {
      out->failure_policy = FailurePolicy::kIgnore;
    } else {
      p.Add(Join(path, "failurePolicy"), "must be Fail or Ignore, got " + fp.dump());
    }
  }
  if (v.contains("timeout"))
    ParseDuration(v["timeout"], Join(path, "timeout"), p, &out->timeout_ns);
  if (v.contains("weight")) {
    const json& w = v["weight"];
    if (kind.id != CAPSTAN_KIND_SCHED) {
      p.Add(Join(path, "weight"), "only valid in the sched chain");
    } else if (!w.is_number_integer() || w.get<int64_t>() < 1 || w.get<int64_t>() > kMaxWeight) {
      p.Add(Join(path, "weight"),
            "must be an integer from 1 to " + std::to_string(kMaxWeight) + ", got " + w.dump());
    } else {
      out->weight = w.get<int64_t>();
      out->weight_set = true;
    }
  }
  if (v.contains("config") && !v["config"].is_null()) out->config = v["config"];
}

void ParseChain(const json& v, const std::string& path, const KindTraits& kind, Problems& p,
                ChainConfig* out) {
  out->kind = kind.id;
  if (!v.is_object()) {
    p.Add(path, "must be a mapping, got " + TypeName(v));
    return;
  }
  CheckKeys(v, {"budget", "plugins"}, path, p);
  if (v.contains("budget")) ParseDuration(v["budget"], Join(path, "budget"), p, &out->budget_ns);
  if (!v.contains("plugins") || v["plugins"].is_null()) return;
  const json& plugins = v["plugins"];
  if (!plugins.is_array()) {
    p.Add(Join(path, "plugins"), "must be a list, got " + TypeName(plugins));
    return;
  }
  std::set<std::string> names;
  for (size_t i = 0; i < plugins.size(); ++i) {
    ChainEntryConfig entry;
    ParseEntry(plugins[i], Join(path, "plugins") + "[" + std::to_string(i) + "]", kind, names, p,
               &entry);
    out->plugins.push_back(std::move(entry));
  }
}

void ParseDirs(const json& v, std::string_view base_dir, Problems& p, PluginConfiguration* out) {
  if (!v.is_array()) {
    p.Add("pluginDirs", "must be a list of directories, got " + TypeName(v));
    return;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string() || v[i].get<std::string>().empty()) {
      p.Add("pluginDirs[" + std::to_string(i) + "]", "must be a non-empty string");
      continue;
    }
    std::filesystem::path dir(v[i].get<std::string>());
    if (dir.is_relative()) dir = std::filesystem::path(base_dir) / dir;
    out->plugin_dirs.push_back(dir.lexically_normal().string());
  }
}

}  // namespace

std::string_view FailurePolicyName(FailurePolicy policy) {
  return policy == FailurePolicy::kIgnore ? "Ignore" : "Fail";
}

const ChainConfig* PluginConfiguration::chain(uint32_t kind) const {
  for (const ChainConfig& c : chains) {
    if (c.kind == kind) return &c;
  }
  return nullptr;
}

Result<PluginConfiguration> ParsePluginConfiguration(const json& doc, std::string_view source,
                                                     std::string_view base_dir) {
  Problems p;
  PluginConfiguration out;
  out.source = std::string(source);
  out.base_dir = std::string(base_dir);
  if (!doc.is_object()) {
    p.Add("", "the document must be a mapping, got " + TypeName(doc));
    return p.ToStatus(source);
  }
  CheckKeys(doc, {"apiVersion", "kind", "pluginDirs", "chains"}, "", p);
  if (!doc.contains("apiVersion") || doc["apiVersion"] != kPluginConfigApiVersion) {
    p.Add("apiVersion", "must be " + std::string(kPluginConfigApiVersion));
  }
  if (!doc.contains("kind") || doc["kind"] != kPluginConfigKind) {
    p.Add("kind", "must be " + std::string(kPluginConfigKind));
  }
  if (doc.contains("pluginDirs")) ParseDirs(doc["pluginDirs"], base_dir, p, &out);
  if (doc.contains("chains") && !doc["chains"].is_null()) {
    const json& chains = doc["chains"];
    if (!chains.is_object()) {
      p.Add("chains", "must be a mapping of kind to chain, got " + TypeName(chains));
    } else {
      for (const KindTraits& kind : AllKinds()) {  // kind-id order, whatever the file's order
        if (!chains.contains(kind.name)) continue;
        ChainConfig chain;
        ParseChain(chains[std::string(kind.name)], "chains." + std::string(kind.name), kind, p,
                   &chain);
        out.chains.push_back(std::move(chain));
      }
      for (const auto& [key, value] : chains.items()) {
        if (FindKindByName(key) == nullptr) {
          p.Add("chains." + key,
                "unknown kind (want authn, authz, admission, sched, controller, cni, csi or "
                "runtime)");
        }
      }
    }
  }
  if (!p.empty()) return p.ToStatus(source);
  return out;
}

Result<PluginConfiguration> LoadPluginConfiguration(const std::string& path) {
  auto doc = config::LoadYamlFile(path);
  if (!doc.ok()) return doc.status();
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  std::string base = ec ? "." : abs.parent_path().string();
  return ParsePluginConfiguration(*doc, path, base);
}

Result<std::string> ResolveLibrary(const PluginConfiguration& config, const std::string& library) {
  std::filesystem::path lib(library);
  if (lib.is_absolute()) return lib.lexically_normal().string();
  std::vector<std::string> dirs = config.plugin_dirs;
  if (dirs.empty()) dirs.push_back(config.base_dir);
  std::string tried;
  for (const std::string& dir : dirs) {
    std::filesystem::path candidate = std::filesystem::path(dir) / lib;
    std::error_code ec;
    if (std::filesystem::exists(candidate, ec)) return candidate.lexically_normal().string();
    if (!tried.empty()) tried += ", ";
    tried += dir;
  }
  return NotFoundError("library \"" + library + "\" not found in [" + tried + "]");
}

std::string FormatDuration(int64_t ns) {
  if (ns == 0) return "0s";
  constexpr int64_t kMs = 1'000'000, kS = 1000 * kMs, kM = 60 * kS, kH = 60 * kM;
  std::string out = ns < 0 ? "-" : "";
  uint64_t v = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  if (v % kMs != 0 || v < static_cast<uint64_t>(kS)) {
    if (v % kMs == 0) return out + std::to_string(v / kMs) + "ms";
    if (v % 1000 == 0) return out + std::to_string(v / 1000) + "us";
    return out + std::to_string(v) + "ns";
  }
  if (v >= static_cast<uint64_t>(kH)) {
    out += std::to_string(v / kH) + "h";
    v %= kH;
  }
  if (v >= static_cast<uint64_t>(kM)) {
    out += std::to_string(v / kM) + "m";
    v %= kM;
  }
  if (v > 0) {
    if (v % kS == 0) {
      out += std::to_string(v / kS) + "s";
    } else {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.3fs", static_cast<double>(v) / kS);
      std::string s(buf);
      while (s.size() > 2 && s[s.size() - 2] == '0') s.erase(s.size() - 2, 1);  // "1.500s"->"1.5s"
      out += s;
    }
  }
  return out;
}

}  // namespace capstan::plugin
