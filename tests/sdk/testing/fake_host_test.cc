// Tests for sdk/include/capstan/sdk/testing/fake_host.h: the fake's own rules, which plugin
// tests rely on (label selectors, namespace filtering, metric names, service removal).
#include "capstan/sdk/testing/fake_host.h"

#include <gtest/gtest.h>

#include "capstan/sdk/host.h"

namespace capstan::sdk::testing {
namespace {

TEST(FakeHostTest, ListHonoursLabelSelectorRequirements) {
  FakeHost fake;
  fake.PutObject("/v1/pods", "a/web", "1", {{"app", "web"}, {"tier", "front"}});
  fake.PutObject("/v1/pods", "a/db", "2", {{"app", "db"}});
  fake.PutObject("/v1/pods", "b/web", "3", {{"app", "web"}});
  Host host(fake.host());
  struct Case {
    const char* ns;
    const char* selector;
    const char* want;
  };
  const Case cases[] = {
      {"", "", "[2,1,3]"},          {"a", "", "[2,1]"},      {"", "app=web", "[1,3]"},
      {"", "app==web,tier", "[1]"}, {"", "app!=web", "[2]"}, {"", "!tier", "[2,3]"},
      {"b", "app=db", "[]"},
  };
  for (const Case& c : cases) {
    std::string out;
    ASSERT_TRUE(host.CacheList("/v1/pods", c.ns, c.selector, &out).ok());
    EXPECT_EQ(out, c.want) << c.ns << " " << c.selector;
  }
}

TEST(FakeHostTest, RemovedServicesAreAbsent) {
  FakeHost fake;
  fake.RemoveService("capstan_host_cache_get_v1");
  EXPECT_EQ(fake.host()->get_proc(fake.host()->ctx, "capstan_host_cache_get_v1"), nullptr);
  EXPECT_NE(fake.host()->get_proc(fake.host()->ctx, "capstan_host_cache_list_v1"), nullptr);
  EXPECT_EQ(fake.host()->get_proc(fake.host()->ctx, "capstan_host_unknown_v9"), nullptr);
}

TEST(FakeHostTest, MetricNamesFollowTheAbiRule) {
  FakeHost fake;
  Host host(fake.host());
  Metric m;
  EXPECT_TRUE(host.DefineMetric("ok_name_1", "", MetricType::kCounter, &m).ok());
  EXPECT_FALSE(host.DefineMetric("1starts_with_digit", "", MetricType::kCounter, &m).ok());
  EXPECT_FALSE(host.DefineMetric("has-dash", "", MetricType::kCounter, &m).ok());
  EXPECT_FALSE(host.DefineMetric("", "", MetricType::kCounter, &m).ok());
  EXPECT_TRUE(fake.HasMetric("ok_name_1"));
}

}  // namespace
}  // namespace capstan::sdk::testing
