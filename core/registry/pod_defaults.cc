// Pod and PodSpec defaulting (pod_defaults.h).
#include "core/registry/pod_defaults.h"

#include <map>

#include "core/registry/quantity.h"

namespace capstan::registry {
namespace {

constexpr int64_t kDefaultFileMode = 420;  // 0644

template <typename Fn>
void ForEachObject(Json& parent, std::string_view key, Fn fn) {
  if (Json* list = ArrayAt(parent, key)) {
    for (Json& item : *list) {
      if (item.is_object()) fn(item);
    }
  }
}

void DefaultHandler(Json& handler) {
  if (Json* http = Find(handler, "httpGet"); http != nullptr && http->is_object()) {
    SetDefaultString(*http, "path", "/");
    SetDefaultString(*http, "scheme", "HTTP");
  }
  if (Json* grpc = Find(handler, "grpc"); grpc != nullptr && grpc->is_object()) {
    SetDefault(*grpc, "service", "");
  }
}

void DefaultProbe(Json& container, std::string_view key) {
  Json* probe = Find(container, key);
  if (probe == nullptr || !probe->is_object()) return;
  SetDefaultNonZero(*probe, "timeoutSeconds", 1);
  SetDefaultNonZero(*probe, "periodSeconds", 10);
  SetDefaultNonZero(*probe, "successThreshold", 1);
  SetDefaultNonZero(*probe, "failureThreshold", 3);
  DefaultHandler(*probe);
}

void DefaultFieldRef(Json& holder) {
  if (Json* ref = Find(holder, "fieldRef"); ref != nullptr && ref->is_object()) {
    SetDefaultString(*ref, "apiVersion", "v1");
  }
}

void DefaultContainer(Json& c) {
  if (const Json* policy = Find(c, "imagePullPolicy");
      policy == nullptr || (policy->is_string() && policy->get_ref<const std::string&>().empty())) {
    c["imagePullPolicy"] = DefaultImagePullPolicy(Str(c, "image"));
  }
  SetDefaultString(c, "terminationMessagePath", "/dev/termination-log");
  SetDefaultString(c, "terminationMessagePolicy", "File");
  if (Json* resources = ObjectAt(c, "resources")) {
    for (const char* list : {"limits", "requests"}) {
      if (Json* l = Find(*resources, list); l != nullptr && l->is_object()) {
        CanonicalizeResourceList(*l);
      }
    }
  }
  ForEachObject(c, "ports", [](Json& p) { SetDefaultString(p, "protocol", "TCP"); });
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    DefaultProbe(c, probe);
  }
  if (Json* lifecycle = Find(c, "lifecycle"); lifecycle != nullptr && lifecycle->is_object()) {
    for (const char* hook : {"postStart", "preStop"}) {
      if (Json* h = Find(*lifecycle, hook); h != nullptr && h->is_object()) DefaultHandler(*h);
    }
  }
  ForEachObject(c, "env", [](Json& e) {
    if (Json* from = Find(e, "valueFrom"); from != nullptr && from->is_object()) {
      DefaultFieldRef(*from);
    }
  });
}

void DefaultVolume(Json& v) {
  static constexpr std::string_view kNotSources[] = {"name"};
  bool has_source = false;
  for (const auto& [k, val] : v.items()) {
    if (k != kNotSources[0] && !val.is_null()) has_source = true;
  }
  if (!has_source) v["emptyDir"] = Json::object();
  for (const char* source : {"secret", "configMap", "downwardAPI", "projected"}) {
    if (Json* s = Find(v, source); s != nullptr && s->is_object()) {
      SetDefault(*s, "defaultMode", kDefaultFileMode);
    }
  }
  if (Json* d = Find(v, "downwardAPI"); d != nullptr && d->is_object()) {
    ForEachObject(*d, "items", DefaultFieldRef);
  }
  if (Json* p = Find(v, "projected"); p != nullptr && p->is_object()) {
    ForEachObject(*p, "sources", [](Json& src) {
      if (Json* token = Find(src, "serviceAccountToken"); token != nullptr && token->is_object()) {
        SetDefault(*token, "expirationSeconds", 3600);
      }
      if (Json* d = Find(src, "downwardAPI"); d != nullptr && d->is_object()) {
        ForEachObject(*d, "items", DefaultFieldRef);
      }
    });
  }
  if (Json* h = Find(v, "hostPath"); h != nullptr && h->is_object()) SetDefault(*h, "type", "");
  if (Json* e = Find(v, "emptyDir"); e != nullptr && e->is_object()) {
    if (Json* limit = Find(*e, "sizeLimit")) {
      if (Result<Quantity> q = Quantity::FromJson(*limit); q.ok()) *limit = q->String();
    }
  }
  if (Json* eph = Find(v, "ephemeral"); eph != nullptr && eph->is_object()) {
    if (Json* tmpl = Find(*eph, "volumeClaimTemplate"); tmpl != nullptr && tmpl->is_object()) {
      if (Json* spec = Find(*tmpl, "spec"); spec != nullptr && spec->is_object()) {
        SetDefault(*spec, "volumeMode", "Filesystem");
      }
    }
  }
}

bool IsSystemAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string DefaultImagePullPolicy(std::string_view image) {
  // Upstream parses the reference; anything unparseable, and digest-only references, have no
  // tag and get IfNotPresent. An untagged name means `latest`.
  if (image.empty()) return "IfNotPresent";
  std::string_view name = image;
  bool has_digest = false;
  if (size_t at = name.find('@'); at != std::string_view::npos) {
    has_digest = true;
    name = name.substr(0, at);
  }
  size_t slash = name.rfind('/');
  std::string_view last = slash == std::string_view::npos ? name : name.substr(slash + 1);
  std::string_view tag;
  if (size_t colon = last.find(':'); colon != std::string_view::npos) {
    tag = last.substr(colon + 1);
    name = name.substr(0, name.size() - tag.size() - 1);
  }
  // The repository path (after a registry host) must be lowercase.
  size_t first = name.find('/');
  std::string_view path = name;
  if (first != std::string_view::npos) {
    std::string_view host = name.substr(0, first);
    if (host.find('.') != std::string_view::npos || host.find(':') != std::string_view::npos ||
        host == "localhost") {
      path = name.substr(first + 1);
    }
  }
  for (char c : path) {
    if (!IsSystemAlnum(c) && c != '.' && c != '_' && c != '-' && c != '/') return "IfNotPresent";
  }
  if (tag.empty()) return has_digest ? "IfNotPresent" : "Always";
  return tag == "latest" ? "Always" : "IfNotPresent";
}

void CanonicalizeResourceList(Json& list) {
  if (!list.is_object()) return;
  for (auto& [name, value] : list.items()) {
    if (Result<Quantity> q = Quantity::FromJson(value); q.ok()) {
      value = q->RoundUpToMilli().String();
    }
  }
}

void DefaultPodSpec(Json& spec) {
  if (!spec.is_object()) return;
  SetDefaultString(spec, "dnsPolicy", "ClusterFirst");
  SetDefaultString(spec, "restartPolicy", "Always");
  SetDefault(spec, "securityContext", Json::object());
  SetDefault(spec, "terminationGracePeriodSeconds", 30);
  SetDefaultString(spec, "schedulerName", "default-scheduler");
  // The deprecated `serviceAccount` mirrors `serviceAccountName` (v1 conversion).
  std::string sa = Str(spec, "serviceAccountName");
  if (sa.empty()) sa = Str(spec, "serviceAccount");
  if (!sa.empty()) {
    spec["serviceAccountName"] = sa;
    spec["serviceAccount"] = sa;
  }
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
    ForEachObject(spec, list, DefaultContainer);
  }
  ForEachObject(spec, "volumes", DefaultVolume);
  if (Json* overhead = Find(spec, "overhead"); overhead != nullptr && overhead->is_object()) {
    CanonicalizeResourceList(*overhead);
  }
}

void DefaultPodTemplate(Json& pod_template) {
  if (!pod_template.is_object()) return;
  if (Json* meta = ObjectAt(pod_template, "metadata")) {
    if (!meta->contains("creationTimestamp")) (*meta)["creationTimestamp"] = nullptr;
  }
  if (Json* spec = ObjectAt(pod_template, "spec")) DefaultPodSpec(*spec);
}

void DefaultPodOnlyFields(Json& spec) {
  if (!spec.is_object()) return;
  bool host_network = Bool(spec, "hostNetwork");
  for (const char* list : {"containers", "initContainers"}) {
    ForEachObject(spec, list, [host_network](Json& c) {
      Json* resources = ObjectAt(c, "resources");
      const Json* limits = resources != nullptr ? ObjectIn(*resources, "limits") : nullptr;
      if (limits != nullptr) {
        Json limits_copy = *limits;
        if (Json* requests = ObjectAt(*resources, "requests")) {
          for (const auto& [k, v] : limits_copy.items()) {
            if (!requests->contains(k)) (*requests)[k] = v;
          }
        }
      }
      if (host_network) {
        ForEachObject(c, "ports", [](Json& p) {
          if (Int(p, "hostPort") == 0 && Has(p, "containerPort"))
            p["hostPort"] = p["containerPort"];
        });
      }
    });
  }
  SetDefault(spec, "enableServiceLinks", true);
}

std::string ComputeQosClass(const Json& spec) {
  std::map<std::string, Quantity> requests;
  std::map<std::string, Quantity> limits;
  bool guaranteed = true;
  auto sum = [](std::map<std::string, Quantity>& into, const std::string& name, const Quantity& q) {
    auto [it, inserted] = into.emplace(name, q);
    if (!inserted) it->second = it->second.Plus(q);
  };
  for (const char* list : {"containers", "initContainers"}) {
    const Json* containers = ArrayAt(spec, list);
    if (containers == nullptr) continue;
    for (const Json& c : *containers) {
      const Json* resources = ObjectIn(c, "resources");
      const Json* req = resources != nullptr ? ObjectIn(*resources, "requests") : nullptr;
      const Json* lim = resources != nullptr ? ObjectIn(*resources, "limits") : nullptr;
      int limits_found = 0;
      for (const char* name : {"cpu", "memory"}) {
        if (const Json* v = req != nullptr ? Find(*req, name) : nullptr) {
          if (Result<Quantity> q = Quantity::FromJson(*v); q.ok() && q->Compare(Quantity()) > 0) {
            sum(requests, name, *q);
          }
        }
        if (const Json* v = lim != nullptr ? Find(*lim, name) : nullptr) {
          if (Result<Quantity> q = Quantity::FromJson(*v); q.ok() && q->Compare(Quantity()) > 0) {
            sum(limits, name, *q);
            ++limits_found;
          }
        }
      }
      if (limits_found < 2) guaranteed = false;
    }
  }
  if (requests.empty() && limits.empty()) return "BestEffort";
  if (guaranteed) {
    for (const auto& [name, req] : requests) {
      auto it = limits.find(name);
      if (it == limits.end() || it->second.Compare(req) != 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size() == limits.size() ? "Guaranteed" : "Burstable";
}

}  // namespace capstan::registry
