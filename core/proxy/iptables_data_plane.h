// The iptables data plane (data_plane.h), `--proxy-mode iptables`: the rules of
// iptables_rules.h applied with `iptables-restore -w --noflush`, one atomic run per Full or
// Delta, reading the current state with `iptables-save`. Works with both iptables flavours
// (nf_tables and legacy); the pair used is the one of `iptables_restore_path`.
// Partners: subprocess.h (child processes), service_proxy.h (the caller).
#pragma once

#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/proxy/data_plane.h"
#include "core/proxy/iptables_rules.h"

namespace capstan::proxy {

struct IptablesPlaneOptions {
  RulesConfig rules;  // chain prefix (from the table name), cluster CIDR, masquerade mark
  std::string iptables_restore_path;  // empty: found on PATH (FindIptablesRestore)
  std::string netns;  // empty: this process's network namespace (tests use their own)
};

// Not thread-safe (data_plane.h: one sync thread).
class IptablesDataPlane : public DataPlane {
 public:
  explicit IptablesDataPlane(IptablesPlaneOptions options);

  // iptables-restore on PATH (then /usr/sbin, /sbin); empty when there is none.
  static std::string FindIptablesRestore();

  const char* Name() const override { return "iptables"; }
  // Rewrites all our chains, deletes stale ones of ours (e.g. left by a crashed run), inserts
  // the jumps from the built-in chains that are missing. Errors: kUnavailable when
  // iptables-restore / iptables-save cannot run; kInternal with their stderr (nothing changed).
  Status Full(const std::vector<const ServicePortState*>& ports) override;
  // Rewrites the changed ports' chains and the dispatch chains. Errors as for Full.
  Status Delta(const std::vector<PortChange>& changes) override;
  // Deletes the jumps and every chain with our prefix (whatever iptables-save shows).
  void Clear() override;

  // The iptables-save path paired with the restore path ("" when not found).
  const std::string& save_path() const { return save_; }

 private:
  Result<IptablesSaved> ReadSaved() const;
  Status Restore(const std::string& script) const;

  const IptablesPlaneOptions options_;
  std::string restore_, save_;
  IptablesLoaded loaded_;  // valid after a successful Full, until a failure
};

}  // namespace capstan::proxy
