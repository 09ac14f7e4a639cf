// `WorkloadStrategy`: apps/v1 Deployment, ReplicaSet, StatefulSet, DaemonSet and v1
// ReplicationController — upstream v1.32 defaults (replicas, strategies, history limits, the pod
// template through pod_defaults.h), validation (selector required and matching the template
// labels, restartPolicy Always, non-negative counts) and update rules (immutable selectors,
// StatefulSet's limited mutable fields).
#pragma once

#include <cstdint>

#include "core/registry/strategy_base.h"

namespace capstan::registry {

enum class WorkloadKind : uint8_t {
  kDeployment,
  kReplicaSet,
  kStatefulSet,
  kDaemonSet,
  kReplicationController,
};

// Stateless; safe to share between threads.
class WorkloadStrategy : public StrategyBase {
 public:
  explicit WorkloadStrategy(WorkloadKind kind);

 protected:
  Status Create(Json& obj) override;
  Status Update(Json& obj, const Json& old) override;
  void Check(const Json& obj, FieldErrors* errs) override;
  void CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) override;

 private:
  Status Default(Json& obj);
  WorkloadKind kind_;
};

}  // namespace capstan::registry
