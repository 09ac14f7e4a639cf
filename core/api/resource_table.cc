// The built-in resource table: Kubernetes v1.32 resources Capstan serves. Kinds, scopes, verbs
// and subresources follow upstream swagger.json (tests/core/api/resource_test.cc checks them
// against data/k8s-openapi); short names and categories are not in OpenAPI and follow upstream.
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "core/api/resource.h"

namespace capstan::api {
namespace {

using Strings = std::vector<std::string>;

const Strings kCrud = {"create", "delete", "deletecollection", "get",
                       "list",   "patch",  "update",           "watch"};
const Strings kCreate = {"create"};
const Strings kGetPatchUpdate = {"get", "patch", "update"};
const Strings kConnect = {"create", "get"};
const Strings kProxy = {"create", "delete", "get", "patch", "update"};

// Fluent builder so each table row reads like the upstream discovery entry.
class Row {
 public:
  Row(std::string group, std::string version, std::string kind, std::string plural, bool namespaced,
      Strings verbs) {
    r_.group = std::move(group);
    r_.version = std::move(version);
    r_.kind = std::move(kind);
    r_.plural = std::move(plural);
    r_.namespaced = namespaced;
    r_.verbs = std::move(verbs);
  }
  Row& Short(Strings names) {
    r_.short_names = std::move(names);
    return *this;
  }
  Row& All() {
    r_.categories = {"all"};
    return *this;
  }
  Row& Categories(Strings categories) {
    r_.categories = std::move(categories);
    return *this;
  }
  Row& Spec() {
    r_.has_spec = true;
    return *this;
  }
  Row& Singular(std::string singular) {
    r_.singular = std::move(singular);
    return *this;
  }
  // A subresource whose request/response type is the resource's own kind.
  Row& Sub(std::string name, Strings verbs) {
    r_.subresources.push_back({std::move(name), r_.gvk(), std::move(verbs)});
    return *this;
  }
  // A subresource with its own type, e.g. scale -> autoscaling/v1 Scale.
  Row& Sub(std::string name, GroupVersionKind kind, Strings verbs) {
    r_.subresources.push_back({std::move(name), std::move(kind), std::move(verbs)});
    return *this;
  }
  Row& Status() { return Sub("status", kGetPatchUpdate); }
  Row& Scale() { return Sub("scale", {"autoscaling", "v1", "Scale"}, kGetPatchUpdate); }
  ResourceInfo Build() && {
    if (r_.singular.empty()) {
      for (char c : r_.kind)
        r_.singular.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    r_.list_kind = r_.kind + "List";
    return std::move(r_);
  }

 private:
  ResourceInfo r_;
};

constexpr bool kNamespaced = true;
constexpr bool kCluster = false;

Row Core(std::string kind, std::string plural, bool namespaced, Strings verbs = kCrud) {
  return Row("", "v1", std::move(kind), std::move(plural), namespaced, std::move(verbs));
}

std::vector<ResourceInfo> MakeTable() {
  std::vector<Row> rows;
  // core/v1
  rows.push_back(Core("Binding", "bindings", kNamespaced, kCreate));
  rows.push_back(Core("ConfigMap", "configmaps", kNamespaced).Short({"cm"}));
  rows.push_back(Core("Endpoints", "endpoints", kNamespaced).Short({"ep"}).Singular("endpoints"));
  rows.push_back(Core("Event", "events", kNamespaced).Short({"ev"}));
  rows.push_back(Core("LimitRange", "limitranges", kNamespaced).Short({"limits"}).Spec());
  rows.push_back(Core("Namespace", "namespaces", kCluster,
                      {"create", "delete", "get", "list", "patch", "update", "watch"})
                     .Short({"ns"})
                     .Spec()
                     .Sub("finalize", {"update"})
                     .Status());
  rows.push_back(Core("Node", "nodes", kCluster)
                     .Short({"no"})
                     .Spec()
                     .Sub("proxy", {"", "v1", "NodeProxyOptions"}, kProxy)
                     .Status());
  rows.push_back(Core("PersistentVolumeClaim", "persistentvolumeclaims", kNamespaced)
                     .Short({"pvc"})
                     .Spec()
                     .Status());
  rows.push_back(
      Core("PersistentVolume", "persistentvolumes", kCluster).Short({"pv"}).Spec().Status());
  rows.push_back(Core("Pod", "pods", kNamespaced)
                     .Short({"po"})
                     .All()
                     .Spec()
                     .Sub("attach", {"", "v1", "PodAttachOptions"}, kConnect)
                     .Sub("binding", {"", "v1", "Binding"}, kCreate)
                     .Sub("ephemeralcontainers", kGetPatchUpdate)
                     .Sub("eviction", {"policy", "v1", "Eviction"}, kCreate)
                     .Sub("exec", {"", "v1", "PodExecOptions"}, kConnect)
                     .Sub("log", {"get"})
                     .Sub("portforward", {"", "v1", "PodPortForwardOptions"}, kConnect)
                     .Sub("proxy", {"", "v1", "PodProxyOptions"}, kProxy)
                     .Status());
  rows.push_back(Core("PodTemplate", "podtemplates", kNamespaced));
  rows.push_back(Core("ReplicationController", "replicationcontrollers", kNamespaced)
                     .Short({"rc"})
                     .All()
                     .Spec()
                     .Scale()
                     .Status());
  rows.push_back(
      Core("ResourceQuota", "resourcequotas", kNamespaced).Short({"quota"}).Spec().Status());
  rows.push_back(Core("Secret", "secrets", kNamespaced));
  rows.push_back(Core("ServiceAccount", "serviceaccounts", kNamespaced)
                     .Short({"sa"})
                     .Sub("token", {"authentication.k8s.io", "v1", "TokenRequest"}, kCreate));
  rows.push_back(Core("Service", "services", kNamespaced)
                     .Short({"svc"})
                     .All()
                     .Spec()
                     .Sub("proxy", {"", "v1", "ServiceProxyOptions"}, kProxy)
                     .Status());

  // apps/v1
  auto apps = [](std::string kind, std::string plural) {
    return Row("apps", "v1", std::move(kind), std::move(plural), kNamespaced, kCrud);
  };
  rows.push_back(apps("ControllerRevision", "controllerrevisions"));
  rows.push_back(apps("DaemonSet", "daemonsets").Short({"ds"}).All().Spec().Status());
  rows.push_back(apps("Deployment", "deployments").Short({"deploy"}).All().Spec().Scale().Status());
  rows.push_back(apps("ReplicaSet", "replicasets").Short({"rs"}).All().Spec().Scale().Status());
  rows.push_back(apps("StatefulSet", "statefulsets").Short({"sts"}).All().Spec().Scale().Status());

  // batch/v1
  rows.push_back(Row("batch", "v1", "CronJob", "cronjobs", kNamespaced, kCrud)
                     .Short({"cj"})
                     .All()
                     .Spec()
                     .Status());
  rows.push_back(Row("batch", "v1", "Job", "jobs", kNamespaced, kCrud).All().Spec().Status());

  // autoscaling/v1 and v2 (v2 is preferred)
  for (const char* version : {"v2", "v1"}) {
    rows.push_back(Row("autoscaling", version, "HorizontalPodAutoscaler",
                       "horizontalpodautoscalers", kNamespaced, kCrud)
                       .Short({"hpa"})
                       .All()
                       .Spec()
                       .Status());
  }

  // networking.k8s.io/v1
  const std::string net = "networking.k8s.io";
  rows.push_back(Row(net, "v1", "IngressClass", "ingressclasses", kCluster, kCrud).Spec());
  rows.push_back(
      Row(net, "v1", "Ingress", "ingresses", kNamespaced, kCrud).Short({"ing"}).Spec().Status());
  rows.push_back(Row(net, "v1", "NetworkPolicy", "networkpolicies", kNamespaced, kCrud)
                     .Short({"netpol"})
                     .Spec());

  // rbac.authorization.k8s.io/v1
  const std::string rbac = "rbac.authorization.k8s.io";
  rows.push_back(Row(rbac, "v1", "ClusterRoleBinding", "clusterrolebindings", kCluster, kCrud));
  rows.push_back(Row(rbac, "v1", "ClusterRole", "clusterroles", kCluster, kCrud));
  rows.push_back(Row(rbac, "v1", "RoleBinding", "rolebindings", kNamespaced, kCrud));
  rows.push_back(Row(rbac, "v1", "Role", "roles", kNamespaced, kCrud));

  // storage.k8s.io/v1
  const std::string storage = "storage.k8s.io";
  rows.push_back(Row(storage, "v1", "CSIDriver", "csidrivers", kCluster, kCrud).Spec());
  rows.push_back(Row(storage, "v1", "CSINode", "csinodes", kCluster, kCrud).Spec());
  rows.push_back(
      Row(storage, "v1", "StorageClass", "storageclasses", kCluster, kCrud).Short({"sc"}));
  rows.push_back(
      Row(storage, "v1", "VolumeAttachment", "volumeattachments", kCluster, kCrud).Spec().Status());

  rows.push_back(Row("coordination.k8s.io", "v1", "Lease", "leases", kNamespaced, kCrud).Spec());
  rows.push_back(Row("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", kCluster, kCrud)
                     .Short({"pc"}));
  rows.push_back(
      Row("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", kNamespaced, kCrud)
          .Short({"pdb"})
          .Spec()
          .Status());
  rows.push_back(
      Row("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", kNamespaced, kCrud));
  rows.push_back(Row("events.k8s.io", "v1", "Event", "events", kNamespaced, kCrud).Short({"ev"}));
  rows.push_back(Row("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
                     "customresourcedefinitions", kCluster, kCrud)
                     .Short({"crd", "crds"})
                     .Categories({"api-extensions"})
                     .Spec()
                     .Status());

  // Review APIs: create only; the server answers without storing anything.
  const std::string authn = "authentication.k8s.io";
  rows.push_back(Row(authn, "v1", "SelfSubjectReview", "selfsubjectreviews", kCluster, kCreate));
  rows.push_back(Row(authn, "v1", "TokenReview", "tokenreviews", kCluster, kCreate).Spec());
  const std::string authz = "authorization.k8s.io";
  rows.push_back(
      Row(authz, "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", kCluster, kCreate)
          .Spec());
  rows.push_back(
      Row(authz, "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", kCluster, kCreate)
          .Spec());
  rows.push_back(
      Row(authz, "v1", "SubjectAccessReview", "subjectaccessreviews", kCluster, kCreate).Spec());

  std::vector<ResourceInfo> table;
  table.reserve(rows.size());
  for (Row& row : rows) table.push_back(std::move(row).Build());
  return table;
}

}  // namespace

const std::vector<ResourceInfo>& BuiltinResources() {
  static const std::vector<ResourceInfo>* const kTable = new std::vector<ResourceInfo>(MakeTable());
  return *kTable;
}

}  // namespace capstan::api
