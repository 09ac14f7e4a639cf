// Tests for core/common/flags.h: every accepted form, errors naming the flag, and usage text.
#include "core/common/flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace capstan::flags {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A FlagSet with one flag of each kind and non-zero defaults.
struct Fixture {
  std::string data_dir = "/var/lib/capstan";
  bool verbose = false;
  bool agent = true;
  int64_t port = 6443;
  int64_t timeout_ns = 30'000'000'000;
  std::vector<std::string> plugins = {"default"};
  FlagSet set{"capstan server"};

  Fixture() {
    set.String("data-dir", &data_dir, "where state lives");
    set.Bool("verbose", &verbose, "log more");
    set.Bool("agent", &agent, "run a local agent");
    set.Int("port", &port, "secure port");
    set.Duration("timeout", &timeout_ns, "request timeout");
    set.StringList("plugin", &plugins, "plugin to load");
  }
};

TEST(FlagSetTest, AcceptsEveryValueForm) {
  Fixture f;
  Status s = f.set.Parse({"--data-dir=/tmp/a", "--port", "8443", "--timeout=1m30s", "--verbose",
                          "--no-agent", "--plugin", "a.so", "--plugin=b.so"});
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(f.data_dir, "/tmp/a");
  EXPECT_EQ(f.port, 8443);
  EXPECT_EQ(f.timeout_ns, 90'000'000'000);
  EXPECT_TRUE(f.verbose);
  EXPECT_FALSE(f.agent);
  EXPECT_THAT(f.plugins, ElementsAre("a.so", "b.so"));
  EXPECT_THAT(f.set.positional(), IsEmpty());
  EXPECT_FALSE(f.set.help_requested());
}

TEST(FlagSetTest, KeepsDefaultsForFlagsNotGiven) {
  Fixture f;
  ASSERT_TRUE(f.set.Parse({}).ok());
  EXPECT_EQ(f.data_dir, "/var/lib/capstan");
  EXPECT_EQ(f.port, 6443);
  EXPECT_EQ(f.timeout_ns, 30'000'000'000);
  EXPECT_TRUE(f.agent);
  EXPECT_THAT(f.plugins, ElementsAre("default"));
}

struct BoolCase {
  std::vector<std::string> args;
  bool want;
};

TEST(FlagSetTest, ParsesBooleanForms) {
  const BoolCase cases[] = {
      {{"--agent"}, true},
      {{"--no-agent"}, false},
      {{"--agent=false"}, false},
      {{"--agent=0"}, false},
      {{"--agent=f"}, false},
      {{"--agent=FALSE"}, false},
      {{"--agent=true"}, true},
      {{"--agent=1"}, true},
      {{"--agent=True"}, true},
      {{"--no-agent", "--agent"}, true},
      {{"--agent", "--no-agent"}, false},
  };
  for (const BoolCase& c : cases) {
    Fixture f;
    f.agent = !c.want;
    Status s = f.set.Parse(c.args);
    ASSERT_TRUE(s.ok()) << c.args[0] << ": " << s.ToString();
    EXPECT_EQ(f.agent, c.want) << c.args[0];
  }
}

TEST(FlagSetTest, BooleanFlagDoesNotConsumeTheNextArgument) {
  Fixture f;
  ASSERT_TRUE(f.set.Parse({"--verbose", "false"}).ok());
  EXPECT_TRUE(f.verbose);
  EXPECT_THAT(f.set.positional(), ElementsAre("false"));
}

TEST(FlagSetTest, CollectsInterleavedPositionalsAndEverythingAfterDoubleDash) {
  Fixture f;
  Status s = f.set.Parse({"first", "--port=1", "-", "second", "--", "--verbose", "-x", "--"});
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(f.port, 1);
  EXPECT_FALSE(f.verbose);
  EXPECT_THAT(f.set.positional(), ElementsAre("first", "-", "second", "--verbose", "-x", "--"));
}

TEST(FlagSetTest, RepeatedScalarFlagKeepsTheLastValue) {
  Fixture f;
  ASSERT_TRUE(f.set.Parse({"--port=1", "--port", "2"}).ok());
  EXPECT_EQ(f.port, 2);
}

TEST(FlagSetTest, RepeatedListFlagAppendsAfterReplacingTheDefault) {
  Fixture f;
  ASSERT_TRUE(f.set.Parse({"--plugin=a", "--plugin=b,c", "--plugin", ""}).ok());
  EXPECT_THAT(f.plugins, ElementsAre("a", "b,c", ""));
}

TEST(FlagSetTest, ValuesMayContainEqualsAndStartWithADash) {
  Fixture f;
  ASSERT_TRUE(f.set.Parse({"--data-dir=a=b", "--port", "-5", "--plugin=--odd"}).ok());
  EXPECT_EQ(f.data_dir, "a=b");
  EXPECT_EQ(f.port, -5);
  EXPECT_THAT(f.plugins, ElementsAre("--odd"));
}

TEST(FlagSetTest, HelpFormsSetHelpRequested) {
  for (const char* help : {"--help", "-h", "--help=true"}) {
    Fixture f;
    Status s = f.set.Parse({"--port=1", help, "--bogus"});
    ASSERT_TRUE(s.ok()) << help << ": " << s.ToString();
    EXPECT_TRUE(f.set.help_requested()) << help;
  }
  Fixture f;
  ASSERT_TRUE(f.set.Parse({"--", "--help"}).ok());
  EXPECT_FALSE(f.set.help_requested());
}

struct ErrorCase {
  std::vector<std::string> args;
  std::string want;
};

TEST(FlagSetTest, ErrorsNameTheFlag) {
  const ErrorCase cases[] = {
      {{"--bogus"}, "unknown flag --bogus"},
      {{"--bogus=1"}, "unknown flag --bogus"},
      {{"-v"}, "unknown flag -v (flags start with --)"},
      {{"--no-port"}, "unknown flag --no-port"},
      {{"--no-bogus"}, "unknown flag --no-bogus"},
      {{"--no-agent=true"}, "flag --no-agent: takes no value"},
      {{"--agent=maybe"}, "flag --agent: invalid boolean \"maybe\""},
      {{"--agent="}, "flag --agent: invalid boolean \"\""},
      {{"--port"}, "flag --port: missing value"},
      {{"--data-dir", "--verbose"}, "flag --data-dir: missing value"},
      {{"--port=abc"}, "flag --port: invalid integer \"abc\""},
      {{"--port="}, "flag --port: invalid integer \"\""},
      {{"--port=12x"}, "flag --port: invalid integer \"12x\""},
      {{"--port=0x10"}, "flag --port: invalid integer \"0x10\""},
      {{"--port=99999999999999999999"},
       "flag --port: integer out of range \"99999999999999999999\""},
      {{"--timeout=5x"}, "flag --timeout: invalid duration \"5x\": unknown unit \"x\""},
      {{"--timeout", "5"}, "flag --timeout: invalid duration \"5\": missing unit"},
      {{"--="}, "unknown flag --"},
  };
  for (const ErrorCase& c : cases) {
    Fixture f;
    Status s = f.set.Parse(c.args);
    ASSERT_FALSE(s.ok()) << c.args[0];
    EXPECT_EQ(s.code(), StatusCode::kBadRequest) << c.args[0];
    EXPECT_EQ(s.message(), c.want) << c.args[0];
  }
}

TEST(FlagSetTest, ParseResetsPositionalsAndHelpBetweenCalls) {
  Fixture f;
  ASSERT_TRUE(f.set.Parse({"a", "--help"}).ok());
  ASSERT_TRUE(f.set.Parse({"b"}).ok());
  EXPECT_FALSE(f.set.help_requested());
  EXPECT_THAT(f.set.positional(), ElementsAre("b"));
}

TEST(FlagSetTest, UsageListsFlagsSortedWithTypesAndDefaults) {
  Fixture f;
  EXPECT_EQ(f.set.Usage("[address]"),
            "usage: capstan server [flags] [address]\n"
            "\n"
            "flags:\n"
            "  --[no-]agent         run a local agent (default true)\n"
            "  --data-dir string    where state lives (default \"/var/lib/capstan\")\n"
            "  -h, --help           show this help\n"
            "  --plugin string      plugin to load (repeatable) (default [\"default\"])\n"
            "  --port int           secure port (default 6443)\n"
            "  --timeout duration   request timeout (default 30s)\n"
            "  --[no-]verbose       log more (default false)\n");
}

TEST(FlagSetTest, UsageFormatsDurationDefaultsLikeGo) {
  const std::pair<int64_t, std::string> cases[] = {
      {0, "0s"},
      {1, "1ns"},
      {1'500, "1.5us"},
      {2'000'000, "2ms"},
      {1'500'000'000, "1.5s"},
      {90'000'000'000, "1m30s"},
      {3'600'000'000'000, "1h0m0s"},
      {-5'000'000'000, "-5s"},
  };
  for (const auto& [ns, want] : cases) {
    int64_t value = ns;
    FlagSet set("x");
    set.Duration("d", &value, "");
    EXPECT_EQ(set.Usage(), "usage: x [flags]\n\nflags:\n  --d duration   (default " + want +
                               ")\n  -h, --help     show this help\n")
        << ns;
  }
}

TEST(FlagSetDeathTest, RegisteringANameTwiceAborts) {
  EXPECT_DEATH(
      {
        bool a = false;
        FlagSet set("x");
        set.Bool("a", &a, "");
        set.Bool("a", &a, "");
      },
      "registered twice");
}

}  // namespace
}  // namespace capstan::flags
