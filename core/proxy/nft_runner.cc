// `nft` child processes for the service proxy (nft_runner.h), spawned by subprocess.h.
#include "core/proxy/nft_runner.h"

#include <utility>

#include "core/proxy/subprocess.h"

namespace capstan::proxy {

NftRunner::NftRunner(std::string nft_path, std::string netns)
    : nft_(nft_path.empty() ? FindNft() : std::move(nft_path)), netns_(std::move(netns)) {}

std::string NftRunner::FindNft() { return FindExecutable("nft"); }

Status NftRunner::Apply(std::string_view script) const {
  Result<std::string> r = Exec({"-f", "-"}, script);
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::string> NftRunner::Run(const std::vector<std::string>& args) const {
  return Exec(args, {});
}

Result<std::string> NftRunner::Exec(const std::vector<std::string>& args,
                                    std::string_view input) const {
  if (nft_.empty()) return Status(StatusCode::kUnavailable, "nft is not installed");
  std::vector<std::string> argv = {nft_};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, input, netns_);
}

}  // namespace capstan::proxy
