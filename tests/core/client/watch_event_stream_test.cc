// Tests for core/client/watch_event_stream.h: JSON lines to watch events, ends and the Stop fence.
#include "core/client/watch_event_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace capstan::client {
namespace {

struct Recorder {
  std::vector<std::string> events;  // "ADDED a=1"
  std::vector<Status> ends;

  WatchEventCallback OnEvent() {
    return [this](WatchEventType type, std::shared_ptr<const nlohmann::json> object) {
      std::string text(WatchEventTypeName(type));
      if (object->contains("a")) text += " a=" + (*object)["a"].dump();
      events.push_back(text);
    };
  }
  WatchEndCallback OnEnd() {
    return [this](const Status& s) { ends.push_back(s); };
  }
};

TEST(WatchEventStreamTest, LinesSplitAcrossChunksAndSeveralPerChunkArriveInOrder) {
  Recorder r;
  WatchEventStream s(r.OnEvent(), r.OnEnd());
  EXPECT_TRUE(s.Append("{\"type\":\"ADD"));
  EXPECT_TRUE(r.events.empty());
  EXPECT_TRUE(
      s.Append("ED\",\"object\":{\"a\":1}}\r\n{\"type\":\"MODIFIED\",\"object\":{\"a\":2}}\n{"));
  EXPECT_TRUE(s.Append("\"type\":\"DELETED\",\"object\":{\"a\":3}}"));
  EXPECT_EQ(r.events, (std::vector<std::string>{"ADDED a=1", "MODIFIED a=2"}));
  s.Finish();  // the last line had no newline
  EXPECT_EQ(r.events, (std::vector<std::string>{"ADDED a=1", "MODIFIED a=2", "DELETED a=3"}));
  ASSERT_EQ(r.ends.size(), 1u);
  EXPECT_TRUE(r.ends[0].ok());
  EXPECT_TRUE(s.Done());
}

TEST(WatchEventStreamTest, UnknownTypesAreSkippedAndBlankLinesIgnored) {
  Recorder r;
  WatchEventStream s(r.OnEvent(), r.OnEnd());
  EXPECT_TRUE(
      s.Append("\n  \n{\"type\":\"SOMETHING\",\"object\":{}}\n"
               "{\"type\":\"BOOKMARK\",\"object\":{\"a\":5}}\n"));
  EXPECT_EQ(r.events, (std::vector<std::string>{"BOOKMARK a=5"}));
  EXPECT_FALSE(s.Done());
}

TEST(WatchEventStreamTest, ALineThatIsNotAnEventEndsTheWatchWithBadRequest) {
  Recorder r;
  WatchEventStream s(r.OnEvent(), r.OnEnd());
  EXPECT_FALSE(s.Append("{\"kind\":\"Status\"}\n{\"type\":\"ADDED\",\"object\":{}}\n"));
  EXPECT_TRUE(r.events.empty());
  ASSERT_EQ(r.ends.size(), 1u);
  EXPECT_EQ(r.ends[0].code(), StatusCode::kBadRequest);
  EXPECT_FALSE(s.Append("{\"type\":\"ADDED\",\"object\":{}}\n"));
  s.End(UnavailableError("late"));
  EXPECT_EQ(r.ends.size(), 1u);
}

TEST(WatchEventStreamTest, NothingIsDeliveredAfterStopAndCloseRunsOnce) {
  Recorder r;
  WatchEventStream s(r.OnEvent(), r.OnEnd());
  int closes = 0;
  s.Stop([&] { ++closes; });
  s.Stop([&] { ++closes; });
  EXPECT_EQ(closes, 1);
  EXPECT_TRUE(s.Done());
  EXPECT_TRUE(s.StopRequested());
  EXPECT_FALSE(s.Append("{\"type\":\"ADDED\",\"object\":{}}\n"));
  s.Finish();
  s.End(UnavailableError("connection closed"));
  EXPECT_TRUE(r.events.empty());
  EXPECT_TRUE(r.ends.empty());
}

TEST(WatchEventStreamTest, StopFromInsideACallbackReturnsAndEndsDelivery) {
  std::vector<std::string> seen;
  std::vector<Status> ends;
  WatchEventStream* self = nullptr;
  WatchEventStream s(
      [&](WatchEventType type, std::shared_ptr<const nlohmann::json>) {
        seen.emplace_back(WatchEventTypeName(type));
        self->Stop(nullptr);
      },
      [&](const Status& st) { ends.push_back(st); });
  self = &s;
  EXPECT_FALSE(
      s.Append("{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":\"DELETED\",\"object\":{}}\n"));
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED"}));
  EXPECT_TRUE(ends.empty());
}

}  // namespace
}  // namespace capstan::client
