// Tests for plugins/controllers/namespace: a terminating namespace's content is deleted across
// discovered resources, conditions report what remains, and /finalize drops `kubernetes` only
// once the namespace is empty; through the plugin's C vtable and the SDK FakeHost.
#include "plugins/controllers/namespace/namespace_controller.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers {
namespace {

using sdk::testing::ApiCall;
using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::kNow;

constexpr char kNsPath[] = "/api/v1/namespaces/x";

Json Namespace(bool deleting) {
  Json ns = {{"apiVersion", "v1"},
             {"kind", "Namespace"},
             {"metadata", {{"name", "x"}, {"uid", "ns-uid"}, {"resourceVersion", "7"}}},
             {"spec", {{"finalizers", {"kubernetes"}}}},
             {"status", {{"phase", deleting ? "Terminating" : "Active"}}}};
  if (deleting) ns["metadata"]["deletionTimestamp"] = "2023-11-14T22:13:20Z";
  return ns;
}

Json Resource(const std::string& name, const std::string& kind, bool namespaced) {
  return {{"name", name},
          {"kind", kind},
          {"namespaced", namespaced},
          {"verbs", {"list", "delete", "watch", "get"}}};
}

class NamespaceControllerTest : public ::testing::Test {
 protected:
  NamespaceControllerTest() {
    host_.SetApiResponse("GET", "/api/v1", 200,
                         Json{{"groupVersion", "v1"},
                              {"resources",
                               {Resource("pods", "Pod", true), Resource("nodes", "Node", false),
                                Resource("configmaps", "ConfigMap", true)}}}
                             .dump());
    host_.SetApiResponse("GET", "/apis", 200,
                         Json{{"groups",
                               {{{"name", "example.com"},
                                 {"preferredVersion", {{"groupVersion", "example.com/v1"}}}}}}}
                             .dump());
    host_.SetApiResponse("GET", "/apis/example.com/v1", 200,
                         Json{{"groupVersion", "example.com/v1"},
                              {"resources", {Resource("widgets", "Widget", true)}}}
                             .dump());
    SetList("/api/v1/namespaces/x/pods", Json::array());
    SetList("/api/v1/namespaces/x/configmaps", Json::array());
    SetList("/apis/example.com/v1/namespaces/x/widgets", Json::array());
    host_.SetApiResponse("PATCH", std::string(kNsPath) + "/status", 200, "{}");
    host_.SetApiResponse("PUT", std::string(kNsPath) + "/finalize", 200, "{}");
    plugin_ = std::make_unique<TestPlugin<NamespaceController>>(host_, "{}");
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().SetClockForTesting([] { return kNow; });
  }
  void SetNamespace(const Json& ns) {
    host_.PutObject("/v1/namespaces", "x", ns.dump());
    host_.SetApiResponse("GET", kNsPath, 200, ns.dump());
  }
  void SetList(const std::string& path, const Json& items) {
    host_.SetApiResponse("GET", path, 200, Json{{"items", items}}.dump());
  }
  std::vector<ApiCall> Calls(const std::string& method, const std::string& prefix = "") const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == method && c.path.rfind(prefix, 0) == 0) out.push_back(c);
    }
    return out;
  }
  Json Condition(const std::string& type) const {
    std::vector<ApiCall> patches = Calls("PATCH", kNsPath);
    if (patches.empty()) return Json();
    Json patch = Json::parse(patches.back().body);
    for (const Json& c : patch["status"]["conditions"]) {
      if (c["type"] == type) return c;
    }
    return Json();
  }

  FakeHost host_;
  std::unique_ptr<TestPlugin<NamespaceController>> plugin_;
};

TEST_F(NamespaceControllerTest, AnActiveNamespaceIsLeftAlone) {
  SetNamespace(Namespace(false));
  uint64_t requeue = 0;
  ASSERT_TRUE(plugin_->Reconcile("x", &requeue).ok());
  EXPECT_TRUE(Calls("DELETE").empty());
  EXPECT_TRUE(Calls("PUT").empty());
}

TEST_F(NamespaceControllerTest, ContentIsDeletedAndTheNamespaceWaitsWhileSomeRemains) {
  SetNamespace(Namespace(true));
  Json pod = {{"metadata", {{"name", "p"}, {"uid", "pod-uid"}}}};
  Json held = {{"metadata",
                {{"name", "w"},
                 {"uid", "w-uid"},
                 {"deletionTimestamp", "2023-11-14T22:13:20Z"},
                 {"finalizers", {"example.com/hold"}}}}};
  SetList("/api/v1/namespaces/x/pods", Json::array({pod}));
  SetList("/apis/example.com/v1/namespaces/x/widgets", Json::array({held}));
  host_.SetApiResponse("DELETE", "/api/v1/namespaces/x/pods/p", 200, R"({"kind":"Status"})");
  uint64_t requeue = 0;
  ASSERT_TRUE(plugin_->Reconcile("x", &requeue).ok());
  std::vector<ApiCall> deletes = Calls("DELETE");
  ASSERT_EQ(deletes.size(), 1u) << "the widget is already being deleted";
  EXPECT_EQ(Json::parse(deletes[0].body)["preconditions"]["uid"], "pod-uid");
  EXPECT_TRUE(Calls("PUT").empty());
  EXPECT_GT(requeue, 0u);
  Json remaining = Condition("NamespaceContentRemaining");
  EXPECT_EQ(remaining["status"], "True");
  EXPECT_EQ(remaining["message"],
            "Some resources are remaining: widgets.example.com has 1 resource instances");
  Json finalizers = Condition("NamespaceFinalizersRemaining");
  EXPECT_EQ(finalizers["message"],
            "Some content in the namespace has finalizers remaining: example.com/hold in 1 "
            "resource instances");
  EXPECT_EQ(Condition("NamespaceDeletionDiscoveryFailure")["status"], "False");
}

TEST_F(NamespaceControllerTest, AnEmptyNamespaceIsFinalizedWithoutTheKubernetesFinalizer) {
  SetNamespace(Namespace(true));
  uint64_t requeue = 0;
  ASSERT_TRUE(plugin_->Reconcile("x", &requeue).ok());
  std::vector<ApiCall> puts = Calls("PUT");
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0].path, std::string(kNsPath) + "/finalize");
  EXPECT_TRUE(Json::parse(puts[0].body)["spec"]["finalizers"].empty());
  EXPECT_EQ(Condition("NamespaceContentRemaining")["reason"], "ContentRemoved");
  EXPECT_EQ(requeue, 0u);
}

TEST_F(NamespaceControllerTest, AFailingGroupIsReportedAndBlocksFinalization) {
  SetNamespace(Namespace(true));
  host_.SetApiResponse("GET", "/apis/example.com/v1", 503, R"({"message":"down"})");
  uint64_t requeue = 0;
  ASSERT_TRUE(plugin_->Reconcile("x", &requeue).ok());
  EXPECT_TRUE(Calls("PUT").empty());
  Json c = Condition("NamespaceDeletionDiscoveryFailure");
  EXPECT_EQ(c["status"], "True");
  EXPECT_EQ(c["reason"], "DiscoveryFailed");
  EXPECT_EQ(c["message"], "Discovery failed for some groups, 1 failing: example.com/v1");
}

}  // namespace
}  // namespace capstan::controllers
