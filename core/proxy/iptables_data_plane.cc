// The iptables data plane (iptables_data_plane.h).
#include "core/proxy/iptables_data_plane.h"

#include <unistd.h>

#include <utility>

#include "core/common/log.h"
#include "core/proxy/subprocess.h"

namespace capstan::proxy {
namespace {

// ".../iptables-nft-restore" -> ".../iptables-nft-save": the save tool of the same flavour.
std::string SavePathFor(const std::string& restore) {
  constexpr std::string_view kRestore = "-restore";
  if (restore.ends_with(kRestore)) {
    std::string save = restore.substr(0, restore.size() - kRestore.size()) + "-save";
    if (access(save.c_str(), X_OK) == 0) return save;
  }
  return FindExecutable("iptables-save");
}

}  // namespace

IptablesDataPlane::IptablesDataPlane(IptablesPlaneOptions options)
    : options_(std::move(options)),
      restore_(options_.iptables_restore_path.empty() ? FindIptablesRestore()
                                                      : options_.iptables_restore_path),
      save_(restore_.empty() ? std::string() : SavePathFor(restore_)) {}

std::string IptablesDataPlane::FindIptablesRestore() { return FindExecutable("iptables-restore"); }

Result<IptablesSaved> IptablesDataPlane::ReadSaved() const {
  if (save_.empty()) return Status(StatusCode::kUnavailable, "iptables-save is not installed");
  IptablesSaved saved;
  for (const char* table : {"nat", "filter"}) {
    Result<std::string> text = RunProcess({save_, "-t", table}, {}, options_.netns);
    if (!text.ok()) return text.status();
    IptablesSaved part = ParseIptablesSave(options_.rules, *text);
    saved.nat_chains.insert(saved.nat_chains.end(), part.nat_chains.begin(), part.nat_chains.end());
    saved.filter_chains.insert(saved.filter_chains.end(), part.filter_chains.begin(),
                               part.filter_chains.end());
    if (saved.jump_counts.empty()) saved.jump_counts.assign(part.jump_counts.size(), 0);
    for (size_t i = 0; i < part.jump_counts.size(); ++i) {
      saved.jump_counts[i] += part.jump_counts[i];
    }
  }
  return saved;
}

Status IptablesDataPlane::Restore(const std::string& script) const {
  if (restore_.empty())
    return Status(StatusCode::kUnavailable, "iptables-restore is not installed");
  Result<std::string> r = RunProcess({restore_, "-w", "--noflush"}, script, options_.netns);
  return r.ok() ? Status::Ok() : r.status();
}

Status IptablesDataPlane::Full(const std::vector<const ServicePortState*>& ports) {
  loaded_ = {};
  Result<IptablesSaved> saved = ReadSaved();
  if (!saved.ok()) return saved.status();
  IptablesLoaded loaded;
  if (Status s = Restore(IptablesFullScript(options_.rules, ports, *saved, &loaded)); !s.ok()) {
    return s;
  }
  loaded_ = std::move(loaded);
  return Status::Ok();
}

Status IptablesDataPlane::Delta(const std::vector<PortChange>& changes) {
  IptablesDelta delta(options_.rules, &loaded_);
  for (const PortChange& c : changes) delta.Add(c.before, c.after);
  const std::string script = delta.Script();
  if (script.empty()) return Status::Ok();
  if (Status s = Restore(script); !s.ok()) return s;
  delta.Commit(&loaded_);
  return Status::Ok();
}

void IptablesDataPlane::Clear() {
  loaded_ = {};
  Result<IptablesSaved> saved = ReadSaved();
  Status s = saved.status();
  if (saved.ok()) {
    const std::string script = IptablesClearScript(options_.rules, *saved);
    if (!script.empty()) s = Restore(script);
  }
  if (!s.ok()) log::Warn("proxy", "removing the iptables rules failed", {{"error", s.ToString()}});
}

}  // namespace capstan::proxy
