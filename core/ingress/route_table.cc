// Routing snapshot of the ingress proxy (route_table.h): class selection, rule and backend
// resolution from Ingress, Service and EndpointSlice JSON, and request matching.
#include "core/ingress/route_table.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

namespace capstan::ingress {
namespace {

using nlohmann::json;

// The member `key` of `o` when `o` is an object that has it; null otherwise. Never throws.
const json* Field(const json& o, std::string_view key) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(std::string(key));
  return it == o.end() ? nullptr : &*it;
}

std::string StringField(const json& o, std::string_view key) {
  const json* f = Field(o, key);
  return f != nullptr && f->is_string() ? f->get<std::string>() : std::string();
}

const json& Empty() {
  static const json kEmpty = json::object();
  return kEmpty;
}

const json& Object(const json& o, std::string_view key) {
  const json* f = Field(o, key);
  return f != nullptr && f->is_object() ? *f : Empty();
}

const json& Array(const json& o, std::string_view key) {
  static const json kEmptyArray = json::array();
  const json* f = Field(o, key);
  return f != nullptr && f->is_array() ? *f : kEmptyArray;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string KeyOf(const json& o) {
  const json& meta = Object(o, "metadata");
  std::string ns = StringField(meta, "namespace");
  return ns.empty() ? StringField(meta, "name") : ns + "/" + StringField(meta, "name");
}

// Ready endpoints of one Service port, and the shared Backend objects built so far.
class BackendResolver {
 public:
  explicit BackendResolver(const ClusterObjects& objects) {
    for (const ObjectPtr& s : objects.services) {
      if (s) services_[KeyOf(*s)] = s;
    }
    for (const ObjectPtr& slice : objects.endpoint_slices) {
      if (!slice) continue;
      const json& meta = Object(*slice, "metadata");
      std::string svc = StringField(Object(meta, "labels"), "kubernetes.io/service-name");
      if (!svc.empty()) slices_[StringField(meta, "namespace") + "/" + svc].push_back(slice);
    }
  }

  // `backend` is an IngressBackend; null for a resource backend or a malformed one.
  std::shared_ptr<const Backend> Resolve(const std::string& ns, const json& backend) {
    const json& svc = Object(backend, "service");
    std::string name = StringField(svc, "name");
    if (name.empty()) return nullptr;
    const json& port = Object(svc, "port");
    const json* number = Field(port, "number");
    std::string port_name = StringField(port, "name");
    int64_t port_number =
        number != nullptr && number->is_number_integer() ? number->get<int64_t>() : 0;
    std::string id =
        ns + "/" + name + ":" + (port_number != 0 ? std::to_string(port_number) : port_name);
    auto cached = built_.find(id);
    if (cached != built_.end()) return cached->second;
    auto b = std::make_shared<Backend>();
    b->service = id;
    Fill(ns + "/" + name, port_number, port_name, b.get());
    built_[id] = b;
    return b;
  }

 private:
  void Fill(const std::string& service_key, int64_t port_number, const std::string& port_name,
            Backend* out) const {
    auto s = services_.find(service_key);
    if (s == services_.end()) return;
    const json* service_port = nullptr;
    for (const json& p : Array(Object(*s->second, "spec"), "ports")) {
      const json* pn = Field(p, "port");
      bool by_number = port_number != 0 && pn != nullptr && pn->is_number_integer() &&
                       pn->get<int64_t>() == port_number;
      bool by_name = port_number == 0 && !port_name.empty() && StringField(p, "name") == port_name;
      if (by_number || by_name) {
        service_port = &p;
        break;
      }
    }
    if (service_port == nullptr) return;
    // EndpointSlice ports carry the Service port's name ("" when unnamed) and the target port.
    std::string slice_port_name = StringField(*service_port, "name");
    auto slices = slices_.find(service_key);
    if (slices == slices_.end()) return;
    std::set<std::pair<std::string, uint16_t>> seen;
    for (const ObjectPtr& slice : slices->second) {
      int64_t target = 0;
      for (const json& p : Array(*slice, "ports")) {
        const json* pp = Field(p, "port");
        if (StringField(p, "name") == slice_port_name && pp != nullptr && pp->is_number_integer()) {
          target = pp->get<int64_t>();
          break;
        }
      }
      if (target <= 0 || target > 65535) continue;
      for (const json& e : Array(*slice, "endpoints")) {
        const json* ready = Field(Object(e, "conditions"), "ready");
        // Upstream: an unset `ready` means unknown and is treated as ready.
        if (ready != nullptr && ready->is_boolean() && !ready->get<bool>()) continue;
        for (const json& a : Array(e, "addresses")) {
          if (!a.is_string()) continue;
          auto key = std::make_pair(a.get<std::string>(), static_cast<uint16_t>(target));
          if (seen.insert(key).second) out->endpoints.push_back({key.first, key.second});
        }
      }
    }
  }

  std::map<std::string, ObjectPtr> services_;
  std::map<std::string, std::vector<ObjectPtr>> slices_;
  std::map<std::string, std::shared_ptr<const Backend>> built_;
};

// Oldest first (creationTimestamp is RFC 3339 UTC, so text order is time order), then by key.
std::vector<ObjectPtr> OldestFirst(const std::vector<ObjectPtr>& ingresses) {
  std::vector<std::pair<std::pair<std::string, std::string>, ObjectPtr>> keyed;
  for (const ObjectPtr& i : ingresses) {
    if (!i) continue;
    keyed.push_back({{StringField(Object(*i, "metadata"), "creationTimestamp"), KeyOf(*i)}, i});
  }
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<ObjectPtr> out;
  out.reserve(keyed.size());
  for (auto& k : keyed) out.push_back(std::move(k.second));
  return out;
}

}  // namespace

bool IsOurIngress(const json& ingress, const std::vector<ObjectPtr>& classes) {
  auto ours = [&classes](const std::string& name) {
    for (const ObjectPtr& c : classes) {
      if (c && StringField(Object(*c, "metadata"), "name") == name &&
          StringField(Object(*c, "spec"), "controller") == kControllerName) {
        return true;
      }
    }
    return false;
  };
  std::string class_name = StringField(Object(ingress, "spec"), "ingressClassName");
  if (!class_name.empty()) return ours(class_name);
  std::string annotated = StringField(Object(Object(ingress, "metadata"), "annotations"),
                                      "kubernetes.io/ingress.class");
  if (!annotated.empty()) return ours(annotated);
  for (const ObjectPtr& c : classes) {
    if (c && StringField(Object(*c, "spec"), "controller") == kControllerName &&
        StringField(Object(Object(*c, "metadata"), "annotations"), kDefaultClassAnnotation) ==
            "true") {
      return true;
    }
  }
  return false;
}

const Endpoint* Backend::Pick() const {
  if (endpoints.empty()) return nullptr;
  return &endpoints[cursor.fetch_add(1, std::memory_order_relaxed) % endpoints.size()];
}

std::string NormalizeHost(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return Lower(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
  }
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) host = host.substr(0, colon);
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return Lower(host);
}

std::shared_ptr<const RouteTable> RouteTable::Build(const ClusterObjects& objects) {
  auto table = std::shared_ptr<RouteTable>(new RouteTable());
  BackendResolver resolver(objects);
  for (const ObjectPtr& ingress : OldestFirst(objects.ingresses)) {
    const json& meta = Object(*ingress, "metadata");
    const std::string ns = StringField(meta, "namespace");
    const std::string key = KeyOf(*ingress);
    const json& spec = Object(*ingress, "spec");
    if (const json* def = Field(spec, "defaultBackend");
        def != nullptr && !table->default_backend_) {
      table->default_backend_ = resolver.Resolve(ns, *def);
      if (!table->default_backend_) table->default_backend_ = std::make_shared<Backend>();
      table->default_ingress_ = key;
    }
    std::vector<std::string> rule_hosts;
    for (const json& rule : Array(spec, "rules")) {
      std::string host = Lower(StringField(rule, "host"));
      HostRules* rules = &table->any_host_;
      if (host.rfind("*.", 0) == 0) {
        rules = &table->wildcard_hosts_[host.substr(2)];
      } else if (!host.empty()) {
        rules = &table->exact_hosts_[host];
      }
      if (!host.empty()) rule_hosts.push_back(host);
      for (const json& p : Array(Object(rule, "http"), "paths")) {
        Path path;
        path.type = StringField(p, "pathType") == "Exact" ? PathType::kExact : PathType::kPrefix;
        path.path = StringField(p, "path");
        if (path.path.empty()) path.path = "/";
        if (path.type == PathType::kPrefix) {
          while (!path.path.empty() && path.path.back() == '/') path.path.pop_back();
        }
        bool taken = std::any_of(rules->paths.begin(), rules->paths.end(), [&path](const Path& q) {
          return q.path == path.path && q.type == path.type;
        });
        if (taken) continue;  // an older Ingress owns this route
        path.backend = resolver.Resolve(ns, Object(p, "backend"));
        if (!path.backend) path.backend = std::make_shared<Backend>();
        path.ingress = key;
        rules->paths.push_back(std::move(path));
      }
    }
    for (const json& tls : Array(spec, "tls")) {
      std::string secret = StringField(tls, "secretName");
      if (secret.empty()) continue;
      std::vector<std::string> hosts;
      for (const json& h : Array(tls, "hosts")) {
        if (h.is_string()) hosts.push_back(Lower(h.get<std::string>()));
      }
      if (hosts.empty()) hosts = rule_hosts;
      for (const std::string& h : hosts) {
        if (h.rfind("*.", 0) == 0) {
          table->tls_wildcard_.emplace(h.substr(2), ns + "/" + secret);
        } else {
          table->tls_exact_.emplace(h, ns + "/" + secret);
        }
      }
    }
  }
  auto order = [](const Path& a, const Path& b) {
    if (a.path.size() != b.path.size()) return a.path.size() > b.path.size();
    return a.type == PathType::kExact && b.type != PathType::kExact;
  };
  for (auto& [host, rules] : table->exact_hosts_) {
    std::stable_sort(rules.paths.begin(), rules.paths.end(), order);
  }
  for (auto& [host, rules] : table->wildcard_hosts_) {
    std::stable_sort(rules.paths.begin(), rules.paths.end(), order);
  }
  std::stable_sort(table->any_host_.paths.begin(), table->any_host_.paths.end(), order);
  return table;
}

bool RouteTable::PathMatches(const Path& p, std::string_view path) {
  if (p.type == PathType::kExact) return path == p.path;
  if (p.path.empty()) return true;
  if (path.size() < p.path.size() || path.compare(0, p.path.size(), p.path) != 0) return false;
  return path.size() == p.path.size() || path[p.path.size()] == '/';
}

const RouteTable::Path* RouteTable::MatchPaths(const HostRules& rules,
                                               std::string_view path) const {
  for (const Path& p : rules.paths) {
    if (PathMatches(p, path)) return &p;
  }
  return nullptr;
}

RouteMatch RouteTable::Match(std::string_view host, std::string_view target) const {
  size_t end = target.find_first_of("?#");
  std::string_view path = target.substr(0, end);
  if (path.empty()) path = "/";
  std::string h = NormalizeHost(host);
  const Path* found = nullptr;
  if (auto it = exact_hosts_.find(h); it != exact_hosts_.end())
    found = MatchPaths(it->second, path);
  if (found == nullptr) {
    size_t dot = h.find('.');
    if (dot != std::string::npos) {
      auto it = wildcard_hosts_.find(std::string_view(h).substr(dot + 1));
      if (it != wildcard_hosts_.end()) found = MatchPaths(it->second, path);
    }
  }
  if (found == nullptr) found = MatchPaths(any_host_, path);
  RouteMatch m;
  if (found != nullptr) {
    m.kind = RouteMatch::kBackend;
    m.backend = found->backend;
    m.ingress = found->ingress;
  } else if (default_backend_) {
    m.kind = RouteMatch::kBackend;
    m.backend = default_backend_;
    m.ingress = default_ingress_;
  }
  return m;
}

std::string RouteTable::TlsSecretFor(std::string_view server_name) const {
  std::string h = NormalizeHost(server_name);
  if (auto it = tls_exact_.find(h); it != tls_exact_.end()) return it->second;
  size_t dot = h.find('.');
  if (dot != std::string::npos) {
    auto it = tls_wildcard_.find(std::string_view(h).substr(dot + 1));
    if (it != tls_wildcard_.end()) return it->second;
  }
  return "";
}

std::vector<std::string> RouteTable::TlsSecrets() const {
  std::set<std::string> all;
  for (const auto& [h, s] : tls_exact_) all.insert(s);
  for (const auto& [h, s] : tls_wildcard_) all.insert(s);
  return {all.begin(), all.end()};
}

size_t RouteTable::route_count() const {
  size_t n = any_host_.paths.size() + (default_backend_ ? 1 : 0);
  for (const auto& [h, r] : exact_hosts_) n += r.paths.size();
  for (const auto& [h, r] : wildcard_hosts_) n += r.paths.size();
  return n;
}

}  // namespace capstan::ingress
