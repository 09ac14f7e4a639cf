// Integration test of the garbage-collector, namespace and job plugins (.so) with the
// replicaset and deployment plugins in the controller host, against an in-process API server
// over HTTPS: background, foreground and orphan cascades (owners matched by UID), namespace
// deletion through /finalize, and a Job reaching Complete and Failed. Pods have no node: the
// test sets their phase through pods/status, as an agent would.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/controllers/controller_host.h"
#include "core/plugin/chain_config.h"
#include "tests/core/controllers/test_cluster.h"

namespace capstan::controllers {
namespace {

using nlohmann::json;
using testing::ControllerTestCluster;
using testing::Eventually;

constexpr char kPods[] = "/api/v1/namespaces/default/pods";
constexpr char kConfigMaps[] = "/api/v1/namespaces/default/configmaps";
constexpr char kRss[] = "/apis/apps/v1/namespaces/default/replicasets";
constexpr char kDeploy[] = "/apis/apps/v1/namespaces/default/deployments";
constexpr char kJobs[] = "/apis/batch/v1/namespaces/default/jobs";

// Discovery and namespace sweeps take many API calls: more than the kind's 1 s default.
json Plugin(const char* name, const std::string& library, json config = json::object()) {
  return {{"name", name},
          {"library", "controllers/" + library + ".so"},
          {"timeout", "60s"},
          {"config", config}};
}

json Deployment(const std::string& name, int replicas) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name}}}}},
              {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "nginx"}}})}}}}}}}};
}

json ConfigMap(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}};
}

json PodOwnedBy(const std::string& name, const json& owner) {
  json ref = {{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"name", owner["metadata"]["name"]},
              {"uid", owner["metadata"]["uid"]}};
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"ownerReferences", json::array({ref})}}},
          {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "nginx"}}})}}}};
}

class CascadingDeletionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = cluster_.NewClient();
    Result<std::unique_ptr<ControllerHost>> host = testing::StartHostWithPlugins(
        client_.get(), CAPSTAN_TEST_PLUGIN_DIR,
        json::array({Plugin("replicasets", "replicaset", {{"kind", "ReplicaSet"}}),
                     Plugin("deployments", "deployment"),
                     Plugin("garbage-collector", "garbage-collector"),
                     Plugin("namespace", "namespace"), Plugin("jobs", "job")}));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
  }
  void TearDown() override {
    if (host_) host_->Stop();
  }

  json Items(const std::string& path, const std::string& query = "") {
    Result<json> list = client_->Get(path + query);
    return list.ok() && list->contains("items") ? (*list)["items"] : json::array();
  }
  bool Gone(const std::string& path) {
    return client_->Get(path).status().code() == StatusCode::kNotFound;
  }
  json Create(const std::string& path, const json& object) {
    Result<json> created = client_->Create(path, object);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : json();
  }
  void DeleteWith(const std::string& path, const std::string& policy) {
    Result<json> r = client_->Delete(
        path, json{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", policy}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  void SetPhase(const std::string& pods_path, const json& pod, const std::string& phase) {
    Result<json> r =
        client_->Patch(pods_path + "/" + pod["metadata"]["name"].get<std::string>() + "/status",
                       "application/merge-patch+json", json{{"status", {{"phase", phase}}}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  size_t Count(const std::string& path, const std::string& selector) {
    return Items(path, "?labelSelector=" + selector).size();
  }
  void DeploymentWithPods(const std::string& name, int replicas) {
    Create(kDeploy, Deployment(name, replicas));
    ASSERT_TRUE(Eventually([&] { return Count(kPods, "app%3D" + name) == size_t(replicas); }))
        << name << " pods";
  }

  // A barrier on the collector's pod stream: a pod whose owner never existed is collected only
  // after every earlier pod event was processed (one watch delivers pod events in order).
  void WaitUntilCollectorSawPods() {
    static int barriers = 0;
    std::string name = "gc-barrier-" + std::to_string(++barriers);
    json ghost = {
        {"metadata", {{"name", "ghost"}, {"uid", "6b1c0000-0000-4000-8000-000000000000"}}}};
    Create(kPods, PodOwnedBy(name, ghost));
    ASSERT_TRUE(Eventually([&] { return Gone(std::string(kPods) + "/" + name); }))
        << "the collector never processed the barrier pod";
  }

  ControllerTestCluster cluster_;
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<ControllerHost> host_;
};

TEST_F(CascadingDeletionTest, BackgroundDeletionOfADeploymentCollectsReplicaSetsAndPods) {
  DeploymentWithPods("bg", 2);
  DeleteWith(std::string(kDeploy) + "/bg", "Background");
  EXPECT_TRUE(Eventually([&] { return Count(kRss, "app%3Dbg") == 0; })) << "ReplicaSet left";
  EXPECT_TRUE(Eventually([&] { return Count(kPods, "app%3Dbg") == 0; })) << "pods left";
}

TEST_F(CascadingDeletionTest, ForegroundDeletionRemovesDependentsBeforeTheOwner) {
  DeploymentWithPods("fg", 2);
  DeleteWith(std::string(kDeploy) + "/fg", "Foreground");
  ASSERT_TRUE(Eventually([&] { return Gone(std::string(kDeploy) + "/fg"); }));
  EXPECT_EQ(Count(kRss, "app%3Dfg"), 0u) << "the owner went before its ReplicaSet";
  EXPECT_EQ(Count(kPods, "app%3Dfg"), 0u) << "the owner went before its pods";
}

TEST_F(CascadingDeletionTest, OrphanDeletionStripsOwnerReferencesAndKeepsDependents) {
  json owner = Create(kConfigMaps, ConfigMap("owner"));
  Create(kPods, PodOwnedBy("kept", owner));
  // Orphaning works on the dependents the collector has seen (as upstream's graph): let it see
  // "kept" first, or a loaded machine turns this into a dangling-owner collection.
  WaitUntilCollectorSawPods();
  DeleteWith(std::string(kConfigMaps) + "/owner", "Orphan");
  ASSERT_TRUE(Eventually([&] { return Gone(std::string(kConfigMaps) + "/owner"); }));
  Result<json> pod = client_->Get(std::string(kPods) + "/kept");
  ASSERT_TRUE(pod.ok());
  EXPECT_FALSE((*pod)["metadata"].contains("ownerReferences"));
}

TEST_F(CascadingDeletionTest, ADependentWhoseOwnerWasReplacedUnderTheSameNameIsCollected) {
  json first = Create(kConfigMaps, ConfigMap("reborn"));
  Create(kPods, PodOwnedBy("stale", first));
  Create(kPods, PodOwnedBy("other", Create(kConfigMaps, ConfigMap("alive"))));
  WaitUntilCollectorSawPods();
  DeleteWith(std::string(kConfigMaps) + "/reborn", "Orphan");  // keeps "stale" around
  ASSERT_TRUE(Eventually([&] { return Gone(std::string(kConfigMaps) + "/reborn"); }));
  // Re-attach the stale reference by hand, then replace the owner under the same name.
  Result<json> stale = client_->Get(std::string(kPods) + "/stale");
  ASSERT_TRUE(stale.ok());
  Create(kConfigMaps, ConfigMap("reborn"));
  (*stale)["metadata"]["ownerReferences"] =
      PodOwnedBy("stale", first)["metadata"]["ownerReferences"];
  ASSERT_TRUE(client_->Update(std::string(kPods) + "/stale", *stale).ok());
  EXPECT_TRUE(Eventually([&] { return Gone(std::string(kPods) + "/stale"); }));
  EXPECT_FALSE(Gone(std::string(kPods) + "/other"));
}

TEST_F(CascadingDeletionTest, DeletingANamespaceEmptiesItAndThenRemovesIt) {
  Create("/api/v1/namespaces",
         json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "doomed"}}}});
  Create("/api/v1/namespaces/doomed/configmaps", ConfigMap("cfg"));
  Create("/apis/apps/v1/namespaces/doomed/deployments", Deployment("inner", 1));
  ASSERT_TRUE(Eventually([&] { return Items("/api/v1/namespaces/doomed/pods").size() == 1; }));
  DeleteWith("/api/v1/namespaces/doomed", "Background");
  Result<json> ns = client_->Get("/api/v1/namespaces/doomed");
  if (ns.ok()) {
    EXPECT_EQ((*ns)["status"]["phase"], "Terminating");
    Result<json> late = client_->Create("/api/v1/namespaces/doomed/configmaps", ConfigMap("late"));
    EXPECT_EQ(late.status().code(), StatusCode::kForbidden);
  }
  EXPECT_TRUE(Eventually([&] { return Gone("/api/v1/namespaces/doomed"); }));
  EXPECT_TRUE(Items("/api/v1/namespaces/doomed/configmaps").empty());
  EXPECT_TRUE(Items("/api/v1/namespaces/doomed/pods").empty());
  EXPECT_TRUE(Items("/apis/apps/v1/namespaces/doomed/replicasets").empty());
}

TEST_F(CascadingDeletionTest, AJobCompletesAndAnotherFailsAfterItsBackoffLimit) {
  auto job = [](const std::string& name, int backoff) {
    return json{{"apiVersion", "batch/v1"},
                {"kind", "Job"},
                {"metadata", {{"name", name}}},
                {"spec",
                 {{"backoffLimit", backoff},
                  {"template",
                   {{"spec",
                     {{"restartPolicy", "Never"},
                      {"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}}}}}}}};
  };
  auto pending = [&](const std::string& name) {
    std::vector<json> out;
    for (const json& p : Items(kPods, "?labelSelector=batch.kubernetes.io%2Fjob-name%3D" + name)) {
      if (p.value("status", json::object()).value("phase", "") == "Pending") out.push_back(p);
    }
    return out;
  };
  auto has_condition = [&](const std::string& name, const std::string& type) {
    Result<json> j = client_->Get(std::string(kJobs) + "/" + name);
    if (!j.ok()) return false;
    for (const json& c : j->value("status", json::object()).value("conditions", json::array())) {
      if (c["type"] == type && c["status"] == "True") return true;
    }
    return false;
  };
  Create(kJobs, job("ok", 6));
  ASSERT_TRUE(Eventually([&] { return pending("ok").size() == 1; }));
  SetPhase(kPods, pending("ok")[0], "Succeeded");
  EXPECT_TRUE(Eventually([&] { return has_condition("ok", "Complete"); }));
  EXPECT_TRUE(has_condition("ok", "SuccessCriteriaMet"));

  Create(kJobs, job("bad", 1));
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(Eventually([&] { return pending("bad").size() == 1; })) << "attempt " << i;
    SetPhase(kPods, pending("bad")[0], "Failed");
  }
  EXPECT_TRUE(Eventually([&] { return has_condition("bad", "Failed"); }));
  Result<json> bad = client_->Get(std::string(kJobs) + "/bad");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ((*bad)["status"]["failed"], 2);
}

}  // namespace
}  // namespace capstan::controllers
