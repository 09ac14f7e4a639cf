// Defaults of `capstan server` (server_defaults.h).
#include "core/cmd/server_defaults.h"

#include <algorithm>
#include <tuple>

#include "core/common/config.h"

namespace capstan::cmd {
namespace {

// Authentication: x509 client certificates, then the static token file, then anonymous;
// authorization: always-allow (until RBAC ships). Admission: upstream's Priority and
// DefaultTolerationSeconds. Scheduling: kube-scheduler's default profile with its weights.
// Controllers: the workload controllers (ReplicaSet, ReplicationController, Deployment,
// StatefulSet, DaemonSet, Job, CronJob) and the housekeeping ones (garbage collector, Namespace,
// Endpoints, EndpointSlice, ServiceAccount, TTL-after-finished, PodGC, NodeLifecycle,
// ResourceQuota, HorizontalPodAutoscaler) and service-lb (LoadBalancer addresses from
// 198.51.100.0/24; plugins/controllers/service-lb). The ResourceQuota admission plugin validates
// last.
constexpr char kDefaultPlugins[] = R"(
apiVersion: capstan.io/v1alpha1
kind: PluginConfiguration
chains:
  authn:
    plugins:
      - {name: x509, library: auth/x509.so}
      - {name: tokens, library: auth/static-token.so, config: {tokenFile: TOKEN_FILE}}
      - {name: anonymous, library: auth/anonymous.so}
  authz:
    plugins:
      - {name: allow, library: auth/always-allow.so}
  admission:
    plugins:
      - {name: priority, library: admission/priority.so}
      - {name: default-toleration-seconds, library: admission/default-toleration-seconds.so}
      - {name: resource-quota, library: admission/resource-quota.so}
  sched:
    plugins:
      - {name: prioritysort, library: sched/prioritysort.so}
      - {name: node-unschedulable, library: sched/node-unschedulable.so}
      - {name: node-name, library: sched/node-name.so}
      - {name: taint-toleration, library: sched/taint-toleration.so, weight: 3}
      - {name: node-affinity, library: sched/node-affinity.so, weight: 2}
      - {name: node-ports, library: sched/node-ports.so}
      - {name: node-resources-fit, library: sched/node-resources-fit.so, weight: 1}
      - {name: pod-topology-spread, library: sched/pod-topology-spread.so, weight: 2}
      - {name: inter-pod-affinity, library: sched/inter-pod-affinity.so, weight: 2}
      - {name: default-preemption, library: sched/default-preemption.so}
      - name: node-resources-balanced-allocation
        library: sched/node-resources-balanced-allocation.so
        weight: 1
      - {name: image-locality, library: sched/image-locality.so, weight: 1}
      - {name: default-binder, library: sched/default-binder.so}
  controller:
    plugins:
      - name: replicasets
        library: controllers/replicaset.so
        config: {kind: ReplicaSet}
        timeout: 30s
      - name: replicationcontrollers
        library: controllers/replicaset.so
        config: {kind: ReplicationController}
        timeout: 30s
      - {name: deployments, library: controllers/deployment.so}
      - {name: garbage-collector, library: controllers/garbage-collector.so, timeout: 60s}
      - {name: namespace, library: controllers/namespace.so, timeout: 60s}
      - {name: jobs, library: controllers/job.so, timeout: 10s}
      - {name: endpoints, library: controllers/endpoints.so}
      - {name: endpointslices, library: controllers/endpointslice.so}
      - {name: cronjobs, library: controllers/cronjob.so, timeout: 10s}
      - {name: serviceaccounts, library: controllers/serviceaccount.so, timeout: 10s}
      - {name: ttl-after-finished, library: controllers/ttl-after-finished.so, timeout: 10s}
      - {name: podgc, library: controllers/podgc.so, timeout: 10s}
      - {name: statefulsets, library: controllers/statefulset.so, timeout: 10s}
      - {name: daemonsets, library: controllers/daemonset.so, timeout: 30s}
      - {name: node-lifecycle, library: controllers/node-lifecycle.so, timeout: 10s}
      - {name: resourcequota, library: controllers/resourcequota.so, timeout: 10s}
      - name: horizontal-pod-autoscaler
        library: controllers/horizontal-pod-autoscaler.so
        timeout: 30s
      - {name: service-lb, library: controllers/service-lb.so, timeout: 10s}
)";

}  // namespace

Result<nlohmann::json> DefaultPluginConfig(const std::string& token_file) {
  std::string text = kDefaultPlugins;
  text.replace(text.find("TOKEN_FILE"), 10, nlohmann::json(token_file).dump());
  Result<nlohmann::json> doc = config::ParseYaml(text, "built-in defaults");
  if (!doc.ok()) return InternalError(doc.status().message());
  return doc;
}

void AddAgentChains(const AgentChainDefaults& d, nlohmann::json* config) {
  nlohmann::json& chains = (*config)["chains"];
  nlohmann::json runtime = {{"name", d.runtime}, {"library", "runtime/" + d.runtime + ".so"}};
  if (d.runtime == "runc") runtime["config"] = {{"stateDir", d.state_dir + "/runc"}};
  chains["runtime"] = {{"plugins", nlohmann::json::array({runtime})}};
  if (d.runtime != "runc") return;  // the fake runtime hands out pod IPs itself
  nlohmann::json bridge = {{"subnet", d.pod_cidr},
                           {"bridge", d.bridge},
                           {"stateDir", d.state_dir + "/cni"},
                           {"ipMasq", true}};
  if (!d.cluster_cidr.empty()) bridge["clusterCIDR"] = d.cluster_cidr;
  chains["cni"] = {
      {"plugins", nlohmann::json::array(
                      {{{"name", "pods"}, {"library", "cni/bridge.so"}, {"config", bridge}}})}};
}

Status DisableControllers(const std::vector<std::string>& names, nlohmann::json* config) {
  nlohmann::json& plugins = (*config)["chains"]["controller"]["plugins"];
  for (const std::string& name : names) {
    auto it = std::find_if(plugins.begin(), plugins.end(), [&](const nlohmann::json& p) {
      return p.is_object() && p.value("name", "") == name;
    });
    if (it == plugins.end()) {
      std::string known;
      for (const nlohmann::json& p : plugins)
        known += (known.empty() ? "" : ", ") + p.value("name", "");
      return InvalidError("--disable-controller: no default controller \"" + name +
                          "\" (known: " + known + ")");
    }
    plugins.erase(it);
  }
  return Status::Ok();
}

// The PriorityClasses kube-apiserver creates at start-up.
Status CreateSystemPriorityClasses(apiserver::ApiServer& server) {
  apiserver::RestStorage* classes = server.StorageFor("scheduling.k8s.io", "priorityclasses");
  if (classes == nullptr) return InternalError("priorityclasses are not served");
  for (auto [name, value, what] :
       {std::tuple<const char*, int, const char*>{"system-node-critical", 2000001000,
                                                  "Used for system critical pods that must not "
                                                  "be moved from their current node."},
        std::tuple<const char*, int, const char*>{
            "system-cluster-critical", 2000000000,
            "Used for system critical pods that must run in the cluster, but can be moved to "
            "another node if necessary."}}) {
    nlohmann::json obj = {{"apiVersion", "scheduling.k8s.io/v1"},
                          {"kind", "PriorityClass"},
                          {"metadata", {{"name", name}}},
                          {"value", value},
                          {"description", what}};
    apiserver::ApiResult<apiserver::WriteResult> r = classes->Create({}, "", obj);
    if (auto* e = std::get_if<apiserver::ApiError>(&r);
        e != nullptr && e->status.code() != StatusCode::kAlreadyExists) {
      return e->status.WithContext(std::string("creating priority class ") + name);
    }
  }
  return Status::Ok();
}

Status CreateSystemNamespaces(apiserver::ApiServer& server) {
  apiserver::RestStorage* ns = server.StorageFor("", "namespaces");
  if (ns == nullptr) return InternalError("namespaces are not served");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    nlohmann::json obj = {
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
    apiserver::ApiResult<apiserver::WriteResult> r = ns->Create({}, "", obj);
    if (auto* e = std::get_if<apiserver::ApiError>(&r);
        e != nullptr && e->status.code() != StatusCode::kAlreadyExists) {
      return e->status.WithContext(std::string("creating namespace ") + name);
    }
  }
  return Status::Ok();
}

}  // namespace capstan::cmd
