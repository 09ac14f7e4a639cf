// Child processes for the proxy's data planes: runs a program with a string on its stdin
// and collects its stdout, optionally inside a named network namespace (`ip netns exec`).
// Partners: nft_runner.h (nft), iptables_data_plane.h (iptables-restore / iptables-save).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace capstan::proxy {

// The executable `name` on PATH (then /usr/sbin, /sbin, /usr/bin, /bin); empty when none.
std::string FindExecutable(const std::string& name);

// Runs argv[0] (a path) with argv[1...], feeding `input` to its stdin (closed at once when
// empty) and returning its stdout; with `netns` non-empty, through `ip netns exec <netns>`.
// SIGPIPE raised while writing to a child that exits early is swallowed. Thread-safe.
// Errors: kUnavailable when the child cannot be started; kInternal with the child's stderr
// (trimmed to 4000 characters) when it exits non-zero or is killed.
Result<std::string> RunProcess(const std::vector<std::string>& argv, std::string_view input,
                               const std::string& netns = "");

}  // namespace capstan::proxy
