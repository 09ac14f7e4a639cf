// Tests for core/client/api_client.h against a real in-process API server over HTTPS: CRUD,
// Kubernetes error mapping, client-certificate and token authentication, server certificate
// verification, connection reuse, concurrency over the pool, timeouts.
#include "core/client/api_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/pki/kubeconfig.h"
#include "tests/core/client/test_cluster.h"

namespace capstan::client {
namespace {

using Json = nlohmann::json;
using testing::Eventually;
using testing::TestCluster;

Json ConfigMap(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}}},
          {"data", {{"k", value}}}};
}

class ApiClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new TestCluster(std::chrono::milliseconds(300)); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { client_ = cluster_->NewClient(); }

  static TestCluster* cluster_;
  std::unique_ptr<ApiClient> client_;
};

TestCluster* ApiClientTest::cluster_ = nullptr;

constexpr char kCms[] = "/api/v1/namespaces/default/configmaps";

TEST_F(ApiClientTest, CreateGetUpdatePatchDeleteRoundTrip) {
  Result<Json> created = client_->Create(kCms, ConfigMap("roundtrip", "1"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["data"]["k"], "1");
  std::string path = std::string(kCms) + "/roundtrip";

  Result<Json> got = client_->Get(path);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ((*got)["metadata"]["uid"], (*created)["metadata"]["uid"]);

  Json changed = *got;
  changed["data"]["k"] = "2";
  Result<Json> updated = client_->Update(path, changed);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ((*updated)["data"]["k"], "2");
  EXPECT_NE((*updated)["metadata"]["resourceVersion"], (*got)["metadata"]["resourceVersion"]);

  Result<Json> patched =
      client_->Patch(path, "application/merge-patch+json", {{"data", {{"p", "3"}}}});
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_EQ((*patched)["data"]["p"], "3");
  EXPECT_EQ((*patched)["data"]["k"], "2");

  ASSERT_TRUE(client_->Delete(path).ok());
  EXPECT_EQ(client_->Get(path).status().code(), StatusCode::kNotFound);
}

TEST_F(ApiClientTest, ErrorsCarryTheKubernetesReasonAndMessage) {
  ASSERT_TRUE(client_->Create(kCms, ConfigMap("taken", "1")).ok());
  Result<Json> current = client_->Get(std::string(kCms) + "/taken");
  ASSERT_TRUE(current.ok());
  ASSERT_TRUE(client_
                  ->Patch(std::string(kCms) + "/taken", "application/merge-patch+json",
                          {{"data", {{"k", "moved on"}}}})
                  .ok());
  struct Case {
    const char* name;
    Result<Json> result;
    StatusCode code;
    const char* message;
  };
  Json stale = *current;  // its resourceVersion is now out of date
  stale["data"]["k"] = "stale write";
  Case cases[] = {
      {"get of a missing object", client_->Get(std::string(kCms) + "/missing"),
       StatusCode::kNotFound, "configmaps \"missing\" not found"},
      {"create of a taken name", client_->Create(kCms, ConfigMap("taken", "2")),
       StatusCode::kAlreadyExists, "configmaps \"taken\" already exists"},
      {"update with a stale resourceVersion", client_->Update(std::string(kCms) + "/taken", stale),
       StatusCode::kConflict, "the object has been modified"},
      {"create of an invalid name", client_->Create(kCms, ConfigMap("Not_Valid", "1")),
       StatusCode::kInvalid, "Not_Valid"},
      {"unknown resource", client_->Get("/api/v1/namespaces/default/nothings"),
       StatusCode::kNotFound, ""},
  };
  for (const Case& c : cases) {
    ASSERT_FALSE(c.result.ok()) << c.name;
    EXPECT_EQ(c.result.status().code(), c.code) << c.name << ": " << c.result.status().ToString();
    EXPECT_NE(c.result.status().message().find(c.message), std::string::npos)
        << c.name << ": " << c.result.status().message();
  }
}

TEST_F(ApiClientTest, BearerTokenAuthenticates) {
  auto token_client = ApiClient::Create(cluster_->TokenConfig());
  ASSERT_TRUE(token_client.ok()) << token_client.status().ToString();
  EXPECT_TRUE((*token_client)->Get("/api/v1/namespaces/default").ok());
}

TEST_F(ApiClientTest, MissingOrWrongCredentialsAreUnauthenticated) {
  ClientConfig none = cluster_->TokenConfig();
  none.bearer_token.clear();
  ClientConfig wrong = cluster_->TokenConfig();
  wrong.bearer_token = "wrong";
  for (const ClientConfig& config : {none, wrong}) {
    auto c = ApiClient::Create(config);
    ASSERT_TRUE(c.ok());
    Result<Json> r = (*c)->Get("/api/v1/namespaces/default");
    EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated) << r.status().ToString();
  }
}

TEST_F(ApiClientTest, LoadsTheAdminKubeconfigAndTalksToTheServer) {
  std::string path = cluster_->dir() + "/client-test.kubeconfig";
  pki::KubeconfigSpec spec;
  spec.server_url = "https://127.0.0.1:" + std::to_string(cluster_->port());
  spec.ca_cert_pem = cluster_->pki().pki().ca.cert_pem;
  spec.client_cert_pem = cluster_->pki().pki().admin.cert_pem;
  spec.client_key_pem = cluster_->pki().pki().admin.key_pem;
  ASSERT_TRUE(pki::WriteKubeconfig(path, spec).ok());
  auto c = ApiClient::FromKubeconfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Result<Json> ns = (*c)->Get("/api/v1/namespaces/kube-system");
  ASSERT_TRUE(ns.ok()) << ns.status().ToString();
  EXPECT_EQ((*ns)["metadata"]["name"], "kube-system");
}

TEST_F(ApiClientTest, AServerCertificateFromAnotherCaIsRejected) {
  apiserver::testing::TestPki other;
  ClientConfig config = cluster_->CertConfig();
  config.ca_pem = other.pki().ca.cert_pem;
  auto c = ApiClient::Create(config);
  ASSERT_TRUE(c.ok());
  Result<ApiResponse> r = (*c)->Request("GET", "/version", "", "");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("certificate verify failed"), std::string::npos)
      << r.status().message();
}

TEST_F(ApiClientTest, AServerNameTheCertificateDoesNotCoverIsRejected) {
  ClientConfig config = cluster_->CertConfig();
  config.tls_server_name = "not-the-server.example";
  auto c = ApiClient::Create(config);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Request("GET", "/version", "", "").status().code(), StatusCode::kUnavailable);
}

TEST_F(ApiClientTest, BadCredentialsPemFailsCreate) {
  ClientConfig config = cluster_->CertConfig();
  config.client_key_pem = "not a key";
  EXPECT_EQ(ApiClient::Create(config).status().code(), StatusCode::kBadRequest);
  config = cluster_->CertConfig();
  config.ca_pem.clear();
  EXPECT_EQ(ApiClient::Create(config).status().code(), StatusCode::kInvalid);
}

TEST_F(ApiClientTest, SequentialRequestsReuseOneConnection) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(client_->Get("/api/v1/namespaces/default").ok());
  }
  EXPECT_EQ(client_->ConnectionsOpened(), 1);
  EXPECT_EQ(client_->OpenConnections(), 1);
}

TEST_F(ApiClientTest, RequestsSucceedAfterTheServerClosedAnIdleConnection) {
  ASSERT_TRUE(client_->Get("/api/v1/namespaces/default").ok());
  // The cluster closes idle connections after 300 ms.
  ASSERT_TRUE(Eventually([&] { return cluster_->ServerConnections() == 0; }));
  // A POST is not retried, so it only succeeds when the dead connection is noticed up front.
  Result<Json> created = client_->Create(kCms, ConfigMap("after-idle", "1"));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(client_->ConnectionsOpened(), 2);
}

TEST_F(ApiClientTest, ConcurrentRequestsFromEightThreadsShareABoundedPool) {
  ApiClientOptions options;
  options.max_connections = 4;
  std::unique_ptr<ApiClient> c = cluster_->NewClient(options);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        std::string name = "conc-" + std::to_string(t) + "-" + std::to_string(i);
        if (!c->Create(kCms, ConfigMap(name, name)).ok()) ++failures;
        Result<Json> got = c->Get(std::string(kCms) + "/" + name);
        if (!got.ok() || (*got)["data"]["k"] != name) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(c->OpenConnections(), 4);
  EXPECT_LE(c->ConnectionsOpened(), 4) << "connections are reused, not reopened";
  Result<Json> list = c->Get(std::string(kCms) + "?labelSelector=&limit=500");
  ASSERT_TRUE(list.ok());
  int seen = 0;
  for (const Json& item : (*list)["items"]) {
    if (item["metadata"]["name"].get<std::string>().starts_with("conc-")) ++seen;
  }
  EXPECT_EQ(seen, 8 * 15);
}

TEST_F(ApiClientTest, ARequestTheServerDoesNotAnswerTimesOut) {
  cluster_->Pause();
  Result<ApiResponse> r =
      client_->Request("GET", "/api/v1/namespaces", "", "", std::chrono::milliseconds(200));
  cluster_->Resume();
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout) << r.status().ToString();
  // The timed-out connection was dropped; the next request works on a new one.
  EXPECT_TRUE(client_->Get("/api/v1/namespaces/default").ok());
}

}  // namespace
}  // namespace capstan::client
