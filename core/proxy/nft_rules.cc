// nftables script generation for the service proxy (nft_rules.h).
#include "core/proxy/nft_rules.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <set>

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

// The rules that mark a packet for masquerading on entry to svc-<id>.
void AppendServiceMarks(const RulesConfig& c, const ServicePortState& s,
                        std::vector<std::string>* rules) {
  std::string mark = "meta mark set meta mark | " + Hex(c.masquerade_mark);
  if (c.cluster_cidr.empty()) {
    rules->push_back(mark);
    return;
  }
  rules->push_back("ip saddr != " + c.cluster_cidr + " " + mark);
  // Hairpin: an endpoint reaching its own service must see the reply come back through us.
  for (const Endpoint& e : s.endpoints) rules->push_back("ip saddr " + e.ip + " " + mark);
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

// Random choice among `eps` by their indexes in group `group` of @backends.
void AppendGroupChoice(uint32_t group, size_t count, std::vector<std::string>* rules) {
  rules->push_back("ct mark set numgen random mod " + Num(static_cast<uint32_t>(count)) +
                   " offset " + Num(group << kEndpointBits));
  rules->push_back("goto backend-dnat");
}

void AddBackends(PortRules* r, uint32_t group, const std::vector<Endpoint>& eps) {
  for (size_t i = 0; i < eps.size(); ++i) {
    AddElement(r, "backends", Num((group << kEndpointBits) | static_cast<uint32_t>(i)),
               eps[i].ip + " . " + Num(eps[i].port));
  }
}

}  // namespace

PortRules RenderPort(const RulesConfig& c, const ServicePortState& s) {
  PortRules r;
  const std::string proto = s.protocol;
  const std::string tail = " . " + proto + " . " + Num(s.port);
  std::vector<Endpoint> eps(s.endpoints.begin(),
                            s.endpoints.begin() + static_cast<std::ptrdiff_t>(
                                                      std::min(s.endpoints.size(), kMaxEndpoints)));
  std::vector<Endpoint> external;  // NodePort backends
  for (const Endpoint& e : eps) {
    if (!s.external_local || e.local) external.push_back(e);
  }
  std::vector<std::string> vips = s.cluster_ips;
  vips.insert(vips.end(), s.external_ips.begin(), s.external_ips.end());
  const bool affinity = s.affinity_timeout_seconds > 0;
  if (eps.empty()) {
    for (const std::string& vip : vips) AddElement(&r, "no-endpoints", vip + tail, kReject);
    if (s.node_port != 0) {
      AddElement(&r, "no-endpoint-nodeports", proto + " . " + Num(s.node_port), kReject);
    }
    return r;
  }
  std::vector<std::string>& svc = r.chains["svc-" + s.id];
  AppendServiceMarks(c, s, &svc);
  if (affinity) {
    AppendAffinityChoice(s, eps, &svc);
    for (const Endpoint& e : eps) {
      std::string n = EndpointName(s, e);
      r.sets["aff-" + n] = "type ipv4_addr; flags dynamic,timeout; timeout " +
                           Num(static_cast<uint32_t>(s.affinity_timeout_seconds)) + "s;";
      r.chains["ep-" + n] = {"update @aff-" + n + " { ip saddr }",
                             "meta l4proto " + proto + " dnat to " + e.ip + ":" + Num(e.port)};
    }
  } else {
    AppendGroupChoice(s.group, eps.size(), &svc);
    AddBackends(&r, s.group, eps);
  }
  for (const std::string& vip : vips) AddElement(&r, "services", vip + tail, "goto svc-" + s.id);
  if (s.node_port == 0) return r;
  std::string np = proto + " . " + Num(s.node_port);
  if (external.empty()) {  // Local policy without a local endpoint: drop, as kube-proxy
    AddElement(&r, "nodeports", np, "drop");
    return r;
  }
  AddElement(&r, "nodeports", np, "goto ext-" + s.id);
  std::vector<std::string>& ext = r.chains["ext-" + s.id];
  if (!s.external_local) {
    // Cluster policy may forward to another node: the reply must come back through this one.
    ext.push_back("meta mark set meta mark | " + Hex(c.masquerade_mark));
    ext.push_back("goto svc-" + s.id);
    return r;
  }
  // Local policy keeps the client address (the point of it) and only local endpoints.
  if (affinity) {
    AppendAffinityChoice(s, external, &ext);
  } else {
    AppendGroupChoice(s.group | kLocalGroup, external.size(), &ext);
    AddBackends(&r, s.group | kLocalGroup, external);
  }
  return r;
}

std::string FullTableScript(const RulesConfig& c,
                            const std::vector<const ServicePortState*>& ports) {
  const std::string& t = c.table;
  const std::string m = Hex(c.masquerade_mark);
  std::string out;
  out.reserve(256 + ports.size() * 600);
  out += "add table ip " + t + "\ndelete table ip " + t + "\ntable ip " + t + " {\n";
  out +=
      "  map services { type ipv4_addr . inet_proto . inet_service : verdict; }\n"
      "  map nodeports { type inet_proto . inet_service : verdict; }\n"
      "  map no-endpoints { type ipv4_addr . inet_proto . inet_service : verdict; }\n"
      "  map no-endpoint-nodeports { type inet_proto . inet_service : verdict; }\n"
      "  map backends { type mark : ipv4_addr . inet_service; }\n"
      "  chain backend-dnat {\n"
      "    meta l4proto tcp dnat ip to ct mark map @backends\n"
      "    meta l4proto udp dnat ip to ct mark map @backends\n"
      "    meta l4proto sctp dnat ip to ct mark map @backends\n  }\n"
      "  chain reject-service { reject with icmp type port-unreachable; }\n"
      "  chain dispatch {\n"
      "    ip daddr . meta l4proto . th dport vmap @services\n"
      "    fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @nodeports\n"
      "  }\n"
      "  chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; "
      "jump dispatch; }\n"
      "  chain nat-output { type nat hook output priority -100; policy accept; jump dispatch; }\n"
      "  chain nat-postrouting { type nat hook postrouting priority srcnat; policy accept; "
      "meta mark & " +
      m + " == " + m + " meta mark set meta mark ^ " + m + " masquerade; }\n" +
      "  chain filter-input { type filter hook input priority -10; policy accept; "
      "ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports; }\n"
      "  chain filter-forward { type filter hook forward priority -10; policy accept; "
      "ip daddr . meta l4proto . th dport vmap @no-endpoints; }\n"
      "  chain filter-output { type filter hook output priority -10; policy accept;\n"
      "    ip daddr . meta l4proto . th dport vmap @no-endpoints\n"
      "    fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap "
      "@no-endpoint-nodeports\n  }\n";
  std::map<std::string, std::string> elements;  // map -> comma-joined elements
  for (const ServicePortState* p : ports) {
    PortRules r = RenderPort(c, *p);
    for (const auto& [name, decl] : r.sets) out += "  set " + name + " { " + decl + " }\n";
    for (const auto& [name, rules] : r.chains) {
      out += "  chain " + name + " {\n";
      for (const std::string& rule : rules) out += "    " + rule + "\n";
      out += "  }\n";
    }
    for (const auto& [map, element] : r.elements) {
      std::string& list = elements[map];
      if (!list.empty()) list += ",\n    ";
      list += element;
    }
  }
  out += "}\n";
  for (const auto& [map, list] : elements) {
    out += "add element ip " + t + " " + map + " {\n    " + list + "\n}\n";
  }
  return out;
}

std::string DeleteTableScript(const RulesConfig& c) { return "delete table ip " + c.table + "\n"; }

void RulesDelta::Add(const ServicePortState* before, const ServicePortState* after) {
  PortRules b = before != nullptr ? RenderPort(config_, *before) : PortRules{};
  PortRules a = after != nullptr ? RenderPort(config_, *after) : PortRules{};
  const std::string pre = " ip " + config_.table + " ";
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

bool RulesDelta::empty() const { return Script().empty(); }

std::string RulesDelta::Script() const {
  return delete_elements_ + flush_chains_ + delete_chains_ + delete_sets_ + add_sets_ +
         add_chains_ + add_rules_ + add_elements_;
}

}  // namespace capstan::proxy
