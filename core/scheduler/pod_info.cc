// JSON -> typed pod/node records and their ABI views (pod_info.h). Every JSON access checks the
// type first, so malformed objects degrade to defaults instead of throwing.
#include "core/scheduler/pod_info.h"

#include <time.h>

#include <algorithm>

#include "core/scheduler/string_pool.h"

namespace capstan::scheduler {

capstan_host_str Pooled(const std::string& s) {
  std::string_view v = StringPool::Global().Intern(s);
  return {v.data(), v.size()};
}
namespace {

using nlohmann::json;

const json* Field(const json* obj, std::string_view key) {
  if (obj == nullptr || !obj->is_object()) return nullptr;
  auto it = obj->find(key);
  return it == obj->end() ? nullptr : &*it;
}

std::string Str(const json* obj, std::string_view key) {
  const json* v = Field(obj, key);
  return v != nullptr && v->is_string() ? v->get_ref<const std::string&>() : std::string();
}

int64_t Int(const json* obj, std::string_view key, int64_t def = 0) {
  const json* v = Field(obj, key);
  return v != nullptr && v->is_number_integer() ? v->get<int64_t>() : def;
}

bool Bool(const json* obj, std::string_view key) {
  const json* v = Field(obj, key);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

LabelList StringMap(const json* obj) {
  LabelList out;
  if (obj == nullptr || !obj->is_object()) return out;
  out.reserve(obj->size());
  for (auto it = obj->begin(); it != obj->end(); ++it) {
    if (it.value().is_string()) out.emplace_back(it.key(), it.value().get<std::string>());
  }
  return out;
}

uint32_t EffectCode(const std::string& e) {
  if (e == "NoSchedule") return CAPSTAN_TAINT_NO_SCHEDULE;
  if (e == "PreferNoSchedule") return CAPSTAN_TAINT_PREFER_NO_SCHEDULE;
  if (e == "NoExecute") return CAPSTAN_TAINT_NO_EXECUTE;
  return 0;
}

uint32_t ProtocolCode(const std::string& p) {
  if (p == "UDP") return CAPSTAN_PROTOCOL_UDP;
  if (p == "SCTP") return CAPSTAN_PROTOCOL_SCTP;
  return CAPSTAN_PROTOCOL_TCP;
}

// A container's requests; limits stand in for missing requests as API defaulting does.
Result<Resources> ContainerRequests(const json& c, std::string_view field) {
  const json* res = Field(&c, "resources");
  Result<Resources> req =
      ResourcesFromList(Field(res, "requests"), std::string(field) + ".requests");
  if (!req.ok()) return req;
  const json* limits = Field(res, "limits");
  if (limits != nullptr && limits->is_object()) {
    const json* requests = Field(res, "requests");
    json missing = json::object();
    for (auto it = limits->begin(); it != limits->end(); ++it) {
      if (Field(requests, it.key()) == nullptr) missing[it.key()] = it.value();
    }
    if (!missing.empty()) {
      Result<Resources> lim = ResourcesFromList(&missing, std::string(field) + ".limits");
      if (!lim.ok()) return lim;
      req->Add(*lim);
    }
  }
  return req;
}

// max(sum(app) + sum(sidecars), max over init containers of init + sidecars started before it)
// + overhead; pods = 1. Sidecars are init containers with restartPolicy Always.
Result<Resources> EffectiveRequests(const json* spec) {
  Resources app;
  const json* containers = Field(spec, "containers");
  if (containers != nullptr && containers->is_array()) {
    for (const json& c : *containers) {
      Result<Resources> r = ContainerRequests(c, "spec.containers[" + Str(&c, "name") + "]");
      if (!r.ok()) return r.status();
      app.Add(*r);
    }
  }
  Resources init_max;
  Resources sidecars;
  const json* inits = Field(spec, "initContainers");
  if (inits != nullptr && inits->is_array()) {
    for (const json& c : *inits) {
      Result<Resources> r = ContainerRequests(c, "spec.initContainers[" + Str(&c, "name") + "]");
      if (!r.ok()) return r.status();
      Resources candidate = sidecars;
      candidate.Add(*r);
      if (Str(&c, "restartPolicy") == "Always") sidecars.Add(*r);
      init_max.Max(candidate);
    }
  }
  app.Add(sidecars);
  app.Max(init_max);
  Result<Resources> overhead = ResourcesFromList(Field(spec, "overhead"), "spec.overhead");
  if (!overhead.ok()) return overhead.status();
  app.Add(*overhead);
  app.pods = 1;
  return app;
}

// CAPSTAN_SCHED_POD_* bits of a pod's spec.affinity: any pod (anti-)affinity term, and required
// anti-affinity terms, which every incoming pod must respect.
uint32_t AffinityFlags(const json* affinity) {
  auto has_terms = [](const json* group, const char* field) {
    const json* terms = Field(group, field);
    return terms != nullptr && terms->is_array() && !terms->empty();
  };
  constexpr const char* kRequired = "requiredDuringSchedulingIgnoredDuringExecution";
  constexpr const char* kPreferred = "preferredDuringSchedulingIgnoredDuringExecution";
  const json* pod_affinity = Field(affinity, "podAffinity");
  const json* anti = Field(affinity, "podAntiAffinity");
  uint32_t flags = 0;
  if (has_terms(anti, kRequired)) flags |= CAPSTAN_SCHED_POD_HAS_REQUIRED_ANTI_AFFINITY;
  if (flags != 0 || has_terms(anti, kPreferred) || has_terms(pod_affinity, kRequired) ||
      has_terms(pod_affinity, kPreferred)) {
    flags |= CAPSTAN_SCHED_POD_HAS_AFFINITY;
  }
  return flags;
}

}  // namespace

const std::string& SchedObject::Text() const {
  std::call_once(once_,
                 [this] { text_ = json_->dump(-1, ' ', false, json::error_handler_t::replace); });
  return text_;
}

int64_t ParseTimestampMs(std::string_view text) {
  if (text.size() < 19) return 0;
  struct tm tm {};
  std::string s(text);
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return 0;
  int64_t ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  if (*rest == '.') {
    int64_t frac = 0;
    int digits = 0;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest) {
      if (digits < 3) frac = frac * 10 + (*rest - '0'), ++digits;
    }
    while (digits < 3) frac *= 10, ++digits;
    ms += frac;
  }
  if (*rest == '+' || *rest == '-') {
    int sign = *rest == '+' ? 1 : -1;
    int hh = 0;
    int mm = 0;
    if (sscanf(rest + 1, "%d:%d", &hh, &mm) >= 1) ms -= sign * (hh * 3600 + mm * 60) * 1000LL;
  }
  return ms;
}

void FillAbiResources(const Resources& r, std::vector<capstan_sched_scalar>* scalars,
                      capstan_sched_resources* out) {
  scalars->clear();
  for (const auto& [name, v] : r.scalars) scalars->push_back({HostStr(name), v});
  *out = capstan_sched_resources{};
  out->milli_cpu = r.milli_cpu;
  out->memory = r.memory;
  out->ephemeral_storage = r.ephemeral_storage;
  out->pods = r.pods;
  out->scalars = scalars->empty() ? nullptr : scalars->data();
  out->scalar_count = static_cast<uint32_t>(scalars->size());
}

Result<std::shared_ptr<const PodInfo>> PodInfo::FromJson(std::shared_ptr<const json> pod) {
  const json* meta = Field(pod.get(), "metadata");
  const json* spec = Field(pod.get(), "spec");
  const json* status = Field(pod.get(), "status");
  PodData d;
  d.name = Str(meta, "name");
  if (d.name.empty()) return InvalidError("pod without metadata.name");
  d.namespace_name = Str(meta, "namespace");
  if (d.namespace_name.empty()) d.namespace_name = "default";
  d.key = d.namespace_name + "/" + d.name;
  d.uid = Str(meta, "uid");
  d.creation_unix_ms = ParseTimestampMs(Str(meta, "creationTimestamp"));
  d.deleting =
      Field(meta, "deletionTimestamp") != nullptr && !Field(meta, "deletionTimestamp")->is_null();
  d.labels = StringMap(Field(meta, "labels"));
  d.node_name = Str(spec, "nodeName");
  d.scheduler_name = Str(spec, "schedulerName");
  if (d.scheduler_name.empty()) d.scheduler_name = std::string(kDefaultSchedulerName);
  d.priority = static_cast<int32_t>(Int(spec, "priority"));
  d.node_selector = StringMap(Field(spec, "nodeSelector"));
  d.nominated_node_name = Str(status, "nominatedNodeName");
  d.phase = Str(status, "phase");
  Result<Resources> requests = EffectiveRequests(spec);
  if (!requests.ok()) return requests.status().WithContext("pod " + d.key);
  d.requests = std::move(*requests);
  if (const json* tols = Field(spec, "tolerations"); tols != nullptr && tols->is_array()) {
    for (const json& t : *tols) {
      Toleration tol;
      tol.key = Str(&t, "key");
      tol.value = Str(&t, "value");
      tol.op =
          Str(&t, "operator") == "Exists" ? CAPSTAN_TOLERATION_EXISTS : CAPSTAN_TOLERATION_EQUAL;
      tol.effect = EffectCode(Str(&t, "effect"));
      const json* secs = Field(&t, "tolerationSeconds");
      tol.has_seconds = secs != nullptr && secs->is_number_integer();
      tol.seconds = tol.has_seconds ? secs->get<int64_t>() : 0;
      d.tolerations.push_back(std::move(tol));
    }
  }
  for (std::string_view list : {"initContainers", "containers"}) {
    const json* cs = Field(spec, list);
    if (cs == nullptr || !cs->is_array()) continue;
    for (const json& c : *cs) {
      std::string image = Str(&c, "image");
      if (!image.empty()) d.images.push_back(std::move(image));
      const json* ports = Field(&c, "ports");
      if (list != "containers" || ports == nullptr || !ports->is_array()) continue;
      for (const json& p : *ports) {
        int64_t host_port = Int(&p, "hostPort");
        if (host_port <= 0) continue;
        d.host_ports.push_back({Str(&p, "hostIP"), static_cast<int32_t>(host_port),
                                ProtocolCode(Str(&p, "protocol"))});
      }
    }
  }
  d.flags = AffinityFlags(Field(spec, "affinity"));
  d.object = std::make_shared<SchedObject>(std::move(pod));
  return std::shared_ptr<const PodInfo>(std::make_shared<PodInfo>(std::move(d)));
}

std::shared_ptr<const PodInfo> PodInfo::WithNodeName(std::string_view node_name) const {
  PodData d = d_;
  d.node_name = std::string(node_name);
  return std::make_shared<PodInfo>(std::move(d));
}

PodInfo::PodInfo(PodData data) : d_(std::move(data)) {
  // Labels point at pooled copies: inter-pod affinity and topology spread read every existing
  // pod's labels, and shared copies stay in cache.
  for (const auto& [k, v] : d_.labels) labels_.push_back({Pooled(k), Pooled(v)});
  for (const auto& [k, v] : d_.node_selector) selector_.push_back({HostStr(k), HostStr(v)});
  for (const Toleration& t : d_.tolerations) {
    capstan_sched_toleration abi{};
    abi.key = t.key.empty() ? capstan_host_str{nullptr, 0} : HostStr(t.key);
    abi.value = HostStr(t.value);
    abi.op = t.op;
    abi.effect = t.effect;
    abi.toleration_seconds = t.seconds;
    abi.has_toleration_seconds = t.has_seconds ? 1 : 0;
    tolerations_.push_back(abi);
  }
  for (const HostPort& p : d_.host_ports) {
    ports_.push_back(
        {p.ip.empty() ? capstan_host_str{nullptr, 0} : HostStr(p.ip), p.port, p.protocol});
  }
  for (const std::string& i : d_.images) images_.push_back(HostStr(i));
  view_.struct_size = sizeof(view_);
  view_.priority = d_.priority;
  view_.uid = HostStr(d_.uid);
  view_.namespace_name = HostStr(d_.namespace_name);
  view_.name = HostStr(d_.name);
  view_.node_name = HostStr(d_.node_name);
  view_.nominated_node_name = HostStr(d_.nominated_node_name);
  view_.scheduler_name = HostStr(d_.scheduler_name);
  view_.creation_unix_ms = d_.creation_unix_ms;
  FillAbiResources(d_.requests, &scalars_, &view_.requests);
  view_.labels = labels_.empty() ? nullptr : labels_.data();
  view_.label_count = static_cast<uint32_t>(labels_.size());
  view_.node_selector = selector_.empty() ? nullptr : selector_.data();
  view_.node_selector_count = static_cast<uint32_t>(selector_.size());
  view_.tolerations = tolerations_.empty() ? nullptr : tolerations_.data();
  view_.toleration_count = static_cast<uint32_t>(tolerations_.size());
  view_.host_ports = ports_.empty() ? nullptr : ports_.data();
  view_.host_port_count = static_cast<uint32_t>(ports_.size());
  view_.images = images_.empty() ? nullptr : images_.data();
  view_.image_count = static_cast<uint32_t>(images_.size());
  view_.object = d_.object ? d_.object->handle() : nullptr;
  view_.flags = d_.flags;
}

Result<std::shared_ptr<const NodeInfo>> NodeInfo::FromJson(std::shared_ptr<const json> node) {
  const json* meta = Field(node.get(), "metadata");
  const json* spec = Field(node.get(), "spec");
  const json* status = Field(node.get(), "status");
  NodeData d;
  d.name = Str(meta, "name");
  if (d.name.empty()) return InvalidError("node without metadata.name");
  d.labels = StringMap(Field(meta, "labels"));
  d.unschedulable = Bool(spec, "unschedulable");
  if (const json* taints = Field(spec, "taints"); taints != nullptr && taints->is_array()) {
    for (const json& t : *taints) {
      d.taints.push_back({Str(&t, "key"), Str(&t, "value"), EffectCode(Str(&t, "effect"))});
    }
  }
  const json* alloc = Field(status, "allocatable");
  if (alloc == nullptr || !alloc->is_object() || alloc->empty()) alloc = Field(status, "capacity");
  Result<Resources> allocatable = ResourcesFromList(alloc, "status.allocatable");
  if (!allocatable.ok()) return allocatable.status().WithContext("node " + d.name);
  d.allocatable = std::move(*allocatable);
  if (const json* images = Field(status, "images"); images != nullptr && images->is_array()) {
    for (const json& img : *images) {
      int64_t size = Int(&img, "sizeBytes");
      const json* names = Field(&img, "names");
      if (names == nullptr || !names->is_array()) continue;
      for (const json& n : *names) {
        if (n.is_string()) d.images.push_back({n.get<std::string>(), size});
      }
    }
  }
  d.object = std::make_shared<SchedObject>(std::move(node));
  return std::shared_ptr<const NodeInfo>(std::make_shared<NodeInfo>(std::move(d)));
}

NodeInfo::NodeInfo(NodeData data) : d_(std::move(data)) {
  // The strings every node repeats point at one pooled copy (string_pool.h).
  for (const auto& [k, v] : d_.labels) labels_.push_back({Pooled(k), Pooled(v)});
  for (const NodeImage& i : d_.images) image_names_.push_back(Pooled(i.name));
  for (const Taint& t : d_.taints) {
    capstan_sched_taint abi{};
    abi.key = Pooled(t.key);
    abi.value = Pooled(t.value);
    abi.effect = t.effect;
    taints_.push_back(abi);
  }
  FillAbiResources(d_.allocatable, &scalars_, &allocatable_);
}

}  // namespace capstan::scheduler
