// Runtime plugin `runc`: the command line of the `capstan-shim` executable — what StartShim
// (shim.cc) encodes and shim_exe.cc decodes:
//   capstan-shim --log PATH --pid-file PATH --exit PATH --fds N,N,... [--attach PATH]
//                [--console PATH] [--stdin-once] -- RUNC-ARGV...
// `--fds` lists the ShimFds members in declaration order (-1 where unused). Tested by
// shim_args_test.cc.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_ARGS_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_ARGS_H_

#include <array>
#include <string>
#include <vector>

#include "shim_main.h"

namespace capstan::plugins::runc_runtime {

struct ShimArgs {
  std::string log_path;
  std::string pid_file;
  std::string exit_file;     // the shim writes `<exit_file>.tmp`, then renames it
  std::string attach_path;   // empty without stdin
  std::string console_path;  // empty without tty
  bool stdin_once = false;
  ShimFds fds;
  std::vector<std::string> runc_argv;  // runc's full argv, its path first
};

// `fds`' members in the order `--fds` lists them.
std::array<int, 11> ShimFdList(const ShimFds& fds);

// The arguments after argv[0].
std::vector<std::string> EncodeShimArgs(const ShimArgs& args);

// Parses the arguments after argv[0]. False with `error` set on anything malformed: unknown or
// repeated flags, a missing value, a bad descriptor list, no runc argv, a relative path.
bool DecodeShimArgs(const std::vector<std::string>& argv, ShimArgs* out, std::string* error);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_SHIM_ARGS_H_
