// Tests for core/client/informer.h against a real API server: paginated sync, handlers in
// order, selectors, late handlers, resync, and relisting after 410 Gone with the right deletes,
// updates and adds for what changed while the informer was away.
#include "core/client/informer.h"

#include <gtest/gtest.h>

#include <mutex>

#include "tests/core/client/test_cluster.h"

namespace capstan::client {
namespace {

using Json = nlohmann::json;
using testing::Eventually;
using testing::TestCluster;

// Records handler calls as "add ns/name", "update ns/name", "delete ns/name".
struct Log {
  std::mutex mu;
  std::vector<std::string> lines;
  std::vector<std::pair<ObjectPtr, ObjectPtr>> updates;

  EventHandler Handler() {
    return {[this](const ObjectPtr& o) { Add("add " + ObjectKey(*o)); },
            [this](const ObjectPtr& old_o, const ObjectPtr& new_o) {
              Add("update " + ObjectKey(*new_o));
              std::lock_guard l(mu);
              updates.emplace_back(old_o, new_o);
            },
            [this](const ObjectPtr& o) { Add("delete " + ObjectKey(*o)); }};
  }
  void Add(std::string s) {
    std::lock_guard l(mu);
    lines.push_back(std::move(s));
  }
  std::vector<std::string> Lines() {
    std::lock_guard l(mu);
    return lines;
  }
  bool Has(const std::string& line) {
    std::lock_guard l(mu);
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  }
};

class InformerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new TestCluster(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    client_ = cluster_->NewClient();
    // A namespace per test keeps the tests independent.
    ns_ = "inf-" + std::to_string(++counter_);
    ASSERT_TRUE(
        client_
            ->Create("/api/v1/namespaces",
                     {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}})
            .ok());
  }
  std::string Cms() const { return "/api/v1/namespaces/" + ns_ + "/configmaps"; }
  void CreateCm(const std::string& name, const Json& labels = Json::object()) {
    ASSERT_TRUE(client_
                    ->Create(Cms(), {{"apiVersion", "v1"},
                                     {"kind", "ConfigMap"},
                                     {"metadata", {{"name", name}, {"labels", labels}}},
                                     {"data", {{"v", "1"}}}})
                    .ok());
  }
  InformerOptions Options() const {
    InformerOptions o;
    o.path = Cms();
    o.retry_initial = std::chrono::milliseconds(20);
    return o;
  }
  std::string Key(const std::string& name) const { return ns_ + "/" + name; }

  static TestCluster* cluster_;
  static int counter_;
  std::unique_ptr<ApiClient> client_;
  std::string ns_;
};

TestCluster* InformerTest::cluster_ = nullptr;
int InformerTest::counter_ = 0;

TEST_F(InformerTest, SyncsAcrossPagesAndDeliversAnAddPerObject) {
  for (int i = 0; i < 7; ++i) CreateCm("cm-" + std::to_string(i));
  InformerOptions o = Options();
  o.page_size = 3;
  Informer inf(client_.get(), o);
  Log log;
  inf.AddHandler(log.Handler());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  EXPECT_EQ(inf.Size(), 7u);
  EXPECT_EQ(log.Lines().size(), 7u);
  EXPECT_TRUE(log.Has("add " + Key("cm-6")));
  ObjectPtr cm = inf.Get(Key("cm-3"));
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ((*cm)["kind"], "ConfigMap") << "list items get their kind back";
  EXPECT_EQ((*cm)["apiVersion"], "v1");
  EXPECT_EQ(inf.List(ns_).size(), 7u);
  EXPECT_TRUE(inf.List("other").empty());
  EXPECT_EQ(inf.Stats().lists, 1);
  EXPECT_FALSE(inf.ResourceVersion().empty());
}

TEST_F(InformerTest, DeliversUpdatesAndDeletesInOrderAfterTheCacheChanged) {
  CreateCm("a");
  CreateCm("b");
  Informer inf(client_.get(), Options());
  Log log;
  std::atomic<bool> cache_was_current{true};
  EventHandler check;
  check.on_update = [&](const ObjectPtr&, const ObjectPtr& n) {
    if (inf.Get(ObjectKey(*n)) != n) cache_was_current = false;
  };
  check.on_delete = [&](const ObjectPtr& o) {
    if (inf.Get(ObjectKey(*o)) != nullptr) cache_was_current = false;
  };
  inf.AddHandler(log.Handler());
  inf.AddHandler(check);
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  ASSERT_TRUE(
      client_->Patch(Cms() + "/a", "application/merge-patch+json", {{"data", {{"v", "2"}}}}).ok());
  ASSERT_TRUE(client_->Delete(Cms() + "/b").ok());
  CreateCm("c");
  ASSERT_TRUE(Eventually([&] { return log.Lines().size() == 5; }));
  std::vector<std::string> lines = log.Lines();
  EXPECT_EQ(lines[2], "update " + Key("a"));
  EXPECT_EQ(lines[3], "delete " + Key("b"));
  EXPECT_EQ(lines[4], "add " + Key("c"));
  {
    std::lock_guard l(log.mu);
    ASSERT_EQ(log.updates.size(), 1u);
    EXPECT_EQ((*log.updates[0].first)["data"]["v"], "1");
    EXPECT_EQ((*log.updates[0].second)["data"]["v"], "2");
  }
  EXPECT_TRUE(cache_was_current);
  EXPECT_EQ(inf.Get(Key("b")), nullptr);
  EXPECT_EQ((*inf.Get(Key("a")))["data"]["v"], "2");
}

TEST_F(InformerTest, ALabelSelectorLimitsTheCache) {
  CreateCm("web", {{"app", "web"}});
  CreateCm("db", {{"app", "db"}});
  InformerOptions o = Options();
  o.label_selector = "app in (web)";
  Informer inf(client_.get(), o);
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  CreateCm("web-2", {{"app", "web"}});
  CreateCm("db-2", {{"app", "db"}});
  ASSERT_TRUE(Eventually([&] { return inf.Get(Key("web-2")) != nullptr; }));
  EXPECT_EQ(inf.Size(), 2u);
  EXPECT_EQ(inf.Get(Key("db")), nullptr);
  EXPECT_EQ(inf.Get(Key("db-2")), nullptr);
}

TEST_F(InformerTest, AHandlerAddedAfterSyncFirstSeesTheCache) {
  CreateCm("x");
  CreateCm("y");
  Informer inf(client_.get(), Options());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  Log log;
  inf.AddHandler(log.Handler());
  ASSERT_TRUE(Eventually([&] { return log.Lines().size() == 2; }));
  CreateCm("z");
  ASSERT_TRUE(Eventually([&] { return log.Has("add " + Key("z")); }));
  EXPECT_EQ(log.Lines(),
            (std::vector<std::string>{"add " + Key("x"), "add " + Key("y"), "add " + Key("z")}));
}

TEST_F(InformerTest, PeriodicResyncRedeliversCachedObjectsAsUpdates) {
  CreateCm("r");
  InformerOptions o = Options();
  o.resync_period = std::chrono::milliseconds(30);
  Informer inf(client_.get(), o);
  Log log;
  inf.AddHandler(log.Handler());
  inf.Start();
  ASSERT_TRUE(Eventually([&] { return log.Has("update " + Key("r")); }));
  std::lock_guard l(log.mu);
  ASSERT_FALSE(log.updates.empty());
  EXPECT_EQ(log.updates[0].first, log.updates[0].second) << "a resync passes the same object";
}

TEST_F(InformerTest, RelistsAfterGoneAndReconcilesWhatChangedMeanwhile) {
  CreateCm("stays");
  CreateCm("changes");
  CreateCm("goes");
  InformerOptions o = Options();
  o.watch_timeout_seconds = 1;  // the server ends each watch after 1 s; the informer resumes
  Informer inf(client_.get(), o);
  Log log;
  inf.AddHandler(log.Handler());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(10)));
  ObjectPtr stays = inf.Get(Key("stays"));

  // Hold requests; the informer's next watch request (its first, or the next one after the
  // server ended the current watch) waits with an old resourceVersion while the server
  // restarts and the objects change underneath.
  cluster_->Pause();
  ASSERT_TRUE(Eventually([&] { return cluster_->HeldRequests() >= 1; }));
  std::string ns = ns_;
  cluster_->ResumeWithNewApiServer([&](apiserver::ApiServer& api) {
    apiserver::RestStorage* cms = api.StorageFor("", "configmaps");
    auto del = cms->Delete({}, ns, "goes", {});
    ASSERT_FALSE(std::holds_alternative<apiserver::ApiError>(del));
    auto mod =
        cms->Modify({}, ns, "changes", "", [](const Json* cur) -> apiserver::ApiResult<Json> {
          Json next = *cur;
          next["data"]["v"] = "changed";
          return next;
        });
    ASSERT_FALSE(std::holds_alternative<apiserver::ApiError>(mod));
    auto add = cms->Create(
        {}, ns, {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "new"}}}});
    ASSERT_FALSE(std::holds_alternative<apiserver::ApiError>(add));
  });

  ASSERT_TRUE(Eventually([&] { return log.Has("add " + Key("new")); }));
  EXPECT_GE(inf.Stats().gone, 1) << "the resumed watch got 410 Gone";
  // The relist counts itself once its events are handed out, a moment after "add new".
  Eventually([&] { return inf.Stats().lists >= 2; });
  EXPECT_EQ(inf.Stats().lists, 2);
  EXPECT_TRUE(log.Has("delete " + Key("goes")));
  EXPECT_TRUE(log.Has("update " + Key("changes")));
  EXPECT_FALSE(log.Has("update " + Key("stays"))) << "unchanged objects produce no update";
  EXPECT_EQ(inf.Get(Key("stays")), stays) << "unchanged objects keep their cached pointer";
  EXPECT_EQ(inf.Get(Key("goes")), nullptr);
  EXPECT_EQ((*inf.Get(Key("changes")))["data"]["v"], "changed");
  // And the informer keeps watching the new server.
  CreateCm("after");
  ASSERT_TRUE(Eventually([&] { return inf.Get(Key("after")) != nullptr; }));
}

TEST_F(InformerTest, StopWithoutStartAndTwiceIsFine) {
  Informer inf(client_.get(), Options());
  inf.Stop();
  inf.Stop();
  EXPECT_FALSE(inf.WaitForSync(std::chrono::milliseconds(1)));
}

}  // namespace
}  // namespace capstan::client
