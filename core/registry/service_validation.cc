// Service defaulting, update normalization and validation (service_validation.h).
#include "core/registry/service_validation.h"

#include <map>
#include <set>
#include <vector>

#include "core/registry/field_validation.h"
#include "core/registry/json_util.h"

namespace capstan::registry {
namespace {

std::string Type(const Json& spec) { return Str(spec, "type"); }

bool ExternallyAccessible(const Json& spec) {
  std::string t = Type(spec);
  const Json* ext = ArrayAt(spec, "externalIPs");
  return t == "LoadBalancer" || t == "NodePort" ||
         (t == "ClusterIP" && ext != nullptr && !ext->empty());
}

Json ClusterIps(const Json& spec) {
  const Json* ips = ArrayAt(spec, "clusterIPs");
  return ips != nullptr ? *ips : Json::array();
}

bool IsHeadless(const Json& spec) {
  Json ips = ClusterIps(spec);
  return !ips.empty() && ips[0] == "None";
}

std::set<int64_t> NodePorts(const Json& spec) {
  std::set<int64_t> out;
  if (const Json* ports = ArrayAt(spec, "ports")) {
    for (const Json& p : *ports) {
      if (int64_t np = Int(p, "nodePort"); np != 0) out.insert(np);
    }
  }
  return out;
}

std::string GoServicePortKey(const std::string& protocol, int64_t port) {
  return "core.ServicePort{Name:\"\", Protocol:" + GoQuoted(protocol) +
         ", AppProtocol:(*string)(nil), Port:" + std::to_string(port) +
         ", TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}";
}

const std::vector<std::string> kProtocols = {"SCTP", "TCP", "UDP"};

bool OneOf(const std::string& v, const std::vector<std::string>& set) {
  for (const std::string& s : set) {
    if (s == v) return true;
  }
  return false;
}

void ValidateServicePort(const Json& p, bool require_name, std::set<std::string>* names,
                         const std::string& path, FieldErrors* errs) {
  std::string name = Str(p, "name");
  if (require_name && name.empty()) {
    errs->Required(Child(path, "name"));
  } else if (!name.empty()) {
    ValidateDnsLabel(name, Child(path, "name"), errs);
    if (!names->insert(name).second) errs->Duplicate(Child(path, "name"), name);
  }
  const Json* port = Find(p, "port");
  for (const std::string& m : IsValidPortNum(Int(p, "port"))) {
    errs->Invalid(Child(path, "port"), port != nullptr ? *port : Json(0), m);
  }
  std::string protocol = Str(p, "protocol");
  if (protocol.empty()) {
    errs->Required(Child(path, "protocol"));
  } else if (!OneOf(protocol, kProtocols)) {
    errs->NotSupported(Child(path, "protocol"), protocol, kProtocols);
  }
  if (const Json* target = Find(p, "targetPort")) {
    ValidatePortNumOrName(*target, Child(path, "targetPort"), errs);
  }
}

void ValidateClusterIpFields(const Json& spec, FieldErrors* errs) {
  std::string ip = Str(spec, "clusterIP");
  Json ips = ClusterIps(spec);
  if (!ip.empty()) {
    if (ips.empty()) {
      errs->Required("spec.clusterIPs");
    } else if (ips[0] != ip) {
      errs->Invalid("spec.clusterIPs", ips, "first value must match `clusterIP`");
    }
  } else if (!ips.empty()) {
    errs->Invalid("spec.clusterIPs", ips, "must be empty when `clusterIP` is not specified");
  }
  std::set<std::string> seen;
  if (const Json* fams = ArrayAt(spec, "ipFamilies")) {
    for (size_t i = 0; i < fams->size(); ++i) {
      std::string f = (*fams)[i].is_string() ? (*fams)[i].get<std::string>() : "";
      std::string p = Index("spec.ipFamilies", i);
      if (f != "IPv4" && f != "IPv6") errs->NotSupported(p, (*fams)[i], {"IPv4", "IPv6"});
      if (!seen.insert(f).second) errs->Duplicate(p, f);
      if (f == "IPv6") errs->Invalid(p, f, "not configured on this cluster");
    }
  }
  if (const Json* policy = Find(spec, "ipFamilyPolicy")) {
    static const std::vector<std::string> kPolicies = {"PreferDualStack", "RequireDualStack",
                                                       "SingleStack"};
    if (!policy->is_string() || !OneOf(policy->get<std::string>(), kPolicies)) {
      errs->NotSupported("spec.ipFamilyPolicy", *policy, kPolicies);
    } else if (*policy == "RequireDualStack") {
      errs->Invalid("spec.ipFamilyPolicy", *policy,
                    "this cluster is not configured for dual-stack services");
    }
  }
  for (size_t i = 0; i < ips.size(); ++i) {
    std::string v = ips[i].is_string() ? ips[i].get<std::string>() : "";
    if (i == 0 && v == "None") {
      if (ips.size() > 1) {
        errs->Invalid("spec.clusterIPs", ips, "'None' must be the first and only value");
      }
      continue;
    }
    uint32_t addr = 0;
    if (!ParseIpv4(v, &addr)) {
      if (v.find(':') != std::string::npos) {
        errs->Invalid(Index("spec.clusterIPs", i), ips, "IPv6 is not configured on this cluster");
      } else {
        errs->Invalid(Index("spec.clusterIPs", i), v,
                      "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
      }
    }
  }
  if (ips.size() > 1) {
    errs->Invalid("spec.clusterIPs", ips, "may specify no more than one IP for each IP family");
  }
}

void ValidateTrafficPolicies(const Json& spec, FieldErrors* errs) {
  std::string etp = Str(spec, "externalTrafficPolicy");
  if (!ExternallyAccessible(spec)) {
    if (!etp.empty()) {
      errs->Invalid("spec.externalTrafficPolicy", etp,
                    "may only be set for externally-accessible services");
    }
  } else if (etp.empty()) {
    errs->Required("spec.externalTrafficPolicy");
  } else if (etp != "Cluster" && etp != "Local") {
    errs->NotSupported("spec.externalTrafficPolicy", etp, {"Cluster", "Local"});
  }
  int64_t hc = Int(spec, "healthCheckNodePort");
  if (!NeedsHealthCheckNodePort(spec)) {
    if (hc != 0) {
      errs->Invalid("spec.healthCheckNodePort", hc,
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is "
                    "'Local'");
    }
  } else if (hc == 0) {
    errs->Required("spec.healthCheckNodePort");
  } else {
    for (const std::string& m : IsValidPortNum(hc))
      errs->Invalid("spec.healthCheckNodePort", hc, m);
  }
  std::string t = Type(spec);
  const Json* itp = Find(spec, "internalTrafficPolicy");
  if (itp == nullptr) {
    if (t == "NodePort" || t == "LoadBalancer" || t == "ClusterIP") {
      errs->Required("spec.internalTrafficPolicy");
    }
  } else if (*itp != "Cluster" && *itp != "Local") {
    errs->NotSupported("spec.internalTrafficPolicy", *itp, {"Cluster", "Local"});
  }
}

}  // namespace

bool NeedsClusterIp(const Json& spec) { return Type(spec) != "ExternalName"; }

bool NeedsNodePorts(const Json& spec) {
  std::string t = Type(spec);
  return t == "NodePort" || t == "LoadBalancer";
}

bool NeedsHealthCheckNodePort(const Json& spec) {
  return Type(spec) == "LoadBalancer" && Str(spec, "externalTrafficPolicy") == "Local";
}

void DefaultServiceSpec(Json& spec) {
  SetDefaultString(spec, "sessionAffinity", "None");
  std::string affinity = Str(spec, "sessionAffinity");
  if (affinity == "None") spec.erase("sessionAffinityConfig");
  if (affinity == "ClientIP") {
    const Json* cfg = ObjectIn(spec, "sessionAffinityConfig");
    const Json* client = cfg != nullptr ? ObjectIn(*cfg, "clientIP") : nullptr;
    if (client == nullptr || !Has(*client, "timeoutSeconds")) {
      spec["sessionAffinityConfig"] = {{"clientIP", {{"timeoutSeconds", 10800}}}};
    }
  }
  SetDefaultString(spec, "type", "ClusterIP");
  if (Json* ports = ArrayAt(spec, "ports")) {
    for (Json& p : *ports) {
      if (!p.is_object()) continue;
      SetDefaultString(p, "protocol", "TCP");
      const Json* target = Find(p, "targetPort");
      if (target == nullptr || *target == 0 || IsEmptyString(*target)) {
        if (Has(p, "port")) p["targetPort"] = p["port"];
      }
    }
  }
  if (ExternallyAccessible(spec)) SetDefaultString(spec, "externalTrafficPolicy", "Cluster");
  std::string t = Type(spec);
  if (t == "NodePort" || t == "LoadBalancer" || t == "ClusterIP") {
    SetDefault(spec, "internalTrafficPolicy", "Cluster");
  }
  if (t == "LoadBalancer") SetDefault(spec, "allocateLoadBalancerNodePorts", true);
  if (!NeedsClusterIp(spec)) return;
  std::string ip = Str(spec, "clusterIP");
  const Json* ips = ArrayAt(spec, "clusterIPs");
  if (!ip.empty() && (ips == nullptr || ips->empty())) spec["clusterIPs"] = Json::array({ip});
  SetDefault(spec, "ipFamilyPolicy", "SingleStack");
  if (const Json* fams = ArrayAt(spec, "ipFamilies"); fams == nullptr || fams->empty()) {
    spec["ipFamilies"] = Json::array({"IPv4"});
  }
}

void PrepareServiceUpdate(Json& spec, const Json& old) {
  SetDefaultString(spec, "type", "ClusterIP");
  if (Str(spec, "type") == "LoadBalancer" || Str(spec, "type") == "NodePort") {
    SetDefaultString(spec, "externalTrafficPolicy", "Cluster");
  }
  // patchAllocatedValues: keep what was allocated when the client left it out.
  if (NeedsClusterIp(old) && NeedsClusterIp(spec)) {
    if (Str(spec, "clusterIP").empty() && Has(old, "clusterIP"))
      spec["clusterIP"] = old["clusterIP"];
    const Json* ips = ArrayAt(spec, "clusterIPs");
    if ((ips == nullptr || ips->empty()) && Has(old, "clusterIPs")) {
      spec["clusterIPs"] = old["clusterIPs"];
    }
  }
  if (NeedsNodePorts(old) && NeedsNodePorts(spec)) {
    std::set<int64_t> old_ports = NodePorts(old);
    std::set<int64_t> used;
    for (int64_t np : NodePorts(spec)) {
      if (old_ports.count(np) > 0) used.insert(np);
    }
    std::map<std::string, int64_t> by_name;
    if (const Json* ports = ArrayAt(old, "ports")) {
      for (const Json& p : *ports) by_name[Str(p, "name")] = Int(p, "nodePort");
    }
    if (Json* ports = ArrayAt(spec, "ports")) {
      for (Json& p : *ports) {
        if (!p.is_object() || Int(p, "nodePort") != 0) continue;
        int64_t old_value = by_name.count(Str(p, "name")) ? by_name[Str(p, "name")] : 0;
        if (old_value != 0 && used.count(old_value) == 0) p["nodePort"] = old_value;
      }
    }
  }
  if (NeedsHealthCheckNodePort(old) && NeedsHealthCheckNodePort(spec) &&
      Int(spec, "healthCheckNodePort") == 0 && Int(old, "healthCheckNodePort") != 0) {
    spec["healthCheckNodePort"] = old["healthCheckNodePort"];
  }
  // dropTypeDependentFields: wipe what the new type no longer uses, unless the client changed it.
  auto same = [&](const char* key) {
    const Json* a = Find(spec, key);
    const Json* b = Find(old, key);
    return (a == nullptr && b == nullptr) || (a != nullptr && b != nullptr && *a == *b);
  };
  if (NeedsClusterIp(old) && !NeedsClusterIp(spec)) {
    if (same("clusterIP") && same("clusterIPs")) {
      spec.erase("clusterIP");
      spec.erase("clusterIPs");
    }
    if (same("ipFamilies")) spec.erase("ipFamilies");
    if (same("ipFamilyPolicy")) spec.erase("ipFamilyPolicy");
  }
  if (NeedsNodePorts(old) && !NeedsNodePorts(spec) && NodePorts(old) == NodePorts(spec)) {
    if (Json* ports = ArrayAt(spec, "ports")) {
      for (Json& p : *ports) {
        if (p.is_object()) p.erase("nodePort");
      }
    }
  }
  if (NeedsHealthCheckNodePort(old) && !NeedsHealthCheckNodePort(spec) &&
      same("healthCheckNodePort")) {
    spec.erase("healthCheckNodePort");
  }
  if (Type(old) == "LoadBalancer" && Type(spec) != "LoadBalancer" &&
      same("allocateLoadBalancerNodePorts")) {
    spec.erase("allocateLoadBalancerNodePorts");
  }
  if (ExternallyAccessible(old) && !ExternallyAccessible(spec) && same("externalTrafficPolicy")) {
    spec.erase("externalTrafficPolicy");
  }
}

void ValidateServiceSpec(const Json& spec, FieldErrors* errs) {
  std::string t = Type(spec);
  const Json* ports = ArrayAt(spec, "ports");
  size_t nports = ports != nullptr ? ports->size() : 0;
  if (nports == 0 && !IsHeadless(spec) && t != "ExternalName") errs->Required("spec.ports");
  if ((t == "LoadBalancer" || t == "NodePort") && IsHeadless(spec)) {
    errs->Invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for " + t + " services");
  }
  if (t == "ExternalName") {
    if (!ClusterIps(spec).empty()) {
      errs->Forbidden("spec.clusterIPs", "may not be set for ExternalName services");
    }
    if (const Json* f = ArrayAt(spec, "ipFamilies"); f != nullptr && !f->empty()) {
      errs->Forbidden("spec.ipFamilies", "may not be set for ExternalName services");
    }
    if (Has(spec, "ipFamilyPolicy")) {
      errs->Forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services");
    }
    std::string cname = Str(spec, "externalName");
    if (!cname.empty() && cname.back() == '.') cname.pop_back();
    if (cname.empty()) {
      errs->Required("spec.externalName");
    } else {
      ValidateDnsSubdomain(cname, "spec.externalName", errs);
    }
  }
  std::set<std::string> names;
  for (size_t i = 0; i < nports; ++i) {
    ValidateServicePort((*ports)[i], nports > 1, &names, Index("spec.ports", i), errs);
  }
  ValidateLabels(Find(spec, "selector"), "spec.selector", errs);
  std::string affinity = Str(spec, "sessionAffinity");
  if (affinity.empty()) {
    errs->Required("spec.sessionAffinity");
  } else if (affinity != "ClientIP" && affinity != "None") {
    errs->NotSupported("spec.sessionAffinity", affinity, {"ClientIP", "None"});
  }
  if (affinity == "ClientIP") {
    const Json* cfg = ObjectIn(spec, "sessionAffinityConfig");
    const Json* client = cfg != nullptr ? ObjectIn(*cfg, "clientIP") : nullptr;
    int64_t timeout = client != nullptr ? Int(*client, "timeoutSeconds") : 0;
    if (timeout <= 0 || timeout > 86400) {
      errs->Invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout,
                    "must be greater than 0 and less than 86400");
    }
  } else if (affinity == "None" && Has(spec, "sessionAffinityConfig")) {
    errs->Forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None");
  }
  if (t != "ExternalName") ValidateClusterIpFields(spec, errs);
  if (const Json* ext = ArrayAt(spec, "externalIPs")) {
    for (size_t i = 0; i < ext->size(); ++i) {
      uint32_t addr = 0;
      std::string v = (*ext)[i].is_string() ? (*ext)[i].get<std::string>() : "";
      if (!ParseIpv4(v, &addr) && v.find(':') == std::string::npos) {
        errs->Invalid(Index("spec.externalIPs", i), v,
                      "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
      }
    }
  }
  static const std::vector<std::string> kTypes = {"ClusterIP", "ExternalName", "LoadBalancer",
                                                  "NodePort"};
  if (t.empty()) {
    errs->Required("spec.type");
  } else if (!OneOf(t, kTypes)) {
    errs->NotSupported("spec.type", t, kTypes);
  }
  std::set<std::pair<std::string, int64_t>> node_ports;
  std::set<std::pair<std::string, int64_t>> port_keys;
  for (size_t i = 0; i < nports; ++i) {
    const Json& p = (*ports)[i];
    std::string path = Index("spec.ports", i);
    int64_t np = Int(p, "nodePort");
    if (t == "ClusterIP" && np != 0) {
      errs->Forbidden(Child(path, "nodePort"), "may not be used when `type` is 'ClusterIP'");
    }
    if (np != 0 && !node_ports.insert({Str(p, "protocol"), np}).second) {
      errs->Duplicate(Child(path, "nodePort"), np);
    }
  }
  for (size_t i = 0; i < nports; ++i) {
    const Json& p = (*ports)[i];
    if (!port_keys.insert({Str(p, "protocol"), Int(p, "port")}).second) {
      errs->DuplicateRendered(Index("spec.ports", i),
                              GoServicePortKey(Str(p, "protocol"), Int(p, "port")));
    }
  }
  if (Has(spec, "allocateLoadBalancerNodePorts") && t != "LoadBalancer") {
    errs->Forbidden("spec.allocateLoadBalancerNodePorts",
                    "may only be used when `type` is 'LoadBalancer'");
  }
  if (t == "LoadBalancer" && !Has(spec, "allocateLoadBalancerNodePorts")) {
    errs->Required("allocateLoadBalancerNodePorts");
  }
  ValidateTrafficPolicies(spec, errs);
}

void ValidateServiceSpecUpdate(const Json& spec, const Json& old, FieldErrors* errs) {
  if (Type(spec) == "ExternalName" || Type(old) == "ExternalName") return;
  if (IsHeadless(spec) && IsHeadless(old)) return;
  Json now = ClusterIps(spec);
  Json before = ClusterIps(old);
  if (now.size() == before.size()) {
    for (size_t i = 0; i < before.size(); ++i) {
      if (before[i] != now[i]) {
        errs->Invalid(Index("spec.clusterIPs", i), now, "may not change once set");
      }
    }
  } else if (before.size() > now.size() && now.empty()) {
    errs->Invalid("spec.clusterIPs[0]", now, "primary clusterIP can not be unset");
  }
}

}  // namespace capstan::registry
