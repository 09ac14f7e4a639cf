// Tests for core/client/leader_elector.h against a real API server's Lease storage: exactly one
// of two candidates leads, the other takes over after a release or after the lease expires, and
// option validation.
#include "core/client/leader_elector.h"

#include <gtest/gtest.h>

#include <atomic>

#include "tests/core/client/test_cluster.h"

namespace capstan::client {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using testing::Eventually;
using testing::TestCluster;

// Counts leaders across candidates; `max_concurrent` records any overlap.
struct Leadership {
  std::atomic<int> current{0};
  std::atomic<int> max_concurrent{0};
  std::atomic<int> started{0};
  std::atomic<int> stopped{0};

  LeaderElectorOptions Options(const std::string& lease, const std::string& id) {
    LeaderElectorOptions o;
    o.lease_name = lease;
    o.identity = id;
    o.lease_duration = milliseconds(1000);
    o.renew_deadline = milliseconds(600);
    o.retry_period = milliseconds(40);
    o.on_started_leading = [this] {
      ++started;
      int now = ++current;
      int seen = max_concurrent.load();
      while (now > seen && !max_concurrent.compare_exchange_weak(seen, now)) {
      }
    };
    o.on_stopped_leading = [this] {
      ++stopped;
      --current;
    };
    return o;
  }
};

class LeaderElectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new TestCluster(); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { client_ = cluster_->NewClient(); }
  Json Lease(const std::string& name) {
    Result<Json> l =
        client_->Get("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/" + name);
    return l.ok() ? *l : Json();
  }

  static TestCluster* cluster_;
  std::unique_ptr<ApiClient> client_;
};

TestCluster* LeaderElectorTest::cluster_ = nullptr;

TEST_F(LeaderElectorTest, ExactlyOneOfTwoLeadsAndTheOtherTakesOverAfterRelease) {
  Leadership l;
  auto a = LeaderElector::Start(client_.get(), l.Options("release", "a"));
  auto b = LeaderElector::Start(client_.get(), l.Options("release", "b"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(Eventually([&] { return (*a)->IsLeader() || (*b)->IsLeader(); }));
  LeaderElector* leader = (*a)->IsLeader() ? a->get() : b->get();
  LeaderElector* follower = leader == a->get() ? b->get() : a->get();
  std::string leader_id = leader == a->get() ? "a" : "b";
  std::string follower_id = leader_id == "a" ? "b" : "a";
  // The follower sees the holder and stays a follower through several of its retries.
  ASSERT_TRUE(Eventually([&] { return follower->Leader() == leader_id; }));
  EXPECT_FALSE(follower->IsLeader());
  Json lease = Lease("release");
  EXPECT_EQ(lease["spec"]["holderIdentity"], leader_id);
  EXPECT_EQ(lease["spec"]["leaseDurationSeconds"], 1);

  leader->Stop();  // releases the lease
  EXPECT_FALSE(leader->IsLeader());
  ASSERT_TRUE(Eventually([&] { return follower->IsLeader(); }));
  EXPECT_EQ(Lease("release")["spec"]["holderIdentity"], follower_id);
  EXPECT_EQ(Lease("release")["spec"]["leaseTransitions"], 1);
  follower->Stop();
  EXPECT_EQ(l.max_concurrent.load(), 1) << "never two leaders at once";
  EXPECT_EQ(l.started.load(), 2);
  EXPECT_EQ(l.stopped.load(), 2);
  EXPECT_EQ(Lease("release")["spec"]["holderIdentity"], "") << "the last leader released it";
}

TEST_F(LeaderElectorTest, AnExpiredLeaseIsTakenOverWithoutRelease) {
  Leadership l;
  LeaderElectorOptions first = l.Options("expiry", "first");
  first.release_on_stop = false;  // as if the process died
  auto a = LeaderElector::Start(client_.get(), first);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(Eventually([&] { return (*a)->IsLeader(); }));
  (*a)->Stop();
  EXPECT_EQ(Lease("expiry")["spec"]["holderIdentity"], "first");
  auto b = LeaderElector::Start(client_.get(), l.Options("expiry", "second"));
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(Eventually([&] { return (*b)->Leader() == "first"; }));
  EXPECT_FALSE((*b)->IsLeader()) << "the lease has not expired yet from b's point of view";
  ASSERT_TRUE(Eventually([&] { return (*b)->IsLeader(); }));
  EXPECT_EQ(Lease("expiry")["spec"]["holderIdentity"], "second");
}

TEST_F(LeaderElectorTest, OptionsAreValidated) {
  struct Case {
    const char* name;
    std::function<void(LeaderElectorOptions&)> mutate;
    const char* message;
  };
  const Case cases[] = {
      {"no lease name", [](LeaderElectorOptions& o) { o.lease_name.clear(); }, "lease_name"},
      {"no identity", [](LeaderElectorOptions& o) { o.identity.clear(); }, "identity"},
      {"renew >= duration", [](LeaderElectorOptions& o) { o.renew_deadline = o.lease_duration; },
       "renew_deadline"},
      {"retry >= renew", [](LeaderElectorOptions& o) { o.retry_period = o.renew_deadline; },
       "retry_period"},
      {"zero duration", [](LeaderElectorOptions& o) { o.retry_period = milliseconds(0); },
       "positive"},
  };
  for (const Case& c : cases) {
    LeaderElectorOptions o;
    o.lease_name = "x";
    o.identity = "y";
    c.mutate(o);
    auto e = LeaderElector::Start(client_.get(), o);
    ASSERT_FALSE(e.ok()) << c.name;
    EXPECT_EQ(e.status().code(), StatusCode::kInvalid) << c.name;
    EXPECT_NE(e.status().message().find(c.message), std::string::npos) << e.status().message();
  }
}

}  // namespace
}  // namespace capstan::client
