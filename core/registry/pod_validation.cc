// PodSpec validation: volumes, spec-level fields, tolerations (pod_validation.h).
#include "core/registry/pod_validation.h"

#include <set>
#include <vector>

#include "core/registry/container_validation.h"
#include "core/registry/field_validation.h"
#include "core/registry/json_util.h"
#include "core/selector/label_validation.h"

namespace capstan::registry {
namespace {

constexpr const char* kFileModeError =
    "must be a number between 0 and 0777 (octal), both inclusive";

// Upstream's order of volume sources (validateVolumeSource).
constexpr const char* kVolumeSources[] = {"emptyDir",
                                          "hostPath",
                                          "gitRepo",
                                          "gcePersistentDisk",
                                          "awsElasticBlockStore",
                                          "secret",
                                          "nfs",
                                          "iscsi",
                                          "glusterfs",
                                          "flocker",
                                          "persistentVolumeClaim",
                                          "rbd",
                                          "cinder",
                                          "cephfs",
                                          "quobyte",
                                          "downwardAPI",
                                          "fc",
                                          "flexVolume",
                                          "configMap",
                                          "azureFile",
                                          "vsphereVolume",
                                          "photonPersistentDisk",
                                          "portworxVolume",
                                          "azureDisk",
                                          "storageos",
                                          "projected",
                                          "scaleIO",
                                          "csi",
                                          "ephemeral",
                                          "image"};

void ValidateMode(const Json& obj, const char* key, std::string_view path, FieldErrors* errs) {
  const Json* m = Find(obj, key);
  if (m == nullptr) return;
  if (!m->is_number_integer() || m->get<int64_t>() < 0 || m->get<int64_t>() > 0777) {
    errs->Invalid(path, *m, kFileModeError);
  }
}

void ValidateKeyToPaths(const Json& source, std::string_view path, FieldErrors* errs) {
  const Json* items = ArrayAt(source, "items");
  if (items == nullptr) return;
  for (size_t i = 0; i < items->size(); ++i) {
    const Json& kp = (*items)[i];
    std::string idx = Index(path, i);
    if (Str(kp, "key").empty()) errs->Required(Child(idx, "key"));
    std::string p = Str(kp, "path");
    if (p.empty()) errs->Required(Child(idx, "path"));
    if (!p.empty() && p.front() == '/')
      errs->Invalid(Child(idx, "path"), p, "must be a relative path");
    if (p.find("..") != std::string::npos) {
      errs->Invalid(Child(idx, "path"), p, "must not contain '..'");
    }
    ValidateMode(kp, "mode", Child(idx, "mode"), errs);
  }
}

void ValidateSource(std::string_view kind, const Json& src, std::string_view path,
                    FieldErrors* errs) {
  auto required = [&](const char* key) {
    if (Str(src, key).empty()) errs->Required(Child(path, key));
  };
  if (kind == "hostPath") {
    std::string p = Str(src, "path");
    if (p.empty()) return errs->Required(Child(path, "path"));
    if (p.find("..") != std::string::npos) {
      errs->Invalid(Child(path, "path"), p, "must not contain '..'");
    }
    static const std::vector<std::string> kTypes = {
        "",     "BlockDevice",  "CharDevice", "Directory", "DirectoryOrCreate",
        "File", "FileOrCreate", "Socket"};
    if (const Json* t = Find(src, "type"); t != nullptr) {
      std::string ts = t->is_string() ? t->get<std::string>() : t->dump();
      bool ok = false;
      for (const std::string& k : kTypes) ok = ok || k == ts;
      if (!ok) errs->NotSupported(Child(path, "type"), *t, kTypes);
    }
  } else if (kind == "secret") {
    required("secretName");
    ValidateMode(src, "defaultMode", Child(path, "defaultMode"), errs);
    ValidateKeyToPaths(src, Child(path, "items"), errs);
  } else if (kind == "configMap") {
    required("name");
    ValidateMode(src, "defaultMode", Child(path, "defaultMode"), errs);
    ValidateKeyToPaths(src, Child(path, "items"), errs);
  } else if (kind == "persistentVolumeClaim") {
    required("claimName");
  } else if (kind == "nfs") {
    required("server");
    required("path");
    if (std::string p = Str(src, "path"); p.empty() || p.front() != '/') {
      errs->Invalid(Child(path, "path"), p, "must be an absolute path");
    }
  } else if (kind == "downwardAPI" || kind == "projected") {
    ValidateMode(src, "defaultMode", Child(path, "defaultMode"), errs);
  } else if (kind == "gitRepo") {
    required("repository");
  } else if (kind == "csi") {
    required("driver");
  }
}

// Validates the volumes and returns the names of the valid ones.
std::set<std::string> ValidateVolumes(const Json& spec, std::string_view path, FieldErrors* errs) {
  std::set<std::string> names;
  const Json* volumes = ArrayAt(spec, "volumes");
  if (volumes == nullptr) return names;
  for (size_t i = 0; i < volumes->size(); ++i) {
    const Json& v = (*volumes)[i];
    std::string idx = Index(path, i);
    FieldErrors el;
    int sources = 0;
    for (const char* kind : kVolumeSources) {
      const Json* src = Find(v, kind);
      if (src == nullptr) continue;
      if (sources++ > 0) {
        el.Forbidden(Child(idx, kind), "may not specify more than 1 volume type");
        continue;
      }
      ValidateSource(kind, *src, Child(idx, kind), &el);
    }
    if (sources == 0) el.Required(idx, "must specify a volume type");
    std::string name = Str(v, "name");
    if (name.empty()) {
      el.Required(Child(idx, "name"));
    } else {
      ValidateDnsLabel(name, Child(idx, "name"), &el);
    }
    if (names.count(name) > 0) el.Duplicate(Child(idx, "name"), name);
    if (el.empty()) {
      names.insert(name);
    } else {
      errs->Append(el);
    }
  }
  return names;
}

void ValidateEnumField(const Json& spec, const char* key, std::string_view path,
                       const std::vector<std::string>& supported, FieldErrors* errs) {
  const Json* v = Find(spec, key);
  if (v == nullptr || IsEmptyString(*v)) return errs->Required(path);
  for (const std::string& s : supported) {
    if (*v == s) return;
  }
  errs->NotSupported(path, *v, supported);
}

}  // namespace

void ValidateTolerations(const Json& tolerations, std::string_view path, FieldErrors* errs) {
  if (!tolerations.is_array()) return errs->Invalid(path, tolerations, "must be a list");
  for (size_t i = 0; i < tolerations.size(); ++i) {
    const Json& t = tolerations[i];
    std::string idx = Index(path, i);
    std::string key = Str(t, "key");
    std::string op = Str(t, "operator");
    std::string effect = Str(t, "effect");
    std::string value = Str(t, "value");
    if (!key.empty()) {
      for (const std::string& m : selector::IsQualifiedName(key))
        errs->Invalid(Child(idx, "key"), key, m);
    }
    if (key.empty() && op != "Exists") {
      errs->Invalid(Child(idx, "operator"), op,
                    "operator must be Exists when `key` is empty, which means \"match all values "
                    "and all keys\"");
    }
    if (Has(t, "tolerationSeconds") && effect != "NoExecute") {
      errs->Invalid(Child(idx, "effect"), effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set");
    }
    if (op == "Equal" || op.empty()) {
      std::vector<std::string> msgs = selector::IsValidLabelValue(value);
      if (!msgs.empty()) {
        std::string joined;
        for (const std::string& m : msgs) joined += (joined.empty() ? "" : ";") + m;
        errs->Invalid(Child(idx, "operator"), value, joined);
      }
    } else if (op == "Exists") {
      if (!value.empty()) {
        errs->Invalid(Child(idx, "operator"), value,
                      "value must be empty when `operator` is 'Exists'");
      }
    } else {
      errs->NotSupported(Child(idx, "operator"), op, {"Equal", "Exists"});
    }
    if (!effect.empty() && effect != "NoSchedule" && effect != "PreferNoSchedule" &&
        effect != "NoExecute") {
      errs->NotSupported(Child(idx, "effect"), effect,
                         {"NoSchedule", "PreferNoSchedule", "NoExecute"});
    }
  }
}

void ValidatePodSpec(const Json& spec, std::string_view path, const PodValidationOptions& opts,
                     FieldErrors* errs) {
  if (!spec.is_object()) return errs->Required(path);
  const Json* grace = Find(spec, "terminationGracePeriodSeconds");
  if (grace == nullptr) errs->Required(Child(path, "terminationGracePeriodSeconds"));
  ContainerContext ctx;
  ctx.grace_period = grace != nullptr && grace->is_number_integer() ? grace->get<int64_t>() : -1;
  ctx.volumes = ValidateVolumes(spec, Child(path, "volumes"), errs);
  ValidateContainers(spec, Child(path, "containers"), ctx, errs);
  ValidateInitContainers(spec, Child(path, "initContainers"), ctx, errs);
  ValidateEnumField(spec, "restartPolicy", Child(path, "restartPolicy"),
                    {"Always", "OnFailure", "Never"}, errs);
  ValidateEnumField(spec, "dnsPolicy", Child(path, "dnsPolicy"),
                    {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"}, errs);
  if (Str(spec, "dnsPolicy") == "None") {
    const Json* cfg = ObjectIn(spec, "dnsConfig");
    const Json* ns = cfg != nullptr ? ArrayAt(*cfg, "nameservers") : nullptr;
    if (cfg == nullptr) {
      errs->Required(Child(path, "dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None");
    } else if (ns == nullptr || ns->empty()) {
      errs->Required(Child(Child(path, "dnsConfig"), "nameservers"),
                     "must provide at least one DNS nameserver when `dnsPolicy` is None");
    }
  }
  ValidateLabels(Find(spec, "nodeSelector"), Child(path, "nodeSelector"), errs);
  for (const char* name_field : {"serviceAccountName", "nodeName", "priorityClassName"}) {
    if (std::string v = Str(spec, name_field); !v.empty()) {
      ValidateDnsSubdomain(v, Child(path, name_field), errs);
    }
  }
  if (const Json* ads = Find(spec, "activeDeadlineSeconds")) {
    if (!ads->is_number_integer() || ads->get<int64_t>() < 1 || ads->get<int64_t>() > 2147483647) {
      errs->Invalid(Child(path, "activeDeadlineSeconds"), *ads,
                    "must be between 1 and 2147483647, inclusive");
    }
  }
  for (const char* label_field : {"hostname", "subdomain"}) {
    if (std::string v = Str(spec, label_field); !v.empty()) {
      ValidateDnsLabel(v, Child(path, label_field), errs);
    }
  }
  if (const Json* t = Find(spec, "tolerations"); t != nullptr && !t->empty()) {
    ValidateTolerations(*t, Child(path, "tolerations"), errs);
  }
  if (const Json* pp = Find(spec, "preemptionPolicy")) {
    if (IsEmptyString(*pp)) {
      errs->Required(Child(path, "preemptionPolicy"));
    } else if (*pp != "PreemptLowerPriority" && *pp != "Never") {
      errs->NotSupported(Child(path, "preemptionPolicy"), *pp, {"PreemptLowerPriority", "Never"});
    }
  }
  if (!opts.is_pod) return;
  for (const char* list : {"containers", "initContainers"}) {
    const Json* cs = ArrayAt(spec, list);
    if (cs == nullptr) continue;
    for (size_t i = 0; i < cs->size(); ++i) {
      std::string image = Str((*cs)[i], "image");
      size_t b = image.find_first_not_of(" \t\n\r");
      size_t e = image.find_last_not_of(" \t\n\r");
      if (!image.empty() && (b != 0 || e != image.size() - 1)) {
        errs->Invalid(Child(Index(Child(path, list), i), "image"), image,
                      "must not have leading or trailing whitespace");
      }
    }
  }
}

void ValidatePodTemplateSpec(const Json& tmpl, std::string_view path, FieldErrors* errs) {
  if (!tmpl.is_object()) return errs->Required(path);
  const Json* meta = ObjectIn(tmpl, "metadata");
  ValidateLabels(meta != nullptr ? Find(*meta, "labels") : nullptr, Child(path, "labels"), errs);
  const Json* spec = Find(tmpl, "spec");
  ValidatePodSpec(spec != nullptr ? *spec : Json::object(), Child(path, "spec"), {}, errs);
  if (const Json* eph = spec != nullptr ? ArrayAt(*spec, "ephemeralContainers") : nullptr;
      eph != nullptr && !eph->empty()) {
    errs->Forbidden(Child(Child(path, "spec"), "ephemeralContainers"),
                    "ephemeral containers not allowed in pod template");
  }
}

}  // namespace capstan::registry
