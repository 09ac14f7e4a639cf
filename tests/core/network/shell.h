// Test helpers for the network namespace tests (tests/core/network, plugins/cni/*): running a
// shell command with its output, and the ping command available on this machine.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace capstan::network::testing {

// Runs `command` through the shell; returns its exit status and stdout+stderr.
inline int Shell(const std::string& command, std::string* output = nullptr) {
  // Tests spell their commands themselves: the shell is the point here.
  FILE* p = popen((command + " 2>&1").c_str(), "r");  // NOLINT(bugprone-command-processor)
  if (p == nullptr) return -1;
  std::string text;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) text.append(buf, n);
  int status = pclose(p);
  if (output != nullptr) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// iputils ping when installed, else busybox's (busybox-static is in scripts/install-deps.sh).
inline std::string Ping() {
  bool iputils = access("/usr/bin/ping", X_OK) == 0 || access("/bin/ping", X_OK) == 0;
  return iputils ? "ping" : "busybox ping";
}

}  // namespace capstan::network::testing
