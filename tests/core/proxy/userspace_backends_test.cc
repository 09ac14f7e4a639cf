// Unit test for core/proxy/userspace_backends.h: random choice with cyclic retries, ClientIP
// affinity with an injected clock, and the Local policy of external traffic.
#include "core/proxy/userspace_backends.h"

#include <gtest/gtest.h>

#include <set>

namespace capstan::proxy {
namespace {

ServicePortState State(std::vector<Endpoint> endpoints, int affinity = 0, bool local = false) {
  ServicePortState s;
  s.id = "default/web/tcp/80";
  s.protocol = "tcp";
  s.port = 80;
  s.endpoints = std::move(endpoints);
  s.affinity_timeout_seconds = affinity;
  s.external_local = local;
  return s;
}

const Endpoint kA{"10.1.0.1", 8080, true}, kB{"10.1.0.2", 8080, false}, kC{"10.1.0.3", 8080, false};
constexpr uint32_t kClient = 0x0a000001, kOtherClient = 0x0a000002;

class PortBackendsTest : public testing::Test {
 protected:
  PortBackends backends_{[this] { return now_; }};
  PortBackends::Clock::time_point now_{};
  std::mt19937 rng_{42};
};

TEST_F(PortBackendsTest, RandomFirstEndpointThenTheNextOnesCyclicallyAsRetries) {
  backends_.Update(State({kA, kB, kC}));
  std::set<uint32_t> firsts;
  for (int i = 0; i < 60; ++i) {
    std::vector<Backend> c = backends_.Candidates(kClient, false, 4, &rng_);
    ASSERT_EQ(c.size(), 3u);  // never more than there are
    firsts.insert(c[0].ip);
    EXPECT_EQ(c[1].ip, c[0].ip == 0x0a010003 ? 0x0a010001u : c[0].ip + 1);
  }
  EXPECT_EQ(firsts.size(), 3u);
  EXPECT_EQ(backends_.Candidates(kClient, false, 1, &rng_).size(), 1u);
}

TEST_F(PortBackendsTest, ClientIpAffinityHoldsUntilIdleForTheTimeout) {
  backends_.Update(State({kA, kB, kC}, /*affinity=*/10));
  Backend first = backends_.Candidates(kClient, false, 1, &rng_)[0];
  backends_.Chose(kClient, first);
  for (int i = 0; i < 20; ++i) {
    now_ += std::chrono::seconds(9);  // each new connection refreshes it
    Backend b = backends_.Candidates(kClient, false, 1, &rng_)[0];
    ASSERT_EQ(b, first);
    backends_.Chose(kClient, b);
  }
  std::set<uint32_t> others;
  for (int i = 0; i < 30; ++i)
    others.insert(backends_.Candidates(kOtherClient, false, 1, &rng_)[0].ip);
  EXPECT_GT(others.size(), 1u);  // other clients are not pinned
  now_ += std::chrono::seconds(11);
  backends_.ExpireAffinity();
  EXPECT_EQ(backends_.affinity_entries(), 0u);
}

TEST_F(PortBackendsTest, AffinityToARemovedEndpointIsForgotten) {
  backends_.Update(State({kA, kB}, 100));
  backends_.Chose(kClient, Backend{0x0a010002, 8080, false});
  backends_.Update(State({kA, kC}, 100));
  EXPECT_EQ(backends_.affinity_entries(), 0u);
  EXPECT_FALSE(backends_.Serves(Backend{0x0a010002, 8080, false}, false));
}

TEST_F(PortBackendsTest, LocalPolicyKeepsExternalTrafficToLocalEndpoints) {
  backends_.Update(State({kA, kB, kC}, 0, /*local=*/true));
  for (int i = 0; i < 20; ++i) {
    std::vector<Backend> c = backends_.Candidates(kClient, true, 4, &rng_);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].ip, 0x0a010001u);
  }
  EXPECT_EQ(backends_.Candidates(kClient, false, 4, &rng_).size(), 3u);
  backends_.Update(State({kB, kC}, 0, true));
  EXPECT_FALSE(backends_.HasEndpoints(true));
  EXPECT_TRUE(backends_.HasEndpoints(false));
  EXPECT_TRUE(backends_.Candidates(kClient, true, 4, &rng_).empty());
}

}  // namespace
}  // namespace capstan::proxy
