// The backend seam of the service proxy (service_proxy.h): what turns the desired service port
// states (service_model.h) into packets reaching endpoints. One implementation per
// `--proxy-mode`: nftables (nft_data_plane.h, the default), iptables (iptables_data_plane.h) and
// userspace (userspace_data_plane.h, for hosts without nftables).
#pragma once

#include <vector>

#include "core/common/status.h"
#include "core/proxy/service_model.h"

namespace capstan::proxy {

// One service port's change: `before` is what the data plane has (null: a new port), `after`
// what it must have (null: the port is gone). Both are never null together.
struct PortChange {
  const ServicePortState* before = nullptr;
  const ServicePortState* after = nullptr;
};

// Called by the proxy's one sync thread only; implementations need not be thread-safe towards
// it (a userspace data plane's own I/O threads are its business). Pointers are borrowed for the
// call only.
class DataPlane {
 public:
  virtual ~DataPlane() = default;

  // "nftables", "iptables" or "userspace": for logs.
  virtual const char* Name() const = 0;

  // Makes the data plane serve exactly `ports` (every service port of the node). Called first
  // and again after any failed call. Errors: the backend's, with the data plane left as it was
  // or empty — the proxy retries with another Full.
  virtual Status Full(const std::vector<const ServicePortState*>& ports) = 0;

  // Applies `changes` (each port at most once), relative to the last successful Full/Delta.
  // Unchanged ports are not listed. Errors: the backend's; the proxy follows with a Full.
  virtual Status Delta(const std::vector<PortChange>& changes) = 0;

  // Removes everything the data plane installed (on proxy Stop). Never fails; logs problems.
  virtual void Clear() = 0;
};

}  // namespace capstan::proxy
