// Tests of core/netpol/nft_script.h: the full table and the per-pod deltas (pure text).
#include "core/netpol/nft_script.h"

#include <gtest/gtest.h>

namespace capstan::netpol {
namespace {

PodChains Chains(bool ingress, bool egress, std::vector<std::string> in = {"drop"}) {
  PodChains c;
  c.ingress_isolated = ingress;
  c.egress_isolated = egress;
  if (ingress) c.ingress = std::move(in);
  if (egress) c.egress = {"drop"};
  return c;
}

TEST(NftScriptTest, FullTableReplacesTheTableAndJumpsOnlyForIsolatedDirections) {
  std::string s = FullTableScript("t", {{"10.0.0.2", Chains(true, false)}});
  EXPECT_EQ(s.rfind("add table inet t\ndelete table inet t\nadd table inet t\n", 0), 0u) << s;
  EXPECT_NE(s.find("add rule inet t ing-10.0.0.2 drop\n"), std::string::npos) << s;
  EXPECT_NE(s.find("add element inet t ingress { 10.0.0.2 : jump ing-10.0.0.2 }"),
            std::string::npos)
      << s;
  EXPECT_EQ(s.find("egr-10.0.0.2"), std::string::npos) << s;
  // Replies first, then the egress check of the source, then the ingress check of the target.
  size_t ct = s.find("forward ct state established,related accept");
  size_t egress = s.find("forward ip saddr vmap @egress");
  size_t ingress = s.find("forward ip daddr vmap @ingress");
  ASSERT_NE(ct, std::string::npos);
  EXPECT_LT(ct, egress);
  EXPECT_LT(egress, ingress);
}

struct DeltaCase {
  std::string name;
  std::map<std::string, PodChains> before, after;
  std::string want;
};

class NftDeltaTest : public testing::TestWithParam<DeltaCase> {};

TEST_P(NftDeltaTest, ChangesOnlyWhatDiffers) {
  const DeltaCase& c = GetParam();
  EXPECT_EQ(DeltaScript("t", c.before, c.after), c.want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NftDeltaTest,
    testing::Values(
        DeltaCase{"Unchanged",
                  {{"10.0.0.2", Chains(true, false)}},
                  {{"10.0.0.2", Chains(true, false)}},
                  ""},
        DeltaCase{"NewPod",
                  {},
                  {{"10.0.0.2", Chains(false, true)}},
                  "add chain inet t egr-10.0.0.2\nadd rule inet t egr-10.0.0.2 drop\n"
                  "add element inet t egress { 10.0.0.2 : jump egr-10.0.0.2 }\n"},
        DeltaCase{"RulesChangedFlushTheChain",
                  {{"10.0.0.2", Chains(true, false)}},
                  {{"10.0.0.2", Chains(true, false, {"accept", "drop"})}},
                  "flush chain inet t ing-10.0.0.2\nadd chain inet t ing-10.0.0.2\n"
                  "add rule inet t ing-10.0.0.2 accept\nadd rule inet t ing-10.0.0.2 drop\n"},
        DeltaCase{"GonePodLosesElementThenChain",
                  {{"10.0.0.2", Chains(true, false)}, {"10.0.0.3", Chains(true, false)}},
                  {{"10.0.0.3", Chains(true, false)}},
                  "delete element inet t ingress { 10.0.0.2 }\n"
                  "delete chain inet t ing-10.0.0.2\n"}),
    [](const testing::TestParamInfo<DeltaCase>& p) { return p.param.name; });

}  // namespace
}  // namespace capstan::netpol
