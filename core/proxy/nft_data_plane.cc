// The nftables data plane (nft_data_plane.h).
#include "core/proxy/nft_data_plane.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "core/common/log.h"
#include "core/proxy/table_loader.h"

namespace capstan::proxy {

NftDataPlane::NftDataPlane(NftPlaneOptions options)
    : options_(std::move(options)), runner_(options_.nft_path, options_.netns) {}

Status NftDataPlane::Full(const std::vector<const ServicePortState*>& ports) {
  if (ports.size() >= kMaxGroups) return Status(StatusCode::kInternal, "too many service ports");
  SharedCounts shared;
  const int parallelism = options_.load_parallelism > 0
                              ? options_.load_parallelism
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  Status s = LoadTable(runner_, options_.rules, ports, &shared, parallelism);
  if (!s.ok()) return s;
  table_loaded_ = true;
  shared_ = std::move(shared);
  return Status::Ok();
}

Status NftDataPlane::Delta(const std::vector<PortChange>& changes) {
  RulesDelta delta(options_.rules, &shared_);
  for (const PortChange& c : changes) delta.Add(c.before, c.after);
  std::string script = delta.Script();
  if (script.empty()) return Status::Ok();
  if (Status s = runner_.Apply(script); !s.ok()) return s;
  delta.Commit(&shared_);
  return Status::Ok();
}

void NftDataPlane::Clear() {
  if (!table_loaded_) return;
  Status s = runner_.Apply(DeleteTableScript(options_.rules));
  if (!s.ok()) log::Warn("proxy", "deleting the table failed", {{"error", s.ToString()}});
  table_loaded_ = false;
}

}  // namespace capstan::proxy
