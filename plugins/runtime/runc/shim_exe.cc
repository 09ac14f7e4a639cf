// `capstan-shim`: the per-container shim executable that the runc plugin starts (shim.h). It
// decodes its command line (shim_args.h) and becomes the shim (shim_main.h). Being its own small
// executable, it holds a few hundred KB instead of a copy of the plugin host's address space.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "shim_args.h"
#include "shim_attach.h"
#include "shim_main.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

int main(int argc, char** argv) {
  using capstan::plugins::runc_runtime::AttachServer;
  using capstan::plugins::runc_runtime::DecodeShimArgs;
  using capstan::plugins::runc_runtime::ShimArgs;
  using capstan::plugins::runc_runtime::ShimPlan;
  std::vector<std::string> args(argv + 1, argv + argc);
  ShimArgs a;
  std::string error;
  if (!DecodeShimArgs(args, &a, &error)) {
    std::fprintf(stderr, "capstan-shim: %s\n", error.c_str());
    return 2;
  }
  std::vector<const char*> runc_argv;
  runc_argv.reserve(a.runc_argv.size() + 1);
  for (const std::string& s : a.runc_argv) runc_argv.push_back(s.c_str());
  runc_argv.push_back(nullptr);
  std::string exit_tmp = a.exit_file + ".tmp";
  // Static: the attach server's buffers are large, and it lives as long as the process.
  static AttachServer attach;
  bool with_attach = !a.attach_path.empty();
  if (with_attach) {
    attach.listen_fd = a.fds.attach_listen;
    attach.stdin_fd = a.fds.attach_stdin;
    attach.stdin_once = a.stdin_once;
  }
  ShimPlan plan{runc_argv.data(),
                environ,
                a.log_path.c_str(),
                a.pid_file.c_str(),
                exit_tmp.c_str(),
                a.exit_file.c_str(),
                with_attach ? a.attach_path.c_str() : nullptr,
                a.console_path.empty() ? nullptr : a.console_path.c_str(),
                a.fds,
                with_attach ? &attach : nullptr};
  capstan::plugins::runc_runtime::RunShim(plan);
}
