// Tests for ingress_controller.h against the in-process API server (tests/core/client
// test_cluster.h) with two local backends given as hand-made EndpointSlices: the default
// IngressClass, live route updates, class selection, 503 without endpoints, Ingress status,
// and TLS from a Secret.
#include "core/ingress/ingress_controller.h"

#include <gtest/gtest.h>

#include "tests/core/client/test_cluster.h"
#include "tests/core/ingress/proxy_test_util.h"

namespace capstan::ingress {
namespace {

using client::testing::Eventually;
using nlohmann::json;
using testing::TestBackend;
using testing::TestHttpClient;

constexpr char kIngresses[] = "/apis/networking.k8s.io/v1/namespaces/default/ingresses";

class IngressControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = cluster_.NewClient();
    for (auto [name, backend] :
         {std::pair<const char*, TestBackend*>{"svc-a", &a_}, {"svc-b", &b_}}) {
      ASSERT_TRUE(
          api_->Create("/api/v1/namespaces/default/services", testing::ServiceJson(name)).ok());
      Result<json> slice =
          api_->Create("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
                       testing::SliceJson(name, backend->port(), {"127.0.0.1"}));
      ASSERT_TRUE(slice.ok()) << slice.status().ToString();
    }
    IngressOptions o;
    o.proxy.http_port = 0;
    o.proxy.https_port = 0;
    o.status_address = "127.0.0.1";
    Result<std::unique_ptr<IngressController>> c = IngressController::Start(o, api_.get());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ctl_ = std::move(*c);
  }

  // The first letter of the body (the backend's name) or the status code as text.
  std::string Via(const std::string& host, const std::string& path) {
    TestHttpClient c(ctl_->http_port());
    Result<testing::ClientResponse> r = c.Get(host, path);
    if (!r.ok()) return r.status().ToString();
    return r->status == 200 ? r->body.substr(0, 1) : std::to_string(r->status);
  }
  bool Becomes(const std::string& host, const std::string& path, const std::string& want) {
    return Eventually([&] { return Via(host, path) == want; });
  }

  client::testing::TestCluster cluster_;
  std::unique_ptr<client::ApiClient> api_;
  TestBackend a_{"a"};
  TestBackend b_{"b"};
  std::unique_ptr<IngressController> ctl_;
};

TEST_F(IngressControllerTest, ServesIngressesOfTheDefaultClassAndFollowsChangesLive) {
  Result<json> cls =
      api_->Get(std::string("/apis/networking.k8s.io/v1/ingressclasses/") + kDefaultClassName);
  ASSERT_TRUE(cls.ok()) << cls.status().ToString();
  EXPECT_EQ((*cls)["spec"]["controller"], kControllerName);
  EXPECT_EQ((*cls)["metadata"]["annotations"][kDefaultClassAnnotation], "true");
  EXPECT_EQ(Via("a.test", "/"), "404");

  json ing = testing::IngressJson(
      "web", json::array({testing::RuleJson("a.test", {{"/", "svc-a"}, {"/b", "svc-b"}})}));
  ASSERT_TRUE(api_->Create(kIngresses, ing).ok());
  EXPECT_TRUE(Becomes("a.test", "/x", "a"));
  EXPECT_EQ(Via("a.test", "/b/y"), "b");
  EXPECT_EQ(Via("other.test", "/"), "404");
  EXPECT_TRUE(Eventually([&] {
    Result<json> got = api_->Get(std::string(kIngresses) + "/web");
    return got.ok() &&
           got->value("/status/loadBalancer/ingress/0/ip"_json_pointer, "") == "127.0.0.1";
  }));

  // Live update: "/" moves to svc-b.
  json patch = {
      {"spec", {{"rules", json::array({testing::RuleJson("a.test", {{"/", "svc-b"}})})}}}};
  ASSERT_TRUE(
      api_->Patch(std::string(kIngresses) + "/web", "application/merge-patch+json", patch).ok());
  EXPECT_TRUE(Becomes("a.test", "/x", "b"));

  // No ready endpoint: 503; the Ingress gone: 404.
  ASSERT_TRUE(
      api_->Delete("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/svc-b-manual")
          .ok());
  EXPECT_TRUE(Becomes("a.test", "/x", "503"));
  ASSERT_TRUE(api_->Delete(std::string(kIngresses) + "/web").ok());
  EXPECT_TRUE(Becomes("a.test", "/x", "404"));
}

TEST_F(IngressControllerTest, IgnoresIngressesOfAnotherController) {
  json other = {{"apiVersion", "networking.k8s.io/v1"},
                {"kind", "IngressClass"},
                {"metadata", {{"name", "other"}}},
                {"spec", {{"controller", "example.com/other"}}}};
  ASSERT_TRUE(api_->Create("/apis/networking.k8s.io/v1/ingressclasses", other).ok());
  ASSERT_TRUE(api_->Create(kIngresses, testing::IngressJson("theirs",
                                                            json::array({testing::RuleJson(
                                                                "theirs.test", {{"/", "svc-a"}})}),
                                                            "other"))
                  .ok());
  // Created after theirs on the same informer, so once it is served theirs has been seen.
  ASSERT_TRUE(api_->Create(kIngresses, testing::IngressJson("ours",
                                                            json::array({testing::RuleJson(
                                                                "ours.test", {{"/", "svc-b"}})}),
                                                            kDefaultClassName))
                  .ok());
  EXPECT_TRUE(Becomes("ours.test", "/", "b"));
  EXPECT_EQ(Via("theirs.test", "/"), "404");
  Result<json> theirs = api_->Get(std::string(kIngresses) + "/theirs");
  ASSERT_TRUE(theirs.ok());
  EXPECT_FALSE(theirs->contains("/status/loadBalancer/ingress"_json_pointer));
}

TEST_F(IngressControllerTest, TerminatesTlsWithTheIngressSecret) {
  ASSERT_TRUE(api_->Create("/api/v1/namespaces/default/secrets",
                           testing::TlsSecretJson("secure-cert", "secure.test"))
                  .ok());
  json ing = testing::IngressJson(
      "tls", json::array({testing::RuleJson("secure.test", {{"/", "svc-a"}})}));
  ing["spec"]["tls"] = {{{"hosts", {"secure.test"}}, {"secretName", "secure-cert"}}};
  ASSERT_TRUE(api_->Create(kIngresses, ing).ok());
  std::string cn;
  EXPECT_TRUE(Eventually([&] {
    TestHttpClient c(ctl_->https_port(), true, "secure.test");
    Result<testing::ClientResponse> r = c.Get("secure.test", "/");
    cn = c.PeerCommonName();
    return r.ok() && r->status == 200 && cn == "secure.test";
  })) << cn;
  TestHttpClient plain_sni(ctl_->https_port(), true, "elsewhere.test");
  ASSERT_TRUE(plain_sni.Get("secure.test", "/").ok());
  EXPECT_EQ(plain_sni.PeerCommonName(), "capstan-ingress-default");
}

}  // namespace
}  // namespace capstan::ingress
