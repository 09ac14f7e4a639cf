// Tests for core/cmd/main.cc: subcommand dispatch and exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/core/cmd/run_capstan.h"

namespace capstan::cmd {
namespace {

using ::testing::HasSubstr;
using testing::RunCapstan;

TEST(CapstanMainTest, NoArgumentsPrintsUsageAndExitsTwo) {
  auto r = RunCapstan({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("usage: capstan <command>"));
  EXPECT_THAT(r.err, HasSubstr("plugin"));
}

TEST(CapstanMainTest, HelpListsTheSubcommandsOnStdout) {
  auto r = RunCapstan({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("server"));
  EXPECT_THAT(r.out, HasSubstr("plugin"));
}

TEST(CapstanMainTest, SubcommandGetsTheArgumentsAfterItsName) {
  auto r = RunCapstan({"server", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("usage: capstan server"));
}

TEST(CapstanMainTest, UnknownCommandExitsTwo) {
  auto r = RunCapstan({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown command 'frobnicate'"));
}

TEST(CapstanMainTest, ServerRefusesToDisableAControllerItDoesNotHave) {
  std::string dir = "/tmp/capstan_cmd_test_data_" + std::to_string(getpid());
  auto r = RunCapstan({"server", "--data-dir", dir, "--secure-port", "0", "--disable-agent",
                       "--disable-controller", "no-such-controller"});
  std::system(("rm -rf '" + dir + "'").c_str());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no default controller \"no-such-controller\""));
  EXPECT_THAT(r.err, HasSubstr("node-lifecycle"));  // the message lists the known names
}

}  // namespace
}  // namespace capstan::cmd
