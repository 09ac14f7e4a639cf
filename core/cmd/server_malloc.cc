// Allocator selection by re-exec (server_malloc.h).
#include "core/cmd/server_malloc.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace capstan::cmd {
namespace {

// Set in the re-executed process: LD_PRELOAD's value before ours ("" when it had none, "-" when
// it was unset).
constexpr char kPreviousPreload[] = "CAPSTAN_MALLOC_PREVIOUS_PRELOAD";

}  // namespace

bool MimallocActive() { return dlsym(RTLD_DEFAULT, "mi_version") != nullptr; }

void UseServerAllocator(std::string_view subcommand, char** argv) {
  if (const char* previous = std::getenv(kPreviousPreload); previous != nullptr) {
    const std::string value = previous;
    if (value == "-") {
      unsetenv("LD_PRELOAD");
    } else {
      setenv("LD_PRELOAD", value.c_str(), 1);
    }
    unsetenv(kPreviousPreload);
    return;
  }
#ifdef CAPSTAN_MIMALLOC_PATH
  const char* choice = std::getenv("CAPSTAN_MALLOC");
  if (subcommand != "server" || (choice != nullptr && std::string(choice) == "system") ||
      MimallocActive() || access(CAPSTAN_MIMALLOC_PATH, R_OK) != 0) {
    return;
  }
  const char* preload = std::getenv("LD_PRELOAD");
  std::string value = CAPSTAN_MIMALLOC_PATH;
  if (preload != nullptr && *preload != '\0') value += std::string(":") + preload;
  setenv(kPreviousPreload, preload == nullptr ? "-" : preload, 1);
  setenv("LD_PRELOAD", value.c_str(), 1);
  execv("/proc/self/exe", argv);
  // Not replaced: run on as we are, with the environment as it was.
  if (preload == nullptr) {
    unsetenv("LD_PRELOAD");
  } else {
    setenv("LD_PRELOAD", preload, 1);
  }
  unsetenv(kPreviousPreload);
#else
  (void)subcommand;
  (void)argv;
#endif
}

}  // namespace capstan::cmd
