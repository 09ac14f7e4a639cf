// The nftables data plane (data_plane.h), the service proxy's default: one table rendered by
// nft_rules.h, loaded whole by table_loader.h and changed by one `nft -f -` transaction per
// batch of port changes (RulesDelta). Partners: nft_runner.h, service_proxy.h.
#pragma once

#include <string>
#include <vector>

#include "core/proxy/data_plane.h"
#include "core/proxy/nft_rules.h"
#include "core/proxy/nft_runner.h"

namespace capstan::proxy {

struct NftPlaneOptions {
  RulesConfig rules;     // table name, cluster CIDR, masquerade mark
  std::string nft_path;  // empty: nft from PATH
  std::string netns;     // empty: this process's network namespace (tests use their own)
  // nft runs at once for a first load (table_loader.h); 0: one per core.
  int load_parallelism = 0;
};

// Ports must carry groups unique among the table's ports (ServicePortState::group).
class NftDataPlane : public DataPlane {
 public:
  explicit NftDataPlane(NftPlaneOptions options);
  const char* Name() const override { return "nftables"; }
  // Errors: kInternal for kMaxGroups ports or more; nft's (NftRunner::Apply).
  Status Full(const std::vector<const ServicePortState*>& ports) override;
  Status Delta(const std::vector<PortChange>& changes) override;
  void Clear() override;  // deletes the table

 private:
  const NftPlaneOptions options_;
  NftRunner runner_;
  SharedCounts shared_;  // of the loaded table
  bool table_loaded_ = false;
};

}  // namespace capstan::proxy
