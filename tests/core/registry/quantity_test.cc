// Tests for core/registry/quantity.h: parsing, upstream's canonical forms, comparison, rounding.
#include "core/registry/quantity.h"

#include <gtest/gtest.h>

namespace capstan::registry {
namespace {

std::string Canonical(std::string_view text) {
  Result<Quantity> q = Quantity::Parse(text);
  return q.ok() ? q->String() : "error: " + q.status().message();
}

TEST(QuantityTest, CanonicalFormsMatchUpstream) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"1", "1"},
      {"1000m", "1"},
      {"1500m", "1500m"},
      {"0.5", "500m"},
      {".5", "500m"},
      {"0.1", "100m"},
      {"2000", "2k"},
      {"1Gi", "1Gi"},
      {"1024Mi", "1Gi"},
      {"1536Mi", "1536Mi"},
      {"0.5Gi", "512Mi"},
      {"1023Ki", "1023Ki"},
      {"512", "512"},
      {"1e3", "1e3"},
      {"1500e-3", "1500e-3"},
      {"128974848", "128974848"},
      {"129e6", "129e6"},
      {"123Mi", "123Mi"},
      {"0", "0"},
      {"-1Mi", "-1Mi"},
      {"100u", "100u"},
      {"1n", "1n"},
      {"+5", "5"},
      {"1M", "1M"},
  };
  for (const Case& c : cases) EXPECT_EQ(Canonical(c.in), c.out) << c.in;
}

TEST(QuantityTest, MalformedQuantitiesAreRejectedWithUpstreamText) {
  const std::string kRegex =
      "error: quantities must match the regular expression "
      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  for (const char* bad : {"", "abc", "1.2.3", "1 Gi", "--1", "Gi"}) {
    EXPECT_EQ(Canonical(bad), kRegex) << bad;
  }
  EXPECT_EQ(Canonical("1Gb"), kRegex);
  EXPECT_EQ(Canonical("1ki"), "error: unable to parse quantity's suffix");
}

TEST(QuantityTest, CompareRoundAndJson) {
  Quantity a = *Quantity::Parse("1");
  Quantity b = *Quantity::Parse("1000m");
  Quantity c = *Quantity::Parse("1001m");
  EXPECT_EQ(a.Compare(b), 0);
  EXPECT_LT(a.Compare(c), 0);
  EXPECT_EQ(Quantity::Parse("0.0001")->RoundUpToMilli().String(), "1m");
  EXPECT_EQ(Quantity::Parse("250m")->MilliValue(), 250);
  EXPECT_EQ(Quantity::FromJson(2)->String(), "2");
  EXPECT_EQ(Quantity::FromJson(0.5)->String(), "500m");
  EXPECT_FALSE(Quantity::FromJson(nlohmann::json::array()).ok());
  EXPECT_EQ(Quantity::Parse("1Gi")->Plus(*Quantity::Parse("1Gi")).String(), "2Gi");
  EXPECT_FALSE(Quantity::Parse("999999999999999999999999999999999Ei").ok());
}

}  // namespace
}  // namespace capstan::registry
