// Tests for core/cmd/server_malloc.h's in-process half: the re-executed server puts LD_PRELOAD
// back as it found it, so that the processes it starts (nft, runc, CNI plugins) do not inherit
// mimalloc; and commands other than `server` are never re-executed. (The re-exec itself is
// checked end to end by tests/e2e/allocator_e2e_test.py.)
#include "core/cmd/server_malloc.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace capstan::cmd {
namespace {

constexpr char kGuard[] = "CAPSTAN_MALLOC_PREVIOUS_PRELOAD";

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "<unset>" : v;
}

char kArg0[] = "capstan";
char* kArgv[] = {kArg0, nullptr};

TEST(ServerMallocTest, ReexecutedServerUnsetsAPreloadThatWasNotThereBefore) {
  setenv("LD_PRELOAD", "/usr/lib/libmimalloc.so.2", 1);
  setenv(kGuard, "-", 1);
  UseServerAllocator("server", kArgv);
  EXPECT_EQ(Env("LD_PRELOAD"), "<unset>");
  EXPECT_EQ(Env(kGuard), "<unset>");
}

TEST(ServerMallocTest, ReexecutedServerRestoresTheCallersOwnPreload) {
  setenv("LD_PRELOAD", "/usr/lib/libmimalloc.so.2:/opt/trace.so", 1);
  setenv(kGuard, "/opt/trace.so", 1);
  UseServerAllocator("server", kArgv);
  EXPECT_EQ(Env("LD_PRELOAD"), "/opt/trace.so");
  EXPECT_EQ(Env(kGuard), "<unset>");
}

TEST(ServerMallocTest, OtherCommandsAndTheSystemChoiceAreNotReexecuted) {
  unsetenv(kGuard);
  unsetenv("LD_PRELOAD");
  UseServerAllocator("agent", kArgv);  // returning at all shows no exec happened
  UseServerAllocator("plugin", kArgv);
  setenv("CAPSTAN_MALLOC", "system", 1);
  UseServerAllocator("server", kArgv);
  unsetenv("CAPSTAN_MALLOC");
  EXPECT_EQ(Env("LD_PRELOAD"), "<unset>");
  EXPECT_FALSE(MimallocActive());  // this test binary is not linked against mimalloc
}

}  // namespace
}  // namespace capstan::cmd
