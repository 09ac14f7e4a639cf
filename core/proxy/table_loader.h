// Loads the service proxy's whole table (nft_rules.h RenderTable) through nft_runner.h. A table
// that exists is replaced in one atomic transaction, so its services keep working throughout.
// A table that does not exist yet (a node's first sync) is loaded in parts: the skeleton, then
// its elements in several `nft -f -` runs at once, because parsing elements is most of nft's
// time at 10k services and one nft process uses one core. Partner: service_proxy.h.
#pragma once

#include <vector>

#include "core/common/status.h"
#include "core/proxy/nft_rules.h"
#include "core/proxy/nft_runner.h"

namespace capstan::proxy {

struct LoadStats {
  bool split = false;  // loaded in parallel parts
};

// Loads table `config.table` with `ports`; on success `shared` holds the new table's counts.
// `parallelism` <= 1 always loads in one transaction. Errors: nft's (see NftRunner::Apply);
// after a failed split load the table is deleted again, so that the caller's retry starts
// from nothing.
Status LoadTable(const NftRunner& runner, const RulesConfig& config,
                 const std::vector<const ServicePortState*>& ports, SharedCounts* shared,
                 int parallelism, LoadStats* stats = nullptr);

}  // namespace capstan::proxy
