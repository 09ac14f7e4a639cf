// Parsing and evaluation of NetworkPolicies for one pod (policy_model.h).
#include "core/netpol/policy_model.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <set>

namespace capstan::netpol {
namespace {

using Json = nlohmann::json;

const Json& At(const Json& j, const char* key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Str(const Json& j) { return j.is_string() ? j.get<std::string>() : std::string(); }

Labels ParseLabels(const Json& labels) {
  Labels out;
  if (!labels.is_object()) return out;
  for (const auto& [k, v] : labels.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

// "TCP" -> "tcp"; "" for a protocol nftables rules here do not handle.
std::string Protocol(const Json& j) {
  std::string p = j.is_string() ? j.get<std::string>() : "TCP";
  if (p == "TCP") return "tcp";
  if (p == "UDP") return "udp";
  if (p == "SCTP") return "sctp";
  return "";
}

selector::LabelSelector Selector(const Json& j) {
  Result<selector::LabelSelector> s = selector::LabelSelector::FromJson(j);
  return s.ok() ? *s : selector::LabelSelector::Nothing();
}

bool IsV4(const std::string& ip) {
  in_addr a{};
  return inet_pton(AF_INET, ip.c_str(), &a) == 1;
}

// `ip` inside `cidr` (both IPv4; a bare address is a /32).
bool InCidr(const std::string& ip, const std::string& cidr) {
  size_t slash = cidr.find('/');
  std::string net = cidr.substr(0, slash);
  int bits = slash == std::string::npos ? 32 : std::atoi(cidr.c_str() + slash + 1);
  in_addr a{}, n{};
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1 || inet_pton(AF_INET, net.c_str(), &n) != 1 ||
      bits < 0 || bits > 32) {
    return false;
  }
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (ntohl(a.s_addr) & mask) == (ntohl(n.s_addr) & mask);
}

std::vector<PolicyRule> ParseRules(const Json& rules, const char* peers_key) {
  std::vector<PolicyRule> out;
  if (!rules.is_array()) return out;
  for (const Json& r : rules) {
    PolicyRule rule;
    const Json& peers = At(r, peers_key);
    if (peers.is_array()) {
      for (const Json& p : peers) {
        PolicyPeer peer;
        const Json& block = At(p, "ipBlock");
        if (block.is_object()) {
          peer.cidr = Str(At(block, "cidr"));
          const Json& except = At(block, "except");
          if (except.is_array()) {
            for (const Json& e : except) peer.except.push_back(Str(e));
          }
          // An IPv6 block cannot match the IPv4 pod network: it allows nothing here.
          if (peer.cidr.find(':') != std::string::npos) continue;
        }
        const Json& ps = At(p, "podSelector");
        const Json& ns = At(p, "namespaceSelector");
        peer.has_pod_selector = ps.is_object();
        peer.has_namespace_selector = ns.is_object();
        if (peer.has_pod_selector) peer.pod_selector = Selector(ps);
        if (peer.has_namespace_selector) peer.namespace_selector = Selector(ns);
        if (peer.cidr.empty() && !peer.has_pod_selector && !peer.has_namespace_selector) continue;
        rule.peers.push_back(std::move(peer));
      }
      // Peers were given but none is usable: the rule must allow nothing, not everything.
      if (rule.peers.empty() && !peers.empty()) continue;
    }
    const Json& ports = At(r, "ports");
    bool had_ports = ports.is_array() && !ports.empty();
    if (ports.is_array()) {
      for (const Json& p : ports) {
        PolicyPort port;
        port.protocol = Protocol(At(p, "protocol"));
        if (port.protocol.empty()) continue;
        const Json& number = At(p, "port");
        if (number.is_string()) {
          port.name = number.get<std::string>();
        } else if (number.is_number_integer()) {
          port.port = number.get<int>();
          const Json& end = At(p, "endPort");
          if (end.is_number_integer() && end.get<int>() >= port.port)
            port.end_port = end.get<int>();
        }
        rule.ports.push_back(std::move(port));
      }
      if (had_ports && rule.ports.empty()) continue;
    }
    out.push_back(std::move(rule));
  }
  return out;
}

// Namespace labels, with the name label the API server sets even when the view lacks it.
Labels NamespaceLabels(const ClusterView& view, const std::string& ns) {
  auto it = view.namespaces.find(ns);
  Labels labels = it == view.namespaces.end() ? Labels{} : it->second.labels;
  labels["kubernetes.io/metadata.name"] = ns;
  return labels;
}

bool PeerSelectsPod(const ClusterView& view, const std::string& policy_ns, const PolicyPeer& peer,
                    const PodInfo& pod) {
  if (peer.has_namespace_selector) {
    if (!peer.namespace_selector.Matches(NamespaceLabels(view, pod.ns))) return false;
  } else if (pod.ns != policy_ns) {
    return false;
  }
  return !peer.has_pod_selector || peer.pod_selector.Matches(pod.labels);
}

bool IsPeerCandidate(const PodInfo& pod) { return !pod.ip.empty() && !pod.terminal; }

void SortUnique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

bool InBlock(const std::string& ip, const AddressBlock& b) {
  if (!InCidr(ip, b.cidr)) return false;
  return std::none_of(b.except.begin(), b.except.end(),
                      [&](const std::string& e) { return InCidr(ip, e); });
}

// Resolves one upstream rule for `pod` in direction `ingress`.
AllowRule Resolve(const ClusterView& view, const PolicyInfo& policy, const PolicyRule& rule,
                  const PodInfo& pod, bool ingress) {
  AllowRule out;
  out.any_peer = rule.peers.empty();
  for (const PolicyPeer& peer : rule.peers) {
    if (!peer.cidr.empty()) {
      out.blocks.push_back({peer.cidr, peer.except});
      continue;
    }
    for (const auto& [key, other] : view.pods) {
      if (IsPeerCandidate(other) && PeerSelectsPod(view, policy.ns, peer, other)) {
        out.pod_ips.push_back(other.ip);
      }
    }
  }
  SortUnique(&out.pod_ips);
  out.any_port = rule.ports.empty();
  for (const PolicyPort& p : rule.ports) {
    if (p.name.empty()) {
      out.ports.push_back({p.protocol, p.port, p.end_port != 0 ? p.end_port : p.port});
      continue;
    }
    if (ingress) {  // the destination is `pod` itself
      for (const NamedPort& n : pod.named_ports) {
        if (n.name == p.name && n.protocol == p.protocol) {
          out.ports.push_back({p.protocol, n.port, n.port});
        }
      }
      continue;
    }
    // Egress: every destination pod among the peers resolves the name for itself.
    std::set<std::string> ips(out.pod_ips.begin(), out.pod_ips.end());
    for (const auto& entry : view.pods) {
      const PodInfo& other = entry.second;
      if (!IsPeerCandidate(other)) continue;
      bool peer = out.any_peer || ips.count(other.ip) != 0 ||
                  std::any_of(out.blocks.begin(), out.blocks.end(),
                              [&](const AddressBlock& b) { return InBlock(other.ip, b); });
      if (!peer) continue;
      for (const NamedPort& n : other.named_ports) {
        if (n.name == p.name && n.protocol == p.protocol) {
          out.ip_ports.emplace_back(other.ip, p.protocol, n.port);
        }
      }
    }
  }
  std::sort(out.ports.begin(), out.ports.end());
  out.ports.erase(std::unique(out.ports.begin(), out.ports.end()), out.ports.end());
  std::sort(out.ip_ports.begin(), out.ip_ports.end());
  out.ip_ports.erase(std::unique(out.ip_ports.begin(), out.ip_ports.end()), out.ip_ports.end());
  return out;
}

}  // namespace

PodInfo ParsePod(const Json& pod) {
  PodInfo p;
  const Json& meta = At(pod, "metadata");
  const Json& spec = At(pod, "spec");
  const Json& status = At(pod, "status");
  p.ns = Str(At(meta, "namespace"));
  p.name = Str(At(meta, "name"));
  p.labels = ParseLabels(At(meta, "labels"));
  p.node = Str(At(spec, "nodeName"));
  p.host_network = At(spec, "hostNetwork").is_boolean() && At(spec, "hostNetwork").get<bool>();
  std::string phase = Str(At(status, "phase"));
  p.terminal = phase == "Succeeded" || phase == "Failed";
  if (std::string ip = Str(At(status, "podIP")); IsV4(ip)) p.ip = ip;
  const Json& ips = At(status, "podIPs");
  if (p.ip.empty() && ips.is_array()) {
    for (const Json& i : ips) {
      if (std::string ip = Str(At(i, "ip")); IsV4(ip)) {
        p.ip = ip;
        break;
      }
    }
  }
  const Json& containers = At(spec, "containers");
  if (containers.is_array()) {
    for (const Json& c : containers) {
      const Json& ports = At(c, "ports");
      if (!ports.is_array()) continue;
      for (const Json& port : ports) {
        std::string name = Str(At(port, "name"));
        std::string protocol = Protocol(At(port, "protocol"));
        const Json& number = At(port, "containerPort");
        if (name.empty() || protocol.empty() || !number.is_number_integer()) continue;
        p.named_ports.push_back({name, protocol, number.get<int>()});
      }
    }
  }
  return p;
}

NamespaceInfo ParseNamespace(const Json& ns) {
  NamespaceInfo n;
  n.name = Str(At(At(ns, "metadata"), "name"));
  n.labels = ParseLabels(At(At(ns, "metadata"), "labels"));
  n.labels["kubernetes.io/metadata.name"] = n.name;
  return n;
}

PolicyInfo ParsePolicy(const Json& policy) {
  PolicyInfo p;
  const Json& meta = At(policy, "metadata");
  const Json& spec = At(policy, "spec");
  p.ns = Str(At(meta, "namespace"));
  p.name = Str(At(meta, "name"));
  // A missing podSelector is `{}` upstream (required, defaulted): every pod of the namespace.
  const Json& ps = At(spec, "podSelector");
  p.pod_selector = ps.is_null() ? selector::LabelSelector::Everything() : Selector(ps);
  p.ingress_rules = ParseRules(At(spec, "ingress"), "from");
  p.egress_rules = ParseRules(At(spec, "egress"), "to");
  const Json& types = At(spec, "policyTypes");
  if (types.is_array() && !types.empty()) {
    p.ingress = std::find(types.begin(), types.end(), Json("Ingress")) != types.end();
    p.egress = std::find(types.begin(), types.end(), Json("Egress")) != types.end();
  } else {
    const Json& egress = At(spec, "egress");
    p.ingress = true;
    p.egress = egress.is_array() && !egress.empty();
  }
  return p;
}

PodPolicy EvaluatePod(const ClusterView& view, const PodInfo& pod) {
  PodPolicy out;
  out.key = pod.ns + "/" + pod.name;
  out.ip = pod.ip;
  for (const auto& [key, policy] : view.policies) {
    if (policy.ns != pod.ns || !policy.pod_selector.Matches(pod.labels)) continue;
    if (policy.ingress) {
      out.ingress_isolated = true;
      for (const PolicyRule& r : policy.ingress_rules) {
        out.ingress.push_back(Resolve(view, policy, r, pod, true));
      }
    }
    if (policy.egress) {
      out.egress_isolated = true;
      for (const PolicyRule& r : policy.egress_rules) {
        out.egress.push_back(Resolve(view, policy, r, pod, false));
      }
    }
  }
  return out;
}

std::map<std::string, PodPolicy> EvaluateNode(const ClusterView& view, const std::string& node) {
  std::map<std::string, PodPolicy> out;
  for (const auto& [key, pod] : view.pods) {
    if (pod.node != node || pod.ip.empty() || pod.host_network || pod.terminal) continue;
    if (out.count(pod.ip) != 0) continue;
    out[pod.ip] = EvaluatePod(view, pod);
  }
  return out;
}

}  // namespace capstan::netpol
