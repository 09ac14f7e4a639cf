// The `subsets` of a Service's v1 Endpoints computed from its selected pods, as upstream's
// endpoints controller and RepackSubsets build them: one subset per distinct set of resolved
// ports, ready pods in `addresses`, the others in `notReadyAddresses`. Pure; used by
// endpoints_controller.cc; tests in tests/plugins/controllers/endpoints/.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTS_ENDPOINTS_SUBSETS_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTS_ENDPOINTS_SUBSETS_H_

#include <cstdint>
#include <vector>

#include "plugins/controllers/kit/object_util.h"

namespace capstan::controllers {

// `pods` are those the Service's selector matches (any state; unsuitable ones are skipped).
// At most `max_addresses` addresses are kept (ready ones first); `*truncated` says whether some
// were dropped. Subsets, addresses and ports come out in a stable order, so equal inputs give
// equal JSON.
Json BuildSubsets(const Json& service, const std::vector<Json>& pods, int64_t max_addresses,
                  bool* truncated);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_ENDPOINTS_ENDPOINTS_SUBSETS_H_
