// Tests for core/registry/service_allocators.h and bitmap_allocator.h: no duplicates under
// concurrency, static requests, exhaustion, ownership, rebuild from stored Services, repair.
#include "core/registry/service_allocators.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace capstan::registry {
namespace {

struct FakeClock {
  int64_t now = 1000;
  MonotonicClock Fn() {
    return [this] { return now; };
  }
};

TEST(ServiceIpAllocatorTest, HandsOutDistinctAddressesAcrossThreads) {
  auto a = ServiceIpAllocator::Create("10.0.0.0/22");  // 1022 usable, .1 reserved
  ASSERT_TRUE(a.ok());
  std::mutex mu;
  std::set<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        Result<std::string> ip = (*a)->AllocateNext("svc-" + std::to_string(t));
        ASSERT_TRUE(ip.ok()) << ip.status().ToString();
        std::lock_guard<std::mutex> lock(mu);
        EXPECT_TRUE(seen.insert(*ip).second) << "duplicate " << *ip;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(seen.count("10.0.0.1"), 0u) << "the kubernetes Service's address is never dynamic";
  EXPECT_EQ(seen.count("10.0.0.0"), 0u);
  EXPECT_EQ(seen.count("10.0.3.255"), 0u);
}

TEST(ServiceIpAllocatorTest, StaticRequestsAndUpstreamErrors) {
  auto a = ServiceIpAllocator::Create("10.96.0.0/12");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->cidr(), "10.96.0.0/12");
  EXPECT_TRUE((*a)->Allocate("10.96.0.1", "kubernetes").ok());
  EXPECT_TRUE((*a)->Allocate("10.96.0.10", "dns").ok());
  EXPECT_TRUE((*a)->Allocate("10.96.0.10", "dns").ok()) << "idempotent for the owner";
  Status taken = (*a)->Allocate("10.96.0.10", "other");
  EXPECT_EQ(taken.code(), StatusCode::kInvalid);
  EXPECT_EQ(taken.message(), "provided IP is already allocated");
  Status out = (*a)->Allocate("10.0.0.5", "other");
  EXPECT_EQ(out.message(),
            "the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is "
            "10.96.0.0/12");
  EXPECT_TRUE((*a)->IsOwnedBy("10.96.0.10", "dns"));
  (*a)->Release("10.96.0.10", "other");
  EXPECT_TRUE((*a)->IsOwnedBy("10.96.0.10", "dns")) << "only the owner releases";
  (*a)->Release("10.96.0.10", "dns");
  EXPECT_TRUE((*a)->Allocate("10.96.0.10", "other").ok());
}

TEST(ServiceIpAllocatorTest, ExhaustionIsAClearError) {
  auto a = ServiceIpAllocator::Create("192.168.7.0/29");  // 6 usable, 5 dynamic
  ASSERT_TRUE(a.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*a)->AllocateNext("s").ok());
  Result<std::string> full = (*a)->AllocateNext("s");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().message(), "range is full");
  EXPECT_FALSE(ServiceIpAllocator::Create("10.0.0.0/31").ok());
  EXPECT_FALSE(ServiceIpAllocator::Create("fd00::/108").ok());
  EXPECT_FALSE(ServiceIpAllocator::Create("10.0.0.0").ok());
}

TEST(NodePortAllocatorTest, RangeErrorsAndExhaustion) {
  auto p = NodePortAllocator::Parse("30000-30009");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->Range(), "30000-30009");
  EXPECT_TRUE((*p)->Allocate(30005, "a").ok());
  EXPECT_EQ((*p)->Allocate(30005, "b").message(), "provided port is already allocated");
  EXPECT_EQ((*p)->Allocate(80, "b").message(),
            "provided port is not in the valid range. The range of valid ports is 30000-30009");
  std::set<int> got = {30005};
  for (int i = 0; i < 9; ++i) {
    Result<int> port = (*p)->AllocateNext("b");
    ASSERT_TRUE(port.ok());
    EXPECT_TRUE(got.insert(*port).second);
  }
  EXPECT_EQ((*p)->AllocateNext("b").status().message(), "range is full");
  EXPECT_FALSE(NodePortAllocator::Parse("32767-30000").ok());
}

TEST(NodePortAllocatorTest, ConcurrentAllocationNeverDuplicates) {
  auto p = NodePortAllocator::Create(30000, 2768);
  ASSERT_TRUE(p.ok());
  std::mutex mu;
  std::multiset<int> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 692; ++i) {
        Result<int> port = (*p)->AllocateNext("owner-" + std::to_string(t));
        ASSERT_TRUE(port.ok());
        std::lock_guard<std::mutex> lock(mu);
        seen.insert(*port);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<int> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size());
  EXPECT_EQ(unique.size(), 2768u) << "every port of the range handed out exactly once";
}

Json StoredService(const std::string& uid, const std::string& ip, std::vector<int> node_ports) {
  Json ports = Json::array();
  for (int np : node_ports) ports.push_back({{"port", 80}, {"nodePort", np}});
  return {{"metadata", {{"name", "s-" + uid}, {"namespace", "default"}, {"uid", uid}}},
          {"spec", {{"clusterIP", ip}, {"clusterIPs", {ip}}, {"ports", ports}}}};
}

TEST(ServiceAllocatorsTest, RebuildMarksStoredServicesAndReportsConflicts) {
  ServiceAllocators a = ServiceAllocators::Default();
  std::vector<Json> stored = {
      StoredService("u1", "10.96.0.1", {}), StoredService("u2", "10.96.5.5", {30080, 30081}),
      StoredService("u3", "10.96.5.5", {30080}), StoredService("u4", "None", {})};
  std::vector<std::string> problems = a.Rebuild(stored);
  EXPECT_EQ(problems.size(), 2u);
  EXPECT_TRUE(a.ips->IsOwnedBy("10.96.5.5", "u2"));
  EXPECT_TRUE(a.ports->IsOwnedBy(30081, "u2"));
  EXPECT_EQ(a.ips->Used(), 2u);
  EXPECT_EQ(a.ports->Used(), 2u);
  EXPECT_EQ(a.ports->Allocate(30080, "new").message(), "provided port is already allocated");
  // Rebuilding again starts from scratch.
  EXPECT_TRUE(a.Rebuild({}).empty());
  EXPECT_EQ(a.ips->Used(), 0u);
}

TEST(ServiceAllocatorsTest, RepairFreesOnlyOldLeaks) {
  FakeClock clock;
  ServiceAllocators a = ServiceAllocators::Default(clock.Fn());
  ASSERT_TRUE(a.ips->Allocate("10.96.1.1", "stored").ok());
  ASSERT_TRUE(a.ips->Allocate("10.96.1.2", "leaked").ok());
  clock.now += 60000;
  ASSERT_TRUE(a.ips->Allocate("10.96.1.3", "in-flight").ok());
  std::vector<std::string> freed = a.Repair({StoredService("stored", "10.96.1.1", {})}, 30000);
  ASSERT_EQ(freed.size(), 1u);
  EXPECT_EQ(freed[0], "released leaked cluster IP 10.96.1.2");
  EXPECT_TRUE(a.ips->IsOwnedBy("10.96.1.1", "stored"));
  EXPECT_TRUE(a.ips->IsOwnedBy("10.96.1.3", "in-flight"));
}

}  // namespace
}  // namespace capstan::registry
