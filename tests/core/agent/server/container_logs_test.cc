// Tests for container_logs.h: CRI record parsing, RFC 3339 times, the kubelet's log query
// options, decoding (partial lines, timestamps, since) and LogReader over real files (tail,
// limitBytes, files larger than one backward-scan block, appends while reading).
#include "core/agent/server/container_logs.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace capstan::agent::server {
namespace {

constexpr int64_t kT0 = 1767323045LL * 1'000'000'000;  // 2026-01-02T03:04:05Z

TEST(ParseRfc3339NanoTest, ReadsFractionsAndOffsets) {
  struct Case {
    const char* text;
    int64_t want;
  };
  const Case cases[] = {
      {"2026-01-02T03:04:05Z", kT0},
      {"2026-01-02T03:04:05.5Z", kT0 + 500'000'000},
      {"2026-01-02T03:04:05.000000001Z", kT0 + 1},
      {"2026-01-02T03:04:05.1234567891Z", kT0 + 123'456'789},
      {"2026-01-02T05:04:05+02:00", kT0},
      {"2026-01-02T02:04:05.000000000-01:00", kT0},
  };
  for (const Case& c : cases) {
    Result<int64_t> got = ParseRfc3339Nano(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.want) << c.text;
  }
  for (const char* bad : {"", "2026-01-02", "2026-01-02T03:04:05", "2026-13-02T03:04:05Z",
                          "2026-01-02T03:04:05.Z", "2026-01-02T03:04:05Zjunk"}) {
    EXPECT_FALSE(ParseRfc3339Nano(bad).ok()) << bad;
  }
}

TEST(ParseCriRecordTest, SplitsTimestampStreamTagAndMessage) {
  struct Case {
    const char* line;
    bool ok;
    bool is_stderr;
    bool partial;
    const char* message;
  };
  const Case cases[] = {
      {"2026-01-02T03:04:05.000000000Z stdout F hello world", true, false, false, "hello world"},
      {"2026-01-02T03:04:05.000000000Z stderr P part", true, true, true, "part"},
      {"2026-01-02T03:04:05.000000000Z stdout F ", true, false, false, ""},
      {"2026-01-02T03:04:05.000000000Z stdout F", true, false, false, ""},
      {"2026-01-02T03:04:05.000000000Z stdout F:x tagged", true, false, false, "tagged"},
      {"2026-01-02T03:04:05.000000000Z stdout F  two spaces", true, false, false, " two spaces"},
      {"2026-01-02T03:04:05.000000000Z stdin F nope", false, false, false, ""},
      {"yesterday stdout F nope", false, false, false, ""},
      {"2026-01-02T03:04:05.000000000Z stdout X nope", false, false, false, ""},
      {"plain text", false, false, false, ""},
  };
  for (const Case& c : cases) {
    std::optional<CriRecord> r = ParseCriRecord(c.line);
    ASSERT_EQ(r.has_value(), c.ok) << c.line;
    if (!r) continue;
    EXPECT_EQ(r->stderr_stream, c.is_stderr) << c.line;
    EXPECT_EQ(r->partial, c.partial) << c.line;
    EXPECT_EQ(r->message, c.message) << c.line;
    EXPECT_EQ(r->time_ns, kT0) << c.line;
  }
}

TEST(ParseLogOptionsTest, ReadsTheKubeletParametersAndRejectsBadOnes) {
  struct Case {
    const char* query;
    bool ok;
  };
  const Case cases[] = {
      {"", true},
      {"follow=true&timestamps=1&previous=false&tailLines=10&limitBytes=5", true},
      {"tailLines=0", true},
      {"sinceSeconds=60", true},
      {"sinceTime=2026-01-02T03:04:05Z", true},
      {"tailLines=-1", false},
      {"tailLines=x", false},
      {"limitBytes=0", false},
      {"sinceSeconds=0", false},
      {"sinceSeconds=5&sinceTime=2026-01-02T03:04:05Z", false},
      {"sinceTime=yesterday", false},
      {"follow=maybe", false},
  };
  for (const Case& c : cases) {
    apiserver::FieldList q;
    apiserver::ParseQuery(c.query, &q);
    EXPECT_EQ(ParseLogOptions(q, kT0).ok(), c.ok) << c.query;
  }
  apiserver::FieldList q;
  apiserver::ParseQuery("follow=true&timestamps=true&tailLines=3&sinceSeconds=10&limitBytes=7", &q);
  Result<LogOptions> o = ParseLogOptions(q, kT0);
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->follow);
  EXPECT_TRUE(o->timestamps);
  EXPECT_FALSE(o->previous);
  EXPECT_EQ(o->tail_lines, 3);
  EXPECT_EQ(o->limit_bytes, 7);
  EXPECT_EQ(o->since_ns, kT0 - 10'000'000'000);
}

// "<ts> <stream> <tag> <msg>\n" with the timestamp `s` seconds after kT0.
std::string Rec(int s, const char* stream, const char* tag, const std::string& msg) {
  char ts[64];
  std::snprintf(ts, sizeof(ts), "2026-01-02T03:04:%02d.000000000Z", 5 + s);
  return std::string(ts) + " " + stream + " " + tag + " " + msg + "\n";
}

std::string Decode(const LogOptions& o, const std::vector<std::string>& pieces, bool finish) {
  LogDecoder d(o);
  std::vector<std::string> lines;
  for (const std::string& p : pieces) d.Feed(p, &lines);
  if (finish) d.Finish(&lines);
  std::string out;
  for (const std::string& l : lines) out += l;
  return out;
}

TEST(LogDecoderTest, JoinsPartialsPrefixesTimestampsAndFiltersBySince) {
  std::string file = Rec(0, "stdout", "P", "hel") + Rec(0, "stderr", "F", "oops") +
                     Rec(1, "stdout", "F", "lo") + Rec(2, "stdout", "F", "bye") + "garbage\n";
  LogOptions plain;
  LogOptions stamped;
  stamped.timestamps = true;
  LogOptions since;
  since.since_ns = kT0 + 2'000'000'000;
  struct Case {
    const char* name;
    LogOptions options;
    std::string want;
  };
  const Case cases[] = {
      {"plain", plain, "oops\nhello\nbye\n"},
      {"timestamps", stamped,
       "2026-01-02T03:04:05.000000000Z oops\n2026-01-02T03:04:05.000000000Z hello\n"
       "2026-01-02T03:04:07.000000000Z bye\n"},
      {"since", since, "bye\n"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Decode(c.options, {file}, false), c.want) << c.name;
    // Byte-by-byte feeding decodes the same.
    std::vector<std::string> bytes;
    for (char ch : file) bytes.emplace_back(1, ch);
    EXPECT_EQ(Decode(c.options, bytes, false), c.want) << c.name << " (bytewise)";
  }
}

TEST(LogDecoderTest, FinishEmitsAnUnterminatedRecordAndOpenPartialLine) {
  std::string data = Rec(0, "stdout", "F", "done");
  data.pop_back();  // still being written
  EXPECT_EQ(Decode({}, {data}, false), "");
  EXPECT_EQ(Decode({}, {data}, true), "done\n");
  EXPECT_EQ(Decode({}, {Rec(0, "stdout", "P", "half")}, true), "half");
}

class LogReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("capstan-logs-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "0.log").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Append(const std::string& data) {
    std::ofstream(path_, std::ios::app | std::ios::binary) << data;
  }
  // Everything the reader produces until the file is exhausted, plus Finish.
  std::string ReadAll(const LogOptions& o) {
    Result<std::unique_ptr<LogReader>> r = LogReader::Open(path_, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return "";
    std::string out;
    bool grew = true;
    while (grew && !(*r)->limit_reached()) {
      Result<std::string> got = (*r)->Read(1000, &grew);
      EXPECT_TRUE(got.ok());
      out += *got;
    }
    return out + (*r)->Finish();
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(LogReaderTest, TailLimitAndSinceApplyToTheFile) {
  Append(Rec(0, "stdout", "F", "one") + Rec(1, "stderr", "F", "two") +
         Rec(2, "stdout", "P", "thr") + Rec(2, "stdout", "F", "ee") +
         Rec(3, "stdout", "F", "four"));
  auto with = [](auto set) {
    LogOptions o;
    set(o);
    return o;
  };
  struct Case {
    const char* name;
    LogOptions options;
    std::string want;
  };
  const Case cases[] = {
      {"all", {}, "one\ntwo\nthree\nfour\n"},
      {"tail 0", with([](LogOptions& o) { o.tail_lines = 0; }), ""},
      {"tail 1", with([](LogOptions& o) { o.tail_lines = 1; }), "four\n"},
      {"tail 2 joins the partial", with([](LogOptions& o) { o.tail_lines = 2; }), "three\nfour\n"},
      {"tail beyond", with([](LogOptions& o) { o.tail_lines = 50; }), "one\ntwo\nthree\nfour\n"},
      {"limit", with([](LogOptions& o) { o.limit_bytes = 6; }), "one\ntw"},
      {"tail + limit", with([](LogOptions& o) {
         o.tail_lines = 2;
         o.limit_bytes = 3;
       }),
       "thr"},
      {"since", with([](LogOptions& o) { o.since_ns = kT0 + 2'000'000'000; }), "three\nfour\n"},
      {"tail + timestamps", with([](LogOptions& o) {
         o.tail_lines = 1;
         o.timestamps = true;
       }),
       "2026-01-02T03:04:08.000000000Z four\n"},
  };
  for (const Case& c : cases) EXPECT_EQ(ReadAll(c.options), c.want) << c.name;
}

TEST_F(LogReaderTest, TailScansBackwardsAcrossManyBlocks) {
  std::string data;
  for (int i = 0; i < 20000; ++i) data += Rec(i % 50, "stdout", "F", "line " + std::to_string(i));
  Append(data);
  LogOptions o;
  o.tail_lines = 3;
  EXPECT_EQ(ReadAll(o), "line 19997\nline 19998\nline 19999\n");
  o.tail_lines = 19999;
  std::string all = ReadAll(o);
  EXPECT_EQ(all.substr(0, 7), "line 1\n");
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 19999);
}

TEST_F(LogReaderTest, ReadsWhatIsAppendedAfterOpen) {
  Append(Rec(0, "stdout", "F", "before"));
  LogOptions o;
  o.tail_lines = 5;
  Result<std::unique_ptr<LogReader>> r = LogReader::Open(path_, o);
  ASSERT_TRUE(r.ok());
  bool grew = false;
  EXPECT_EQ(*(*r)->Read(1 << 20, &grew), "before\n");
  EXPECT_TRUE(grew);
  EXPECT_EQ(*(*r)->Read(1 << 20, &grew), "");
  EXPECT_FALSE(grew);
  std::string half = Rec(1, "stdout", "F", "after");
  Append(half.substr(0, 10));
  EXPECT_EQ(*(*r)->Read(1 << 20, &grew), "");
  EXPECT_TRUE(grew);
  Append(half.substr(10));
  EXPECT_EQ(*(*r)->Read(1 << 20, &grew), "after\n");
}

TEST_F(LogReaderTest, MissingFileIsNotFound) {
  Result<std::unique_ptr<LogReader>> r = LogReader::Open((dir_ / "7.log").string(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace capstan::agent::server
