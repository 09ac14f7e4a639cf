// The masquerade rule through `nft` (masquerade.h).
#include "masquerade.h"

#include <unistd.h>

#include <mutex>

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

}  // namespace

sdk::Status EnsureMasquerade(const std::string& table, const std::string& subnet,
                             const std::string& cluster_cidr, const std::string& network,
                             int64_t deadline_mono_ns) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::string nft = FindNft();
  if (nft.empty()) return sdk::Status::Error("ipMasq: the nft binary is not installed");
  std::string prefix = "capstan-cni:" + network;
  std::string comment = cluster_cidr.empty() ? prefix : prefix + ":" + cluster_cidr;
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
      if (line.find("\"" + comment + "\"") != std::string::npos) return sdk::Status::Ok();
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
  return sdk::Status::Ok();
}

}  // namespace capstan::cni
