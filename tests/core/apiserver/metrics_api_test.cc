// Tests for the metrics.k8s.io API (metrics_api.h) and its scraper (metrics_scraper.h,
// NodeProxy::Fetch): a real in-process ApiServer over HTTPS scraping a fake node agent that
// insists on the kubelet-client certificate and whose counters advance by fixed steps per
// scrape, so the rates are exact whatever the timing.
#include "core/apiserver/metrics_api.h"

#include <gtest/gtest.h>

#include <csignal>
#include <mutex>

#include "core/apiserver/api_server.h"
#include "core/apiserver/status_json.h"
#include "core/pki/certificate.h"
#include "core/registry/strategy_factory.h"
#include "core/store/leveldb_store.h"
#include "tests/core/apiserver/agent_facing_api.h"
#include "tests/core/apiserver/http_test_client.h"

namespace capstan::apiserver {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;
using testing::TestClient;
using testing::TestPki;

// Each scrape: +0.25 core-seconds for the container, +2 for the node, +1000 ms.
class FakeAgent {
 public:
  explicit FakeAgent(const TestPki& pki) {
    server_ = testing::StartTestServer(
        pki, [this](const std::shared_ptr<HttpExchange>& ex) { Handle(ex); });
  }
  ~FakeAgent() { server_->Stop(std::chrono::milliseconds(200)); }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  int scrapes() const {
    std::lock_guard lock(mu_);
    return scrapes_;
  }

 private:
  void Handle(const std::shared_ptr<HttpExchange>& ex) {
    const HttpRequest& req = ex->request();
    Result<pki::X509Identity> who = pki::IdentityFromCertPem(req.client_cert_chain_pem);
    if (!req.client_cert_verified || !who.ok() || who->user != "capstan-apiserver-kubelet-client" ||
        req.path != "/metrics/resource") {
      ex->Respond(403, {{"Content-Type", "text/plain"}}, "no");
      return;
    }
    int n = 0;
    {
      std::lock_guard lock(mu_);
      n = ++scrapes_;
    }
    std::string ts = std::to_string(1'700'000'000'000 + int64_t{n} * 1000);
    std::string text =
        "container_cpu_usage_seconds_total{container=\"app\",namespace=\"default\","
        "pod=\"web-1\"} " +
        std::to_string(0.25 * n) + " " + ts +
        "\ncontainer_memory_working_set_bytes{container=\"app\",namespace=\"default\","
        "pod=\"web-1\"} 1048576 " +
        ts + "\nnode_cpu_usage_seconds_total " + std::to_string(100 + 2 * n) + " " + ts +
        "\nnode_memory_working_set_bytes 2147483648 " + ts + "\n";
    ex->Respond(200, {{"Content-Type", "text/plain; version=0.0.4"}}, std::move(text));
  }

  mutable std::mutex mu_;
  int scrapes_ = 0;
  std::unique_ptr<HttpServer> server_;
};

class MetricsApiTest : public ::testing::Test {
 protected:
  MetricsApiTest() {
    api_ =
        testing::StartAgentFacingApiServer(pki_, &authn_, &store_, std::chrono::milliseconds(100));
    http_ = testing::StartTestServer(
        pki_, [this](std::shared_ptr<HttpExchange> ex) { api_->Handle(std::move(ex)); });
    agent_ = std::make_unique<FakeAgent>(pki_);
    Send(http::verb::post, "/api/v1/namespaces",
         R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default"}})", 201);
  }

  ~MetricsApiTest() override {
    http_->Stop(std::chrono::milliseconds(200));
    api_->Shutdown();
    agent_.reset();
  }

  json Send(http::verb verb, const std::string& target, const std::string& body, int want,
            const std::string& content_type = "application/json") {
    TestClient client(http_->port(), pki_.pki().ca.cert_pem, &pki_.pki().admin);
    Result<testing::Response> r =
        client.Request(verb, target, body, {{"Content-Type", content_type}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return json();
    EXPECT_EQ(r->result_int(), want) << target << ": " << r->body();
    return json::parse(r->body(), nullptr, false);
  }
  json Get(const std::string& target, int want = 200) {
    return Send(http::verb::get, target, "", want);
  }

  // Node n1, Ready, whose agent is the fake; pod web-1 (app=web) with container app.
  void CreateScene(bool ready = true) {
    json node = {{"apiVersion", "v1"},
                 {"kind", "Node"},
                 {"metadata",
                  {{"name", "n1"},
                   {"labels", {{"zone", "a"}}},
                   {"annotations", {{kAgentEndpointAnnotation, agent_->endpoint()}}}}}};
    Send(http::verb::post, "/api/v1/nodes", node.dump(), 201);
    json status = {
        {"status", {{"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
    Send(http::verb::patch, "/api/v1/nodes/n1/status", status.dump(), 200,
         "application/merge-patch+json");
    json pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", "web-1"}, {"labels", {{"app", "web"}}}}},
        {"spec", {{"nodeName", "n1"}, {"containers", {{{"name", "app"}, {"image", "x"}}}}}}};
    Send(http::verb::post, "/api/v1/namespaces/default/pods", pod.dump(), 201);
  }

  static constexpr char kPods[] = "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods";

  TestPki pki_;
  testing::CertAuthenticator authn_;
  std::unique_ptr<store::LevelDbStore> store_;
  std::unique_ptr<ApiServer> api_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<FakeAgent> agent_;
};

TEST_F(MetricsApiTest, TheGroupIsInLegacyAndAggregatedDiscovery) {
  json list = Get("/apis/metrics.k8s.io/v1beta1");
  ASSERT_TRUE(list.contains("resources")) << list;
  std::map<std::string, json> by_name;
  for (const json& r : list["resources"]) by_name[r["name"]] = r;
  ASSERT_EQ(by_name.count("pods"), 1u);
  ASSERT_EQ(by_name.count("nodes"), 1u);
  EXPECT_EQ(by_name["pods"]["kind"], "PodMetrics");
  EXPECT_EQ(by_name["pods"]["namespaced"], true);
  EXPECT_EQ(by_name["nodes"]["kind"], "NodeMetrics");
  EXPECT_EQ(by_name["nodes"]["verbs"], json({"get", "list"}));
  EXPECT_EQ(Get("/apis/metrics.k8s.io")["preferredVersion"]["version"], "v1beta1");
  EXPECT_NE(Get("/apis").dump().find("\"metrics.k8s.io\""), std::string::npos);
  TestClient client(http_->port(), pki_.pki().ca.cert_pem, &pki_.pki().admin);
  Result<testing::Response> agg = client.Request(
      http::verb::get, "/apis", "",
      {{"Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}});
  ASSERT_TRUE(agg.ok());
  EXPECT_NE(agg->body().find("\"metrics.k8s.io\""), std::string::npos);
  EXPECT_NE(agg->body().find("\"PodMetrics\""), std::string::npos);
}

TEST_F(MetricsApiTest, PodAndNodeUsageIsTheRateBetweenTheTwoLatestScrapes) {
  CreateScene();
  ASSERT_TRUE(testing::PollUntil(
      [&] { return Get(std::string(kPods) + "?labelSelector=app%3Dweb")["items"].size() == 1; }));
  json pm = Get(std::string(kPods) + "/web-1");
  EXPECT_EQ(pm["kind"], "PodMetrics");
  EXPECT_EQ(pm["metadata"]["namespace"], "default");
  EXPECT_EQ(pm["metadata"]["labels"]["app"], "web");
  EXPECT_EQ(pm["window"], "1s");
  ASSERT_EQ(pm["containers"].size(), 1u) << pm;
  EXPECT_EQ(pm["containers"][0]["name"], "app");
  EXPECT_EQ(pm["containers"][0]["usage"]["cpu"], "250m");
  EXPECT_EQ(pm["containers"][0]["usage"]["memory"], "1Mi");

  json nodes = Get("/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Da");
  ASSERT_EQ(nodes["items"].size(), 1u) << nodes;
  EXPECT_EQ(nodes["kind"], "NodeMetricsList");
  EXPECT_EQ(nodes["items"][0]["metadata"]["name"], "n1");
  EXPECT_EQ(nodes["items"][0]["usage"]["cpu"], "2");
  EXPECT_EQ(nodes["items"][0]["usage"]["memory"], "2Gi");
  EXPECT_EQ(Get("/apis/metrics.k8s.io/v1beta1/nodes/n1")["usage"]["cpu"], "2");
}

TEST_F(MetricsApiTest, SelectorsFilterAndUnsupportedFieldsAreRejected) {
  CreateScene();
  ASSERT_TRUE(testing::PollUntil([&] { return Get(kPods)["items"].size() == 1; }));
  EXPECT_EQ(Get(std::string(kPods) + "?labelSelector=app%3Dother")["items"].size(), 0u);
  EXPECT_EQ(Get(std::string(kPods) + "?fieldSelector=metadata.name%3Dweb-1")["items"].size(), 1u);
  EXPECT_EQ(Get(std::string(kPods) + "?fieldSelector=metadata.name%3Dweb-2")["items"].size(), 0u);
  EXPECT_EQ(Get("/apis/metrics.k8s.io/v1beta1/pods")["items"].size(), 1u) << "all namespaces";
  EXPECT_EQ(Get("/apis/metrics.k8s.io/v1beta1/namespaces/other/pods")["items"].size(), 0u);
  Get(std::string(kPods) + "?fieldSelector=spec.nodeName%3Dn1", 400);
  Get(std::string(kPods) + "?labelSelector=a%20b", 400);
  Send(http::verb::post, kPods, "{}", 405);
}

TEST_F(MetricsApiTest, OnlyReadyNodesAreScrapedAndNothingIsServedBeforeTwoScrapes) {
  CreateScene(/*ready=*/false);
  EXPECT_EQ(Get(kPods)["items"].size(), 0u);
  json nf = Get(std::string(kPods) + "/web-1", 404);
  EXPECT_EQ(nf["reason"], "NotFound");
  EXPECT_EQ(nf["message"], "podmetrics.metrics.k8s.io \"default/web-1\" not found");
  Get("/apis/metrics.k8s.io/v1beta1/nodes/n1", 404);
  EXPECT_EQ(agent_->scrapes(), 0);

  json ready = {{"status", {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}};
  Send(http::verb::patch, "/api/v1/nodes/n1/status", ready.dump(), 200,
       "application/merge-patch+json");
  ASSERT_TRUE(testing::PollUntil([&] { return Get(kPods)["items"].size() == 1; }));
  EXPECT_GE(agent_->scrapes(), 2);
}

}  // namespace
}  // namespace capstan::apiserver
