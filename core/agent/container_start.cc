// Container creation (agent.h): the sandbox config, the container's resolved env, mounts
// (volumes plus the per-pod /etc/hosts, /etc/resolv.conf and /dev/termination-log), resources
// and security context as the CRI config the runtime contract describes, then Create+Start.
// Image resolution: image_pull.cc.
#include <filesystem>
#include <fstream>

#include "core/agent/agent.h"
#include "core/agent/sync_util.h"
#include "core/registry/quantity.h"

namespace capstan::agent {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

int64_t Millis(const json& resources, const char* kind, const char* name) {
  const json& list = resources.value(kind, json::object());
  if (!list.contains(name)) return -1;
  Result<registry::Quantity> q = registry::Quantity::FromJson(list[name]);
  return q.ok() ? q->MilliValue() : -1;
}

// CRI LinuxContainerResources from requests/limits, as the kubelet's kuberuntime computes them.
json Resources(const json& container) {
  const json r = container.value("resources", json::object());
  json out = json::object();
  int64_t cpu_req = Millis(r, "requests", "cpu");
  int64_t cpu_lim = Millis(r, "limits", "cpu");
  if (cpu_req < 0) cpu_req = cpu_lim;
  int64_t shares = cpu_req < 0 ? 2 : std::max<int64_t>(2, cpu_req * 1024 / 1000);
  out["cpuShares"] = shares;
  if (cpu_lim > 0) {
    out["cpuPeriod"] = 100000;
    out["cpuQuota"] = std::max<int64_t>(1000, cpu_lim * 100000 / 1000);
  }
  int64_t mem = Millis(r, "limits", "memory");
  if (mem > 0) out["memoryLimitInBytes"] = mem / 1000;
  return out;
}

json SecurityContext(const json& pod_spec, const json& container) {
  json out = json::object();
  const json psc = pod_spec.value("securityContext", json::object());
  const json sc = container.value("securityContext", json::object());
  auto pick = [&](const char* key) -> json {
    if (sc.contains(key)) return sc[key];
    return psc.contains(key) ? psc[key] : json();
  };
  if (json u = pick("runAsUser"); u.is_number_integer()) out["runAsUser"] = {{"value", u}};
  if (json g = pick("runAsGroup"); g.is_number_integer()) out["runAsGroup"] = {{"value", g}};
  out["privileged"] = sc.value("privileged", false);
  out["readonlyRootfs"] = sc.value("readOnlyRootFilesystem", false);
  out["noNewPrivs"] = !sc.value("allowPrivilegeEscalation", true);
  if (sc.contains("capabilities")) {
    out["capabilities"] = {{"addCapabilities", sc["capabilities"].value("add", json::array())},
                           {"dropCapabilities", sc["capabilities"].value("drop", json::array())}};
  }
  out["namespaceOptions"] = {{"pid", pod_spec.value("hostPID", false) ? 2 : 0}};
  return out;
}

}  // namespace

PodFacts Agent::Facts(const json& pod, const PodRecord& record) const {
  PodFacts f;
  f.pod = &pod;
  f.host_ip = report_.machine.internal_ip;
  f.pod_ip = record.pod_ip;
  f.node_cpu_millis = report_.machine.cpus * 1000;
  f.node_memory_bytes = report_.machine.memory_bytes;
  return f;
}

json Agent::SandboxConfig(const json& pod, const PodRecord& record) const {
  const json& meta = pod["metadata"];
  const json spec = pod.value("spec", json::object());
  auto ns_mode = [&](const char* field) { return spec.value(field, false) ? 2 : 0; };
  json ports = json::array();
  for (const json& c : spec.value("containers", json::array())) {
    for (const json& p : c.value("ports", json::array())) {
      if (!p.contains("hostPort")) continue;
      ports.push_back({{"protocol", p.value("protocol", "TCP")},
                       {"containerPort", p.value("containerPort", 0)},
                       {"hostPort", p.value("hostPort", 0)},
                       {"hostIp", p.value("hostIP", "")}});
    }
  }
  json dns = PodDnsConfig(pod, options_.dns);
  return {
      {"metadata",
       {{"name", meta.value("name", "")},
        {"namespace", meta.value("namespace", "")},
        {"uid", record.uid},
        {"attempt", 0}}},
      {"hostname", spec.value("hostNetwork", false) ? report_.machine.hostname : PodHostname(pod)},
      {"logDirectory", record.pod_dir + "/logs"},
      {"dnsConfig", dns},
      {"portMappings", ports},
      {"labels", meta.value("labels", json::object())},
      {"annotations", meta.value("annotations", json::object())},
      {"linux",
       {{"cgroupParent", ""},
        {"securityContext",
         {{"namespaceOptions",
           {{"network", ns_mode("hostNetwork")},
            {"pid", spec.value("hostPID", false) ? 2 : 1},
            {"ipc", ns_mode("hostIPC")}}}}}}}};
}

Result<EnvList> Agent::ContainerEnv(const json& pod, const json& container,
                                    const PodRecord& record) {
  const json spec = pod.value("spec", json::object());
  std::vector<json> services;
  std::string ns = record.ns;
  bool links = spec.value("enableServiceLinks", true);
  if (links) {
    Result<json> list = options_.client->Get("/api/v1/namespaces/" + ns + "/services");
    if (list.ok()) {
      for (const json& s : list->value("items", json::array())) services.push_back(s);
    }
  }
  if (!links || ns != "default") {
    Result<json> k8s = options_.client->Get("/api/v1/namespaces/default/services/kubernetes");
    if (k8s.ok()) services.push_back(*k8s);
  }
  EnvList service_env = ServiceEnv(services, ns, links);
  ObjectGetter get = [this](const std::string& resource, const std::string& obj_ns,
                            const std::string& name) {
    return options_.client->Get("/api/v1/namespaces/" + obj_ns + "/" + resource + "/" + name);
  };
  std::vector<std::string> skipped;
  Result<EnvList> env = ResolveEnv(Facts(pod, record), container, get, service_env, &skipped);
  if (env.ok() && !skipped.empty()) {
    std::string keys;
    for (const std::string& k : skipped) keys += (keys.empty() ? "" : ", ") + k;
    events_.Record(pod, "", true, "InvalidEnvironmentVariableNames",
                   "Keys [" + keys + "] from the EnvFrom configMap " + ns +
                       " were skipped since they are considered invalid environment variable "
                       "names.");
  }
  return env;
}

Result<json> Agent::ContainerConfig(const json& pod, const json& container, PodRecord& record,
                                    const ContainerRecord& rec, const EnvList& env) {
  const json spec = pod.value("spec", json::object());
  const json& meta = pod["metadata"];
  std::string name = container.value("name", "");
  Result<json> mounts = ContainerMounts(container, record.volumes, env);
  if (!mounts.ok()) return mounts.status();
  auto mounted = [&](const std::string& path) {
    for (const json& m : *mounts) {
      if (m.value("containerPath", "") == path) return true;
    }
    return false;
  };
  if (!mounted("/etc/hosts")) {
    mounts->push_back({{"containerPath", "/etc/hosts"},
                       {"hostPath", record.pod_dir + "/etc-hosts"},
                       {"readonly", false}});
  }
  if (!mounted("/etc/resolv.conf")) {
    mounts->push_back({{"containerPath", "/etc/resolv.conf"},
                       {"hostPath", record.pod_dir + "/etc-resolv.conf"},
                       {"readonly", false}});
  }
  std::string term_path = container.value("terminationMessagePath", "/dev/termination-log");
  if (!term_path.empty() && !mounted(term_path)) {
    std::string dir = record.pod_dir + "/containers/" + name;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string file = dir + "/" + std::to_string(rec.restart_count) + ".termination-log";
    std::ofstream(file, std::ios::trunc).close();
    std::filesystem::permissions(file, std::filesystem::perms(0666), ec);
    mounts->push_back({{"containerPath", term_path}, {"hostPath", file}, {"readonly", false}});
  }
  json envs = json::array();
  for (const auto& [k, v] : env) envs.push_back({{"key", k}, {"value", v}});
  return json{{"metadata", {{"name", name}, {"attempt", rec.restart_count}}},
              {"image", {{"image", container.value("image", "")}}},
              {"command", container.value("command", json::array())},
              {"args", container.value("args", json::array())},
              {"workingDir", container.value("workingDir", "")},
              {"envs", envs},
              {"mounts", *mounts},
              {"logPath", name + "/" + std::to_string(rec.restart_count) + ".log"},
              {"stdin", container.value("stdin", false)},
              {"stdinOnce", container.value("stdinOnce", false)},
              {"tty", container.value("tty", false)},
              {"labels",
               {{"io.kubernetes.pod.name", meta.value("name", "")},
                {"io.kubernetes.pod.namespace", meta.value("namespace", "")},
                {"io.kubernetes.pod.uid", record.uid},
                {"io.kubernetes.container.name", name}}},
              {"linux",
               {{"resources", Resources(container)},
                {"securityContext", SecurityContext(spec, container)}}}};
}

Status Agent::StartContainer(const json& pod, const json& container, bool init, PodRecord& record,
                             ContainerRecord& rec, milliseconds* requeue_after) {
  std::string name = container.value("name", "");
  std::string field = std::string(init ? "spec.initContainers{" : "spec.containers{") + name + "}";
  SyncTimeline& timeline = record.timeline;
  timeline.Noteworthy();
  timeline.Mark("before_container");
  std::optional<image::ImageRecord> img;
  if (options_.images != nullptr) {
    img = EnsureImage(pod, container, field, rec, requeue_after);
    timeline.Mark("image");
    if (!img) return Status::Ok();
  }
  auto config_error = [&](const Status& s) {
    rec.waiting_reason = "CreateContainerConfigError";
    rec.waiting_message = s.message();
    events_.Record(pod, field, true, "Failed", "Error: " + s.message());
    LowerRequeue(requeue_after, options_.backoff_initial);
    return Status::Ok();
  };
  if (NeedsPodIp(container)) CAPSTAN_RETURN_IF_ERROR(FinishNetworkAttach(pod, record));
  Result<EnvList> env = ContainerEnv(pod, container, record);
  timeline.Mark("env");
  if (!env.ok()) return config_error(env.status());
  Result<json> config = ContainerConfig(pod, container, record, rec, *env);
  timeline.Mark("config");
  if (!config.ok()) return config_error(config.status());
  if (img) {
    std::string dir =
        record.pod_dir + "/containers/" + name + "/" + std::to_string(rec.restart_count);
    Result<std::string> rootfs = options_.images->PrepareRootfs(*img, dir);
    if (!rootfs.ok()) return config_error(rootfs.status().WithContext("preparing rootfs"));
    rec.rootfs_dir = dir;
    (*config)["rootfs"] = *rootfs;
    (*config)["imageConfig"] = {{"Entrypoint", img->config.entrypoint},
                                {"Cmd", img->config.cmd},
                                {"Env", img->config.env},
                                {"WorkingDir", img->config.working_dir},
                                {"User", img->config.user}};
    rec.image_id = img->id;
    timeline.Mark("rootfs");
  }
  Result<json> created =
      runtime_->Call("CreateContainer", {{"podSandboxId", record.sandbox_id},
                                         {"config", *config},
                                         {"sandboxConfig", SandboxConfig(pod, record)}});
  timeline.Mark("create");
  if (!created.ok()) {
    rec.waiting_reason = "CreateContainerError";
    rec.waiting_message = created.status().message();
    events_.Record(pod, field, true, "Failed", "Error: " + created.status().message());
    (void)RemoveContainer(rec, 0);
    return created.status();
  }
  rec.id = created->value("containerId", "");
  // The pod's CNI ADD ran while the container was created; a failure removes it (rec.id).
  CAPSTAN_RETURN_IF_ERROR(FinishNetworkAttach(pod, record));
  events_.Record(pod, field, false, "Created", "Created container: " + name);
  timeline.Mark("events");
  Result<json> started = runtime_->Call("StartContainer", {{"containerId", rec.id}});
  timeline.Mark("start");
  if (!started.ok()) {
    events_.Record(pod, field, true, "Failed", "Error: " + started.status().message());
    return started.status();
  }
  rec.waiting_reason.clear();
  rec.waiting_message.clear();
  events_.Record(pod, field, false, "Started", "Started container " + name);
  timeline.Mark("events");
  if (!init) {
    StartProbes(pod, container, record, rec);
    PostStartHook(pod, container, record, rec, field);
    timeline.Mark("probes_hooks");
  }
  return Status::Ok();
}

}  // namespace capstan::agent
