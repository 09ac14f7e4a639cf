// `StrategyBase`: the one adapter between `apiserver::ResourceStrategy` and the strategies in
// core/registry. It turns any exception from JSON handling into the error upstream gives for a
// body it cannot decode (400 `<Kind> in version "v1" cannot be handled as a <Kind>: ...`), and
// hands subclasses a `FieldErrors` to fill. Subclasses: pod_strategy.h, service_strategy.h, ...
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/apiserver/rest_storage.h"
#include "core/registry/field_errors.h"
#include "core/registry/json_util.h"

namespace capstan::registry {

class StrategyBase : public apiserver::ResourceStrategy {
 public:
  // `kind` and `version` name the resource in decode errors ("Pod", "v1").
  StrategyBase(std::string kind, std::string version);

  Status PrepareForCreate(Json& obj) final;
  Status PrepareForUpdate(Json& obj, const Json& old) final;
  void Validate(const Json& obj, std::vector<apiserver::StatusCause>* causes) final;
  void ValidateUpdate(const Json& obj, const Json& old,
                      std::vector<apiserver::StatusCause>* causes) final;
  int64_t DefaultGracePeriodSeconds(const Json& obj) final;
  void AfterDelete(const Json& obj) final;

  const std::string& kind() const { return kind_; }

 protected:
  virtual Status Create(Json& /*obj*/) { return Status::Ok(); }
  virtual Status Update(Json& /*obj*/, const Json& /*old*/) { return Status::Ok(); }
  virtual void Check(const Json& /*obj*/, FieldErrors* /*errs*/) {}
  // Defaults to `Check(obj)`; overrides add update rules.
  virtual void CheckUpdate(const Json& obj, const Json& /*old*/, FieldErrors* errs) {
    Check(obj, errs);
  }
  virtual int64_t GracePeriod(const Json& /*obj*/) { return 0; }
  virtual void Deleted(const Json& /*obj*/) {}

  // The 400 upstream sends for an undecodable body: `<Kind> in version "<v>" cannot be handled
  // as a <Kind>: <why>`.
  Status DecodeError(std::string_view why) const;

 private:
  std::string kind_;
  std::string version_;
};

// Removes null members, empty lists and empty objects, recursively: the comparison upstream's
// semantic equality makes between a nil and an empty value.
Json Normalized(const Json& value);
// Up to `limit` lines `path: old -> new` describing where `before` and `after` differ.
std::string DescribeDiff(const Json& before, const Json& after, std::string_view path,
                         size_t limit = 8);

}  // namespace capstan::registry
