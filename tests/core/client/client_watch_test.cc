// Tests for ApiClient::Watch (core/client/client_watch.cc) against a real API server: event
// order, events larger than a chunk, Stop() ending callbacks, 410 Gone as an ERROR event, HTTP
// errors through on_end.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "core/client/api_client.h"
#include "core/client/api_status.h"
#include "tests/core/client/test_cluster.h"

namespace capstan::client {
namespace {

using Json = nlohmann::json;
using testing::Eventually;
using testing::TestCluster;

constexpr char kCms[] = "/api/v1/namespaces/default/configmaps";

// Collects the events and the end of one watch.
struct Recorder {
  std::mutex mu;
  std::vector<std::pair<WatchEventType, Json>> events;
  std::optional<Status> end;

  WatchEventCallback OnEvent() {
    return [this](WatchEventType t, std::shared_ptr<const Json> o) {
      std::lock_guard l(mu);
      events.emplace_back(t, *o);
    };
  }
  WatchEndCallback OnEnd() {
    return [this](const Status& s) {
      std::lock_guard l(mu);
      end = s;
    };
  }
  size_t Count() {
    std::lock_guard l(mu);
    return events.size();
  }
  bool Ended() {
    std::lock_guard l(mu);
    return end.has_value();
  }
  // Events for objects named `name` only (other tests share the namespace).
  std::vector<std::pair<WatchEventType, Json>> For(const std::string& name) {
    std::lock_guard l(mu);
    std::vector<std::pair<WatchEventType, Json>> out;
    for (auto& e : events) {
      if (e.second["metadata"].value("name", "") == name) out.push_back(e);
    }
    return out;
  }
};

class WatchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new TestCluster(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { client_ = cluster_->NewClient(); }
  std::string ListRv() {
    Result<Json> list = client_->Get(kCms);
    EXPECT_TRUE(list.ok());
    return list.ok() ? (*list)["metadata"]["resourceVersion"].get<std::string>() : "";
  }

  static TestCluster* cluster_;
  std::unique_ptr<ApiClient> client_;
};

TestCluster* WatchTest::cluster_ = nullptr;

TEST_F(WatchTest, DeliversAddedModifiedDeletedInOrder) {
  Recorder rec;
  auto watch = client_->Watch(std::string(kCms) + "?watch=1&resourceVersion=" + ListRv(),
                              rec.OnEvent(), rec.OnEnd());
  std::string path = std::string(kCms) + "/ordered";
  ASSERT_TRUE(client_
                  ->Create(kCms, {{"apiVersion", "v1"},
                                  {"kind", "ConfigMap"},
                                  {"metadata", {{"name", "ordered"}}},
                                  {"data", {{"k", "1"}}}})
                  .ok());
  ASSERT_TRUE(client_->Patch(path, "application/merge-patch+json", {{"data", {{"k", "2"}}}}).ok());
  ASSERT_TRUE(client_->Delete(path).ok());
  ASSERT_TRUE(Eventually([&] { return rec.For("ordered").size() >= 3; }));
  auto events = rec.For("ordered");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].first, WatchEventType::kAdded);
  EXPECT_EQ(events[0].second["data"]["k"], "1");
  EXPECT_EQ(events[1].first, WatchEventType::kModified);
  EXPECT_EQ(events[1].second["data"]["k"], "2");
  EXPECT_EQ(events[2].first, WatchEventType::kDeleted);
  EXPECT_FALSE(rec.Ended());
  watch->Stop();
  EXPECT_TRUE(watch->Done());
}

TEST_F(WatchTest, AnEventLargerThanAChunkArrivesWhole) {
  Recorder rec;
  auto watch = client_->Watch(std::string(kCms) + "?watch=1&resourceVersion=" + ListRv(),
                              rec.OnEvent(), rec.OnEnd());
  std::string big(300 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(client_
                  ->Create(kCms, {{"apiVersion", "v1"},
                                  {"kind", "ConfigMap"},
                                  {"metadata", {{"name", "big"}}},
                                  {"data", {{"k", big}}}})
                  .ok());
  ASSERT_TRUE(Eventually([&] { return rec.For("big").size() == 1; }));
  EXPECT_EQ(rec.For("big")[0].second["data"]["k"], big);
}

TEST_F(WatchTest, StopEndsDeliveryAndOnEndIsNotCalled) {
  Recorder stopped;
  auto watch = client_->Watch(std::string(kCms) + "?watch=1&resourceVersion=" + ListRv(),
                              stopped.OnEvent(), stopped.OnEnd());
  ASSERT_TRUE(client_->Create(kCms, {{"metadata", {{"name", "before-stop"}}}}).ok());
  ASSERT_TRUE(Eventually([&] { return stopped.For("before-stop").size() == 1; }));
  watch->Stop();
  EXPECT_TRUE(watch->Done());
  // A second watch proves the next event was dispatched; the stopped one must not see it.
  Recorder witness;
  auto second = client_->Watch(std::string(kCms) + "?watch=1&resourceVersion=" + ListRv(),
                               witness.OnEvent(), witness.OnEnd());
  ASSERT_TRUE(client_->Create(kCms, {{"metadata", {{"name", "after-stop"}}}}).ok());
  ASSERT_TRUE(Eventually([&] { return witness.For("after-stop").size() == 1; }));
  EXPECT_TRUE(stopped.For("after-stop").empty());
  EXPECT_FALSE(stopped.Ended());
}

TEST_F(WatchTest, StopFromInsideTheEventCallbackDoesNotDeadlock) {
  std::unique_ptr<WatchHandle> watch;
  std::mutex mu;
  std::atomic<int> calls{0};
  {
    std::lock_guard l(mu);
    watch = client_->Watch(
        std::string(kCms) + "?watch=1&resourceVersion=" + ListRv(),
        [&](WatchEventType, std::shared_ptr<const Json>) {
          ++calls;
          std::lock_guard l2(mu);
          watch->Stop();
        },
        nullptr);
  }
  ASSERT_TRUE(client_->Create(kCms, {{"metadata", {{"name", "self-stop-1"}}}}).ok());
  ASSERT_TRUE(client_->Create(kCms, {{"metadata", {{"name", "self-stop-2"}}}}).ok());
  ASSERT_TRUE(Eventually([&] { return watch->Done(); }));
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(WatchTest, TheServerEndingTheWatchCallsOnEndWithOk) {
  Recorder rec;
  auto watch =
      client_->Watch(std::string(kCms) + "?watch=1&timeoutSeconds=1&resourceVersion=" + ListRv(),
                     rec.OnEvent(), rec.OnEnd());
  ASSERT_TRUE(Eventually([&] { return rec.Ended(); }));
  EXPECT_TRUE(rec.end->ok()) << rec.end->ToString();
  EXPECT_TRUE(watch->Done());
}

TEST_F(WatchTest, AnUnknownResourceEndsWithNotFound) {
  Recorder rec;
  auto watch =
      client_->Watch("/api/v1/namespaces/default/nothings?watch=1", rec.OnEvent(), rec.OnEnd());
  ASSERT_TRUE(Eventually([&] { return rec.Ended(); }));
  EXPECT_EQ(rec.end->code(), StatusCode::kNotFound) << rec.end->ToString();
  EXPECT_EQ(rec.Count(), 0u);
}

TEST_F(WatchTest, ResumingFromARevisionBeforeTheCacheWindowGetsGone) {
  std::string old_rv = ListRv();
  // A new API server primes its watch cache at the current revision; writes made while it was
  // down put `old_rv` before the window.
  cluster_->Pause();
  cluster_->ResumeWithNewApiServer([](apiserver::ApiServer& api) {
    auto r = api.StorageFor("", "configmaps")
                 ->Create({}, "default",
                          {{"apiVersion", "v1"},
                           {"kind", "ConfigMap"},
                           {"metadata", {{"name", "while-down"}}}});
    ASSERT_FALSE(std::holds_alternative<apiserver::ApiError>(r));
  });
  Recorder rec;
  auto watch = client_->Watch(std::string(kCms) + "?watch=1&resourceVersion=" + old_rv,
                              rec.OnEvent(), rec.OnEnd());
  ASSERT_TRUE(Eventually([&] { return rec.Ended(); }));
  ASSERT_EQ(rec.Count(), 1u);
  EXPECT_EQ(rec.events[0].first, WatchEventType::kError);
  EXPECT_EQ(StatusFromStatusObject(rec.events[0].second).code(), StatusCode::kGone);
  EXPECT_EQ(rec.events[0].second["code"], 410);
}

}  // namespace
}  // namespace capstan::client
