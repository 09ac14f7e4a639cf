// Which allocator a `capstan` process runs on. The API server allocates and frees a JSON tree per
// request, and mimalloc takes a quarter off its CPU; but mimalloc keeps a heap per thread, which
// doubled the idle node agent's private memory (7 MB against 3.5 MB with glibc malloc and one
// arena). So the binary is linked against neither, and the long-running control-plane commands
// re-execute themselves once with mimalloc preloaded. Partner: main.cc.
#pragma once

#include <string_view>

namespace capstan::cmd {

// For `subcommand` "server": unless CAPSTAN_MALLOC=system is set or mimalloc is already in the
// process, re-executes /proc/self/exe with `argv` and mimalloc (CAPSTAN_MIMALLOC_PATH) in
// LD_PRELOAD, so it does not return then. In the re-executed process it restores LD_PRELOAD as
// it was, so that children (nft, runc, CNI plugins) do not inherit the preload. Returns when
// nothing is to be done or the re-exec failed (the process then runs on glibc malloc). Call first
// in main, before any thread starts.
void UseServerAllocator(std::string_view subcommand, char** argv);

// True when mimalloc serves this process's malloc (its symbols are loaded).
bool MimallocActive();

}  // namespace capstan::cmd
