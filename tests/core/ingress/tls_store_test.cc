// Tests for tls_store.h: building contexts from kubernetes.io/tls Secrets and choosing the
// context for an SNI name through the routing snapshot.
#include "core/ingress/tls_store.h"

#include <gtest/gtest.h>

#include "tests/core/ingress/proxy_test_util.h"

namespace capstan::ingress {
namespace {

using nlohmann::json;

TEST(ContextFromSecretTest, AcceptsAValidSecretAndRejectsBrokenOnes) {
  json good = testing::TlsSecretJson("s", "secure.test");
  EXPECT_TRUE(ContextFromSecret(good).ok());

  json no_key = good;
  no_key["data"].erase("tls.key");
  EXPECT_EQ(ContextFromSecret(no_key).status().code(), StatusCode::kInvalid);
  json not_base64 = good;
  not_base64["data"]["tls.crt"] = "***";
  EXPECT_EQ(ContextFromSecret(not_base64).status().code(), StatusCode::kInvalid);
  json wrong_key = good;
  wrong_key["data"]["tls.key"] = testing::TlsSecretJson("t", "other.test")["data"]["tls.key"];
  EXPECT_FALSE(ContextFromSecret(wrong_key).ok());
  EXPECT_FALSE(ContextFromSecret(json::object()).ok());
}

TEST(TlsStoreTest, SelectsTheSecretContextOfTheSniHost) {
  Result<std::unique_ptr<TlsStore>> store = TlsStore::Create();
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_NE((*store)->default_context(), nullptr);
  EXPECT_NE((*store)->default_cert_pem().find("BEGIN CERTIFICATE"), std::string::npos);
  json ingress = testing::IngressJson("i", json::array());
  ingress["spec"]["tls"] = {{{"hosts", {"exact.test"}}, {"secretName", "exact"}},
                            {{"hosts", {"*.wild.test"}}, {"secretName", "wild"}},
                            {{"hosts", {"missing.test"}}, {"secretName", "missing"}}};
  ClusterObjects objects;
  objects.ingresses.push_back(std::make_shared<const json>(ingress));
  auto exact = ContextFromSecret(testing::TlsSecretJson("exact", "exact.test"));
  auto wild = ContextFromSecret(testing::TlsSecretJson("wild", "*.wild.test"));
  ASSERT_TRUE(exact.ok() && wild.ok());
  (*store)->Update(RouteTable::Build(objects),
                   {{"default/exact", *exact}, {"default/wild", *wild}});
  EXPECT_EQ((*store)->Select("exact.test"), *exact);
  EXPECT_EQ((*store)->Select("EXACT.test"), *exact);
  EXPECT_EQ((*store)->Select("a.wild.test"), *wild);
  EXPECT_EQ((*store)->Select("missing.test"), nullptr);  // no context: default certificate
  EXPECT_EQ((*store)->Select("unknown.test"), nullptr);
  EXPECT_EQ((*store)->Select(""), nullptr);
}

}  // namespace
}  // namespace capstan::ingress
