// Tests for core/pki/certificate.h: issuing, inspecting and verifying certificates.
#include "core/pki/certificate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

namespace capstan::pki {
namespace {

using ::testing::HasSubstr;

CertKeyPair MustCa(const char* cn = "test-ca") {
  Result<CertKeyPair> ca = CreateCa(cn, std::chrono::hours(24));
  EXPECT_TRUE(ca.ok()) << ca.status().ToString();
  return ca.ok() ? *ca : CertKeyPair{};
}

CertKeyPair MustIssue(const CertKeyPair& ca, const CertSpec& spec) {
  Result<CertKeyPair> leaf = IssueCert(ca, spec);
  EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
  return leaf.ok() ? *leaf : CertKeyPair{};
}

CertSpec ServerSpec() {
  CertSpec spec;
  spec.common_name = "apiserver";
  spec.dns_names = {"localhost", "node-1"};
  spec.ip_addresses = {"127.0.0.1", "::1"};
  spec.usage = CertUsage::kServer;
  return spec;
}

TEST(CertificateTest, CaIsSelfSignedCaWithCommonName) {
  CertKeyPair ca = MustCa("my-ca");
  Result<CertInfo> info = InspectCertPem(ca.cert_pem);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->is_ca);
  EXPECT_EQ(info->common_name, "my-ca");
  EXPECT_TRUE(VerifyCert(ca.cert_pem, ca.cert_pem, VerifyPurpose::kAny).ok());
  EXPECT_NE(ca.key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST(CertificateTest, ServerCertChainVerifiesAndCarriesSans) {
  CertKeyPair ca = MustCa();
  CertKeyPair leaf = MustIssue(ca, ServerSpec());
  Status verified = VerifyCert(ca.cert_pem, leaf.cert_pem, VerifyPurpose::kServer, "localhost");
  EXPECT_TRUE(verified.ok()) << verified.ToString();
  EXPECT_TRUE(VerifyCert(ca.cert_pem, leaf.cert_pem, VerifyPurpose::kServer, "127.0.0.1").ok());
  EXPECT_TRUE(VerifyCert(ca.cert_pem, leaf.cert_pem, VerifyPurpose::kServer, "::1").ok());

  Result<CertInfo> info = InspectCertPem(leaf.cert_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->is_ca);
  EXPECT_EQ(info->dns_names, (std::vector<std::string>{"localhost", "node-1"}));
  EXPECT_EQ(info->ip_addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_GT(info->not_after, std::chrono::system_clock::now() + std::chrono::hours(24 * 300));
}

TEST(CertificateTest, VerificationRejectsWrongHostWrongCaAndWrongPurpose) {
  CertKeyPair ca = MustCa();
  CertKeyPair other_ca = MustCa("other");
  CertKeyPair server = MustIssue(ca, ServerSpec());
  CertSpec client_spec;
  client_spec.common_name = "jane";
  client_spec.usage = CertUsage::kClient;
  CertKeyPair client = MustIssue(ca, client_spec);

  Status wrong_host = VerifyCert(ca.cert_pem, server.cert_pem, VerifyPurpose::kServer, "evil");
  EXPECT_EQ(wrong_host.code(), StatusCode::kUnauthenticated);
  EXPECT_THAT(wrong_host.message(), HasSubstr("hostname mismatch"));
  Status wrong_ca = VerifyCert(other_ca.cert_pem, server.cert_pem, VerifyPurpose::kServer);
  EXPECT_EQ(wrong_ca.code(), StatusCode::kUnauthenticated);
  EXPECT_FALSE(VerifyCert(ca.cert_pem, client.cert_pem, VerifyPurpose::kServer).ok());
  EXPECT_TRUE(VerifyCert(ca.cert_pem, client.cert_pem, VerifyPurpose::kClient).ok());
}

TEST(CertificateTest, VerifiedChainRunsFromTheLeafToTheTrustedCa) {
  CertKeyPair ca = MustCa();
  CertSpec spec;
  spec.common_name = "jane";
  spec.usage = CertUsage::kClient;
  CertKeyPair client = MustIssue(ca, spec);

  Result<std::string> chain =
      VerifiedChainPem(ca.cert_pem, client.cert_pem, VerifyPurpose::kClient);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  EXPECT_EQ(*chain, client.cert_pem + ca.cert_pem);

  CertKeyPair other_ca = MustCa("other");
  EXPECT_EQ(
      VerifiedChainPem(other_ca.cert_pem, client.cert_pem, VerifyPurpose::kClient).status().code(),
      StatusCode::kUnauthenticated);
}

TEST(CertificateTest, KeyMustBelongToTheCertificate) {
  CertKeyPair ca = MustCa();
  CertSpec spec;
  spec.common_name = "jane";
  spec.usage = CertUsage::kClient;
  CertKeyPair client = MustIssue(ca, spec);
  CertKeyPair other = MustIssue(ca, spec);

  EXPECT_TRUE(CheckKeyMatchesCert(client.cert_pem, client.key_pem).ok());
  EXPECT_EQ(CheckKeyMatchesCert(client.cert_pem, other.key_pem).code(), StatusCode::kInvalid);
  EXPECT_EQ(CheckKeyMatchesCert(client.cert_pem, "junk").code(), StatusCode::kBadRequest);
}

TEST(CertificateTest, ClientCertIdentityIsCommonNameAndOrganizations) {
  CertKeyPair ca = MustCa();
  CertSpec spec;
  spec.common_name = "jane";
  spec.organizations = {"system:masters", "devs"};
  spec.usage = CertUsage::kClient;
  CertKeyPair client = MustIssue(ca, spec);
  // A chain (leaf first, then the CA) yields the leaf's identity.
  Result<X509Identity> id = IdentityFromCertPem(client.cert_pem + ca.cert_pem);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->user, "jane");
  EXPECT_EQ(id->groups, (std::vector<std::string>{"system:masters", "devs"}));
}

TEST(CertificateTest, IdentityFromCaWithoutOrganizationsHasNoGroups) {
  CertKeyPair ca = MustCa("just-a-name");
  Result<X509Identity> id = IdentityFromCertPem(ca.cert_pem);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->user, "just-a-name");
  EXPECT_TRUE(id->groups.empty());
}

TEST(CertificateTest, CorruptPemGivesBadRequestNamingTheSource) {
  struct Case {
    const char* name;
    std::string pem;
  };
  CertKeyPair ca = MustCa();
  std::string truncated = ca.cert_pem.substr(0, ca.cert_pem.size() / 2);
  std::string garbled = ca.cert_pem;
  garbled[garbled.size() / 2] = '!';
  const Case cases[] = {{"empty", ""},
                        {"not pem", "hello world"},
                        {"truncated", truncated},
                        {"garbled base64", garbled}};
  for (const Case& c : cases) {
    Result<CertPtr> cert = ParseCertPem(c.pem, "/x/ca.crt");
    ASSERT_FALSE(cert.ok()) << c.name;
    EXPECT_EQ(cert.status().code(), StatusCode::kBadRequest) << c.name;
    EXPECT_THAT(cert.status().message(), HasSubstr("/x/ca.crt")) << c.name;
    Result<KeyPtr> key = ParseKeyPem(c.pem, "/x/ca.key");
    ASSERT_FALSE(key.ok()) << c.name;
    EXPECT_EQ(key.status().code(), StatusCode::kBadRequest) << c.name;
    EXPECT_FALSE(VerifyCert(c.pem, ca.cert_pem, VerifyPurpose::kAny).ok()) << c.name;
  }
}

TEST(CertificateTest, ChainParsingReportsWhichCertificateIsCorrupt) {
  CertKeyPair ca = MustCa();
  Result<std::vector<CertPtr>> two = ParseCertChainPem(ca.cert_pem + ca.cert_pem, "chain");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
  std::string bad = ca.cert_pem + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
  Result<std::vector<CertPtr>> broken = ParseCertChainPem(bad, "chain");
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.status().message(), HasSubstr("certificate 2"));
}

TEST(CertificateTest, BadSpecsAreInvalid) {
  CertKeyPair ca = MustCa();
  CertSpec no_cn = ServerSpec();
  no_cn.common_name.clear();
  CertSpec bad_ip = ServerSpec();
  bad_ip.ip_addresses = {"300.1.1.1"};
  CertSpec bad_dns = ServerSpec();
  bad_dns.dns_names = {"a,b"};
  for (const CertSpec& spec : {no_cn, bad_ip, bad_dns}) {
    Result<CertKeyPair> leaf = IssueCert(ca, spec);
    ASSERT_FALSE(leaf.ok());
    EXPECT_EQ(leaf.status().code(), StatusCode::kInvalid) << leaf.status().ToString();
  }
}

TEST(CertificateTest, PemRoundTripsKeysAndCertificates) {
  Result<KeyPtr> key = GenerateKey();
  ASSERT_TRUE(key.ok());
  Result<std::string> pem = KeyToPem(key->get());
  ASSERT_TRUE(pem.ok());
  Result<KeyPtr> back = ParseKeyPem(*pem, "k");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(EVP_PKEY_eq(key->get(), back->get()), 1);
}

}  // namespace
}  // namespace capstan::pki
