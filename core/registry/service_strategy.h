// `ServiceStrategy`: v1 Services — defaulting (service_validation.h), cluster-IP and NodePort
// allocation through `ServiceAllocators` (service_allocators.h), validation including "provided
// IP/port is already allocated", and release of allocations.
//
// Allocation happens in PrepareForCreate/PrepareForUpdate, each value owned by the Service's
// metadata.uid. Validate then reports any requested value the Service does not own. Values a
// write took but never stored (the write failed after allocating) stay owned by a uid no stored
// Service has; `AbortCreate`/`AfterUpdate` release them when the caller reports the outcome, and
// `ServiceAllocators::Repair` otherwise. Values an update stopped using are released lazily by
// the Service's next update or its deletion (never before the store confirms the change).
#pragma once

#include <memory>

#include "core/registry/service_allocators.h"
#include "core/registry/strategy_base.h"

namespace capstan::registry {

// Thread-safe: the allocators are; the strategy has no other state.
class ServiceStrategy : public StrategyBase {
 public:
  // Either allocator may be null (then nothing of that kind is allocated or checked).
  explicit ServiceStrategy(ServiceAllocators allocators, int64_t stale_release_age_ms = 10000);

  // For the write path once it knows a create failed after PrepareForCreate (admission denied,
  // invalid, dry run, store error): frees what the object took.
  void AbortCreate(const Json& obj) override;
  // For the write path after an update: on success frees what `old` held and `obj` does not; on
  // failure frees what `obj` took that `old` does not hold.
  void AfterUpdate(const Json& obj, const Json& old, bool committed) override;

 protected:
  Status Create(Json& obj) override;
  Status Update(Json& obj, const Json& old) override;
  void Check(const Json& obj, FieldErrors* errs) override;
  void CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) override;
  void Deleted(const Json& obj) override;

 private:
  // Allocates what `spec` needs that `old_spec` (null on create) did not already hold.
  Status Allocate(Json& spec, const Json* old_spec, const std::string& uid);
  // "provided IP/port is already allocated" and range errors for values `uid` does not own.
  void CheckOwnership(const Json& spec, const std::string& uid, FieldErrors* errs);
  void Free(const ServiceAllocations& values, const std::string& uid);

  ServiceAllocators alloc_;
  int64_t stale_release_age_ms_;
};

}  // namespace capstan::registry
