// Per-kind Table columns (table.h), matching what upstream's printers show kubectl users.
#include <map>
#include <string>

#include "core/apiserver/object_meta.h"
#include "core/apiserver/table.h"
#include "core/apiserver/table_cells.h"

namespace capstan::apiserver {
namespace {

using json = nlohmann::json;
using table_cells::Age;
using table_cells::At;
using table_cells::Col;
using table_cells::Int;
using table_cells::Name;
using table_cells::Str;

std::string Joined(const json& arr, const char* field, const std::string& empty = "<none>") {
  std::string out;
  if (!arr.is_array()) return empty;
  for (const json& item : arr) {
    std::string v = field ? Str(At(item, {field})) : Str(item);
    if (v.empty()) continue;
    if (!out.empty()) out += ",";
    out += v;
  }
  return out.empty() ? empty : out;
}

std::string SelectorString(const json& sel) {
  if (!sel.is_object()) return "<none>";
  std::string out;
  const json& labels = sel.contains("matchLabels") ? sel["matchLabels"] : sel;
  if (labels.is_object()) {
    for (auto& [k, v] : labels.items()) {
      if (!v.is_string()) continue;
      if (!out.empty()) out += ",";
      out += k + "=" + v.get<std::string>();
    }
  }
  if (sel.contains("matchExpressions") && sel["matchExpressions"].is_array()) {
    for (const json& e : sel["matchExpressions"]) {
      if (!out.empty()) out += ",";
      std::string op = Str(At(e, {"operator"}));
      std::string key = Str(At(e, {"key"}));
      if (op == "Exists") {
        out += key;
      } else if (op == "DoesNotExist") {
        out += "!" + key;
      } else {
        out += key + (op == "NotIn" ? " notin (" : " in (") +
               Joined(At(e, {"values"}), nullptr, "") + ")";
      }
    }
  }
  return out.empty() ? "<none>" : out;
}

// ---- Pods -----------------------------------------------------------------------------------

std::string PodStatus(const json& pod) {
  std::string reason = Str(At(pod, {"status", "reason"}));
  if (reason.empty()) reason = Str(At(pod, {"status", "phase"}), "Pending");
  const json& init_statuses = At(pod, {"status", "initContainerStatuses"});
  size_t init_count = At(pod, {"spec", "initContainers"}).is_array()
                          ? At(pod, {"spec", "initContainers"}).size()
                          : 0;
  bool initializing = false;
  if (init_statuses.is_array()) {
    size_t i = 0;
    for (const json& s : init_statuses) {
      const json& term = At(s, {"state", "terminated"});
      const json& wait = At(s, {"state", "waiting"});
      if (term.is_object() && Int(At(term, {"exitCode"})) == 0) {
        ++i;
        continue;
      }
      initializing = true;
      if (term.is_object()) {
        std::string r = Str(At(term, {"reason"}));
        reason =
            "Init:" + (r.empty() ? "ExitCode:" + std::to_string(Int(At(term, {"exitCode"}))) : r);
      } else if (wait.is_object() && !Str(At(wait, {"reason"})).empty() &&
                 Str(At(wait, {"reason"})) != "PodInitializing") {
        reason = "Init:" + Str(At(wait, {"reason"}));
      } else {
        reason = "Init:" + std::to_string(i) + "/" + std::to_string(init_count);
      }
      break;
    }
  }
  if (!initializing) {
    const json& statuses = At(pod, {"status", "containerStatuses"});
    bool has_running = false;
    if (statuses.is_array()) {
      for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
        const json& wait = At(*it, {"state", "waiting"});
        const json& term = At(*it, {"state", "terminated"});
        if (wait.is_object() && !Str(At(wait, {"reason"})).empty()) {
          reason = Str(At(wait, {"reason"}));
        } else if (term.is_object()) {
          std::string r = Str(At(term, {"reason"}));
          if (r.empty()) {
            r = Int(At(term, {"signal"})) != 0
                    ? "Signal:" + std::to_string(Int(At(term, {"signal"})))
                    : "ExitCode:" + std::to_string(Int(At(term, {"exitCode"})));
          }
          reason = r;
        } else if (At(*it, {"ready"}).is_boolean() && At(*it, {"ready"}).get<bool>() &&
                   At(*it, {"state", "running"}).is_object()) {
          has_running = true;
        }
      }
    }
    if (reason == "Completed" && has_running) reason = "Running";
  }
  if (!At(pod, {"metadata", "deletionTimestamp"}).is_null() && reason != "NodeLost") {
    reason = "Terminating";
  }
  return reason;
}

void PodCells(const json& pod, int64_t now, json* cells) {
  const json& statuses = At(pod, {"status", "containerStatuses"});
  size_t total =
      At(pod, {"spec", "containers"}).is_array() ? At(pod, {"spec", "containers"}).size() : 0;
  size_t ready = 0;
  int64_t restarts = 0;
  if (statuses.is_array()) {
    for (const json& s : statuses) {
      if (At(s, {"ready"}).is_boolean() && At(s, {"ready"}).get<bool>()) ++ready;
      restarts += Int(At(s, {"restartCount"}));
    }
  }
  std::string ip = Str(At(pod, {"status", "podIP"}), "<none>");
  std::string node = Str(At(pod, {"spec", "nodeName"}), "<none>");
  std::string nominated = Str(At(pod, {"status", "nominatedNodeName"}), "<none>");
  const json& gates = At(pod, {"spec", "readinessGates"});
  std::string gate_text = "<none>";
  if (gates.is_array() && !gates.empty()) gate_text = "0/" + std::to_string(gates.size());
  *cells = {Name(pod),      std::to_string(ready) + "/" + std::to_string(total),
            PodStatus(pod), std::to_string(restarts),
            Age(pod, now),  ip,
            node,           nominated,
            gate_text};
}

// ---- Workloads ------------------------------------------------------------------------------

std::string ContainerField(const json& obj, const char* field) {
  return Joined(At(obj, {"spec", "template", "spec", "containers"}), field);
}

void DeploymentCells(const json& d, int64_t now, json* cells) {
  *cells = {Name(d),
            std::to_string(Int(At(d, {"status", "readyReplicas"}))) + "/" +
                std::to_string(Int(At(d, {"spec", "replicas"}))),
            Int(At(d, {"status", "updatedReplicas"})),
            Int(At(d, {"status", "availableReplicas"})),
            Age(d, now),
            ContainerField(d, "name"),
            ContainerField(d, "image"),
            SelectorString(At(d, {"spec", "selector"}))};
}

void ReplicaSetCells(const json& r, int64_t now, json* cells) {
  *cells = {Name(r),
            Int(At(r, {"spec", "replicas"})),
            Int(At(r, {"status", "replicas"})),
            Int(At(r, {"status", "readyReplicas"})),
            Age(r, now),
            ContainerField(r, "name"),
            ContainerField(r, "image"),
            SelectorString(At(r, {"spec", "selector"}))};
}

void DaemonSetCells(const json& d, int64_t now, json* cells) {
  const json& sel = At(d, {"spec", "template", "spec", "nodeSelector"});
  *cells = {Name(d),
            Int(At(d, {"status", "desiredNumberScheduled"})),
            Int(At(d, {"status", "currentNumberScheduled"})),
            Int(At(d, {"status", "numberReady"})),
            Int(At(d, {"status", "updatedNumberScheduled"})),
            Int(At(d, {"status", "numberAvailable"})),
            sel.is_object() && !sel.empty() ? SelectorString(sel) : "<none>",
            Age(d, now),
            ContainerField(d, "name"),
            ContainerField(d, "image"),
            SelectorString(At(d, {"spec", "selector"}))};
}

void StatefulSetCells(const json& s, int64_t now, json* cells) {
  *cells = {Name(s),
            std::to_string(Int(At(s, {"status", "readyReplicas"}))) + "/" +
                std::to_string(Int(At(s, {"spec", "replicas"}))),
            Age(s, now), ContainerField(s, "name"), ContainerField(s, "image")};
}

void JobCells(const json& j, int64_t now, json* cells) {
  std::string status = "Running";
  const json& conds = At(j, {"status", "conditions"});
  if (conds.is_array()) {
    for (const json& c : conds) {
      if (Str(At(c, {"status"})) != "True") continue;
      std::string t = Str(At(c, {"type"}));
      if (t == "Complete") status = "Complete";
      if (t == "Failed") status = "Failed";
      if (t == "Suspended") status = "Suspended";
    }
  }
  int64_t completions =
      At(j, {"spec", "completions"}).is_null() ? 1 : Int(At(j, {"spec", "completions"}));
  std::string duration;
  int64_t start = 0;
  int64_t end = now;
  if (ParseRfc3339(Str(At(j, {"status", "startTime"})), &start)) {
    int64_t done = 0;
    if (ParseRfc3339(Str(At(j, {"status", "completionTime"})), &done)) end = done;
    duration = HumanDuration(end - start);
  }
  *cells = {Name(j),
            status,
            std::to_string(Int(At(j, {"status", "succeeded"}))) + "/" + std::to_string(completions),
            duration,
            Age(j, now),
            Joined(At(j, {"spec", "template", "spec", "containers"}), "name"),
            Joined(At(j, {"spec", "template", "spec", "containers"}), "image"),
            SelectorString(At(j, {"spec", "selector"}))};
}

void CronJobCells(const json& c, int64_t now, json* cells) {
  const json& active = At(c, {"status", "active"});
  int64_t last = 0;
  std::string last_text = "<none>";
  if (ParseRfc3339(Str(At(c, {"status", "lastScheduleTime"})), &last)) {
    last_text = HumanDuration(now - last);
  }
  *cells = {Name(c),
            Str(At(c, {"spec", "schedule"})),
            Str(At(c, {"spec", "timeZone"}), "<none>"),
            Str(At(c, {"spec", "suspend"}), "False") == "true" ? "True" : "False",
            static_cast<int64_t>(active.is_array() ? active.size() : 0),
            last_text,
            Age(c, now)};
}

// ---- Services and networking ----------------------------------------------------------------

void ServiceCells(const json& s, int64_t now, json* cells) {
  std::string type = Str(At(s, {"spec", "type"}), "ClusterIP");
  std::string external = "<none>";
  const json& ingress = At(s, {"status", "loadBalancer", "ingress"});
  if (type == "ExternalName") {
    external = Str(At(s, {"spec", "externalName"}), "<none>");
  } else if (ingress.is_array() && !ingress.empty()) {
    external = Joined(ingress, "ip");
  } else if (At(s, {"spec", "externalIPs"}).is_array()) {
    external = Joined(At(s, {"spec", "externalIPs"}), nullptr);
  } else if (type == "LoadBalancer") {
    external = "<pending>";
  }
  std::string ports;
  const json& ps = At(s, {"spec", "ports"});
  if (ps.is_array()) {
    for (const json& p : ps) {
      if (!ports.empty()) ports += ",";
      ports += std::to_string(Int(At(p, {"port"})));
      if (Int(At(p, {"nodePort"})) != 0) ports += ":" + std::to_string(Int(At(p, {"nodePort"})));
      ports += "/" + Str(At(p, {"protocol"}), "TCP");
    }
  }
  const json& sel = At(s, {"spec", "selector"});
  *cells = {Name(s),
            type,
            Str(At(s, {"spec", "clusterIP"}), "<none>"),
            external,
            ports.empty() ? "<none>" : ports,
            Age(s, now),
            sel.is_object() && !sel.empty() ? SelectorString(sel) : "<none>"};
}

void EndpointsCells(const json& e, int64_t now, json* cells) {
  std::string eps;
  const json& subsets = At(e, {"subsets"});
  if (subsets.is_array()) {
    for (const json& ss : subsets) {
      for (const json& a :
           At(ss, {"addresses"}).is_array() ? At(ss, {"addresses"}) : json::array()) {
        for (const json& p : At(ss, {"ports"}).is_array() ? At(ss, {"ports"}) : json::array()) {
          if (!eps.empty()) eps += ",";
          eps += Str(At(a, {"ip"})) + ":" + std::to_string(Int(At(p, {"port"})));
        }
      }
    }
  }
  *cells = {Name(e), eps.empty() ? "<none>" : eps, Age(e, now)};
}

// Upstream's formatDiscoveryPorts/Endpoints: at most three values, then "+ N more...".
std::string FirstThree(const std::vector<std::string>& values) {
  if (values.empty()) return "<unset>";
  std::string out;
  for (size_t i = 0; i < values.size() && i < 3; ++i) out += (i == 0 ? "" : ",") + values[i];
  if (values.size() > 3) out += " + " + std::to_string(values.size() - 3) + " more...";
  return out;
}

void EndpointSliceCells(const json& e, int64_t now, json* cells) {
  std::vector<std::string> ports;
  std::vector<std::string> addresses;
  for (const json& p : At(e, {"ports"}).is_array() ? At(e, {"ports"}) : json::array()) {
    ports.push_back(At(p, {"port"}).is_number() ? std::to_string(Int(At(p, {"port"}))) : "<unset>");
  }
  for (const json& ep : At(e, {"endpoints"}).is_array() ? At(e, {"endpoints"}) : json::array()) {
    for (const json& a : At(ep, {"addresses"}).is_array() ? At(ep, {"addresses"}) : json::array()) {
      addresses.push_back(Str(a));
    }
  }
  *cells = {Name(e), Str(At(e, {"addressType"})), FirstThree(ports), FirstThree(addresses),
            Age(e, now)};
}

void IngressCells(const json& i, int64_t now, json* cells) {
  std::string hosts;
  const json& rules = At(i, {"spec", "rules"});
  if (rules.is_array()) hosts = Joined(rules, "host", "*");
  *cells = {Name(i),
            Str(At(i, {"spec", "ingressClassName"}), "<none>"),
            hosts.empty() ? "*" : hosts,
            Joined(At(i, {"status", "loadBalancer", "ingress"}), "ip", ""),
            "80",
            Age(i, now)};
}

// ---- Cluster objects ------------------------------------------------------------------------

void NodeCells(const json& n, int64_t now, json* cells) {
  std::string status = "Unknown";
  const json& conds = At(n, {"status", "conditions"});
  if (conds.is_array()) {
    for (const json& c : conds) {
      if (Str(At(c, {"type"})) == "Ready") {
        status = Str(At(c, {"status"})) == "True" ? "Ready" : "NotReady";
      }
    }
  }
  if (At(n, {"spec", "unschedulable"}).is_boolean() &&
      At(n, {"spec", "unschedulable"}).get<bool>()) {
    status += ",SchedulingDisabled";
  }
  std::string roles;
  const json& labels = At(n, {"metadata", "labels"});
  if (labels.is_object()) {
    for (auto& [k, v] : labels.items()) {
      static constexpr std::string_view kRole = "node-role.kubernetes.io/";
      if (k.rfind(kRole, 0) == 0 && k.size() > kRole.size()) {
        if (!roles.empty()) roles += ",";
        roles += k.substr(kRole.size());
      }
    }
  }
  std::string internal = "<none>";
  std::string external = "<none>";
  const json& addrs = At(n, {"status", "addresses"});
  if (addrs.is_array()) {
    for (const json& a : addrs) {
      if (Str(At(a, {"type"})) == "InternalIP") internal = Str(At(a, {"address"}));
      if (Str(At(a, {"type"})) == "ExternalIP") external = Str(At(a, {"address"}));
    }
  }
  *cells = {Name(n),
            status,
            roles.empty() ? "<none>" : roles,
            Age(n, now),
            Str(At(n, {"status", "nodeInfo", "kubeletVersion"})),
            internal,
            external,
            Str(At(n, {"status", "nodeInfo", "osImage"}), "<unknown>"),
            Str(At(n, {"status", "nodeInfo", "kernelVersion"}), "<unknown>"),
            Str(At(n, {"status", "nodeInfo", "containerRuntimeVersion"}), "<unknown>")};
}

void NamespaceCells(const json& n, int64_t now, json* cells) {
  *cells = {Name(n), Str(At(n, {"status", "phase"}), "Active"), Age(n, now)};
}

size_t CountKeys(const json& a, const json& b = json()) {
  return (a.is_object() ? a.size() : 0) + (b.is_object() ? b.size() : 0);
}

void ConfigMapCells(const json& c, int64_t now, json* cells) {
  *cells = {Name(c), static_cast<int64_t>(CountKeys(At(c, {"data"}), At(c, {"binaryData"}))),
            Age(c, now)};
}

void SecretCells(const json& s, int64_t now, json* cells) {
  *cells = {Name(s), Str(At(s, {"type"}), "Opaque"),
            static_cast<int64_t>(CountKeys(At(s, {"data"}), At(s, {"stringData"}))), Age(s, now)};
}

void ServiceAccountCells(const json& s, int64_t now, json* cells) {
  const json& secrets = At(s, {"secrets"});
  *cells = {Name(s), static_cast<int64_t>(secrets.is_array() ? secrets.size() : 0), Age(s, now)};
}

void EventCells(const json& e, int64_t now, json* cells) {
  int64_t last = 0;
  std::string last_seen = "<unknown>";
  if (ParseRfc3339(Str(At(e, {"lastTimestamp"})), &last) ||
      ParseRfc3339(Str(At(e, {"eventTime"})), &last)) {
    last_seen = HumanDuration(now - last);
  }
  std::string object = Str(At(e, {"involvedObject", "kind"}));
  for (char& ch : object) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  object += "/" + Str(At(e, {"involvedObject", "name"}));
  *cells = {last_seen, Str(At(e, {"type"})), Str(At(e, {"reason"})), object,
            Str(At(e, {"message"}))};
}

void PvcCells(const json& p, int64_t now, json* cells) {
  *cells = {Name(p),
            Str(At(p, {"status", "phase"}), "Pending"),
            Str(At(p, {"spec", "volumeName"})),
            Str(At(p, {"status", "capacity", "storage"})),
            Joined(At(p, {"status", "accessModes"}), nullptr, ""),
            Str(At(p, {"spec", "storageClassName"}), "<unset>"),
            "<unset>",
            Age(p, now),
            Str(At(p, {"spec", "volumeMode"}), "Filesystem")};
}

void PvCells(const json& p, int64_t now, json* cells) {
  std::string claim;
  if (At(p, {"spec", "claimRef"}).is_object()) {
    claim = Str(At(p, {"spec", "claimRef", "namespace"})) + "/" +
            Str(At(p, {"spec", "claimRef", "name"}));
  }
  *cells = {Name(p),
            Str(At(p, {"spec", "capacity", "storage"})),
            Joined(At(p, {"spec", "accessModes"}), nullptr, ""),
            Str(At(p, {"spec", "persistentVolumeReclaimPolicy"}), "Retain"),
            Str(At(p, {"status", "phase"}), "Pending"),
            claim,
            Str(At(p, {"spec", "storageClassName"})),
            "<unset>",
            Str(At(p, {"status", "reason"})),
            Age(p, now),
            Str(At(p, {"spec", "volumeMode"}), "Filesystem")};
}

void CrdCells(const json& c, int64_t /*now*/, json* cells) {
  *cells = {Name(c), Str(At(c, {"metadata", "creationTimestamp"}))};
}

void PriorityClassCells(const json& c, int64_t now, json* cells) {
  const json& global = At(c, {"globalDefault"});
  *cells = {Name(c), Int(At(c, {"value"})), global.is_boolean() && global.get<bool>(), Age(c, now),
            Str(At(c, {"preemptionPolicy"}), "PreemptLowerPriority")};
}

void LeaseCells(const json& l, int64_t now, json* cells) {
  *cells = {Name(l), Str(At(l, {"spec", "holderIdentity"})), Age(l, now)};
}

void DefaultCells(const json& o, int64_t now, json* cells) { *cells = {Name(o), Age(o, now)}; }

TableColumn NameCol() {
  return {"Name", "string", "name", "Name must be unique within a namespace.", 0};
}

std::map<std::string, TablePrinter, std::less<>> BuildPrinters() {
  std::map<std::string, TablePrinter, std::less<>> p;
  p["/Pod"] = {{NameCol(), Col("Ready"), Col("Status"), Col("Restarts"), Col("Age"), Col("IP", 1),
                Col("Node", 1), Col("Nominated Node", 1), Col("Readiness Gates", 1)},
               PodCells};
  p["apps/Deployment"] = {{NameCol(), Col("Ready"), Col("Up-to-date", 0, "", "integer"),
                           Col("Available", 0, "", "integer"), Col("Age"), Col("Containers", 1),
                           Col("Images", 1), Col("Selector", 1)},
                          DeploymentCells};
  p["apps/ReplicaSet"] = {{NameCol(), Col("Desired", 0, "", "integer"),
                           Col("Current", 0, "", "integer"), Col("Ready", 0, "", "integer"),
                           Col("Age"), Col("Containers", 1), Col("Images", 1), Col("Selector", 1)},
                          ReplicaSetCells};
  p["/ReplicationController"] = p["apps/ReplicaSet"];
  p["apps/DaemonSet"] = {
      {NameCol(), Col("Desired", 0, "", "integer"), Col("Current", 0, "", "integer"),
       Col("Ready", 0, "", "integer"), Col("Up-to-date", 0, "", "integer"),
       Col("Available", 0, "", "integer"), Col("Node Selector"), Col("Age"), Col("Containers", 1),
       Col("Images", 1), Col("Selector", 1)},
      DaemonSetCells};
  p["apps/StatefulSet"] = {
      {NameCol(), Col("Ready"), Col("Age"), Col("Containers", 1), Col("Images", 1)},
      StatefulSetCells};
  p["batch/Job"] = {{NameCol(), Col("Status"), Col("Completions"), Col("Duration"), Col("Age"),
                     Col("Containers", 1), Col("Images", 1), Col("Selector", 1)},
                    JobCells};
  p["batch/CronJob"] = {{NameCol(), Col("Schedule"), Col("Timezone"), Col("Suspend"),
                         Col("Active", 0, "", "integer"), Col("Last Schedule"), Col("Age")},
                        CronJobCells};
  p["/Service"] = {{NameCol(), Col("Type"), Col("Cluster-IP"), Col("External-IP"), Col("Port(s)"),
                    Col("Age"), Col("Selector", 1)},
                   ServiceCells};
  p["/Endpoints"] = {{NameCol(), Col("Endpoints"), Col("Age")}, EndpointsCells};
  p["discovery.k8s.io/EndpointSlice"] = {
      {NameCol(), Col("AddressType"), Col("Ports"), Col("Endpoints"), Col("Age")},
      EndpointSliceCells};
  p["networking.k8s.io/Ingress"] = {
      {NameCol(), Col("Class"), Col("Hosts"), Col("Address"), Col("Ports"), Col("Age")},
      IngressCells};
  p["/Node"] = {{NameCol(), Col("Status"), Col("Roles"), Col("Age"), Col("Version"),
                 Col("Internal-IP", 1), Col("External-IP", 1), Col("OS-Image", 1),
                 Col("Kernel-Version", 1), Col("Container-Runtime", 1)},
                NodeCells};
  p["/Namespace"] = {{NameCol(), Col("Status"), Col("Age")}, NamespaceCells};
  p["/ConfigMap"] = {{NameCol(), Col("Data", 0, "", "integer"), Col("Age")}, ConfigMapCells};
  p["/Secret"] = {{NameCol(), Col("Type"), Col("Data", 0, "", "integer"), Col("Age")}, SecretCells};
  p["/ServiceAccount"] = {{NameCol(), Col("Secrets", 0, "", "integer"), Col("Age")},
                          ServiceAccountCells};
  p["/Event"] = {{Col("Last Seen"), Col("Type"), Col("Reason"), Col("Object"), Col("Message")},
                 EventCells};
  p["/PersistentVolumeClaim"] = {
      {NameCol(), Col("Status"), Col("Volume"), Col("Capacity"), Col("Access Modes"),
       Col("StorageClass"), Col("VolumeAttributesClass"), Col("Age"), Col("VolumeMode", 1)},
      PvcCells};
  p["/PersistentVolume"] = {
      {NameCol(), Col("Capacity"), Col("Access Modes"), Col("Reclaim Policy"), Col("Status"),
       Col("Claim"), Col("StorageClass"), Col("VolumeAttributesClass"), Col("Reason"), Col("Age"),
       Col("VolumeMode", 1)},
      PvCells};
  p["apiextensions.k8s.io/CustomResourceDefinition"] = {
      {NameCol(), Col("Created At", 0, "", "date")}, CrdCells};
  p["scheduling.k8s.io/PriorityClass"] = {
      {NameCol(), Col("Value", 0, "", "integer"), Col("Global-Default", 0, "", "boolean"),
       Col("Age"), Col("PreemptionPolicy")},
      PriorityClassCells};
  p["coordination.k8s.io/Lease"] = {{NameCol(), Col("Holder"), Col("Age")}, LeaseCells};
  p["autoscaling/HorizontalPodAutoscaler"] = {
      {NameCol(), Col("Reference"), Col("Targets"), Col("MinPods", 0, "", "integer"),
       Col("MaxPods", 0, "", "integer"), Col("Replicas", 0, "", "integer"), Col("Age")},
      table_cells::HpaCells};
  p["/ResourceQuota"] = {{NameCol(), Col("Age"), Col("Request"), Col("Limit")},
                         table_cells::ResourceQuotaCells};
  p[""] = {{NameCol(), Col("Age")}, DefaultCells};
  return p;
}

}  // namespace

const TablePrinter& PrinterFor(std::string_view group, std::string_view kind) {
  static const auto* printers =
      new std::map<std::string, TablePrinter, std::less<>>(BuildPrinters());
  std::string key(group);
  key += "/";
  key += kind;
  auto it = printers->find(key);
  if (it == printers->end()) it = printers->find("");
  return it->second;
}

}  // namespace capstan::apiserver
