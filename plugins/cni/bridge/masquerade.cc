// The masquerade rule through `nft` (masquerade.h).
#include "masquerade.h"

#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <utility>

#include "plugins/cni/cni-exec/child_process.h"

namespace capstan::cni {
namespace {

std::string FindNft() {
  for (const char* path : {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return {};
}

SpawnResult Nft(const std::string& nft, std::vector<std::string> args, std::string input,
                int64_t deadline) {
  SpawnRequest r;
  r.path = nft;
  r.argv = {"nft"};
  r.argv.insert(r.argv.end(), args.begin(), args.end());
  r.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  r.stdin_data = std::move(input);
  r.deadline_mono_ns = deadline;
  return Spawn(r);
}

// How long a rule this process ensured is trusted without listing the chain again: the check
// execs nft (~2 ms) and would otherwise run on every pod's ADD. A rule removed by hand comes
// back within this time.
constexpr std::chrono::seconds kRecheckAfter{60};

struct Ensured {
  std::string comment;
  std::chrono::steady_clock::time_point at;
};

}  // namespace

sdk::Status EnsureMasquerade(const std::string& table, const std::string& subnet,
                             const std::string& cluster_cidr, const std::string& network,
                             int64_t deadline_mono_ns) {
  static std::mutex mu;
  // (table, network) -> the rule last ensured; one entry per network, so a configuration
  // changed back and forth is always checked. Guarded by `mu`.
  static std::map<std::pair<std::string, std::string>, Ensured> ensured;
  std::lock_guard<std::mutex> lock(mu);
  std::string prefix = "capstan-cni:" + network;
  std::string comment = cluster_cidr.empty() ? prefix : prefix + ":" + cluster_cidr;
  auto now = std::chrono::steady_clock::now();
  auto key = std::make_pair(table, network);
  if (auto it = ensured.find(key);
      it != ensured.end() && it->second.comment == comment && now - it->second.at < kRecheckAfter) {
    return sdk::Status::Ok();
  }
  ensured.erase(key);
  std::string nft = FindNft();
  if (nft.empty()) return sdk::Status::Error("ipMasq: the nft binary is not installed");
  SpawnResult listed =
      Nft(nft, {"-a", "list", "chain", "ip", table, "postrouting"}, "", deadline_mono_ns);
  std::string script;
  if (listed.exit_code == 0) {
    size_t start = 0;
    while (start < listed.out.size()) {
      size_t end = listed.out.find('\n', start);
      if (end == std::string::npos) end = listed.out.size();
      std::string line = listed.out.substr(start, end - start);
      start = end + 1;
      if (line.find("\"" + comment + "\"") != std::string::npos) {
        ensured[key] = {comment, now};
        return sdk::Status::Ok();
      }
      size_t handle = line.rfind("# handle ");
      bool ours = line.find("\"" + prefix + "\"") != std::string::npos ||
                  line.find("\"" + prefix + ":") != std::string::npos;
      if (ours && handle != std::string::npos) {
        script +=
            "delete rule ip " + table + " postrouting handle " + line.substr(handle + 9) + "\n";
      }
    }
  }
  std::string except = " ip daddr != " + subnet;
  if (!cluster_cidr.empty()) except += " ip daddr != " + cluster_cidr;
  script += "add table ip " + table + "\n" + "add chain ip " + table +
            " postrouting { type nat hook postrouting priority 100 ; policy accept ; }\n" +
            "add rule ip " + table + " postrouting ip saddr " + subnet + except +
            " masquerade comment \"" + comment + "\"\n";
  SpawnResult added = Nft(nft, {"-f", "-"}, script, deadline_mono_ns);
  if (added.timed_out) return sdk::Status::DeadlineExceeded("ipMasq: nft timed out");
  if (!added.started || added.exit_code != 0) {
    return sdk::Status::Error("ipMasq: nft failed: " + added.error + added.err + added.out);
  }
  ensured[key] = {comment, now};
  return sdk::Status::Ok();
}

}  // namespace capstan::cni
