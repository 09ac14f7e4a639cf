// Container validation with upstream's paths and wording (container_validation.h).
#include "core/registry/container_validation.h"

#include <map>
#include <vector>

#include "core/registry/field_validation.h"
#include "core/registry/quantity.h"
#include "core/selector/label_validation.h"

namespace capstan::registry {
namespace {

const std::vector<std::string> kProtocols = {"SCTP", "TCP", "UDP"};

bool In(const std::vector<std::string>& set, std::string_view v) {
  for (const std::string& s : set) {
    if (s == v) return true;
  }
  return false;
}

// A string member that must be one of `supported`: Required when empty.
void ValidateEnum(const Json& obj, std::string_view key, std::string_view path,
                  const std::vector<std::string>& supported, FieldErrors* errs) {
  const Json* v = Find(obj, key);
  if (v == nullptr || (v->is_string() && v->get_ref<const std::string&>().empty())) {
    errs->Required(path);
  } else if (!v->is_string() || !In(supported, v->get_ref<const std::string&>())) {
    errs->NotSupported(path, *v, supported);
  }
}

void ValidatePorts(const Json& c, std::string_view path, FieldErrors* errs) {
  const Json* ports = ArrayAt(c, "ports");
  if (ports == nullptr) return;
  std::set<std::string> names;
  for (size_t i = 0; i < ports->size(); ++i) {
    const Json& p = (*ports)[i];
    std::string idx = Index(path, i);
    std::string name = Str(p, "name");
    if (!name.empty()) {
      std::vector<std::string> msgs = IsValidPortName(name);
      for (const std::string& m : msgs) errs->Invalid(Child(idx, "name"), name, m);
      if (msgs.empty() && !names.insert(name).second) errs->Duplicate(Child(idx, "name"), name);
    }
    const Json* cp = Find(p, "containerPort");
    if (cp == nullptr || (cp->is_number() && *cp == 0)) {
      errs->Required(Child(idx, "containerPort"));
    } else if (!cp->is_number_integer()) {
      errs->Invalid(Child(idx, "containerPort"), *cp, "must be an integer");
    } else {
      for (const std::string& m : IsValidPortNum(cp->get<int64_t>())) {
        errs->Invalid(Child(idx, "containerPort"), *cp, m);
      }
    }
    if (int64_t hp = Int(p, "hostPort"); hp != 0) {
      for (const std::string& m : IsValidPortNum(hp)) errs->Invalid(Child(idx, "hostPort"), hp, m);
    }
    ValidateEnum(p, "protocol", Child(idx, "protocol"), kProtocols, errs);
  }
}

void ValidateKeySelector(const Json& ref, std::string_view path, FieldErrors* errs) {
  ValidateDnsSubdomain(Str(ref, "name"), Child(path, "name"), errs);
  std::string key = Str(ref, "key");
  if (key.empty()) {
    errs->Required(Child(path, "key"));
  } else {
    for (const std::string& m : IsConfigMapKey(key)) errs->Invalid(Child(path, "key"), key, m);
  }
}

void ValidateFieldRef(const Json& ref, std::string_view path, FieldErrors* errs) {
  static const std::vector<std::string> kPaths = {"metadata.name",
                                                  "metadata.namespace",
                                                  "metadata.uid",
                                                  "spec.nodeName",
                                                  "spec.serviceAccountName",
                                                  "status.hostIP",
                                                  "status.hostIPs",
                                                  "status.podIP",
                                                  "status.podIPs"};
  if (Str(ref, "apiVersion").empty()) return errs->Required(Child(path, "apiVersion"));
  std::string fp = Str(ref, "fieldPath");
  if (fp.empty()) return errs->Required(Child(path, "fieldPath"));
  if (fp.rfind("metadata.labels[", 0) == 0 || fp.rfind("metadata.annotations[", 0) == 0) return;
  if (!In(kPaths, fp)) errs->NotSupported(Child(path, "fieldPath"), fp, kPaths);
}

void ValidateEnv(const Json& c, std::string_view path, FieldErrors* errs) {
  if (const Json* env = ArrayAt(c, "env")) {
    for (size_t i = 0; i < env->size(); ++i) {
      const Json& e = (*env)[i];
      std::string idx = Index(path, i);
      std::string name = Str(e, "name");
      if (name.empty()) {
        errs->Required(Child(idx, "name"));
      } else {
        for (const std::string& m : IsRelaxedEnvVarName(name)) {
          errs->Invalid(Child(idx, "name"), name, m);
        }
      }
      const Json* from = ObjectIn(e, "valueFrom");
      if (from == nullptr) continue;
      std::string from_path = Child(idx, "valueFrom");
      int sources = 0;
      if (const Json* r = ObjectIn(*from, "fieldRef")) {
        ++sources;
        ValidateFieldRef(*r, Child(from_path, "fieldRef"), errs);
      }
      if (ObjectIn(*from, "resourceFieldRef") != nullptr) ++sources;
      if (const Json* r = ObjectIn(*from, "configMapKeyRef")) {
        ++sources;
        ValidateKeySelector(*r, Child(from_path, "configMapKeyRef"), errs);
      }
      if (const Json* r = ObjectIn(*from, "secretKeyRef")) {
        ++sources;
        ValidateKeySelector(*r, Child(from_path, "secretKeyRef"), errs);
      }
      if (sources == 0) {
        errs->Invalid(from_path, "",
                      "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
                      "`secretKeyRef`");
      } else if (!Str(e, "value").empty()) {
        errs->Invalid(from_path, "", "may not be specified when `value` is not empty");
      } else if (sources > 1) {
        errs->Invalid(from_path, "", "may not have more than one field specified at a time");
      }
    }
  }
}

void ValidateEnvFrom(const Json& c, std::string_view path, FieldErrors* errs) {
  const Json* list = ArrayAt(c, "envFrom");
  if (list == nullptr) return;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& e = (*list)[i];
    std::string idx = Index(path, i);
    if (std::string prefix = Str(e, "prefix"); !prefix.empty()) {
      for (const std::string& m : IsRelaxedEnvVarName(prefix)) {
        errs->Invalid(Child(idx, "prefix"), prefix, m);
      }
    }
    int sources = 0;
    for (const char* kind : {"configMapRef", "secretRef"}) {
      if (const Json* ref = ObjectIn(e, kind)) {
        ++sources;
        std::string name = Str(*ref, "name");
        if (name.empty()) {
          errs->Required(Child(Child(idx, kind), "name"));
        } else {
          ValidateDnsSubdomain(name, Child(Child(idx, kind), "name"), errs);
        }
      }
    }
    if (sources == 0) {
      errs->Invalid(path, "", "must specify one of: `configMapRef` or `secretRef`");
    } else if (sources > 1) {
      errs->Invalid(path, "", "may not have more than one field specified at a time");
    }
  }
}

void ValidateLocalDescendingPath(std::string_view p, std::string_view path, FieldErrors* errs) {
  if (!p.empty() && p.front() == '/')
    errs->Invalid(path, std::string(p), "must be a relative path");
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    std::string_view part =
        p.substr(start, slash == std::string_view::npos ? p.npos : slash - start);
    if (part == "..") {
      errs->Invalid(path, std::string(p), "must not contain '..'");
      break;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

void ValidateVolumeMounts(const Json& c, std::string_view path, const ContainerContext& ctx,
                          FieldErrors* errs) {
  const Json* mounts = ArrayAt(c, "volumeMounts");
  if (mounts == nullptr) return;
  std::set<std::string> mount_points;
  for (size_t i = 0; i < mounts->size(); ++i) {
    const Json& m = (*mounts)[i];
    std::string idx = Index(path, i);
    std::string name = Str(m, "name");
    if (name.empty()) errs->Required(Child(idx, "name"));
    if (ctx.volumes.count(name) == 0) errs->NotFound(Child(idx, "name"), name);
    std::string mount_path = Str(m, "mountPath");
    if (mount_path.empty()) errs->Required(Child(idx, "mountPath"));
    if (!mount_points.insert(mount_path).second) {
      errs->Invalid(Child(idx, "mountPath"), mount_path, "must be unique");
    }
    if (std::string sub = Str(m, "subPath"); !sub.empty()) {
      ValidateLocalDescendingPath(sub, Child(path, "subPath"), errs);
    }
    if (std::string expr = Str(m, "subPathExpr"); !expr.empty()) {
      if (!Str(m, "subPath").empty()) {
        errs->Invalid(Child(idx, "subPathExpr"), expr,
                      "subPathExpr and subPath are mutually exclusive");
      }
      ValidateLocalDescendingPath(expr, Child(path, "subPathExpr"), errs);
    }
  }
}

bool IsHugePages(std::string_view name) { return name.rfind("hugepages-", 0) == 0; }
bool IsNative(std::string_view name) {
  return name.find('/') == std::string_view::npos ||
         name.find("kubernetes.io/") != std::string_view::npos;
}
bool OvercommitAllowed(std::string_view name) { return IsNative(name) && !IsHugePages(name); }

void ValidateResourceName(const std::string& name, std::string_view path, FieldErrors* errs) {
  static const std::vector<std::string> kStandard = {"cpu",
                                                     "memory",
                                                     "ephemeral-storage",
                                                     "storage",
                                                     "pods",
                                                     "services",
                                                     "secrets",
                                                     "configmaps",
                                                     "persistentvolumeclaims",
                                                     "replicationcontrollers",
                                                     "resourcequotas"};
  for (const std::string& m : selector::IsQualifiedName(name)) errs->Invalid(path, name, m);
  if (name.find('/') == std::string::npos) {
    if (!In(kStandard, name) && !IsHugePages(name)) {
      errs->Invalid(path, name, "must be a standard resource type or fully qualified");
    }
    if (name != "cpu" && name != "memory" && name != "ephemeral-storage" && !IsHugePages(name)) {
      errs->Invalid(path, name, "must be a standard resource for containers");
    }
  } else if (!IsNative(name) && name.rfind("requests.", 0) == 0) {
    errs->Invalid(path, name, "doesn't follow extended resource name standard");
  }
}

// Parses a ResourceList; unparseable quantities are reported and left out.
std::map<std::string, Quantity> ParseList(const Json* list, std::string_view path,
                                          FieldErrors* errs) {
  std::map<std::string, Quantity> out;
  if (list == nullptr) return out;
  if (!list->is_object()) {
    errs->Invalid(path, *list, "must be a map of resource names to quantities");
    return out;
  }
  for (const auto& [name, value] : list->items()) {
    std::string p = Key(path, name);
    ValidateResourceName(name, p, errs);
    Result<Quantity> q = Quantity::FromJson(value);
    if (!q.ok()) {
      errs->Invalid(p, value, q.status().message());
      continue;
    }
    if (q->IsNegative()) errs->Invalid(p, q->String(), "must be greater than or equal to 0");
    if (!IsNative(name) && !q->IsInteger()) errs->Invalid(p, q->String(), "must be an integer");
    out.emplace(name, *q);
  }
  return out;
}

void ValidateProbeHandler(const Json& h, std::string_view path, int64_t grace, FieldErrors* errs) {
  int handlers = 0;
  for (const char* kind : {"exec", "httpGet", "tcpSocket", "grpc", "sleep"}) {
    const Json* v = ObjectIn(h, kind);
    if (v == nullptr) continue;
    std::string p = Child(path, kind);
    if (handlers++ > 0) {
      errs->Forbidden(p, "may not specify more than 1 handler type");
      continue;
    }
    std::string k = kind;
    if (k == "exec") {
      const Json* cmd = ArrayAt(*v, "command");
      if (cmd == nullptr || cmd->empty()) errs->Required(Child(p, "command"));
    } else if (k == "httpGet") {
      if (Str(*v, "path").empty()) errs->Required(Child(p, "path"));
      ValidatePortNumOrName(Find(*v, "port") ? *Find(*v, "port") : Json(0), Child(p, "port"), errs);
      std::string scheme = Str(*v, "scheme");
      if (scheme != "HTTP" && scheme != "HTTPS") {
        errs->NotSupported(Child(p, "scheme"), scheme, {"HTTP", "HTTPS"});
      }
    } else if (k == "tcpSocket") {
      ValidatePortNumOrName(Find(*v, "port") ? *Find(*v, "port") : Json(0), Child(p, "port"), errs);
    } else if (k == "grpc") {
      ValidatePortNumOrName(Json(Int(*v, "port")), Child(p, "port"), errs);
    } else if (grace >= 0) {
      int64_t s = Int(*v, "seconds");
      if (s <= 0 || s > grace) {
        errs->Invalid(Child(p, "seconds"), s,
                      "must be greater than 0 and less than terminationGracePeriodSeconds (" +
                          std::to_string(grace) +
                          "). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero "
                          "sleep.");
      }
    }
  }
  if (handlers == 0) errs->Required(path, "must specify a handler type");
}

void ValidateProbe(const Json& c, const char* key, std::string_view path, int64_t grace,
                   FieldErrors* errs) {
  const Json* probe = ObjectIn(c, key);
  if (probe == nullptr) return;
  std::string p = Child(path, key);
  ValidateProbeHandler(*probe, p, grace, errs);
  for (const char* f : {"initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                        "successThreshold", "failureThreshold"}) {
    ValidateOptionalNonnegative(*probe, f, Child(p, f), errs);
  }
  std::string k = key;
  if (k != "readinessProbe" && Int(*probe, "successThreshold", 1) != 1) {
    errs->Invalid(Child(p, "successThreshold"), Int(*probe, "successThreshold"), "must be 1");
  }
  if (k == "readinessProbe" && Has(*probe, "terminationGracePeriodSeconds")) {
    errs->Invalid(Child(p, "terminationGracePeriodSeconds"),
                  *Find(*probe, "terminationGracePeriodSeconds"),
                  "must not be set for readinessProbes");
  }
}

void ValidateLifecycle(const Json& c, std::string_view path, int64_t grace, FieldErrors* errs) {
  const Json* lifecycle = ObjectIn(c, "lifecycle");
  if (lifecycle == nullptr) return;
  for (const char* hook : {"postStart", "preStop"}) {
    if (const Json* h = ObjectIn(*lifecycle, hook)) {
      ValidateProbeHandler(*h, Child(Child(path, "lifecycle"), hook), grace, errs);
    }
  }
}

void ValidateContainerCommon(const Json& c, std::string_view path, const ContainerContext& ctx,
                             FieldErrors* errs) {
  std::string name = Str(c, "name");
  if (name.empty()) {
    errs->Required(Child(path, "name"));
  } else {
    ValidateDnsLabel(name, Child(path, "name"), errs);
  }
  if (Str(c, "image").empty()) errs->Required(Child(path, "image"));
  ValidateEnum(c, "terminationMessagePolicy", Child(path, "terminationMessagePolicy"),
               {"File", "FallbackToLogsOnError"}, errs);
  ValidatePorts(c, Child(path, "ports"), errs);
  ValidateEnv(c, Child(path, "env"), errs);
  ValidateEnvFrom(c, Child(path, "envFrom"), errs);
  ValidateVolumeMounts(c, Child(path, "volumeMounts"), ctx, errs);
  ValidateEnum(c, "imagePullPolicy", Child(path, "imagePullPolicy"),
               {"Always", "IfNotPresent", "Never"}, errs);
  if (const Json* r = Find(c, "resources"))
    ValidateResourceRequirements(*r, Child(path, "resources"), errs);
}

void CheckHostPorts(const Json& c, size_t ci, std::string_view path, std::set<std::string>* seen,
                    FieldErrors* errs) {
  const Json* ports = ArrayAt(c, "ports");
  if (ports == nullptr) return;
  for (size_t pi = 0; pi < ports->size(); ++pi) {
    const Json& p = (*ports)[pi];
    int64_t hp = Int(p, "hostPort");
    if (hp == 0) continue;
    std::string key = Str(p, "protocol") + "/" + Str(p, "hostIP") + "/" + std::to_string(hp);
    if (!seen->insert(key).second) {
      errs->Duplicate(Child(Index(Child(Index(path, ci), "ports"), pi), "hostPort"), key);
    }
  }
}

}  // namespace

void ValidateResourceRequirements(const Json& resources, std::string_view path, FieldErrors* errs) {
  if (!resources.is_object()) {
    errs->Invalid(path, resources, "must be an object");
    return;
  }
  std::string lim_path = Child(path, "limits");
  std::string req_path = Child(path, "requests");
  std::map<std::string, Quantity> limits = ParseList(Find(resources, "limits"), lim_path, errs);
  std::map<std::string, Quantity> requests = ParseList(Find(resources, "requests"), req_path, errs);
  bool cpu_or_memory = false;
  bool hugepages = false;
  for (const auto& [name, q] : limits) {
    cpu_or_memory = cpu_or_memory || name == "cpu" || name == "memory";
    hugepages = hugepages || IsHugePages(name);
  }
  for (const auto& [name, q] : requests) {
    cpu_or_memory = cpu_or_memory || name == "cpu" || name == "memory";
    hugepages = hugepages || IsHugePages(name);
    auto lim = limits.find(name);
    if (lim != limits.end()) {
      if (q.Compare(lim->second) != 0 && !OvercommitAllowed(name)) {
        errs->Invalid(req_path, q.String(),
                      "must be equal to " + name + " limit of " + lim->second.String());
      } else if (q.Compare(lim->second) > 0) {
        errs->Invalid(
            req_path, q.String(),
            "must be less than or equal to " + name + " limit of " + lim->second.String());
      }
    } else if (!OvercommitAllowed(name)) {
      errs->Required(lim_path, "Limit must be set for non overcommitable resources");
    }
  }
  if (hugepages && !cpu_or_memory) errs->Forbidden(path, "HugePages require cpu or memory");
}

void ValidateContainers(const Json& spec, std::string_view path, const ContainerContext& ctx,
                        FieldErrors* errs) {
  const Json* containers = ArrayAt(spec, "containers");
  if (containers == nullptr || containers->empty()) {
    errs->Required(path);
    return;
  }
  std::set<std::string> names;
  std::set<std::string> host_ports;
  for (size_t i = 0; i < containers->size(); ++i) {
    const Json& c = (*containers)[i];
    std::string idx = Index(path, i);
    if (!c.is_object()) {
      errs->Invalid(idx, c, "must be an object");
      continue;
    }
    ValidateContainerCommon(c, idx, ctx, errs);
    std::string name = Str(c, "name");
    if (!names.insert(name).second) errs->Duplicate(Child(idx, "name"), name);
    ValidateLifecycle(c, idx, ctx.grace_period, errs);
    for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
      ValidateProbe(c, probe, idx, ctx.grace_period, errs);
    }
    if (Has(c, "restartPolicy")) {
      errs->Forbidden(Child(idx, "restartPolicy"), "may not be set for non-init containers");
    }
  }
  for (size_t i = 0; i < containers->size(); ++i) {
    CheckHostPorts((*containers)[i], i, path, &host_ports, errs);
  }
}

void ValidateInitContainers(const Json& spec, std::string_view path, const ContainerContext& ctx,
                            FieldErrors* errs) {
  const Json* inits = ArrayAt(spec, "initContainers");
  if (inits == nullptr) return;
  std::set<std::string> names;
  if (const Json* containers = ArrayAt(spec, "containers")) {
    for (const Json& c : *containers) names.insert(Str(c, "name"));
  }
  for (size_t i = 0; i < inits->size(); ++i) {
    const Json& c = (*inits)[i];
    std::string idx = Index(path, i);
    if (!c.is_object()) {
      errs->Invalid(idx, c, "must be an object");
      continue;
    }
    ValidateContainerCommon(c, idx, ctx, errs);
    bool restart_always = false;
    if (const Json* rp = Find(c, "restartPolicy")) {
      restart_always = *rp == "Always";
      if (!restart_always) errs->NotSupported(Child(idx, "restartPolicy"), *rp, {"Always"});
    }
    std::string name = Str(c, "name");
    if (names.count(name) > 0) {
      errs->Duplicate(Child(idx, "name"), name);
    } else if (!name.empty()) {
      names.insert(name);
    }
    std::set<std::string> host_ports;
    CheckHostPorts(c, i, path, &host_ports, errs);
    if (restart_always) {
      ValidateLifecycle(c, idx, ctx.grace_period, errs);
      for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
        ValidateProbe(c, probe, idx, ctx.grace_period, errs);
      }
      continue;
    }
    for (const char* f : {"lifecycle", "livenessProbe", "readinessProbe", "startupProbe"}) {
      if (Has(c, f)) {
        errs->Forbidden(Child(idx, f),
                        "may not be set for init containers without restartPolicy=Always");
      }
    }
  }
}

}  // namespace capstan::registry
