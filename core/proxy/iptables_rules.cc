// iptables-restore script generation for the service proxy (iptables_rules.h).
#include "core/proxy/iptables_rules.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <set>

namespace capstan::proxy {
namespace {

constexpr const char* kLoopback = "127.0.0.0/8";

// Fixed chain names (after the prefix).
constexpr const char* kServices = "SERVICES";
constexpr const char* kNodePorts = "NODEPORTS";
constexpr const char* kMarkMasq = "MARK-MASQ";
constexpr const char* kPostrouting = "POSTROUTING";
constexpr const char* kHairpin = "HAIRPIN";

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%x", v);
  return buf;
}

std::string Num(uint32_t v) { return std::to_string(v); }

// "-p tcp -m tcp --dport 80"
std::string PortMatch(const std::string& protocol, uint16_t port) {
  return "-p " + protocol + " -m " + protocol + " --dport " + Num(port);
}

std::string VipMatch(const std::string& ip, const ServicePortState& s) {
  return "-d " + ip + "/32 " + PortMatch(s.protocol, s.port);
}

// The address-type match of NodePort traffic: every local address but loopback (as the
// nftables mode, which does not route 127/8 to other hosts).
std::string LocalDestination() {
  return std::string("! -d ") + kLoopback + " -m addrtype --dst-type LOCAL";
}

struct Names {
  std::string prefix, svc, ext, svl;
  // The `-m recent` list of clients sent to `e` (affinity).
  std::string Affinity(const ServicePortState& s, const Endpoint& e) const {
    return prefix + "SEP-" + IptablesHash(s.id + "/" + e.ip + ":" + Num(e.port));
  }
};

Names PortNames(const RulesConfig& c, const ServicePortState& s) {
  Names n;
  n.prefix = IptablesPrefix(c);
  const std::string h = IptablesHash(s.id);
  n.svc = n.prefix + "SVC-" + h;
  n.ext = n.prefix + "EXT-" + h;
  n.svl = n.prefix + "SVL-" + h;
  return n;
}

// Affinity checks, then a random choice among `eps` (each with probability 1/n overall):
// rule i matches with 1/(n-i) of what earlier rules left. Every rule DNATs itself.
void AppendChoice(const Names& n, const ServicePortState& s, const std::vector<Endpoint>& eps,
                  std::vector<std::string>* rules) {
  const bool affinity = s.affinity_timeout_seconds > 0;
  auto dnat = [&](const Endpoint& e) {
    return " -j DNAT --to-destination " + e.ip + ":" + Num(e.port);
  };
  if (affinity) {
    for (const Endpoint& e : eps) {
      rules->push_back(
          "-p " + s.protocol + " -m recent --name " + n.Affinity(s, e) + " --update --seconds " +
          Num(static_cast<uint32_t>(s.affinity_timeout_seconds)) + " --reap" + dnat(e));
    }
  }
  for (size_t i = 0; i < eps.size(); ++i) {
    std::string rule = "-p " + s.protocol;
    if (i + 1 < eps.size()) {
      char p[32];
      std::snprintf(p, sizeof(p), "%.10f", 1.0 / static_cast<double>(eps.size() - i));
      rule += std::string(" -m statistic --mode random --probability ") + p;
    }
    // After the statistic match, so that only the chosen endpoint remembers the client.
    if (affinity) rule += " -m recent --name " + n.Affinity(s, eps[i]) + " --set";
    rules->push_back(rule + dnat(eps[i]));
  }
}

// Service traffic to mark for masquerading: all, or with a cluster CIDR what comes from outside
// it (hairpin traffic is caught by the HAIRPIN chain).
std::string MarkRule(const RulesConfig& c, const std::string& mark_chain) {
  return c.cluster_cidr.empty() ? "-j " + mark_chain
                                : "! -s " + c.cluster_cidr + " -j " + mark_chain;
}

// EXT-*: where NodePort and external IP traffic goes. Cluster policy: masquerade (the reply
// must come back through this node), then any endpoint. Local policy: keep the client address
// and only local endpoints, except for pods and this host, which may use any endpoint.
std::vector<std::string> ExtRules(const RulesConfig& c, const Names& n, const ServicePortState& s,
                                  bool any_local) {
  const std::string mark = n.prefix + kMarkMasq;
  if (!s.external_local) return {"-j " + mark, "-j " + n.svc};
  std::vector<std::string> rules;
  if (!c.cluster_cidr.empty()) rules.push_back("-s " + c.cluster_cidr + " -j " + n.svc);
  rules.push_back("-m addrtype --src-type LOCAL -j " + mark);
  rules.push_back("-m addrtype --src-type LOCAL -j " + n.svc);
  if (any_local) rules.push_back("-j " + n.svl);
  return rules;  // no local endpoint: not DNATed, dropped by the filter chain
}

}  // namespace

std::string IptablesHash(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (unsigned char ch : key) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out(10, 'A');
  for (char& ch : out) {
    ch = kAlphabet[h & 31];
    h >>= 5;
  }
  return out;
}

std::string IptablesPrefix(const RulesConfig& c) {
  std::string p;
  for (char ch : c.table) {
    p += std::isalnum(static_cast<unsigned char>(ch)) != 0
             ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch)))
             : '-';
  }
  if (p.size() > 6 && p.ends_with("-PROXY")) p.resize(p.size() - 6);
  if (p.size() > 13) p = p.substr(0, 8) + IptablesHash(c.table).substr(0, 5);
  return p + "-";
}

IptablesPortRules RenderIptablesPort(const RulesConfig& c, const ServicePortState& s) {
  IptablesPortRules r;
  const Names n = PortNames(c, s);
  std::vector<Endpoint> local;
  for (const Endpoint& e : s.endpoints) {
    if (e.local) local.push_back(e);
  }
  const std::string node_port =
      s.node_port != 0 ? LocalDestination() + " " + PortMatch(s.protocol, s.node_port) : "";
  if (s.endpoints.empty()) {
    const std::string reject = " -j REJECT --reject-with icmp-port-unreachable";
    for (const std::string& ip : s.cluster_ips) r.filter.push_back(VipMatch(ip, s) + reject);
    for (const std::string& ip : s.external_ips) r.filter.push_back(VipMatch(ip, s) + reject);
    if (s.node_port != 0) r.filter.push_back(node_port + reject);
    return r;
  }
  if (!c.cluster_cidr.empty()) {
    std::set<std::string> ips;
    for (const Endpoint& e : s.endpoints) ips.insert(e.ip);
    r.hairpin.assign(ips.begin(), ips.end());
  }
  std::vector<std::string>& svc = r.chains[n.svc];
  svc.push_back(MarkRule(c, n.prefix + kMarkMasq));
  AppendChoice(n, s, s.endpoints, &svc);
  for (const std::string& ip : s.cluster_ips)
    r.services.push_back(VipMatch(ip, s) + " -j " + n.svc);
  if (s.node_port == 0 && s.external_ips.empty()) return r;
  r.chains[n.ext] = ExtRules(c, n, s, !local.empty());
  if (s.external_local && !local.empty()) AppendChoice(n, s, local, &r.chains[n.svl]);
  for (const std::string& ip : s.external_ips) {
    r.services.push_back(VipMatch(ip, s) + " -j " + n.ext);
  }
  if (s.node_port != 0) r.nodeports.push_back(PortMatch(s.protocol, s.node_port) + " -j " + n.ext);
  if (s.external_local && local.empty()) {  // as kube-proxy: drop what no local endpoint serves
    for (const std::string& ip : s.external_ips) r.filter.push_back(VipMatch(ip, s) + " -j DROP");
    if (s.node_port != 0) r.filter.push_back(node_port + " -j DROP");
  }
  return r;
}

std::vector<IptablesJump> IptablesJumps(const RulesConfig& c) {
  const std::string p = IptablesPrefix(c);
  const std::string services = "-j " + p + kServices;
  const std::string filter = "-m conntrack --ctstate NEW -j " + p + kServices;
  return {{"nat", "PREROUTING", services},
          {"nat", "OUTPUT", services},
          {"nat", "POSTROUTING", "-j " + p + kPostrouting},
          {"filter", "INPUT", filter},
          {"filter", "FORWARD", filter},
          {"filter", "OUTPUT", filter}};
}

namespace {

// Whether `name` is one of the chains we make with `prefix`, not one of another prefix that
// starts with ours ("CAPSTAN-" and "CAPSTAN-TEST-").
bool IsOwnChain(const std::string& prefix, std::string_view name) {
  name.remove_prefix(prefix.size());
  for (const char* fixed : {kServices, kNodePorts, kMarkMasq, kPostrouting, kHairpin}) {
    if (name == fixed) return true;
  }
  constexpr size_t kHashSize = 10;
  if (name.size() != 4 + kHashSize) return false;
  std::string_view kind = name.substr(0, 4);
  if (kind != "SVC-" && kind != "EXT-" && kind != "SVL-") return false;
  for (char ch : name.substr(4)) {
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7'))) return false;
  }
  return true;
}

}  // namespace

IptablesSaved ParseIptablesSave(const RulesConfig& c, std::string_view save) {
  const std::string p = IptablesPrefix(c);
  const std::vector<IptablesJump> jumps = IptablesJumps(c);
  IptablesSaved saved;
  saved.jump_counts.assign(jumps.size(), 0);
  std::string table;
  while (!save.empty()) {
    size_t end = save.find('\n');
    std::string_view line = save.substr(0, end);
    save = end == std::string_view::npos ? std::string_view() : save.substr(end + 1);
    if (line.starts_with("*")) {
      table = std::string(line.substr(1));
    } else if (line.starts_with(":" + p)) {
      std::string_view name = line.substr(1, line.find(' ') - 1);
      if (!IsOwnChain(p, name)) continue;
      if (table == "nat") saved.nat_chains.emplace_back(name);
      if (table == "filter") saved.filter_chains.emplace_back(name);
    } else if (line.starts_with("-A ")) {
      for (size_t i = 0; i < jumps.size(); ++i) {
        if (table == jumps[i].table && line == "-A " + jumps[i].chain + " " + jumps[i].spec) {
          ++saved.jump_counts[i];
        }
      }
    }
  }
  return saved;
}

namespace {

// Appends "-A chain spec" lines.
void AppendRules(const std::string& chain, const std::vector<std::string>& specs,
                 std::string* out) {
  for (const std::string& spec : specs) *out += "-A " + chain + " " + spec + "\n";
}

void Declare(const std::string& chain, std::string* out) { *out += ":" + chain + " - [0:0]\n"; }

// The dispatch chains' tails and the fixed nat chains' rules.
std::string NodePortJump(const std::string& p) {
  return "-A " + p + kServices + " " + LocalDestination() + " -j " + p + kNodePorts + "\n";
}

std::string FixedNatRules(const RulesConfig& c) {
  const std::string p = IptablesPrefix(c);
  const std::string m = Hex(c.masquerade_mark);
  std::string out;
  out += "-A " + p + kMarkMasq + " -j MARK --or-mark " + m + "\n";
  if (!c.cluster_cidr.empty()) {
    out += "-A " + p + kPostrouting + " -m conntrack --ctstate DNAT -j " + p + kHairpin + "\n";
  }
  out += "-A " + p + kPostrouting + " -m mark ! --mark " + m + "/" + m + " -j RETURN\n";
  // Cleared so that a packet that is re-encapsulated is not masqueraded twice.
  out += "-A " + p + kPostrouting + " -j MARK --xor-mark " + m + "\n";
  out += "-A " + p + kPostrouting + " -j MASQUERADE\n";
  return out;
}

// The HAIRPIN chain's rules: a connection DNATed back to its source is masqueraded, so that the
// reply comes back through the node.
void AppendHairpin(const std::string& p, const std::map<std::string, int>& users,
                   std::string* out) {
  for (const auto& [ip, count] : users) {
    if (count > 0) {
      *out += "-A " + p + kHairpin + " -s " + ip + "/32 -d " + ip + "/32 -j MASQUERADE\n";
    }
  }
}

}  // namespace

std::string IptablesFullScript(const RulesConfig& c,
                               const std::vector<const ServicePortState*>& ports,
                               const IptablesSaved& saved, IptablesLoaded* loaded) {
  const std::string p = IptablesPrefix(c);
  *loaded = {};
  for (const ServicePortState* s : ports) {
    IptablesPortRules& r = loaded->ports[s->id] = RenderIptablesPort(c, *s);
    for (const std::string& ip : r.hairpin) ++loaded->hairpin[ip];
  }
  const std::vector<IptablesJump> jumps = IptablesJumps(c);
  std::string out;
  for (const char* table : {"nat", "filter"}) {
    const bool nat = std::string_view(table) == "nat";
    std::set<std::string> wanted = {p + kServices};
    if (nat) wanted.insert({p + kNodePorts, p + kMarkMasq, p + kPostrouting, p + kHairpin});
    for (const auto& [id, r] : loaded->ports) {
      if (!nat) break;
      for (const auto& [name, rules] : r.chains) wanted.insert(name);
    }
    std::vector<std::string> stale;
    for (const std::string& name : nat ? saved.nat_chains : saved.filter_chains) {
      if (wanted.count(name) == 0) stale.push_back(name);
    }
    out += std::string("*") + table + "\n";
    for (const std::string& name : wanted) Declare(name, &out);
    for (const std::string& name : stale) Declare(name, &out);
    for (size_t i = 0; i < jumps.size(); ++i) {
      if (jumps[i].table != table || (i < saved.jump_counts.size() && saved.jump_counts[i] > 0)) {
        continue;
      }
      out += "-I " + jumps[i].chain + " 1 " + jumps[i].spec + "\n";
    }
    if (nat) {
      out += FixedNatRules(c);
      AppendHairpin(p, loaded->hairpin, &out);
      for (const auto& [id, r] : loaded->ports) AppendRules(p + kServices, r.services, &out);
      out += NodePortJump(p);
      for (const auto& [id, r] : loaded->ports) AppendRules(p + kNodePorts, r.nodeports, &out);
      for (const auto& [id, r] : loaded->ports) {
        for (const auto& [name, rules] : r.chains) AppendRules(name, rules, &out);
      }
    } else {
      for (const auto& [id, r] : loaded->ports) AppendRules(p + kServices, r.filter, &out);
    }
    for (const std::string& name : stale) out += "-X " + name + "\n";
    out += "COMMIT\n";
  }
  return out;
}

std::string IptablesClearScript(const RulesConfig& c, const IptablesSaved& saved) {
  const std::vector<IptablesJump> jumps = IptablesJumps(c);
  std::string out;
  for (const char* table : {"nat", "filter"}) {
    const std::vector<std::string>& chains =
        std::string_view(table) == "nat" ? saved.nat_chains : saved.filter_chains;
    std::string body;
    for (const std::string& name : chains) Declare(name, &body);
    for (size_t i = 0; i < jumps.size() && i < saved.jump_counts.size(); ++i) {
      if (jumps[i].table != table) continue;
      for (int k = 0; k < saved.jump_counts[i]; ++k) {
        body += "-D " + jumps[i].chain + " " + jumps[i].spec + "\n";
      }
    }
    for (const std::string& name : chains) body += "-X " + name + "\n";
    if (!body.empty()) out += std::string("*") + table + "\n" + body + "COMMIT\n";
  }
  return out;
}

void IptablesDelta::Add(const ServicePortState* before, const ServicePortState* after) {
  const ServicePortState* any = after != nullptr ? after : before;
  if (any == nullptr) return;
  std::optional<IptablesPortRules> next;
  if (after != nullptr) next = RenderIptablesPort(config_, *after);
  auto it = loaded_.ports.find(any->id);
  const bool unchanged = it == loaded_.ports.end() ? !next.has_value() : next == it->second;
  if (unchanged) {
    updates_.erase(any->id);
    return;
  }
  updates_[any->id] = std::move(next);
}

std::map<std::string, int> IptablesDelta::HairpinChange() const {
  std::map<std::string, int> change;
  for (const auto& [id, next] : updates_) {
    auto it = loaded_.ports.find(id);
    if (it != loaded_.ports.end()) {
      for (const std::string& ip : it->second.hairpin) --change[ip];
    }
    if (next.has_value()) {
      for (const std::string& ip : next->hairpin) ++change[ip];
    }
  }
  return change;
}

std::string IptablesDelta::Script() const {
  if (updates_.empty()) return {};
  const std::string p = IptablesPrefix(config_);
  static const IptablesPortRules kNone;
  // nat: chain (re)declarations, then dispatch rule deletions, rules of the changed chains,
  // dispatch rule additions, and the deletion of chains nothing refers to any more.
  std::string declare, unlink, rules, link, remove, filter;
  // Lines of a shared chain that a port lost are deleted one by one, and its new ones added
  // (SERVICES: at the top, above the NodePort jump), so that a delta's cost does not grow with
  // the number of services. Each line is unique to its port (it names the port's chain or
  // its address and port).
  auto diff = [](const std::vector<std::string>& old, const std::vector<std::string>& now,
                 const std::string& removal, const std::string& addition, std::string* removed,
                 std::string* added) {
    for (const std::string& spec : old) {
      if (std::find(now.begin(), now.end(), spec) == now.end()) *removed += removal + spec + "\n";
    }
    for (const std::string& spec : now) {
      if (std::find(old.begin(), old.end(), spec) == old.end()) *added += addition + spec + "\n";
    }
  };
  for (const auto& [id, next] : updates_) {
    auto it = loaded_.ports.find(id);
    const IptablesPortRules& old = it == loaded_.ports.end() ? kNone : it->second;
    const IptablesPortRules& now = next.has_value() ? *next : kNone;
    diff(old.services, now.services, "-D " + p + kServices + " ", "-I " + p + kServices + " 1 ",
         &unlink, &link);
    diff(old.nodeports, now.nodeports, "-D " + p + kNodePorts + " ", "-A " + p + kNodePorts + " ",
         &unlink, &link);
    diff(old.filter, now.filter, "-D " + p + kServices + " ", "-A " + p + kServices + " ", &filter,
         &filter);
    for (const auto& [name, specs] : now.chains) {
      auto o = old.chains.find(name);
      if (o != old.chains.end() && o->second == specs) continue;
      Declare(name, &declare);
      AppendRules(name, specs, &rules);
    }
    for (const auto& [name, specs] : old.chains) {
      if (now.chains.count(name) != 0) continue;
      Declare(name, &declare);  // flushed first: a chain with rules cannot be deleted
      remove += "-X " + name + "\n";
    }
  }
  // HAIRPIN changes only when an address gains its first user or loses its last.
  for (const auto& [ip, change] : HairpinChange()) {
    auto it = loaded_.hairpin.find(ip);
    const int users = it == loaded_.hairpin.end() ? 0 : it->second;
    if ((users > 0) == (users + change > 0)) continue;
    const std::string spec = " -s " + ip + "/32 -d " + ip + "/32 -j MASQUERADE\n";
    (users > 0 ? unlink : link) += (users > 0 ? "-D " : "-A ") + p + kHairpin + spec;
  }
  std::string out;
  if (!declare.empty() || !unlink.empty() || !link.empty() || !remove.empty()) {
    out += "*nat\n" + declare + unlink + rules + link + remove + "COMMIT\n";
  }
  if (!filter.empty()) out += "*filter\n" + filter + "COMMIT\n";
  return out;
}

void IptablesDelta::Commit(IptablesLoaded* loaded) const {
  for (const auto& [ip, change] : HairpinChange()) {
    int& users = loaded->hairpin[ip];
    users += change;
    if (users <= 0) loaded->hairpin.erase(ip);
  }
  for (const auto& [id, next] : updates_) {
    if (next.has_value()) {
      loaded->ports[id] = *next;
    } else {
      loaded->ports.erase(id);
    }
  }
}

}  // namespace capstan::proxy
