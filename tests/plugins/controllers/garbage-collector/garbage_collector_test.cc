// Tests for plugins/controllers/garbage-collector: discovery-driven watches, background deletion
// of dependents whose owners are gone (checked by UID), foreground and orphan finalizers,
// through the plugin's C vtable and the SDK FakeHost (API replies scripted per path).
#include "plugins/controllers/garbage-collector/garbage_collector.h"

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
using testing::OwnerRef;
using testing::Pod;

constexpr char kPods[] = "/v1/pods";
constexpr char kRs[] = "apps/v1/replicasets";
constexpr char kRsPath[] = "/apis/apps/v1/namespaces/default/replicasets/web";

Json Rs(const std::string& uid) {
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "ReplicaSet"},
              {"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", uid}}}};
}

Json OwnedPod(const std::string& name, const std::string& owner_uid) {
  Json pod = Pod(name, {{"app", "web"}});
  pod["metadata"]["ownerReferences"] = Json::array({OwnerRef("ReplicaSet", "web", owner_uid)});
  return pod;
}

std::vector<ApiResource> Resources() {
  return {{"v1", "Pod", "pods", true, {"list", "watch", "delete"}},
          {"apps/v1", "ReplicaSet", "replicasets", true, {"list", "watch", "delete"}}};
}

class GarbageCollectorTest : public ::testing::Test {
 protected:
  GarbageCollectorTest() {
    plugin_ = std::make_unique<TestPlugin<GarbageCollector>>(host_, "{}");
    EXPECT_TRUE(plugin_->init().ok()) << plugin_->init().error;
    plugin_->plugin().SetResourcesForTesting(Resources());
  }
  std::vector<std::string> Event(const char* resource, uint32_t type, const Json& o) {
    sdk::testing::Outcome out = plugin_->MapEvent(resource, type, o.dump());
    EXPECT_TRUE(out.ok()) << out.error;
    std::vector<std::string> keys;
    for (const Json& k : Json::parse(out.output)) keys.push_back(k.get<std::string>());
    return keys;
  }
  sdk::testing::Outcome Reconcile(const std::string& key, uint64_t* requeue = nullptr) {
    uint64_t r = 0;
    sdk::testing::Outcome out = plugin_->Reconcile(key, requeue != nullptr ? requeue : &r);
    return out;
  }
  std::vector<ApiCall> Calls(const std::string& method) const {
    std::vector<ApiCall> out;
    for (const ApiCall& c : host_.api_calls()) {
      if (c.method == method) out.push_back(c);
    }
    return out;
  }

  FakeHost host_;
  std::unique_ptr<TestPlugin<GarbageCollector>> plugin_;
};

TEST_F(GarbageCollectorTest, DescribeWatchesEveryDeletableResourceButEvents) {
  host_.SetApiResponse("GET", "/api/v1", 200,
                       Json{{"groupVersion", "v1"},
                            {"resources",
                             {{{"name", "pods"},
                               {"kind", "Pod"},
                               {"namespaced", true},
                               {"verbs", {"list", "watch", "delete"}}},
                              {{"name", "pods/status"},
                               {"kind", "Pod"},
                               {"namespaced", true},
                               {"verbs", {"get", "patch"}}},
                              {{"name", "events"},
                               {"kind", "Event"},
                               {"namespaced", true},
                               {"verbs", {"list", "watch", "delete"}}},
                              {{"name", "bindings"},
                               {"kind", "Binding"},
                               {"namespaced", true},
                               {"verbs", {"create"}}}}}}
                           .dump());
  host_.SetApiResponse("GET", "/apis", 200,
                       Json{{"groups",
                             {{{"name", "example.com"},
                               {"preferredVersion", {{"groupVersion", "example.com/v1"}}}}}}}
                           .dump());
  host_.SetApiResponse("GET", "/apis/example.com/v1", 200,
                       Json{{"groupVersion", "example.com/v1"},
                            {"resources",
                             {{{"name", "widgets"},
                               {"kind", "Widget"},
                               {"namespaced", true},
                               {"verbs", {"list", "watch", "delete", "get"}}}}}}
                           .dump());
  sdk::testing::Outcome d = plugin_->Describe();
  ASSERT_TRUE(d.ok()) << d.error;
  Json watch = Json::parse(d.output);
  std::vector<std::string> watched;
  for (const Json& w : watch["watches"]) {
    EXPECT_EQ(w["map"], "plugin");
    watched.push_back(w["resource"]);
  }
  EXPECT_EQ(watched, (std::vector<std::string>{"/v1/pods", "example.com/v1/widgets"}));
}

TEST_F(GarbageCollectorTest, DependentOfADeletedOwnerIsDeletedInTheBackgroundWithItsUid) {
  (void)Event(kRs, CAPSTAN_EVENT_ADDED, Rs("rs-1"));
  (void)Event(kPods, CAPSTAN_EVENT_ADDED, OwnedPod("a", "rs-1"));
  ASSERT_TRUE(Reconcile("gc:uid-a").ok());
  EXPECT_TRUE(Calls("DELETE").empty()) << "the owner exists";
  std::vector<std::string> keys = Event(kRs, CAPSTAN_EVENT_DELETED, Rs("rs-1"));
  EXPECT_EQ(keys, std::vector<std::string>{"gc:uid-a"});
  host_.SetApiResponse("GET", "/api/v1/namespaces/default/pods/a", 200,
                       OwnedPod("a", "rs-1").dump());
  host_.SetApiResponse("DELETE", "/api/v1/namespaces/default/pods/a", 200, R"({"kind":"Status"})");
  ASSERT_TRUE(Reconcile("gc:uid-a").ok());
  std::vector<ApiCall> deletes = Calls("DELETE");
  ASSERT_EQ(deletes.size(), 1u);
  Json options = Json::parse(deletes[0].body);
  EXPECT_EQ(options["propagationPolicy"], "Background");
  EXPECT_EQ(options["preconditions"]["uid"], "uid-a");
}

TEST_F(GarbageCollectorTest, AnOwnerWithTheSameNameButAnotherUidDoesNotKeepTheDependent) {
  // The owner is not in the graph; the API has an object of that name with another UID.
  host_.SetApiResponse("GET", kRsPath, 200, Rs("rs-new").dump());
  host_.SetApiResponse("GET", "/api/v1/namespaces/default/pods/a", 200,
                       OwnedPod("a", "rs-old").dump());
  host_.SetApiResponse("DELETE", "/api/v1/namespaces/default/pods/a", 200, R"({"kind":"Status"})");
  (void)Event(kPods, CAPSTAN_EVENT_ADDED, OwnedPod("a", "rs-old"));
  ASSERT_TRUE(Reconcile("gc:uid-a").ok());
  EXPECT_EQ(Calls("DELETE").size(), 1u);
}

TEST_F(GarbageCollectorTest, ADependentReleasedSinceTheGraphSawItIsNotDeleted) {
  // An orphaning stripped the reference; the owner went before the pod's update event came.
  (void)Event(kPods, CAPSTAN_EVENT_ADDED, OwnedPod("a", "rs-1"));
  host_.SetApiResponse("GET", kRsPath, 404, R"({"kind":"Status","code":404})");
  host_.SetApiResponse("GET", "/api/v1/namespaces/default/pods/a", 200,
                       Pod("a", {{"app", "web"}}).dump());
  ASSERT_TRUE(Reconcile("gc:uid-a").ok());
  EXPECT_TRUE(Calls("DELETE").empty()) << "the live pod has no owner any more";
}

TEST_F(GarbageCollectorTest, AnOwnerTheApiStillServesKeepsTheDependent) {
  host_.SetApiResponse("GET", kRsPath, 200, Rs("rs-1").dump());
  (void)Event(kPods, CAPSTAN_EVENT_ADDED, OwnedPod("a", "rs-1"));
  ASSERT_TRUE(Reconcile("gc:uid-a").ok());
  EXPECT_TRUE(Calls("DELETE").empty());
}

TEST_F(GarbageCollectorTest, ASolidSecondOwnerKeepsTheDependentAndOnlyTheDanglingRefGoes) {
  (void)Event(kRs, CAPSTAN_EVENT_ADDED, Rs("rs-2"));
  Json pod = OwnedPod("a", "rs-gone");
  pod["metadata"]["ownerReferences"].push_back(OwnerRef("ReplicaSet", "web", "rs-2"));
  pod["metadata"]["ownerReferences"][1]["controller"] = false;
  host_.SetApiResponse("GET", kRsPath, 200, Rs("rs-2").dump());  // name "web" is rs-2 now
  host_.SetApiResponse("GET", "/api/v1/namespaces/default/pods/a", 200, pod.dump());
  host_.SetApiResponse("PUT", "/api/v1/namespaces/default/pods/a", 200, pod.dump());
  (void)Event(kPods, CAPSTAN_EVENT_ADDED, pod);
  ASSERT_TRUE(Reconcile("gc:uid-a").ok());
  EXPECT_TRUE(Calls("DELETE").empty());
  std::vector<ApiCall> puts = Calls("PUT");
  ASSERT_EQ(puts.size(), 1u);
  Json refs = Json::parse(puts[0].body)["metadata"]["ownerReferences"];
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0]["uid"], "rs-2");
}

TEST_F(GarbageCollectorTest, OrphanStripsOwnerRefsThenRemovesTheFinalizer) {
  Json owner = Rs("rs-1");
  owner["metadata"]["deletionTimestamp"] = "2023-11-14T22:13:20Z";
  owner["metadata"]["finalizers"] = {kOrphanFinalizer, "example.com/other"};
  Json pod = OwnedPod("a", "rs-1");
  (void)Event(kPods, CAPSTAN_EVENT_ADDED, pod);
  EXPECT_EQ(Event(kRs, CAPSTAN_EVENT_ADDED, owner), std::vector<std::string>{"gc:rs-1"});
  host_.SetApiResponse("GET", "/api/v1/namespaces/default/pods/a", 200, pod.dump());
  host_.SetApiResponse("PUT", "/api/v1/namespaces/default/pods/a", 200, "{}");
  host_.SetApiResponse("GET", kRsPath, 200, owner.dump());
  host_.SetApiResponse("PUT", kRsPath, 200, "{}");
  ASSERT_TRUE(Reconcile("gc:rs-1").ok());
  std::vector<ApiCall> puts = Calls("PUT");
  ASSERT_EQ(puts.size(), 2u);
  EXPECT_EQ(puts[0].path, "/api/v1/namespaces/default/pods/a");
  EXPECT_FALSE(Json::parse(puts[0].body)["metadata"].contains("ownerReferences"));
  EXPECT_EQ(puts[1].path, kRsPath);
  EXPECT_EQ(Json::parse(puts[1].body)["metadata"]["finalizers"],
            Json::array({"example.com/other"}));
  EXPECT_TRUE(Calls("DELETE").empty());
}

TEST_F(GarbageCollectorTest, ForegroundDeletesDependentsAndWaitsBeforeRemovingTheFinalizer) {
  Json owner = Rs("rs-1");
  owner["metadata"]["deletionTimestamp"] = "2023-11-14T22:13:20Z";
  owner["metadata"]["finalizers"] = {kForegroundFinalizer};
  (void)Event(kPods, CAPSTAN_EVENT_ADDED, OwnedPod("a", "rs-1"));
  (void)Event(kRs, CAPSTAN_EVENT_ADDED, owner);
  host_.SetApiResponse("GET", "/api/v1/namespaces/default/pods/a", 200,
                       OwnedPod("a", "rs-1").dump());
  host_.SetApiResponse("DELETE", "/api/v1/namespaces/default/pods/a", 200, R"({"kind":"Status"})");
  uint64_t requeue = 0;
  ASSERT_TRUE(Reconcile("gc:rs-1", &requeue).ok());
  EXPECT_EQ(Calls("DELETE").size(), 1u);
  EXPECT_TRUE(Calls("PUT").empty()) << "a blocking dependent still exists";
  EXPECT_GT(requeue, 0u);
  // The pod's deletion shows up: the owner is handed back and its finalizer goes.
  EXPECT_EQ(Event(kPods, CAPSTAN_EVENT_DELETED, OwnedPod("a", "rs-1")),
            (std::vector<std::string>{"gc:rs-1"}));
  host_.SetApiResponse("GET", kRsPath, 200, owner.dump());
  host_.SetApiResponse("PUT", kRsPath, 200, "{}");
  ASSERT_TRUE(Reconcile("gc:rs-1", &requeue).ok());
  std::vector<ApiCall> puts = Calls("PUT");
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_FALSE(Json::parse(puts[0].body)["metadata"].contains("finalizers") &&
               !Json::parse(puts[0].body)["metadata"]["finalizers"].empty());
}

TEST_F(GarbageCollectorTest, KeysOfOtherControllersAreIgnored) {
  EXPECT_TRUE(Reconcile("default").ok());
  EXPECT_TRUE(Reconcile("gc:unknown").ok());
  EXPECT_TRUE(host_.api_calls().empty());
}

}  // namespace
}  // namespace capstan::controllers
