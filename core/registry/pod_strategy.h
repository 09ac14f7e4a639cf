// `PodStrategy`: upstream's pod registry strategy (pkg/registry/core/pod/strategy.go) for v1
// Pods: defaulting and status on create, validation, the update rules (spec immutable except
// images, activeDeadlineSeconds, added tolerations, terminationGracePeriodSeconds from negative
// to 1) and graceful deletion. Defaults: pod_defaults.h; validation: pod_validation.h.
#pragma once

#include "core/registry/strategy_base.h"

namespace capstan::registry {

// Stateless; safe to share between threads.
class PodStrategy : public StrategyBase {
 public:
  PodStrategy() : StrategyBase("Pod", "v1") {}

 protected:
  Status Create(Json& obj) override;
  Status Update(Json& obj, const Json& old) override;
  void Check(const Json& obj, FieldErrors* errs) override;
  void CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) override;
  // 0 for pods never scheduled or already finished; else the pod's grace period (default 30).
  int64_t GracePeriod(const Json& obj) override;
};

// Upstream ValidatePodUpdate's rules between two pod specs (paths under "spec").
void ValidatePodSpecUpdate(const Json& spec, const Json& old_spec, FieldErrors* errs);

// The first resource quantity in a PodSpec that does not parse, as the decode error text; ""
// when all parse. Used to refuse such bodies with 400 as upstream's decoder does.
std::string FirstBadQuantity(const Json& spec);

}  // namespace capstan::registry
