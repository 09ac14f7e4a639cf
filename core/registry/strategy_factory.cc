// Group/kind to strategy mapping (strategy_factory.h).
#include "core/registry/strategy_factory.h"

#include "core/registry/batch_strategy.h"
#include "core/registry/config_strategy.h"
#include "core/registry/pod_strategy.h"
#include "core/registry/service_strategy.h"
#include "core/registry/workload_strategy.h"

namespace capstan::registry {

std::shared_ptr<apiserver::ResourceStrategy> StrategyFor(std::string_view group,
                                                         std::string_view kind,
                                                         const StrategyDeps& deps) {
  if (group.empty()) {
    if (kind == "Pod") return std::make_shared<PodStrategy>();
    if (kind == "Service") return std::make_shared<ServiceStrategy>(deps.service_allocators);
    if (kind == "ReplicationController") {
      return std::make_shared<WorkloadStrategy>(WorkloadKind::kReplicationController);
    }
    if (kind == "Namespace") return std::make_shared<NamespaceStrategy>();
    if (kind == "Secret") return std::make_shared<SecretStrategy>();
    if (kind == "ConfigMap") return std::make_shared<ConfigMapStrategy>();
    if (kind == "Node") return std::make_shared<NodeStrategy>();
    if (kind == "PersistentVolumeClaim") return std::make_shared<PersistentVolumeClaimStrategy>();
    return nullptr;
  }
  if (group == "apps") {
    if (kind == "Deployment") return std::make_shared<WorkloadStrategy>(WorkloadKind::kDeployment);
    if (kind == "ReplicaSet") return std::make_shared<WorkloadStrategy>(WorkloadKind::kReplicaSet);
    if (kind == "StatefulSet")
      return std::make_shared<WorkloadStrategy>(WorkloadKind::kStatefulSet);
    if (kind == "DaemonSet") return std::make_shared<WorkloadStrategy>(WorkloadKind::kDaemonSet);
    return nullptr;
  }
  if (group == "batch") {
    if (kind == "Job") return std::make_shared<JobStrategy>();
    if (kind == "CronJob") return std::make_shared<CronJobStrategy>();
  }
  return nullptr;
}

}  // namespace capstan::registry
