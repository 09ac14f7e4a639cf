// Tests for the x509 authn plugin with real certificates issued by core/pki.
#include "x509_authn.h"

#include <gtest/gtest.h>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"
#include "core/pki/certificate.h"

namespace capstan::plugins {
namespace {

std::string ClientCert(const std::string& cn, std::vector<std::string> orgs) {
  auto ca = pki::CreateCa("test-ca", std::chrono::hours(1));
  EXPECT_TRUE(ca.ok());
  pki::CertSpec spec;
  spec.common_name = cn;
  spec.organizations = std::move(orgs);
  spec.usage = pki::CertUsage::kClient;
  auto leaf = pki::IssueCert(*ca, spec);
  EXPECT_TRUE(leaf.ok());
  return leaf->cert_pem;
}

std::string AdminCert() { return ClientCert("admin", {"system:masters", "ops"}); }

TEST(X509AuthnTest, SubjectCommonNameAndOrganizationsBecomeUserAndGroups) {
  std::string cn;
  std::vector<std::string> orgs;
  ASSERT_TRUE(ParseLeafSubject(AdminCert(), &cn, &orgs));
  EXPECT_EQ(cn, "admin");
  EXPECT_EQ(orgs, (std::vector<std::string>{"system:masters", "ops"}));
  EXPECT_FALSE(ParseLeafSubject("not a certificate", &cn, &orgs));
}

TEST(X509AuthnTest, OnlyVerifiedCertificatesAuthenticate) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<X509Authn> p(host, "{}");
  ASSERT_TRUE(p.init().ok()) << p.init().error;
  std::string pem = AdminCert();
  sdk::testing::AuthnRequestBuilder req;
  EXPECT_EQ(p.Authenticate(req.get()).rc, CAPSTAN_RC_SKIP);
  EXPECT_EQ(p.Authenticate(req.ClientCert(pem, false).get()).rc, CAPSTAN_RC_SKIP);
  sdk::testing::Outcome o = p.Authenticate(req.ClientCert(pem, true).get());
  ASSERT_TRUE(o.ok()) << o.error;
  auto user = sdk::json::Parse(o.output);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ((*user)["username"], "admin");
  EXPECT_EQ((*user)["groups"], sdk::json::Json::array({"system:masters", "ops"}));
}

TEST(X509AuthnTest, RepeatedCertificatesKeepTheirOwnUsersAndUnverifiedOnesStaySkipped) {
  sdk::testing::FakeHost host;
  sdk::testing::TestPlugin<X509Authn> p(host, "{}");
  ASSERT_TRUE(p.init().ok()) << p.init().error;
  std::string alice = ClientCert("alice", {"dev"}), bob = ClientCert("bob", {});
  sdk::testing::AuthnRequestBuilder req;
  for (int round = 0; round < 3; ++round) {
    for (const auto& [pem, name] : {std::pair{alice, "alice"}, std::pair{bob, "bob"}}) {
      sdk::testing::Outcome o = p.Authenticate(req.ClientCert(pem, true).get());
      ASSERT_TRUE(o.ok()) << o.error;
      EXPECT_EQ((*sdk::json::Parse(o.output))["username"], name);
      // Once remembered, the same certificate without verification is still skipped.
      EXPECT_EQ(p.Authenticate(req.ClientCert(pem, false).get()).rc, CAPSTAN_RC_SKIP);
    }
  }
}

}  // namespace
}  // namespace capstan::plugins
