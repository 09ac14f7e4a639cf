// Tests for core/common/log.h: logfmt layout, quoting, level filtering and concurrent writers.
#include "core/common/log.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace capstan::log {
namespace {

using ::testing::HasSubstr;

// Captures records while alive and restores stderr and the level afterwards.
class CapturingSink {
 public:
  CapturingSink() {
    SetSink([this](std::string_view line) { lines_.emplace_back(line); });
  }
  ~CapturingSink() {
    SetSink(nullptr);
    SetLevel(Level::kInfo);
  }
  // Only read after writers have finished (or under the logger's mutex, as the sink is).
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
};

// Strips "ts=... " so assertions can compare the rest exactly.
std::string WithoutTimestamp(const std::string& line) {
  static const std::regex kTs(R"(^ts=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z )");
  EXPECT_TRUE(std::regex_search(line, kTs)) << line;
  return std::regex_replace(line, kTs, "");
}

TEST(LogTest, WritesOneLogfmtLineWithTimestampLevelComponentAndFields) {
  CapturingSink sink;
  Info("store", "compacted", {{"revision", "42"}, {"took", "3ms"}});
  ASSERT_EQ(sink.lines().size(), 1u);
  EXPECT_EQ(WithoutTimestamp(sink.lines()[0]),
            "level=info component=store msg=\"compacted\" revision=42 took=3ms");
}

struct QuoteCase {
  std::string value;
  std::string want;
};

TEST(LogTest, QuotesAndEscapesValuesThatNeedIt) {
  const QuoteCase cases[] = {
      {"plain", "plain"},
      {"", "\"\""},
      {"two words", "\"two words\""},
      {"a=b", "\"a=b\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\""},
      {"back\\slash", "\"back\\\\slash\""},
      {"line\nbreak", "\"line\\nbreak\""},
      {"cr\rtab\t", "\"cr\\rtab\\t\""},
      {std::string("nul\0x", 5), "\"nul\\u0000x\""},
      {"bell\x07", "\"bell\\u0007\""},
      {"del\x7f", "\"del\\u007f\""},
      {"caf\xc3\xa9", "caf\xc3\xa9"},
      {"/api/v1/pods?watch=1", "\"/api/v1/pods?watch=1\""},
  };
  for (const QuoteCase& c : cases) {
    CapturingSink sink;
    Warn("c", "m", {{"v", c.value}});
    ASSERT_EQ(sink.lines().size(), 1u);
    EXPECT_EQ(WithoutTimestamp(sink.lines()[0]), "level=warn component=c msg=\"m\" v=" + c.want)
        << c.value;
  }
}

TEST(LogTest, MessageIsAlwaysQuotedAndEscaped) {
  CapturingSink sink;
  Error("apiserver", "bad \"request\"\nnext");
  ASSERT_EQ(sink.lines().size(), 1u);
  EXPECT_EQ(WithoutTimestamp(sink.lines()[0]),
            "level=error component=apiserver msg=\"bad \\\"request\\\"\\nnext\"");
}

TEST(LogTest, KeysCannotBreakTheLine) {
  CapturingSink sink;
  Info("c", "m", {{"a b=\"c\n", "1"}, {"", "2"}});
  ASSERT_EQ(sink.lines().size(), 1u);
  EXPECT_EQ(WithoutTimestamp(sink.lines()[0]), "level=info component=c msg=\"m\" a_b__c_=1 _=2");
}

TEST(LogTest, DropsRecordsBelowTheLevel) {
  CapturingSink sink;
  SetLevel(Level::kWarn);
  Debug("c", "debug");
  Info("c", "info");
  Warn("c", "warn");
  Error("c", "error");
  Write(Level::kInfo, "c", "direct info");
  ASSERT_EQ(sink.lines().size(), 2u);
  EXPECT_THAT(sink.lines()[0], HasSubstr("level=warn"));
  EXPECT_THAT(sink.lines()[1], HasSubstr("level=error"));

  SetLevel(Level::kDebug);
  Debug("c", "now visible");
  ASSERT_EQ(sink.lines().size(), 3u);
  EXPECT_THAT(sink.lines()[2], HasSubstr("level=debug"));
}

TEST(LogTest, ErrorIsNeverFilteredByLevel) {
  CapturingSink sink;
  SetLevel(Level::kError);
  Warn("c", "dropped");
  Error("c", "kept");
  ASSERT_EQ(sink.lines().size(), 1u);
  EXPECT_THAT(sink.lines()[0], HasSubstr("msg=\"kept\""));
}

TEST(LogTest, ParsesLevelNamesCaseInsensitively) {
  const std::pair<const char*, Level> good[] = {{"debug", Level::kDebug},
                                                {"INFO", Level::kInfo},
                                                {"Warn", Level::kWarn},
                                                {"error", Level::kError}};
  for (const auto& [text, want] : good) {
    Level got = Level::kError;
    ASSERT_TRUE(ParseLevel(text, &got)) << text;
    EXPECT_EQ(got, want) << text;
    EXPECT_TRUE(ParseLevel(LevelName(want), &got));
  }
  Level untouched = Level::kInfo;
  for (const char* bad : {"", "warning", "trace", "inf", "debug "}) {
    EXPECT_FALSE(ParseLevel(bad, &untouched)) << bad;
  }
  EXPECT_EQ(untouched, Level::kInfo);
}

TEST(LogTest, ConcurrentWritersNeverTearLines) {
  constexpr int kThreads = 8;
  constexpr int kRecords = 500;
  CapturingSink sink;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      std::string payload(100 + t * 10, static_cast<char>('a' + t));
      for (int i = 0; i < kRecords; ++i) {
        Info("worker", "tick",
             {{"thread", std::to_string(t)}, {"i", std::to_string(i)}, {"payload", payload}});
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  ASSERT_EQ(sink.lines().size(), static_cast<size_t>(kThreads * kRecords));
  const std::regex kLine(
      R"(^ts=\S+ level=info component=worker msg="tick" thread=(\d) i=(\d+) payload=([a-z]+)$)");
  std::vector<std::vector<bool>> seen(kThreads, std::vector<bool>(kRecords, false));
  for (const std::string& line : sink.lines()) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kLine)) << line;
    int t = std::stoi(m[1].str());
    int i = std::stoi(m[2].str());
    EXPECT_EQ(m[3].str(), std::string(100 + t * 10, static_cast<char>('a' + t)));
    EXPECT_FALSE(seen[t][i]) << "duplicate " << line;
    seen[t][i] = true;
  }
}

TEST(LogTest, DefaultSinkWritesNewlineTerminatedLinesToStderr) {
  char path[] = "/tmp/capstan_log_test_XXXXXX";
  int file = mkstemp(path);
  ASSERT_GE(file, 0);
  int saved = dup(STDERR_FILENO);
  ASSERT_GE(saved, 0);
  ASSERT_GE(dup2(file, STDERR_FILENO), 0);
  Info("c", "one");
  Info("c", "two", {{"k", "v"}});
  dup2(saved, STDERR_FILENO);
  close(saved);

  std::string content(4096, '\0');
  ssize_t n = pread(file, content.data(), content.size(), 0);
  close(file);
  unlink(path);
  ASSERT_GT(n, 0);
  content.resize(static_cast<size_t>(n));
  const std::regex kTwoLines(
      R"(^ts=\S+ level=info component=c msg="one"\nts=\S+ level=info component=c msg="two" k=v\n$)");
  EXPECT_TRUE(std::regex_match(content, kTwoLines)) << content;
}

}  // namespace
}  // namespace capstan::log
