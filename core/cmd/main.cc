// `capstan`: the single binary. Dispatches to the subcommands declared in subcommands.h; this
// file is wiring only. To add one, write <name>_cmd.cc and add a row to kSubcommands.
#include <csignal>
#include <cstdio>
#include <string_view>

#include "core/cmd/server_malloc.h"
#include "core/cmd/subcommands.h"

namespace capstan::cmd {
namespace {

struct Subcommand {
  std::string_view name;
  std::string_view summary;
  int (*run)(const Args& args);
};

constexpr Subcommand kSubcommands[] = {
    {"server", "run the API server, scheduler and controllers", &RunServer},
    {"plugin", "inspect plugin libraries and show the effective plugin chains", &RunPlugin},
    {"agent", "run the node agent: register a node and run its pods", &RunAgent},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out, "usage: capstan <command> [flags]\n\ncommands:\n");
  for (const Subcommand& s : kSubcommands) {
    std::fprintf(out, "  %-10.*s %.*s\n", static_cast<int>(s.name.size()), s.name.data(),
                 static_cast<int>(s.summary.size()), s.summary.data());
  }
  std::fprintf(out, "\nRun 'capstan <command> --help' for a command's flags.\n");
}

int Main(int argc, char** argv) {
  if (argc >= 2) UseServerAllocator(argv[1], argv);
  // Clients and servers share the process; a peer closing a TLS connection mid-write must be an
  // error on that connection, not SIGPIPE for the whole process.
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(stdout);
    return kExitOk;
  }
  for (const Subcommand& s : kSubcommands) {
    if (s.name == name) return s.run(Args(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "capstan: unknown command '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return kExitUsage;
}

}  // namespace
}  // namespace capstan::cmd

int main(int argc, char** argv) { return capstan::cmd::Main(argc, argv); }
