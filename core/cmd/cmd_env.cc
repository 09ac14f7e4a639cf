// Machine defaults of the subcommands; see cmd_env.h.
#include "core/cmd/cmd_env.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#ifndef CAPSTAN_BUILD_PLUGIN_DIR
#define CAPSTAN_BUILD_PLUGIN_DIR ""
#endif

namespace capstan::cmd {

std::string DefaultPluginDir(const std::string& marker) {
  if (const char* env = std::getenv("CAPSTAN_PLUGIN_DIR"); env != nullptr && *env != 0) return env;
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path installed = exe.parent_path().parent_path() / "lib/capstan/plugins";
    if (std::filesystem::exists(installed / marker, ec)) return installed.string();
  }
  return CAPSTAN_BUILD_PLUGIN_DIR;
}

std::string HostName() {
  char host[256] = {};
  return gethostname(host, sizeof(host) - 1) == 0 ? std::string(host) : std::string();
}

}  // namespace capstan::cmd
