// Tests for shim_args.h: the `capstan-shim` command line round-trips and bad lines are refused.
#include "shim_args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace capstan::plugins::runc_runtime {
namespace {

ShimArgs Sample() {
  ShimArgs a;
  a.log_path = "/var/log/pods/p/c/0.log";
  a.pid_file = "/run/b/init.pid";
  a.exit_file = "/run/b/exit";
  a.fds = {3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1};
  a.runc_argv = {"/usr/sbin/runc", "--root", "/run/r", "create", "--bundle", "/run/b", "id"};
  return a;
}

TEST(ShimArgsTest, RoundTripsWithoutStdin) {
  ShimArgs in = Sample();
  ShimArgs out;
  std::string error;
  ASSERT_TRUE(DecodeShimArgs(EncodeShimArgs(in), &out, &error)) << error;
  EXPECT_EQ(out.log_path, in.log_path);
  EXPECT_EQ(out.pid_file, in.pid_file);
  EXPECT_EQ(out.exit_file, in.exit_file);
  EXPECT_EQ(out.attach_path, "");
  EXPECT_EQ(out.console_path, "");
  EXPECT_FALSE(out.stdin_once);
  EXPECT_EQ(out.fds.out_r, 3);
  EXPECT_EQ(out.fds.log_fd, 9);
  EXPECT_EQ(out.fds.stdin_r, -1);
  EXPECT_EQ(out.fds.attach_stdin, -1);
  EXPECT_EQ(out.runc_argv, in.runc_argv);
}

TEST(ShimArgsTest, RoundTripsAttachConsoleAndStdinOnce) {
  ShimArgs in = Sample();
  in.attach_path = "/run/b/attach.sock";
  in.console_path = "/run/s/tty-1.sock";
  in.stdin_once = true;
  in.fds = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
  // A runc argument that looks like one of the shim's flags stays runc's.
  in.runc_argv.emplace_back("--log");
  ShimArgs out;
  std::string error;
  ASSERT_TRUE(DecodeShimArgs(EncodeShimArgs(in), &out, &error)) << error;
  EXPECT_EQ(out.attach_path, in.attach_path);
  EXPECT_EQ(out.console_path, in.console_path);
  EXPECT_TRUE(out.stdin_once);
  EXPECT_EQ(out.fds.out_r, 10);
  EXPECT_EQ(out.fds.out_w, 11);
  EXPECT_EQ(out.fds.err_r, 12);
  EXPECT_EQ(out.fds.err_w, 13);
  EXPECT_EQ(out.fds.ready_w, 14);
  EXPECT_EQ(out.fds.devnull, 15);
  EXPECT_EQ(out.fds.log_fd, 16);
  EXPECT_EQ(out.fds.stdin_r, 17);
  EXPECT_EQ(out.fds.console_fd, 18);
  EXPECT_EQ(out.fds.attach_listen, 19);
  EXPECT_EQ(out.fds.attach_stdin, 20);
  EXPECT_EQ(out.runc_argv, in.runc_argv);
}

// Replaces the value after `flag` in an encoded sample.
std::vector<std::string> With(const std::string& flag, const std::string& value) {
  std::vector<std::string> v = EncodeShimArgs(Sample());
  for (size_t i = 0; i + 1 < v.size(); ++i) {
    if (v[i] == flag) v[i + 1] = value;
  }
  return v;
}

TEST(ShimArgsTest, RefusesMalformedLines) {
  struct Case {
    const char* name;
    std::vector<std::string> argv;
    const char* error;
  };
  std::vector<std::string> no_runc = EncodeShimArgs(Sample());
  no_runc.resize(no_runc.size() - Sample().runc_argv.size());
  std::vector<std::string> repeated = EncodeShimArgs(Sample());
  repeated.insert(repeated.begin(), {"--log", "/other"});
  std::vector<std::string> unknown = EncodeShimArgs(Sample());
  unknown.insert(unknown.begin(), "--verbose");
  std::vector<std::string> dangling = {"--log"};
  std::vector<std::string> missing = {"--log", "/l", "--", "/usr/sbin/runc"};
  std::vector<std::string> relative_runc = EncodeShimArgs(Sample());
  relative_runc[relative_runc.size() - Sample().runc_argv.size()] = "runc";
  const Case cases[] = {
      {"too few fds", With("--fds", "3,4,5"), "--fds wants 11"},
      {"too many fds", With("--fds", "1,2,3,4,5,6,7,8,9,10,11,12"), "--fds wants 11"},
      {"fd below -1", With("--fds", "3,4,5,6,7,8,9,-2,-1,-1,-1"), "--fds wants 11"},
      {"fd not a number", With("--fds", "3,4,x,6,7,8,9,-1,-1,-1,-1"), "--fds wants 11"},
      {"empty fd", With("--fds", "3,,5,6,7,8,9,-1,-1,-1,-1"), "--fds wants 11"},
      {"relative log", With("--log", "0.log"), "--log wants one absolute path"},
      {"repeated flag", repeated, "--log wants one absolute path"},
      {"unknown flag", unknown, "unknown flag --verbose"},
      {"value missing", dangling, "--log needs a value"},
      {"required missing", missing, "are required"},
      {"no runc argv", no_runc, "runc's argv"},
      {"relative runc", relative_runc, "runc's argv"},
  };
  for (const Case& c : cases) {
    ShimArgs out;
    std::string error;
    EXPECT_FALSE(DecodeShimArgs(c.argv, &out, &error)) << c.name;
    EXPECT_NE(error.find(c.error), std::string::npos) << c.name << ": " << error;
  }
}

}  // namespace
}  // namespace capstan::plugins::runc_runtime
