// Runs the `capstan` binary under test as a subprocess and captures its exit code, stdout and
// stderr. Shared by the tests in this folder.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace capstan::cmd::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Arguments are single-quoted for the shell; they must not contain quotes.
inline RunResult RunCapstan(const std::vector<std::string>& args) {
  static int counter = 0;
  std::string base =
      "/tmp/capstan_cmd_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  std::string cmd = std::string("'") + CAPSTAN_BINARY + "'";
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " >" + base + ".out 2>" + base + ".err";
  int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(base + ".out");
  r.err = ReadFile(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

inline std::string TestPlugin(const std::string& name) {
  return std::string(CAPSTAN_TESTDATA_DIR) + "/" + name + ".so";
}

}  // namespace capstan::cmd::testing
