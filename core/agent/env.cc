// Container environment and downward-API values (env.h), after the kubelet's
// makeEnvironmentVariables, getServiceEnvVarMap and fieldpath.ExtractFieldPathAsString.
#include "core/agent/env.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/image/digest.h"
#include "core/registry/quantity.h"

namespace capstan::agent {
namespace {

using nlohmann::json;

std::string Str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& Member(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it != obj.end() ? *it : kNull;
}

// `k="v"` lines, sorted by key, as the downward volume renders a whole map.
std::string FormatMap(const json& map) {
  std::vector<std::pair<std::string, std::string>> items;
  if (map.is_object()) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      items.emplace_back(it.key(), it->is_string() ? it->get<std::string>() : it->dump());
    }
  }
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& [k, v] : items) {
    if (!out.empty()) out += "\n";
    out += k + "=" + json(v).dump();
  }
  return out;
}

// "metadata.labels['app']" -> ("metadata.labels", "app"); otherwise (path, "").
std::pair<std::string, std::string> SplitSubscript(std::string_view path) {
  size_t open = path.find("['");
  if (open == std::string_view::npos || path.size() < open + 4 ||
      path.substr(path.size() - 2) != "']")
    return {std::string(path), ""};
  return {std::string(path.substr(0, open)),
          std::string(path.substr(open + 2, path.size() - open - 4))};
}

bool IsCIdentifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string ServiceEnvName(std::string name) {
  for (char& c : name) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

Result<std::string> KeyRef(const json& ref, const std::string& ns, const ObjectGetter& get,
                           bool secret, bool* absent) {
  std::string name = Str(ref, "name");
  std::string key = Str(ref, "key");
  bool optional = Member(ref, "optional").is_boolean() && ref["optional"].get<bool>();
  *absent = false;
  Result<json> obj = get(secret ? "secrets" : "configmaps", ns, name);
  if (!obj.ok()) {
    if (obj.status().code() == StatusCode::kNotFound && optional) {
      *absent = true;
      return std::string();
    }
    if (obj.status().code() == StatusCode::kNotFound) {
      return NotFoundError(std::string(secret ? "secret" : "configmap") + " \"" + name +
                           "\" not found");
    }
    return obj.status();
  }
  Result<std::vector<std::pair<std::string, std::string>>> payload = ObjectPayload(*obj, secret);
  if (!payload.ok()) return payload.status();
  for (const auto& [k, v] : *payload) {
    if (k == key) return v;
  }
  if (optional) {
    *absent = true;
    return std::string();
  }
  return NotFoundError("couldn't find key " + key + " in " + (secret ? "Secret " : "ConfigMap ") +
                       ns + "/" + name);
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ObjectPayload(const json& obj,
                                                                       bool secret) {
  std::vector<std::pair<std::string, std::string>> out;
  const json& data = Member(obj, "data");
  if (data.is_object()) {
    for (auto it = data.begin(); it != data.end(); ++it) {
      std::string v = it->is_string() ? it->get<std::string>() : "";
      if (secret) {
        Result<std::string> decoded = image::Base64Decode(v);
        if (!decoded.ok()) return InvalidError("secret key " + it.key() + ": bad base64");
        v = *decoded;
      }
      out.emplace_back(it.key(), std::move(v));
    }
  }
  const json& binary = Member(obj, "binaryData");
  if (!secret && binary.is_object()) {
    for (auto it = binary.begin(); it != binary.end(); ++it) {
      Result<std::string> decoded =
          image::Base64Decode(it->is_string() ? it->get<std::string>() : "");
      if (!decoded.ok()) return InvalidError("configmap key " + it.key() + ": bad base64");
      out.emplace_back(it.key(), *decoded);
    }
  }
  return out;
}

Result<std::string> PodFieldValue(const PodFacts& facts, std::string_view path) {
  const json& pod = *facts.pod;
  const json& meta = Member(pod, "metadata");
  const json& spec = Member(pod, "spec");
  auto [base, sub] = SplitSubscript(path);
  if (base == "metadata.labels" || base == "metadata.annotations") {
    const json& map = Member(meta, base == "metadata.labels" ? "labels" : "annotations");
    if (sub.empty() && base == std::string(path)) return FormatMap(map);
    return Str(map, sub.c_str());
  }
  if (path == "metadata.name") return Str(meta, "name");
  if (path == "metadata.namespace") return Str(meta, "namespace");
  if (path == "metadata.uid") return Str(meta, "uid");
  if (path == "spec.nodeName") return Str(spec, "nodeName");
  if (path == "spec.serviceAccountName") {
    std::string sa = Str(spec, "serviceAccountName");
    return sa.empty() ? Str(spec, "serviceAccount") : sa;
  }
  if (path == "status.hostIP" || path == "status.hostIPs") return facts.host_ip;
  if (path == "status.podIP" || path == "status.podIPs") return facts.pod_ip;
  return InvalidError("unsupported fieldPath: " + std::string(path));
}

Result<std::string> ResourceFieldValue(const PodFacts& facts, const json& container,
                                       const json& ref) {
  const json* c = &container;
  std::string wanted = Str(ref, "containerName");
  if (!wanted.empty()) {
    c = nullptr;
    for (const json& each : Member(Member(*facts.pod, "spec"), "containers")) {
      if (Str(each, "name") == wanted) c = &each;
    }
    if (c == nullptr) return NotFoundError("container " + wanted + " not found in the pod");
  }
  std::string resource = Str(ref, "resource");
  size_t dot = resource.find('.');
  if (dot == std::string::npos) return InvalidError("unsupported resource " + resource);
  std::string kind = resource.substr(0, dot), name = resource.substr(dot + 1);
  if ((kind != "limits" && kind != "requests") ||
      (name != "cpu" && name != "memory" && name != "ephemeral-storage")) {
    return InvalidError("unsupported container resource: " + resource);
  }
  int64_t value_millis = 0;
  const json& q = Member(Member(Member(*c, "resources"), kind.c_str()), name.c_str());
  if (!q.is_null()) {
    Result<registry::Quantity> parsed = registry::Quantity::FromJson(q);
    if (!parsed.ok()) return parsed.status();
    value_millis = parsed->MilliValue();
  } else if (kind == "limits") {
    value_millis = name == "cpu" ? facts.node_cpu_millis : facts.node_memory_bytes * 1000;
  }
  int64_t divisor_millis = 1000;
  if (const json& d = Member(ref, "divisor"); !d.is_null()) {
    Result<registry::Quantity> parsed = registry::Quantity::FromJson(d);
    if (!parsed.ok()) return parsed.status();
    divisor_millis = parsed->MilliValue();
    if (divisor_millis <= 0) return InvalidError("divisor must be positive");
  }
  int64_t out = (value_millis + divisor_millis - 1) / divisor_millis;
  if (name == "cpu" && kind == "limits" && out == 0) out = 1;
  return std::to_string(out);
}

std::string ExpandVars(std::string_view in,
                       const std::function<bool(const std::string&, std::string*)>& lookup) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '$' || i + 1 >= in.size()) {
      out += in[i];
      continue;
    }
    if (in[i + 1] == '$') {  // escaped
      out += '$';
      ++i;
      continue;
    }
    if (in[i + 1] == '(') {
      size_t close = in.find(')', i + 2);
      if (close != std::string_view::npos) {
        std::string name(in.substr(i + 2, close - i - 2));
        std::string value;
        if (lookup(name, &value)) {
          out += value;
        } else {
          out += "$(" + name + ")";
        }
        i = close;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

EnvList ServiceEnv(const std::vector<json>& services, const std::string& ns, bool enable_links) {
  std::map<std::string, const json*> chosen;
  for (const json& svc : services) {
    const json& meta = Member(svc, "metadata");
    std::string name = Str(meta, "name"), svc_ns = Str(meta, "namespace");
    std::string ip = Str(Member(svc, "spec"), "clusterIP");
    if (ip.empty() || ip == "None") continue;
    if (svc_ns == "default" && name == "kubernetes") {
      chosen.emplace(name, &svc);
    } else if (svc_ns == ns && enable_links) {
      chosen[name] = &svc;
    }
  }
  EnvList out;
  for (const auto& [name, svc] : chosen) {
    std::string prefix = ServiceEnvName(name);
    const json& spec = (*svc)["spec"];
    std::string ip = Str(spec, "clusterIP");
    const json& ports = Member(spec, "ports");
    if (!ports.is_array() || ports.empty()) continue;
    out.emplace_back(prefix + "_SERVICE_HOST", ip);
    out.emplace_back(prefix + "_SERVICE_PORT", std::to_string(ports[0].value("port", 0)));
    for (const json& p : ports) {
      std::string pname = Str(p, "name");
      if (!pname.empty()) {
        out.emplace_back(prefix + "_SERVICE_PORT_" + ServiceEnvName(pname),
                         std::to_string(p.value("port", 0)));
      }
    }
    auto proto_of = [](const json& p) {
      std::string proto = p.value("protocol", "TCP");
      std::string lower = proto;
      for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
      return std::make_pair(proto, lower);
    };
    auto [first_proto, first_lower] = proto_of(ports[0]);
    out.emplace_back(prefix + "_PORT",
                     first_lower + "://" + ip + ":" + std::to_string(ports[0].value("port", 0)));
    for (const json& p : ports) {
      auto [proto, lower] = proto_of(p);
      std::string port = std::to_string(p.value("port", 0));
      std::string base = prefix + "_PORT_" + port + "_" + proto;
      out.emplace_back(base, lower + "://" + ip + ":" + port);
      out.emplace_back(base + "_PROTO", lower);
      out.emplace_back(base + "_PORT", port);
      out.emplace_back(base + "_ADDR", ip);
    }
  }
  return out;
}

Result<EnvList> ResolveEnv(const PodFacts& facts, const json& container, const ObjectGetter& get,
                           const EnvList& service_env, std::vector<std::string>* skipped) {
  std::string ns = Str(Member(*facts.pod, "metadata"), "namespace");
  EnvList out;
  std::map<std::string, size_t> index;  // name -> position in `out`
  auto set = [&](const std::string& k, std::string v) {
    auto it = index.find(k);
    if (it != index.end()) {
      out[it->second].second = std::move(v);
    } else {
      index[k] = out.size();
      out.emplace_back(k, std::move(v));
    }
  };
  for (const json& from : Member(container, "envFrom")) {
    bool secret = from.contains("secretRef");
    const json& ref = secret ? from["secretRef"] : Member(from, "configMapRef");
    if (!ref.is_object()) continue;
    std::string name = Str(ref, "name");
    bool optional = Member(ref, "optional").is_boolean() && ref["optional"].get<bool>();
    Result<json> obj = get(secret ? "secrets" : "configmaps", ns, name);
    if (!obj.ok()) {
      if (obj.status().code() != StatusCode::kNotFound) return obj.status();
      if (optional) continue;
      return NotFoundError(std::string(secret ? "secret" : "configmap") + " \"" + name +
                           "\" not found");
    }
    Result<std::vector<std::pair<std::string, std::string>>> payload = ObjectPayload(*obj, secret);
    if (!payload.ok()) return payload.status();
    std::string prefix = Str(from, "prefix");
    for (auto& [k, v] : *payload) {
      std::string key = prefix + k;
      if (!IsCIdentifier(key)) {
        if (skipped != nullptr) skipped->push_back(key);
        continue;
      }
      set(key, std::move(v));
    }
  }
  std::map<std::string, std::string> services(service_env.begin(), service_env.end());
  auto lookup = [&](const std::string& name, std::string* value) {
    if (auto it = index.find(name); it != index.end()) {
      *value = out[it->second].second;
      return true;
    }
    if (auto it = services.find(name); it != services.end()) {
      *value = it->second;
      return true;
    }
    return false;
  };
  for (const json& e : Member(container, "env")) {
    std::string name = Str(e, "name");
    std::string value = Str(e, "value");
    const json& from = Member(e, "valueFrom");
    if (!value.empty()) {
      value = ExpandVars(value, lookup);
    } else if (from.is_object()) {
      bool absent = false;
      Result<std::string> v = std::string();
      if (from.contains("configMapKeyRef")) {
        v = KeyRef(from["configMapKeyRef"], ns, get, false, &absent);
      } else if (from.contains("secretKeyRef")) {
        v = KeyRef(from["secretKeyRef"], ns, get, true, &absent);
      } else if (from.contains("fieldRef")) {
        v = PodFieldValue(facts, Str(from["fieldRef"], "fieldPath"));
      } else if (from.contains("resourceFieldRef")) {
        v = ResourceFieldValue(facts, container, from["resourceFieldRef"]);
      }
      if (!v.ok()) return v.status();
      if (absent) continue;  // an optional ref that is missing sets nothing
      value = *v;
    }
    set(name, std::move(value));
  }
  for (const auto& [k, v] : service_env) {
    if (index.count(k) == 0) out.emplace_back(k, v);
  }
  return out;
}

}  // namespace capstan::agent
