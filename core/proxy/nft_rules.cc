// nftables script generation for the service proxy (nft_rules.h).
#include "core/proxy/nft_rules.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <set>
#include <string_view>

namespace capstan::proxy {
namespace {

constexpr const char* kReject = "goto reject-service";

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%x", v);
  return buf;
}

std::string Num(uint32_t v) { return std::to_string(v); }

std::string EndpointName(const ServicePortState& s, const Endpoint& e) {
  return s.id + "/" + e.ip + "/" + Num(e.port);
}

// The rule that marks service traffic for masquerading: all of it, or with a cluster CIDR what
// comes from outside it (hairpin traffic is caught in nat-postrouting by the hairpin set).
std::string MarkRule(const RulesConfig& c) {
  std::string mark = "meta mark set meta mark | " + Hex(c.masquerade_mark);
  return c.cluster_cidr.empty() ? mark : "ip saddr != " + c.cluster_cidr + " " + mark;
}

// Random choice among `eps` through per-endpoint chains that remember the client (affinity).
void AppendAffinityChoice(const ServicePortState& s, const std::vector<Endpoint>& eps,
                          std::vector<std::string>* rules) {
  for (const Endpoint& e : eps) {
    std::string n = EndpointName(s, e);
    rules->push_back("ip saddr @aff-" + n + " goto ep-" + n);
  }
  std::string vmap = "numgen random mod " + Num(static_cast<uint32_t>(eps.size())) + " vmap { ";
  for (size_t i = 0; i < eps.size(); ++i) {
    if (i != 0) vmap += ", ";
    vmap += Num(static_cast<uint32_t>(i)) + " : goto ep-" + EndpointName(s, eps[i]);
  }
  rules->push_back(vmap + " }");
}

void AddElement(PortRules* r, const char* map, std::string key, const std::string& value) {
  r->elements.emplace_back(map, std::move(key) + " : " + value);
}

// NodePort choice among `eps` by their indexes in group `group` of @nodeport-backends.
void AppendGroupChoice(uint32_t group, size_t count, std::vector<std::string>* rules) {
  rules->push_back("ct mark set numgen random mod " + Num(static_cast<uint32_t>(count)) +
                   " offset " + Num(group << kEndpointBits));
  rules->push_back("goto nodeport-dnat");
}

void AddGroupBackends(PortRules* r, uint32_t group, const std::vector<Endpoint>& eps) {
  for (size_t i = 0; i < eps.size(); ++i) {
    AddElement(r, "nodeport-backends", Num((group << kEndpointBits) | static_cast<uint32_t>(i)),
               eps[i].ip + " . " + Num(eps[i].port));
  }
}

std::string PickChain(size_t count) { return "pick-" + Num(static_cast<uint32_t>(count)); }

std::vector<std::string> PickRules(const std::string& chain) {
  return {"ct mark set numgen random mod " + chain.substr(5), "goto backend-dnat"};
}

constexpr std::string_view kHairpin = "hairpin ";

// The element of the hairpin set for shared key "hairpin <ip>".
std::string HairpinElement(const std::string& key) {
  std::string ip = key.substr(kHairpin.size());
  return ip + " . " + ip;
}

// The service ports' NodePort: drop, or ext-<id> choosing among `external` endpoints.
void RenderNodePort(const RulesConfig& c, const ServicePortState& s,
                    const std::vector<Endpoint>& eps, const std::vector<Endpoint>& external,
                    PortRules* r) {
  const bool affinity = s.affinity_timeout_seconds > 0;
  std::string np = s.protocol + " . " + Num(s.node_port);
  if (external.empty()) {  // Local policy without a local endpoint: drop, as kube-proxy
    AddElement(r, "nodeports", np, "drop");
    return;
  }
  AddElement(r, "nodeports", np, "goto ext-" + s.id);
  std::vector<std::string>& ext = r->chains["ext-" + s.id];
  if (!s.external_local) {
    // Cluster policy may forward to another node: the reply must come back through this one.
    ext.push_back("meta mark set meta mark | " + Hex(c.masquerade_mark));
    if (affinity) {
      ext.push_back("goto svc-" + s.id);
    } else {
      AppendGroupChoice(s.group, eps.size(), &ext);
      AddGroupBackends(r, s.group, eps);
    }
    return;
  }
  // Local policy keeps the client address (the point of it) and only local endpoints.
  if (affinity) {
    AppendAffinityChoice(s, external, &ext);
  } else {
    AppendGroupChoice(s.group | kLocalGroup, external.size(), &ext);
    AddGroupBackends(r, s.group | kLocalGroup, external);
  }
}

}  // namespace

PortRules RenderPort(const RulesConfig& c, const ServicePortState& s) {
  PortRules r;
  const std::string tail = " . " + s.protocol + " . " + Num(s.port);
  std::vector<Endpoint> eps(s.endpoints.begin(),
                            s.endpoints.begin() + static_cast<std::ptrdiff_t>(
                                                      std::min(s.endpoints.size(), kMaxEndpoints)));
  std::vector<Endpoint> external;  // NodePort backends
  for (const Endpoint& e : eps) {
    if (!s.external_local || e.local) external.push_back(e);
  }
  std::vector<std::string> vips = s.cluster_ips;
  vips.insert(vips.end(), s.external_ips.begin(), s.external_ips.end());
  if (eps.empty()) {
    for (const std::string& vip : vips) AddElement(&r, "no-endpoints", vip + tail, kReject);
    if (s.node_port != 0) {
      AddElement(&r, "no-endpoint-nodeports", s.protocol + " . " + Num(s.node_port), kReject);
    }
    return r;
  }
  if (!c.cluster_cidr.empty()) {
    std::set<std::string> ips;
    for (const Endpoint& e : eps) ips.insert(e.ip);
    for (const std::string& ip : ips) r.shared.push_back(std::string(kHairpin) + ip);
  }
  if (s.affinity_timeout_seconds > 0) {
    std::vector<std::string>& svc = r.chains["svc-" + s.id];
    svc.push_back(MarkRule(c));
    AppendAffinityChoice(s, eps, &svc);
    for (const Endpoint& e : eps) {
      std::string n = EndpointName(s, e);
      r.sets["aff-" + n] = "type ipv4_addr; flags dynamic,timeout; timeout " +
                           Num(static_cast<uint32_t>(s.affinity_timeout_seconds)) + "s;";
      r.chains["ep-" + n] = {"update @aff-" + n + " { ip saddr }",
                             "meta l4proto " + s.protocol + " dnat to " + e.ip + ":" + Num(e.port)};
    }
    for (const std::string& vip : vips) {
      AddElement(&r, "services", vip + tail, "goto svc-" + s.id);
    }
  } else {
    std::string pick = PickChain(eps.size());
    r.shared.push_back(pick);
    for (const std::string& vip : vips) {
      AddElement(&r, "services", vip + tail, "goto " + pick);
      for (size_t i = 0; i < eps.size(); ++i) {
        AddElement(&r, "backends", vip + tail + " . " + Num(static_cast<uint32_t>(i)),
                   eps[i].ip + " . " + Num(eps[i].port));
      }
    }
  }
  if (s.node_port != 0) RenderNodePort(c, s, eps, external, &r);
  return r;
}

TableScript RenderTable(const RulesConfig& c, const std::vector<const ServicePortState*>& ports,
                        SharedCounts* shared) {
  const std::string& t = c.table;
  TableScript table;
  std::string& out = table.skeleton;
  const std::string m = Hex(c.masquerade_mark);
  const bool hairpin = !c.cluster_cidr.empty();
  out.reserve(1024 + ports.size() * 64);
  out += "add table ip " + t + "\ndelete table ip " + t + "\ntable ip " + t + " {\n";
  out +=
      "  map services { type ipv4_addr . inet_proto . inet_service : verdict; }\n"
      "  map nodeports { type inet_proto . inet_service : verdict; }\n"
      "  map no-endpoints { type ipv4_addr . inet_proto . inet_service : verdict; }\n"
      "  map no-endpoint-nodeports { type inet_proto . inet_service : verdict; }\n"
      "  map backends { type ipv4_addr . inet_proto . inet_service . mark : "
      "ipv4_addr . inet_service; }\n"
      "  map nodeport-backends { type mark : ipv4_addr . inet_service; }\n";
  if (hairpin) out += "  set hairpin { type ipv4_addr . ipv4_addr; }\n";
  out += "  chain backend-dnat {\n    " + MarkRule(c) + "\n";
  for (const char* proto : {"tcp", "udp", "sctp"}) {
    out += std::string("    meta l4proto ") + proto +
           " dnat ip to ip daddr . meta l4proto . th dport . ct mark map @backends\n";
  }
  out += "  }\n  chain nodeport-dnat {\n";
  for (const char* proto : {"tcp", "udp", "sctp"}) {
    out +=
        std::string("    meta l4proto ") + proto + " dnat ip to ct mark map @nodeport-backends\n";
  }
  out +=
      "  }\n"
      "  chain reject-service { reject with icmp type port-unreachable; }\n"
      "  chain dispatch {\n"
      "    ip daddr . meta l4proto . th dport vmap @services\n"
      "    fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @nodeports\n"
      "  }\n"
      "  chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; "
      "jump dispatch; }\n"
      "  chain nat-output { type nat hook output priority -100; policy accept; jump dispatch; }\n"
      "  chain nat-postrouting { type nat hook postrouting priority srcnat; policy accept;\n"
      "    meta mark & " +
      m + " == " + m + " meta mark set meta mark ^ " + m + " masquerade\n" +
      (hairpin ? "    ct status dnat ip saddr . ip daddr @hairpin masquerade\n" : "") +
      "  }\n"
      "  chain filter-input { type filter hook input priority -10; policy accept; "
      "ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports; }\n"
      "  chain filter-forward { type filter hook forward priority -10; policy accept; "
      "ip daddr . meta l4proto . th dport vmap @no-endpoints; }\n"
      "  chain filter-output { type filter hook output priority -10; policy accept;\n"
      "    ip daddr . meta l4proto . th dport vmap @no-endpoints\n"
      "    fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap "
      "@no-endpoint-nodeports\n  }\n";
  shared->clear();
  auto add_element = [&](const std::string& map, std::string element) {
    table.elements.emplace_back(map, std::move(element));
  };
  for (const ServicePortState* p : ports) {
    PortRules r = RenderPort(c, *p);
    for (const auto& [name, decl] : r.sets) out += "  set " + name + " { " + decl + " }\n";
    for (const auto& [name, rules] : r.chains) {
      out += "  chain " + name + " {\n";
      for (const std::string& rule : rules) out += "    " + rule + "\n";
      out += "  }\n";
    }
    for (const auto& [map, element] : r.elements) add_element(map, element);
    for (const std::string& key : r.shared) {
      if (++(*shared)[key] != 1) continue;
      if (key.starts_with(kHairpin)) {
        add_element("hairpin", HairpinElement(key));
        continue;
      }
      out += "  chain " + key + " {\n";
      for (const std::string& rule : PickRules(key)) out += "    " + rule + "\n";
      out += "  }\n";
    }
  }
  out += "}\n";
  // Grouped by map, so that each map gets one command.
  std::stable_sort(table.elements.begin(), table.elements.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return table;
}

std::string ElementsScript(const RulesConfig& c, const TableScript& table, size_t begin,
                           size_t end) {
  std::string out;
  end = std::min(end, table.elements.size());
  for (size_t i = begin; i < end; ++i) {
    const auto& [map, element] = table.elements[i];
    if (i == begin || table.elements[i - 1].first != map) {
      if (i != begin) out += "\n}\n";
      out += "add element ip " + c.table + " " + map + " {\n    ";
    } else {
      out += ",\n    ";
    }
    out += element;
  }
  if (begin < end) out += "\n}\n";
  return out;
}

std::string FullTableScript(const RulesConfig& c, const std::vector<const ServicePortState*>& ports,
                            SharedCounts* shared) {
  TableScript table = RenderTable(c, ports, shared);
  return table.skeleton + ElementsScript(c, table, 0, table.elements.size());
}

std::string DeleteTableScript(const RulesConfig& c) { return "delete table ip " + c.table + "\n"; }

void RulesDelta::Add(const ServicePortState* before, const ServicePortState* after) {
  PortRules b = before != nullptr ? RenderPort(config_, *before) : PortRules{};
  PortRules a = after != nullptr ? RenderPort(config_, *after) : PortRules{};
  const std::string pre = " ip " + config_.table + " ";
  for (const std::string& key : b.shared) --shared_delta_[key];
  for (const std::string& key : a.shared) ++shared_delta_[key];
  // Elements: a key whose value changed is deleted and added again.
  std::set<std::pair<std::string, std::string>> old_elems(b.elements.begin(), b.elements.end());
  std::set<std::pair<std::string, std::string>> new_elems(a.elements.begin(), a.elements.end());
  for (const auto& [map, element] : old_elems) {
    if (new_elems.count({map, element}) != 0) continue;
    std::string key = element.substr(0, element.find(" : "));
    delete_elements_ += "delete element" + pre + map + " { " + key + " }\n";
  }
  for (const auto& [map, element] : new_elems) {
    if (old_elems.count({map, element}) != 0) continue;
    add_elements_ += "add element" + pre + map + " { " + element + " }\n";
  }
  // A set that is replaced must first lose every rule that references it.
  bool sets_changed = false;
  for (const auto& [name, decl] : b.sets) {
    auto it = a.sets.find(name);
    if (it != a.sets.end() && it->second == decl) continue;
    sets_changed = true;
    delete_sets_ += "delete set" + pre + name + "\n";
  }
  for (const auto& [name, decl] : a.sets) {
    auto it = b.sets.find(name);
    if (it != b.sets.end() && it->second == decl) continue;
    add_sets_ += "add set" + pre + name + " { " + decl + " }\n";
  }
  for (const auto& [name, rules] : b.chains) {
    auto it = a.chains.find(name);
    if (!sets_changed && it != a.chains.end() && it->second == rules) continue;
    flush_chains_ += "flush chain" + pre + name + "\n";
    if (it == a.chains.end()) delete_chains_ += "delete chain" + pre + name + "\n";
  }
  for (const auto& [name, rules] : a.chains) {
    auto it = b.chains.find(name);
    if (!sets_changed && it != b.chains.end() && it->second == rules) continue;
    if (it == b.chains.end()) add_chains_ += "add chain" + pre + name + "\n";
    for (const std::string& rule : rules) add_rules_ += "add rule" + pre + name + " " + rule + "\n";
  }
}

void RulesDelta::RenderShared(const std::string& key, bool add, std::string* elements,
                              std::string* flush, std::string* del, std::string* chains,
                              std::string* rules) const {
  const std::string pre = " ip " + config_.table + " ";
  if (key.starts_with(kHairpin)) {
    *elements += std::string(add ? "add" : "delete") + " element" + pre + "hairpin { " +
                 HairpinElement(key) + " }\n";
    return;
  }
  if (!add) {
    *flush += "flush chain" + pre + key + "\n";
    *del += "delete chain" + pre + key + "\n";
    return;
  }
  *chains += "add chain" + pre + key + "\n";
  for (const std::string& rule : PickRules(key))
    *rules += "add rule" + pre + key + " " + rule + "\n";
}

bool RulesDelta::empty() const { return Script().empty(); }

std::string RulesDelta::Script() const {
  std::string del_elements = delete_elements_, flush = flush_chains_, del = delete_chains_;
  std::string chains = add_chains_, rules = add_rules_, elements = add_elements_;
  for (const auto& [key, delta] : shared_delta_) {
    if (delta == 0) continue;
    auto it = shared_.find(key);
    const int users = it == shared_.end() ? 0 : it->second;
    if (users == 0 && delta > 0) {
      RenderShared(key, true, &elements, &flush, &del, &chains, &rules);
    } else if (users > 0 && users + delta <= 0) {
      RenderShared(key, false, &del_elements, &flush, &del, &chains, &rules);
    }
  }
  return del_elements + flush + del + delete_sets_ + add_sets_ + chains + rules + elements;
}

void RulesDelta::Commit(SharedCounts* shared) const {
  for (const auto& [key, delta] : shared_delta_) {
    int& users = (*shared)[key];
    users += delta;
    if (users <= 0) shared->erase(key);
  }
}

}  // namespace capstan::proxy
