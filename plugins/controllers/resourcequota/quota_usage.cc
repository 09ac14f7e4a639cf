// Quota evaluation (quota_usage.h). Behaviour follows kube-apiserver/kube-controller-manager
// v1.32 pkg/quota/v1/evaluator/core.
#include "plugins/controllers/resourcequota/quota_usage.h"

#include <algorithm>
#include <map>
#include <vector>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {
namespace {

using sdk::json::Json;

const QuotaTarget kPods{"", "pods"};
const QuotaTarget kServices{"", "services"};
const QuotaTarget kClaims{"", "persistentvolumeclaims"};

// Legacy names that count objects of a core resource.
const std::set<std::string, std::less<>>& LegacyCounts() {
  static const std::set<std::string, std::less<>> kNames = {"pods",
                                                            "services",
                                                            "configmaps",
                                                            "secrets",
                                                            "persistentvolumeclaims",
                                                            "replicationcontrollers",
                                                            "resourcequotas"};
  return kNames;
}

bool IsPodCompute(std::string_view name) {
  return name == "cpu" || name == "memory" || name == "ephemeral-storage" ||
         name.rfind("requests.", 0) == 0 || name.rfind("limits.", 0) == 0 ||
         name.rfind("hugepages-", 0) == 0;
}

ResourceList ContainerList(const Json& c, const char* field) {
  return ParseResourceList(sdk::json::FindPath(c, {"resources", field}));
}

// A container's requests, defaulted from its limits as API defaulting does.
ResourceList Requests(const Json& c) {
  ResourceList requests = ContainerList(c, "requests");
  for (const auto& [name, q] : ContainerList(c, "limits")) requests.emplace(name, q);
  return requests;
}

const Json& Array(const Json& j, std::initializer_list<std::string_view> path) {
  static const Json kEmpty = Json::array();
  const Json* a = sdk::json::FindPath(j, path);
  return a != nullptr && a->is_array() ? *a : kEmpty;
}

// Upstream's PodRequests/PodLimits: the sum over containers, at least each init container's
// value, plus the pod overhead.
ResourceList PodTotal(const Json& pod, bool limits) {
  ResourceList sum;
  for (const Json& c : Array(pod, {"spec", "containers"})) {
    AddInto(&sum, limits ? ContainerList(c, "limits") : Requests(c));
  }
  for (const Json& c : Array(pod, {"spec", "initContainers"})) {
    for (const auto& [name, q] : limits ? ContainerList(c, "limits") : Requests(c)) {
      auto it = sum.find(name);
      if (it == sum.end() || it->second.milli < q.milli) sum[name] = q;
    }
  }
  AddInto(&sum, ParseResourceList(sdk::json::FindPath(pod, {"spec", "overhead"})));
  return sum;
}

bool IsExtended(std::string_view name) {
  return name.find('/') != std::string_view::npos && name.rfind("kubernetes.io/", 0) != 0 &&
         name.rfind("requests.", 0) != 0;
}

// Upstream's podComputeUsageHelper.
ResourceList ComputeUsage(const ResourceList& requests, const ResourceList& limits) {
  ResourceList out = {{"pods", {1000, false}}};
  for (const char* r : {"cpu", "memory", "ephemeral-storage"}) {
    if (auto it = requests.find(r); it != requests.end()) {
      out[r] = it->second;
      out[std::string("requests.") + r] = it->second;
    }
    if (auto it = limits.find(r); it != limits.end()) out[std::string("limits.") + r] = it->second;
  }
  for (const auto& [name, q] : requests) {
    if (name.rfind("hugepages-", 0) == 0) {
      out[name] = q;
      out["requests." + name] = q;
    } else if (IsExtended(name)) {
      out["requests." + name] = q;
    }
  }
  return out;
}

bool PodTerminal(const Json& pod) {
  std::string phase = GetStr(pod, {"status", "phase"});
  return phase == "Succeeded" || phase == "Failed";
}

bool IsBestEffort(const Json& pod) {
  for (const char* kind : {"containers", "initContainers"}) {
    for (const Json& c : Array(pod, {"spec", kind})) {
      for (const char* field : {"requests", "limits"}) {
        for (const auto& [name, q] : ContainerList(c, field)) {
          if ((name == "cpu" || name == "memory") && q.milli != 0) return false;
        }
      }
    }
  }
  return true;
}

bool HasCrossNamespaceAffinity(const Json& pod) {
  auto cross = [](const Json& term) {
    const Json* ns = sdk::json::Find(term, "namespaces");
    return Has(term, {"namespaceSelector"}) || (ns != nullptr && ns->is_array() && !ns->empty());
  };
  for (const char* kind : {"podAffinity", "podAntiAffinity"}) {
    for (const Json& t :
         Array(pod, {"spec", "affinity", kind, "requiredDuringSchedulingIgnoredDuringExecution"})) {
      if (cross(t)) return true;
    }
    for (const Json& t : Array(
             pod, {"spec", "affinity", kind, "preferredDuringSchedulingIgnoredDuringExecution"})) {
      const Json* term = sdk::json::Find(t, "podAffinityTerm");
      if (term != nullptr && cross(*term)) return true;
    }
  }
  return false;
}

// One scope requirement against a pod (upstream's podMatchesScopeFunc).
bool PodMatchesScope(const Json& pod, const Json& req) {
  std::string scope = GetStr(req, {"scopeName"});
  std::string op = GetStr(req, {"operator"}, "Exists");
  bool terminating = Has(pod, {"spec", "activeDeadlineSeconds"}) &&
                     GetNum(pod, {"spec", "activeDeadlineSeconds"}, -1) >= 0;
  if (scope == "Terminating") return terminating;
  if (scope == "NotTerminating") return !terminating;
  if (scope == "BestEffort") return IsBestEffort(pod);
  if (scope == "NotBestEffort") return !IsBestEffort(pod);
  if (scope == "CrossNamespacePodAffinity") return HasCrossNamespaceAffinity(pod);
  if (scope != "PriorityClass") return false;
  std::string pc = GetStr(pod, {"spec", "priorityClassName"});
  if (op == "Exists") return !pc.empty();
  if (op == "DoesNotExist") return false;  // upstream's label set always has the key
  bool in = false;
  for (const Json& v : Array(req, {"values"})) in = in || (v.is_string() && v == pc);
  return op == "In" ? in : op == "NotIn" ? !in : false;
}

}  // namespace

std::optional<QuotaTarget> TargetOf(std::string_view name) {
  if (name.rfind("count/", 0) == 0) {
    std::string_view rest = name.substr(6);
    size_t dot = rest.find('.');
    if (rest.empty()) return std::nullopt;
    if (dot == std::string_view::npos) return QuotaTarget{"", std::string(rest)};
    return QuotaTarget{std::string(rest.substr(dot + 1)), std::string(rest.substr(0, dot))};
  }
  if (name == "services.nodeports" || name == "services.loadbalancers") return kServices;
  if (name == "requests.storage" || name.find(".storageclass.storage.k8s.io/") != name.npos) {
    return kClaims;
  }
  if (LegacyCounts().count(name) > 0) return QuotaTarget{"", std::string(name)};
  if (IsPodCompute(name)) return kPods;
  return std::nullopt;
}

ResourceList ObjectUsage(const QuotaTarget& target, const Json& object) {
  const MilliQuantity one{1000, false};
  ResourceList out;
  out["count/" + target.resource + (target.group.empty() ? "" : "." + target.group)] = one;
  if (target.group.empty() && LegacyCounts().count(target.resource) > 0 &&
      target.resource != "pods") {
    out[target.resource] = one;
  }
  if (target == kPods && !PodTerminal(object)) {
    AddInto(&out, ComputeUsage(PodTotal(object, false), PodTotal(object, true)));
  } else if (target == kServices) {
    std::string type = GetStr(object, {"spec", "type"}, "ClusterIP");
    int64_t node_ports = 0;
    if (type == "NodePort" || type == "LoadBalancer") {
      node_ports = static_cast<int64_t>(Array(object, {"spec", "ports"}).size());
    }
    out["services.nodeports"] = {node_ports * 1000, false};
    out["services.loadbalancers"] = {type == "LoadBalancer" ? 1000 : 0, false};
  } else if (target == kClaims) {
    ResourceList requests =
        ParseResourceList(sdk::json::FindPath(object, {"spec", "resources", "requests"}));
    MilliQuantity storage = requests.count("storage") > 0 ? requests["storage"] : MilliQuantity{};
    out["requests.storage"] = storage;
    std::string sc = GetStr(object, {"spec", "storageClassName"});
    if (!sc.empty()) {
      out[sc + ".storageclass.storage.k8s.io/requests.storage"] = storage;
      out[sc + ".storageclass.storage.k8s.io/persistentvolumeclaims"] = one;
    }
  }
  return out;
}

bool MatchesScopes(const Json& quota, const QuotaTarget& target, const Json& object) {
  std::vector<Json> reqs;
  for (const Json& s : Array(quota, {"spec", "scopes"})) {
    if (s.is_string()) reqs.push_back({{"scopeName", s}, {"operator", "Exists"}});
  }
  for (const Json& r : Array(quota, {"spec", "scopeSelector", "matchExpressions"})) {
    reqs.push_back(r);
  }
  if (reqs.empty()) return true;
  if (!(target == kPods)) return false;
  return std::all_of(reqs.begin(), reqs.end(),
                     [&](const Json& r) { return PodMatchesScope(object, r); });
}

std::set<std::string> HardNames(const Json& quota) {
  std::set<std::string> out;
  const Json* hard = sdk::json::FindPath(quota, {"spec", "hard"});
  if (hard == nullptr || !hard->is_object()) return out;
  for (const auto& [name, value] : hard->items()) out.insert(name);
  return out;
}

std::string PodConstraintError(const Json& pod, const std::set<std::string>& hard) {
  static const std::set<std::string> kValidation = {
      "cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"};
  std::set<std::string> required;
  for (const std::string& name : hard) {
    if (kValidation.count(name) > 0) required.insert(name);
  }
  if (required.empty()) return "";
  std::map<std::string, std::set<std::string>> missing;
  for (const char* kind : {"containers", "initContainers"}) {
    for (const Json& c : Array(pod, {"spec", kind})) {
      ResourceList usage = ComputeUsage(Requests(c), ContainerList(c, "limits"));
      for (const std::string& r : required) {
        if (usage.count(r) == 0) missing[r].insert(GetStr(c, {"name"}));
      }
    }
  }
  if (missing.empty()) return "";
  std::string out = "must specify ";
  bool first = true;
  for (const auto& [resource, names] : missing) {
    if (!first) out += "; ";
    first = false;
    out += resource + " for: ";
    bool first_name = true;
    for (const std::string& n : names) {
      if (!first_name) out += ",";
      first_name = false;
      out += n;
    }
  }
  return out;
}

sdk::Status ComputeUsed(const Json& quota, const ObjectLister& list, ResourceList* used) {
  used->clear();
  std::string ns = Namespace(quota);
  std::map<QuotaTarget, std::vector<std::string>> by_target;
  for (const std::string& name : HardNames(quota)) {
    (*used)[name] = MilliQuantity{};
    if (std::optional<QuotaTarget> t = TargetOf(name)) by_target[*t].push_back(name);
  }
  for (const auto& [target, names] : by_target) {
    Json items;
    CAPSTAN_SDK_RETURN_IF_ERROR(list(target, ns, &items));
    if (!items.is_array()) continue;
    for (const Json& object : items) {
      if (!MatchesScopes(quota, target, object)) continue;
      ResourceList usage = ObjectUsage(target, object);
      for (const std::string& name : names) {
        auto it = usage.find(name);
        if (it != usage.end()) (*used)[name] = (*used)[name].Plus(it->second);
      }
    }
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::controllers
