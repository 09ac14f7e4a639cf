// batch/v1 Job and CronJob strategies as upstream v1.32: Job defaults (parallelism,
// completions, backoffLimit, completionMode, suspend, manualSelector, podReplacementPolicy) and
// the generated selector and labels from the Job's own uid; CronJob defaults and schedule
// validation (cron_schedule.h); restartPolicy Never/OnFailure; immutable fields on update.
#pragma once

#include "core/registry/strategy_base.h"

namespace capstan::registry {

// Stateless; safe to share between threads. Needs metadata.uid set before PrepareForCreate.
class JobStrategy : public StrategyBase {
 public:
  JobStrategy() : StrategyBase("Job", "batch/v1") {}

 protected:
  Status Create(Json& obj) override;
  Status Update(Json& obj, const Json& old) override;
  void Check(const Json& obj, FieldErrors* errs) override;
  void CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) override;
};

// Stateless; safe to share between threads.
class CronJobStrategy : public StrategyBase {
 public:
  CronJobStrategy() : StrategyBase("CronJob", "batch/v1") {}

 protected:
  Status Create(Json& obj) override;
  Status Update(Json& obj, const Json& old) override;
  void Check(const Json& obj, FieldErrors* errs) override;
  void CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) override;
};

}  // namespace capstan::registry
