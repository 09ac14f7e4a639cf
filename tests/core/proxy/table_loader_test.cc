// Tests for core/proxy/table_loader.h with real nft in a network namespace this test creates
// (and always deletes): a first load of a large table is split into parallel runs and loses
// nothing; a load over an existing table is one transaction; ElementsScript covers any range.
// Needs root and nft; skipped otherwise.
#include "core/proxy/table_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace capstan::proxy {
namespace {

// `services` ports of `endpoints` endpoints each, with distinct cluster IPs.
std::vector<ServicePortState> Ports(int services, int endpoints) {
  std::vector<ServicePortState> ports(static_cast<size_t>(services));
  for (int s = 0; s < services; ++s) {
    ServicePortState& p = ports[static_cast<size_t>(s)];
    p.id = "ns/svc" + std::to_string(s) + "/tcp/80";
    p.protocol = "tcp";
    p.port = 80;
    p.cluster_ips = {"10.96." + std::to_string(s / 250) + "." + std::to_string(s % 250 + 1)};
    p.group = static_cast<uint32_t>(s + 1);
    for (int e = 0; e < endpoints; ++e) {
      p.endpoints.push_back({"10." + std::to_string(100 + e) + "." + std::to_string(s / 250) + "." +
                                 std::to_string(s % 250 + 1),
                             8080, false});
    }
  }
  return ports;
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(ElementsScriptTest, AnyRangeGivesOneCommandPerMapItTouches) {
  RulesConfig config;
  config.table = "t";
  std::vector<ServicePortState> ports = Ports(2, 2);
  SharedCounts shared;
  TableScript table = RenderTable(config, {&ports[0], &ports[1]}, &shared);
  ASSERT_EQ(table.elements.size(), 6u);  // 4 backends, 2 services
  EXPECT_EQ(ElementsScript(config, table, 3, 5),
            "add element ip t backends {\n    10.96.0.2 . tcp . 80 . 1 : 10.101.0.2 . 8080\n}\n"
            "add element ip t services {\n    10.96.0.1 . tcp . 80 : goto pick-2\n}\n");
  EXPECT_EQ(ElementsScript(config, table, 6, 9), "");
  EXPECT_EQ(table.skeleton + ElementsScript(config, table, 0, 6),
            FullTableScript(config, {&ports[0], &ports[1]}, &shared));
}

class TableLoaderTest : public testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0 || NftRunner::FindNft().empty()) GTEST_SKIP() << "needs root and nft";
    netns_ = "capstan-proxy-test-" + std::to_string(getpid()) + "-tl";
    ASSERT_EQ(std::system(("ip netns add " + netns_).c_str()), 0);
    runner_ = NftRunner("", netns_);
    config_.table = "capstan-proxy-loader-test";
  }
  void TearDown() override {
    if (!netns_.empty()) std::system(("ip netns del " + netns_).c_str());
  }

  std::string netns_;
  NftRunner runner_;
  RulesConfig config_;
};

TEST_F(TableLoaderTest, AFirstLoadIsSplitAndALoadOverTheTableIsOneTransaction) {
  std::vector<ServicePortState> ports = Ports(4200, 10);  // 42,000 backends: worth splitting
  std::vector<const ServicePortState*> ptrs;
  for (const ServicePortState& p : ports) ptrs.push_back(&p);
  SharedCounts shared;
  LoadStats stats;
  ASSERT_TRUE(LoadTable(runner_, config_, ptrs, &shared, 2, &stats).ok());
  EXPECT_TRUE(stats.split);
  EXPECT_EQ(shared, (SharedCounts{{"pick-10", 4200}}));
  Result<std::string> backends = runner_.Run({"list", "map", "ip", config_.table, "backends"});
  ASSERT_TRUE(backends.ok()) << backends.status().ToString();
  EXPECT_EQ(Count(*backends, " . 8080"), 42000u);
  Result<std::string> services = runner_.Run({"list", "map", "ip", config_.table, "services"});
  ASSERT_TRUE(services.ok());
  EXPECT_EQ(Count(*services, "goto pick-10"), 4200u);

  ports.resize(10);
  ptrs.resize(10);
  ASSERT_TRUE(LoadTable(runner_, config_, ptrs, &shared, 2, &stats).ok());
  EXPECT_FALSE(stats.split);
  backends = runner_.Run({"list", "map", "ip", config_.table, "backends"});
  ASSERT_TRUE(backends.ok());
  EXPECT_EQ(Count(*backends, " . 8080"), 100u);
}

}  // namespace
}  // namespace capstan::proxy
