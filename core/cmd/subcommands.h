// The subcommands of the `capstan` binary: each lives in its own <name>_cmd.cc and is listed in
// main.cc's table. A subcommand gets the arguments after its name and returns the exit code:
// 0 success, 1 failure, 2 usage error, 3 not built yet.
#pragma once

#include <string>
#include <vector>

namespace capstan::cmd {

using Args = std::vector<std::string>;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotBuilt = 3;

// `capstan server`: API server, scheduler and controllers (server_cmd.cc).
int RunServer(const Args& args);
// `capstan plugin inspect|chains` (plugin_cmd.cc).
int RunPlugin(const Args& args);
// `capstan agent`: the node agent (agent_cmd.cc).
int RunAgent(const Args& args);

}  // namespace capstan::cmd
