// Cluster DNS records (cluster_records.h).
#include "core/dns/cluster_records.h"

#include <algorithm>
#include <tuple>

namespace capstan::dns {
namespace {

using nlohmann::json;

std::string StrAt(const json& obj, std::initializer_list<const char*> path) {
  const json* at = &obj;
  for (const char* key : path) {
    if (!at->is_object()) return "";
    auto it = at->find(key);
    if (it == at->end()) return "";
    at = &*it;
  }
  return at->is_string() ? at->get<std::string>() : "";
}

// Labels of `name` ("a.b" -> a, b; a trailing dot adds no empty label). On the query hot path:
// no stream.
std::vector<std::string> Split(const std::string& name) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    out.emplace_back(name, start, dot - start);
    start = dot + 1;
  }
  return out;
}

std::string Dashed(std::string ip) {
  std::replace(ip.begin(), ip.end(), '.', '-');
  return ip;
}

bool IsType(uint16_t type, RecordType t) {
  return type == static_cast<uint16_t>(t) || type == static_cast<uint16_t>(RecordType::kAny);
}

std::vector<std::string> ClusterIps(const json& svc) {
  std::vector<std::string> out;
  const json* spec = svc.is_object() && svc.contains("spec") ? &svc["spec"] : nullptr;
  if (spec != nullptr && spec->contains("clusterIPs") && (*spec)["clusterIPs"].is_array()) {
    for (const json& ip : (*spec)["clusterIPs"]) {
      if (ip.is_string() && ip != "None" && !ip.get_ref<const std::string&>().empty()) {
        out.push_back(ip.get<std::string>());
      }
    }
  } else if (std::string ip = StrAt(svc, {"spec", "clusterIP"}); !ip.empty() && ip != "None") {
    out.push_back(ip);
  }
  return out;
}

bool IsHeadless(const json& svc) { return StrAt(svc, {"spec", "clusterIP"}) == "None"; }

}  // namespace

ClusterRecords::ClusterRecords(const ClusterView* view, const std::string& domain, uint32_t ttl)
    : view_(view), domain_(CanonicalName(domain)), ttl_(ttl) {}

Record ClusterRecords::Soa() const {
  return {domain_, RecordType::kSoa, ttl_,
          SoaData("ns.dns." + domain_, "hostmaster." + domain_, 1, ttl_)};
}

std::string ClusterRecords::ServiceName(const json& svc) const {
  return StrAt(svc, {"metadata", "name"}) + "." + StrAt(svc, {"metadata", "namespace"}) + ".svc." +
         domain_;
}

std::vector<std::pair<std::string, std::string>> ClusterRecords::ReadyEndpoints(
    const json& svc) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ObjectPtr& slice : view_->EndpointSlices(StrAt(svc, {"metadata", "namespace"}),
                                                      StrAt(svc, {"metadata", "name"}))) {
    if (StrAt(*slice, {"addressType"}) != "IPv4" || !slice->contains("endpoints") ||
        !(*slice)["endpoints"].is_array()) {
      continue;
    }
    for (const json& ep : (*slice)["endpoints"]) {
      const json* ready = ep.contains("conditions") && ep["conditions"].contains("ready")
                              ? &ep["conditions"]["ready"]
                              : nullptr;
      if (ready != nullptr && ready->is_boolean() && !ready->get<bool>()) continue;
      if (!ep.contains("addresses") || !ep["addresses"].is_array()) continue;
      std::string host = StrAt(ep, {"hostname"});
      for (const json& a : ep["addresses"]) {
        if (!a.is_string()) continue;
        std::string ip = a.get<std::string>();
        out.emplace_back(host.empty() ? Dashed(ip) : host, ip);
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second, a.first) < std::tie(b.second, b.first);
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Answer ClusterRecords::ServiceRecords(const json& svc, uint16_t type) const {
  Answer a{Answer::Kind::kAnswer, {}, {}};
  std::string name = ServiceName(svc);
  if (StrAt(svc, {"spec", "type"}) == "ExternalName") {
    std::string target = CanonicalName(StrAt(svc, {"spec", "externalName"}));
    if (type != static_cast<uint16_t>(RecordType::kSrv) && !target.empty()) {
      a.answers.push_back({name, RecordType::kCname, ttl_, NameData(target)});
    }
    return a;
  }
  if (IsType(type, RecordType::kSrv)) {
    const json* ports = svc.contains("spec") ? &svc["spec"]["ports"] : nullptr;
    for (const json& p : ports != nullptr && ports->is_array() ? *ports : json::array()) {
      std::string port_name = StrAt(p, {"name"});
      if (port_name.empty()) continue;  // unnamed ports have no SRV name
      Answer one = PortRecords(svc, port_name, StrAt(p, {"protocol"}));
      a.answers.insert(a.answers.end(), one.answers.begin(), one.answers.end());
      a.additional.insert(a.additional.end(), one.additional.begin(), one.additional.end());
    }
    if (type == static_cast<uint16_t>(RecordType::kSrv)) return a;
  }
  if (IsHeadless(svc)) {
    if (!IsType(type, RecordType::kA)) return a;
    for (const auto& [host, ip] : ReadyEndpoints(svc)) {
      a.answers.push_back({name, RecordType::kA, ttl_, AData(ip)});
    }
    return a;
  }
  for (const std::string& ip : ClusterIps(svc)) {
    bool v6 = ip.find(':') != std::string::npos;
    if (!v6 && IsType(type, RecordType::kA))
      a.answers.push_back({name, RecordType::kA, ttl_, AData(ip)});
    if (v6 && IsType(type, RecordType::kAaaa)) {
      a.answers.push_back({name, RecordType::kAaaa, ttl_, AaaaData(ip)});
    }
  }
  return a;
}

Answer ClusterRecords::PortRecords(const json& svc, const std::string& port,
                                   const std::string& proto) const {
  Answer a{Answer::Kind::kNxDomain, {}, {}};
  const json* ports = svc.contains("spec") ? &svc["spec"]["ports"] : nullptr;
  for (const json& p : ports != nullptr && ports->is_array() ? *ports : json::array()) {
    std::string protocol = StrAt(p, {"protocol"});
    if (protocol.empty()) protocol = "TCP";
    std::string lower = protocol;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (StrAt(p, {"name"}) != port || lower != CanonicalName(proto)) continue;
    a.kind = Answer::Kind::kAnswer;
    std::string srv_name = "_" + port + "._" + lower + "." + ServiceName(svc);
    uint16_t number = static_cast<uint16_t>(p.value("port", 0));
    if (IsHeadless(svc)) {
      auto eps = ReadyEndpoints(svc);
      // Equal weights summing to about 100, as CoreDNS.
      uint16_t weight =
          static_cast<uint16_t>(eps.empty() ? 100 : std::max<size_t>(1, 100 / eps.size()));
      for (const auto& [host, ip] : eps) {
        std::string target = host + "." + ServiceName(svc);
        a.answers.push_back({srv_name, RecordType::kSrv, ttl_, SrvData(0, weight, number, target)});
        a.additional.push_back({target, RecordType::kA, ttl_, AData(ip)});
      }
    } else {
      a.answers.push_back(
          {srv_name, RecordType::kSrv, ttl_, SrvData(0, 100, number, ServiceName(svc))});
      for (const std::string& ip : ClusterIps(svc)) {
        if (ip.find(':') == std::string::npos) {
          a.additional.push_back({ServiceName(svc), RecordType::kA, ttl_, AData(ip)});
        }
      }
    }
  }
  return a;
}

Answer ClusterRecords::EndpointHost(const json& svc, const std::string& host, uint16_t type) const {
  Answer a{Answer::Kind::kNxDomain, {}, {}};
  if (!IsHeadless(svc)) return a;
  for (const auto& [label, ip] : ReadyEndpoints(svc)) {
    if (label != host) continue;
    a.kind = Answer::Kind::kAnswer;
    if (IsType(type, RecordType::kA)) {
      a.answers.push_back({host + "." + ServiceName(svc), RecordType::kA, ttl_, AData(ip)});
    }
  }
  return a;
}

Answer ClusterRecords::Reverse(const std::string& ip) const {
  Answer a{Answer::Kind::kNotOurs, {}, {}};
  std::string reverse_name;
  for (const std::string& label : Split(ip)) reverse_name = label + "." + reverse_name;
  reverse_name += "in-addr.arpa";
  for (const ObjectPtr& svc : view_->AllServices()) {
    std::vector<std::string> ips = ClusterIps(*svc);
    if (std::find(ips.begin(), ips.end(), ip) != ips.end()) {
      a.answers.push_back({reverse_name, RecordType::kPtr, ttl_, NameData(ServiceName(*svc))});
    }
    if (!IsHeadless(*svc)) continue;
    for (const auto& [host, address] : ReadyEndpoints(*svc)) {
      if (address == ip) {
        a.answers.push_back(
            {reverse_name, RecordType::kPtr, ttl_, NameData(host + "." + ServiceName(*svc))});
      }
    }
  }
  if (!a.answers.empty()) a.kind = Answer::Kind::kAnswer;
  return a;
}

Answer ClusterRecords::Resolve(const Question& q) const {
  const std::string& name = q.name;
  const std::string arpa = ".in-addr.arpa";
  if (name.size() > arpa.size() &&
      name.compare(name.size() - arpa.size(), arpa.size(), arpa) == 0) {
    std::vector<std::string> labels = Split(name.substr(0, name.size() - arpa.size()));
    if (labels.size() != 4 || !IsType(q.type, RecordType::kPtr)) return {};
    return Reverse(labels[3] + "." + labels[2] + "." + labels[1] + "." + labels[0]);
  }
  if (name != domain_ &&
      (name.size() <= domain_.size() + 1 ||
       name.compare(name.size() - domain_.size() - 1, std::string::npos, "." + domain_) != 0)) {
    return {};
  }
  std::vector<std::string> labels = name == domain_
                                        ? std::vector<std::string>{}
                                        : Split(name.substr(0, name.size() - domain_.size() - 1));
  Answer nx{Answer::Kind::kNxDomain, {}, {}};
  Answer empty{Answer::Kind::kAnswer, {}, {}};
  size_t n = labels.size();
  if (n == 0) return empty;
  if (labels[n - 1] == "pod") {
    if (n == 1 || n == 2) return empty;
    if (n != 3) return nx;
    std::string ip = labels[0];
    std::replace(ip.begin(), ip.end(), '-', '.');
    std::string data = AData(ip);
    if (data.empty()) return nx;
    if (IsType(q.type, RecordType::kA)) empty.answers.push_back({name, RecordType::kA, ttl_, data});
    return empty;
  }
  if (labels[n - 1] != "svc") return nx;
  if (n == 1 || n == 2) return empty;  // svc.<domain>, <ns>.svc.<domain>
  ObjectPtr svc = view_->Service(labels[n - 2], labels[n - 3]);
  if (!svc) return nx;
  if (n == 3) return ServiceRecords(*svc, q.type);
  if (n == 4) return EndpointHost(*svc, labels[0], q.type);
  if (n == 5 && labels[0].size() > 1 && labels[0][0] == '_' && labels[1].size() > 1 &&
      labels[1][0] == '_') {
    Answer a = PortRecords(*svc, labels[0].substr(1), labels[1].substr(1));
    if (a.kind == Answer::Kind::kAnswer && !IsType(q.type, RecordType::kSrv)) a.answers.clear();
    return a;
  }
  return nx;
}

}  // namespace capstan::dns
