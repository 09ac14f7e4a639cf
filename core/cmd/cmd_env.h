// What the `capstan` subcommands read from the machine: the default plugin directory and the
// host name (the default node name). Used by server_cmd.cc and agent_cmd.cc.
#pragma once

#include <string>

namespace capstan::cmd {

// $CAPSTAN_PLUGIN_DIR, else <exe>/../lib/capstan/plugins when it holds a `marker` kind folder
// (e.g. "auth"), else the build tree's plugin output directory.
std::string DefaultPluginDir(const std::string& marker);

// The machine's host name, or "" when it cannot be read.
std::string HostName();

}  // namespace capstan::cmd
