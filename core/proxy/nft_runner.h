// Runs the `nft` binary for the service proxy: `Apply` feeds a script to `nft -f -` (one atomic
// transaction), `Run` runs any nft command (e.g. `list table`) and returns its stdout.
// Optionally inside a named network namespace (`ip netns exec`), for tests and benchmarks.
// Partners: nft_rules.h (the scripts), service_proxy.h (the caller).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace capstan::proxy {

// Thread-safe: every call spawns its own child and owns its descriptors.
class NftRunner {
 public:
  // `nft_path` empty: found with `FindNft()`. `netns` empty: the caller's network namespace.
  explicit NftRunner(std::string nft_path = "", std::string netns = "");

  // The nft executable on PATH (then /usr/sbin, /sbin); empty when there is none.
  static std::string FindNft();

  // Applies `script` with `nft -f -`: all of it or nothing.
  // Errors: kUnavailable when nft cannot be run; kInternal with nft's stderr when it rejects
  // the script (the table is then unchanged).
  Status Apply(std::string_view script) const;

  // Runs `nft <args...>`; returns stdout. Errors as for Apply.
  Result<std::string> Run(const std::vector<std::string>& args) const;

  const std::string& netns() const { return netns_; }

 private:
  Result<std::string> Exec(const std::vector<std::string>& args, std::string_view input) const;

  std::string nft_;
  std::string netns_;
};

}  // namespace capstan::proxy
