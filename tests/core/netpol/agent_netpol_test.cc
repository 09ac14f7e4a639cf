// Tests of core/netpol/agent_netpol.h: `--network-policy` mode resolution (no API server needed:
// these paths never dial it).
#include "core/netpol/agent_netpol.h"

#include <gtest/gtest.h>

namespace capstan::netpol {
namespace {

TEST(AgentNetworkPolicyTest, NoneStartsNothing) {
  Result<std::unique_ptr<AgentNetworkPolicy>> r = StartAgentNetworkPolicy({}, {"none", "n1", ""});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, nullptr);
}

TEST(AgentNetworkPolicyTest, UnknownModeIsABadRequestNamingTheFlag) {
  Result<std::unique_ptr<AgentNetworkPolicy>> r =
      StartAgentNetworkPolicy({}, {"iptables", "n1", ""});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kBadRequest);
  EXPECT_NE(r.status().message().find("--network-policy"), std::string::npos);
}

}  // namespace
}  // namespace capstan::netpol
