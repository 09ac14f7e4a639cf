// Tests for plugins/controllers/serviceaccount: the `default` account is created in an active
// namespace that lacks it, not again when present, never in a Terminating namespace, and a
// deleted account maps back to its namespace; through the plugin's C vtable and the FakeHost.
#include "plugins/controllers/serviceaccount/serviceaccount_controller.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"

namespace capstan::controllers {
namespace {

using sdk::testing::ApiCall;
using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;

constexpr char kNamespaces[] = "/v1/namespaces";
constexpr char kAccounts[] = "/v1/serviceaccounts";

Json Ns(const std::string& name, const std::string& phase) {
  return Json{{"apiVersion", "v1"},
              {"kind", "Namespace"},
              {"metadata", {{"name", name}}},
              {"status", {{"phase", phase}}}};
}

class ServiceAccountControllerTest : public ::testing::Test {
 protected:
  void Start(const std::string& config = "{}") {
    host_.PutObject(kAccounts, "kube-system/default", R"({"metadata":{"name":"default"}})");
    plugin_ = std::make_unique<TestPlugin<ServiceAccountController>>(host_, config);
    ASSERT_TRUE(plugin_->init().ok()) << plugin_->init().error;
  }
  void Sync(const std::string& ns) {
    uint64_t requeue = 0;
    sdk::testing::Outcome o = plugin_->Reconcile(ns, &requeue);
    EXPECT_TRUE(o.ok()) << o.error;
    EXPECT_EQ(requeue, 0u);
  }
  std::vector<ApiCall> Posts(const std::string& ns) const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == "POST" && c.path == "/api/v1/namespaces/" + ns + "/serviceaccounts") {
        out.push_back(c);
      }
    }
    return out;
  }

  FakeHost host_;
  std::unique_ptr<TestPlugin<ServiceAccountController>> plugin_;
};

TEST_F(ServiceAccountControllerTest, CreatesTheDefaultAccountInAnActiveNamespace) {
  Start();
  host_.PutObject(kNamespaces, "team", Ns("team", "Active").dump());
  host_.SetApiResponse("POST", "/api/v1/namespaces/team/serviceaccounts", 201, "{}");
  Sync("team");
  std::vector<ApiCall> posts = Posts("team");
  ASSERT_EQ(posts.size(), 1u);
  Json sa = Json::parse(posts[0].body);
  EXPECT_EQ(sa["kind"], "ServiceAccount");
  EXPECT_EQ(sa["metadata"]["name"], "default");
  EXPECT_EQ(sa["metadata"]["namespace"], "team");
}

TEST_F(ServiceAccountControllerTest, LeavesANamespaceThatHasItsAccountsAlone) {
  Start();
  host_.PutObject(kNamespaces, "kube-system", Ns("kube-system", "Active").dump());
  Sync("kube-system");
  EXPECT_TRUE(host_.api_calls().empty());
}

TEST_F(ServiceAccountControllerTest, NeverCreatesInATerminatingNamespace) {
  Start();
  host_.PutObject(kNamespaces, "doomed", Ns("doomed", "Terminating").dump());
  Sync("doomed");
  EXPECT_TRUE(host_.api_calls().empty());
}

TEST_F(ServiceAccountControllerTest, AnAccountThatAlreadyExistsOrAForbiddenCreateIsNotAnError) {
  Start(R"({"serviceAccounts": ["default", "builder"]})");
  host_.PutObject(kNamespaces, "team", Ns("team", "Active").dump());
  host_.SetApiResponse("POST", "/api/v1/namespaces/team/serviceaccounts", 409,
                       R"({"kind":"Status","reason":"AlreadyExists","code":409})");
  Sync("team");
  EXPECT_EQ(Posts("team").size(), 2u);  // both configured names
  host_.SetApiResponse("POST", "/api/v1/namespaces/team/serviceaccounts", 403,
                       R"({"kind":"Status","reason":"Forbidden","code":403})");
  Sync("team");
}

TEST_F(ServiceAccountControllerTest, ADeletedDefaultAccountRequeuesItsNamespace) {
  Start();
  sdk::testing::Outcome o = plugin_->MapEvent(
      kAccounts, CAPSTAN_EVENT_DELETED, R"({"metadata":{"name":"default","namespace":"team"}})");
  ASSERT_TRUE(o.ok()) << o.error;
  EXPECT_EQ(o.output, R"(["team"])");
  o = plugin_->MapEvent(kAccounts, CAPSTAN_EVENT_DELETED,
                        R"({"metadata":{"name":"other","namespace":"team"}})");
  EXPECT_EQ(o.output, "[]");
}

}  // namespace
}  // namespace capstan::controllers
