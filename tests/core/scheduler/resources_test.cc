// Tests for core/scheduler/resources.h: quantities and resource lists.
#include "core/scheduler/resources.h"

#include <gtest/gtest.h>

namespace capstan::scheduler {
namespace {

struct QuantityCase {
  const char* text;
  int64_t milli;
};

TEST(ResourcesTest, QuantitiesParseToRoundedUpMilliUnits) {
  for (const QuantityCase& c : std::vector<QuantityCase>{{"1", 1000},
                                                         {"500m", 500},
                                                         {"0.5", 500},
                                                         {"1.5", 1500},
                                                         {"1k", 1000000},
                                                         {"1Ki", 1024000},
                                                         {"1Gi", 1073741824000},
                                                         {"1e3", 1000000},
                                                         {"1E-3", 1},
                                                         {"100n", 1},
                                                         {"1u", 1},
                                                         {"0", 0},
                                                         {"+2", 2000},
                                                         {"-1", -1000},
                                                         {"1.0001m", 2},
                                                         {"12Mi", 12582912000}}) {
    Result<int64_t> got = ParseQuantityMilli(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.milli) << c.text;
  }
}

TEST(ResourcesTest, MalformedQuantitiesAreInvalid) {
  for (const char* text : {"", "abc", "1.2.3", "1Xi", "m", "1e", "--1"}) {
    Result<int64_t> got = ParseQuantityMilli(text);
    EXPECT_FALSE(got.ok()) << text;
    if (!got.ok()) {
      EXPECT_EQ(got.status().code(), StatusCode::kInvalid);
    }
  }
}

TEST(ResourcesTest, HugeQuantitiesSaturate) {
  Result<int64_t> got = ParseQuantityMilli("100000000E");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::numeric_limits<int64_t>::max());
}

TEST(ResourcesTest, ResourceListsSplitCpuMemoryPodsAndScalars) {
  nlohmann::json list = {{"cpu", "2500m"},        {"memory", "1Gi"},
                         {"pods", 110},           {"ephemeral-storage", "10G"},
                         {"nvidia.com/gpu", "2"}, {"hugepages-2Mi", "4Mi"}};
  Result<Resources> r = ResourcesFromList(&list, "status.allocatable");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->milli_cpu, 2500);
  EXPECT_EQ(r->memory, 1073741824);
  EXPECT_EQ(r->pods, 110);
  EXPECT_EQ(r->ephemeral_storage, 10000000000);
  EXPECT_EQ(r->Scalar("nvidia.com/gpu"), 2);
  EXPECT_EQ(r->Scalar("hugepages-2Mi"), 4194304);
  EXPECT_EQ(r->Scalar("absent"), 0);
}

TEST(ResourcesTest, ABadQuantityNamesItsField) {
  nlohmann::json list = {{"cpu", "lots"}};
  Result<Resources> r = ResourcesFromList(&list, "spec.overhead");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("spec.overhead.cpu"), std::string::npos);
}

TEST(ResourcesTest, ArithmeticIsFieldWiseAndSubtractionStopsAtZero) {
  Resources a;
  a.milli_cpu = 100;
  a.SetScalar("x", 3);
  Resources b;
  b.milli_cpu = 300;
  b.memory = 5;
  b.SetScalar("y", 1);
  Resources sum = a;
  sum.Add(b);
  EXPECT_EQ(sum.milli_cpu, 400);
  EXPECT_EQ(sum.Scalar("x"), 3);
  EXPECT_EQ(sum.Scalar("y"), 1);
  Resources m = a;
  m.Max(b);
  EXPECT_EQ(m.milli_cpu, 300);
  EXPECT_EQ(m.memory, 5);
  a.Sub(b);
  EXPECT_EQ(a.milli_cpu, 0);
  EXPECT_EQ(a.memory, 0);
}

}  // namespace
}  // namespace capstan::scheduler
