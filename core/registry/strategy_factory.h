// `StrategyFor`: the registry's entry point for the API server — the `ResourceStrategy` of a
// group/kind, wired with the shared Service allocators. Strategies: pod_strategy.h,
// service_strategy.h, workload_strategy.h, batch_strategy.h, config_strategy.h.
#pragma once

#include <memory>
#include <string_view>

#include "core/apiserver/rest_storage.h"
#include "core/registry/service_allocators.h"

namespace capstan::registry {

// What strategies share across resources. Build once per server; `Rebuild` the allocators from
// the stored Services before serving writes.
struct StrategyDeps {
  ServiceAllocators service_allocators;
};

// The strategy for `kind` in `group` ("" for core), or nullptr when the registry has none (the
// caller then uses the generic no-op strategy). The returned strategies are thread-safe.
std::shared_ptr<apiserver::ResourceStrategy> StrategyFor(std::string_view group,
                                                         std::string_view kind,
                                                         const StrategyDeps& deps);

}  // namespace capstan::registry
