// nftables text of the NetworkPolicy enforcer (nft_script.h).
#include "core/netpol/nft_script.h"

#include <set>

namespace capstan::netpol {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The address matches of a rule ("" = every peer); empty when no peer is left.
std::vector<std::string> PeerMatches(const AllowRule& r, const std::string& field) {
  if (r.any_peer) return {""};
  std::vector<std::string> out;
  if (!r.pod_ips.empty()) out.push_back(field + " { " + Join(r.pod_ips) + " } ");
  for (const AddressBlock& b : r.blocks) {
    std::string m = field + " " + b.cidr + " ";
    if (!b.except.empty()) m += field + " != { " + Join(b.except) + " } ";
    out.push_back(std::move(m));
  }
  return out;
}

// The port matches of a rule, one per protocol ("" = every port).
std::vector<std::string> PortMatches(const AllowRule& r) {
  if (r.any_port) return {""};
  std::map<std::string, std::vector<std::string>> by_protocol;
  std::set<std::string> whole;  // protocols allowed on every port
  for (const PortMatch& p : r.ports) {
    if (p.first == 0) {
      whole.insert(p.protocol);
    } else {
      by_protocol[p.protocol].push_back(p.first == p.last ? std::to_string(p.first)
                                                          : std::to_string(p.first) + "-" +
                                                                std::to_string(p.last));
    }
  }
  std::vector<std::string> out;
  out.reserve(whole.size() + by_protocol.size());
  for (const std::string& proto : whole) out.push_back("meta l4proto " + proto + " ");
  for (const auto& [proto, ports] : by_protocol) {
    if (whole.count(proto) != 0) continue;
    out.push_back("meta l4proto " + proto + " th dport { " + Join(ports) + " } ");
  }
  return out;
}

void AddChain(std::string* out, const std::string& table, const std::string& chain,
              const std::vector<std::string>& lines) {
  *out += "add chain inet " + table + " " + chain + "\n";
  for (const std::string& l : lines)
    *out += "add rule inet " + table + " " + chain + " " + l + "\n";
}

std::string Element(bool ingress, const std::string& ip) {
  return ip + " : jump " + ChainName(ingress, ip);
}

}  // namespace

std::vector<std::string> RenderRules(const std::vector<AllowRule>& rules, bool ingress) {
  const std::string field = ingress ? "ip saddr" : "ip daddr";
  const std::string verdict = ingress ? "accept" : "return";
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](std::string line) {
    if (seen.insert(line).second) out.push_back(std::move(line));
  };
  for (const AllowRule& r : rules) {
    for (const std::string& peer : PeerMatches(r, field)) {
      for (const std::string& port : PortMatches(r)) add(peer + port + verdict);
    }
    if (r.ip_ports.empty()) continue;
    std::vector<std::string> tuples;
    tuples.reserve(r.ip_ports.size());
    for (const auto& [ip, proto, port] : r.ip_ports) {
      tuples.push_back(ip + " . " + proto + " . " + std::to_string(port));
    }
    add(field + " . meta l4proto . th dport { " + Join(tuples) + " } " + verdict);
  }
  return out;
}

PodChains RenderPod(const PodPolicy& policy) {
  PodChains c;
  c.ingress_isolated = policy.ingress_isolated;
  c.egress_isolated = policy.egress_isolated;
  if (c.ingress_isolated) {
    c.ingress = RenderRules(policy.ingress, true);
    c.ingress.emplace_back("drop");
  }
  if (c.egress_isolated) {
    c.egress = RenderRules(policy.egress, false);
    c.egress.emplace_back("drop");
  }
  return c;
}

std::string ChainName(bool ingress, const std::string& ip) {
  return (ingress ? "ing-" : "egr-") + ip;
}

std::string FullTableScript(const std::string& table,
                            const std::map<std::string, PodChains>& pods) {
  std::string out = "add table inet " + table + "\ndelete table inet " + table + "\n";
  out += "add table inet " + table + "\n";
  std::string ingress, egress;
  for (const auto& [ip, c] : pods) {
    if (c.ingress_isolated) {
      AddChain(&out, table, ChainName(true, ip), c.ingress);
      ingress += (ingress.empty() ? "" : ", ") + Element(true, ip);
    }
    if (c.egress_isolated) {
      AddChain(&out, table, ChainName(false, ip), c.egress);
      egress += (egress.empty() ? "" : ", ") + Element(false, ip);
    }
  }
  out += "add map inet " + table + " ingress { type ipv4_addr : verdict; }\n";
  out += "add map inet " + table + " egress { type ipv4_addr : verdict; }\n";
  if (!ingress.empty()) out += "add element inet " + table + " ingress { " + ingress + " }\n";
  if (!egress.empty()) out += "add element inet " + table + " egress { " + egress + " }\n";
  out += "add chain inet " + table +
         " forward { type filter hook forward priority filter; policy accept; }\n";
  for (const char* rule :
       {"ct state established,related accept", "ip saddr vmap @egress", "ip daddr vmap @ingress"}) {
    out += "add rule inet " + table + " forward " + rule + "\n";
  }
  return out;
}

std::string DeleteTableScript(const std::string& table) {
  return "delete table inet " + table + "\n";
}

std::string DeltaScript(const std::string& table, const std::map<std::string, PodChains>& before,
                        const std::map<std::string, PodChains>& after) {
  static const PodChains kNone;
  std::string remove_elements, remove_chains, chains, elements;
  std::set<std::string> ips;
  for (const auto& [ip, c] : before) ips.insert(ip);
  for (const auto& [ip, c] : after) ips.insert(ip);
  for (const std::string& ip : ips) {
    auto b = before.find(ip);
    auto a = after.find(ip);
    const PodChains& old_c = b == before.end() ? kNone : b->second;
    const PodChains& new_c = a == after.end() ? kNone : a->second;
    if (old_c == new_c) continue;
    for (bool ingress : {true, false}) {
      bool was = ingress ? old_c.ingress_isolated : old_c.egress_isolated;
      bool is = ingress ? new_c.ingress_isolated : new_c.egress_isolated;
      const std::vector<std::string>& lines = ingress ? new_c.ingress : new_c.egress;
      const std::vector<std::string>& old_lines = ingress ? old_c.ingress : old_c.egress;
      const std::string map = ingress ? "ingress" : "egress";
      const std::string chain = ChainName(ingress, ip);
      if (was && !is) {
        remove_elements += "delete element inet " + table + " " + map + " { " + ip + " }\n";
        remove_chains += "delete chain inet " + table + " " + chain + "\n";
      } else if (!was && is) {
        AddChain(&chains, table, chain, lines);
        elements += "add element inet " + table + " " + map + " { " + Element(ingress, ip) + " }\n";
      } else if (is && lines != old_lines) {
        chains += "flush chain inet " + table + " " + chain + "\n";
        AddChain(&chains, table, chain, lines);
      }
    }
  }
  return remove_elements + remove_chains + chains + elements;
}

}  // namespace capstan::netpol
