// Integration test of the statefulset plugin (.so) in the controller host against an in-process
// API server over HTTPS: ordered creation gated by readiness with claims created first, scale
// down from the highest ordinal waiting for each pod to terminate, a partitioned rolling update
// and OnDelete. No agent runs: the test plays the kubelet, marking pods Running+Ready through
// pods/status and finishing graceful deletions (the template names a node, so deletions are
// graceful as they are for scheduled pods).
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
constexpr char kClaims[] = "/api/v1/namespaces/default/persistentvolumeclaims";
constexpr char kSets[] = "/apis/apps/v1/namespaces/default/statefulsets";

json StatefulSet(const std::string& name, int replicas, const std::string& policy) {
  return json::parse(R"({"apiVersion": "apps/v1", "kind": "StatefulSet",
    "metadata": {"name": ")" +
                     name + R"("},
    "spec": {"replicas": )" +
                     std::to_string(replicas) + R"(, "serviceName": "svc",
      "podManagementPolicy": ")" +
                     policy + R"(",
      "selector": {"matchLabels": {"app": ")" +
                     name + R"("}},
      "template": {"metadata": {"labels": {"app": ")" +
                     name + R"("}},
        "spec": {"nodeName": "node-1",
                 "containers": [{"name": "c", "image": "nginx:1"}]}},
      "volumeClaimTemplates": [{"metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"],
                 "resources": {"requests": {"storage": "1Gi"}}}}]}})");
}

class StatefulSetIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = cluster_.NewClient();
    Result<std::unique_ptr<ControllerHost>> host =
        testing::StartHostWithPlugins(client_.get(), CAPSTAN_TEST_PLUGIN_DIR,
                                      json::array({{{"name", "statefulsets"},
                                                    {"library", "controllers/statefulset.so"},
                                                    {"timeout", "10s"}}}));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
  }
  void TearDown() override {
    if (host_) host_->Stop();
  }

  json Get(const std::string& path) {
    Result<json> r = client_->Get(path);
    return r.ok() ? *r : json();
  }
  // Pods of set `app` by name: "" when absent, "terminating", or the revision label.
  std::string PodState(const std::string& name) {
    json pod = Get(std::string(kPods) + "/" + name);
    if (!pod.is_object()) return "";
    if (pod["metadata"].contains("deletionTimestamp")) return "terminating";
    return pod["metadata"]["labels"].value("controller-revision-hash", "?");
  }
  bool Exists(const std::string& name) { return !PodState(name).empty(); }
  // The kubelet's part: the pod runs and is ready.
  void MarkReady(const std::string& name) {
    json status = {{"status",
                    {{"phase", "Running"},
                     {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
    ASSERT_TRUE(Eventually([&] {
      return client_
          ->Patch(std::string(kPods) + "/" + name + "/status", "application/merge-patch+json",
                  status)
          .ok();
    })) << name;
  }
  // The kubelet's part: a graceful deletion finishes.
  // The kubelet's part: a graceful deletion finishes. The controller may recreate the name at
  // once, so "gone" means the old pod's uid is.
  void FinishDeletion(const std::string& name) {
    std::string path = std::string(kPods) + "/" + name;
    std::string uid = Get(path)["metadata"].value("uid", "");
    ASSERT_TRUE(client_
                    ->Delete(path, json{{"kind", "DeleteOptions"},
                                        {"apiVersion", "v1"},
                                        {"gracePeriodSeconds", 0}})
                    .ok());
    ASSERT_TRUE(Eventually([&] {
      json pod = Get(path);
      return !pod.is_object() || pod["metadata"].value("uid", "") != uid;
    })) << name;
  }
  json SetStatus(const std::string& name) { return Get(std::string(kSets) + "/" + name)["status"]; }
  void Patch(const std::string& name, const json& patch) {
    Result<json> r =
        client_->Patch(std::string(kSets) + "/" + name, "application/merge-patch+json", patch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  // Creates the set and brings its pods up one by one as the controller creates them.
  void RunningSet(const std::string& name, int replicas, const std::string& policy) {
    ASSERT_TRUE(client_->Create(kSets, StatefulSet(name, replicas, policy)).ok());
    for (int i = 0; i < replicas; ++i) {
      std::string pod = name + "-" + std::to_string(i);
      ASSERT_TRUE(Eventually([&] { return Exists(pod); })) << pod;
      MarkReady(pod);
    }
    ASSERT_TRUE(Eventually([&] { return SetStatus(name).value("readyReplicas", 0) == replicas; }));
  }
  void SetImage(const std::string& name, const std::string& image) {
    Patch(name,
          {{"spec",
            {{"template",
              {{"spec", {{"containers", json::array({{{"name", "c"}, {"image", image}}})}}}}}}}});
  }

  ControllerTestCluster cluster_;
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<ControllerHost> host_;
};

TEST_F(StatefulSetIntegrationTest, CreatesPodsInOrderEachAfterItsPredecessorIsReady) {
  ASSERT_TRUE(client_->Create(kSets, StatefulSet("web", 3, "OrderedReady")).ok());
  ASSERT_TRUE(Eventually([&] { return Exists("web-0"); }));
  json claim = Get(std::string(kClaims) + "/data-web-0");
  ASSERT_TRUE(claim.is_object()) << "the claim is created with the pod";
  EXPECT_EQ(claim["metadata"]["labels"]["app"], "web");
  json pod = Get(std::string(kPods) + "/web-0");
  EXPECT_EQ(pod["spec"]["hostname"], "web-0");
  EXPECT_EQ(pod["spec"]["subdomain"], "svc");
  EXPECT_EQ(pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"], "data-web-0");
  EXPECT_EQ(pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"], "0");

  // web-0 is not ready: the status has seen it, and web-1 does not exist.
  ASSERT_TRUE(Eventually([&] { return SetStatus("web").value("replicas", 0) == 1; }));
  EXPECT_FALSE(Exists("web-1"));
  MarkReady("web-0");
  ASSERT_TRUE(Eventually([&] { return Exists("web-1"); }));
  ASSERT_TRUE(Eventually([&] { return SetStatus("web").value("replicas", 0) == 2; }));
  EXPECT_FALSE(Exists("web-2"));
  MarkReady("web-1");
  ASSERT_TRUE(Eventually([&] { return Exists("web-2"); }));
  EXPECT_TRUE(Get(std::string(kClaims) + "/data-web-2").is_object());
  MarkReady("web-2");
  ASSERT_TRUE(Eventually([&] { return SetStatus("web").value("readyReplicas", 0) == 3; }));
  json status = SetStatus("web");
  EXPECT_EQ(status["currentRevision"], status["updateRevision"]);
  EXPECT_EQ(status.value("updatedReplicas", 0), 3);
}

TEST_F(StatefulSetIntegrationTest, ParallelCreatesAllPodsAtOnce) {
  ASSERT_TRUE(client_->Create(kSets, StatefulSet("par", 3, "Parallel")).ok());
  EXPECT_TRUE(Eventually([&] { return Exists("par-0") && Exists("par-1") && Exists("par-2"); }));
}

TEST_F(StatefulSetIntegrationTest, ScaleDownRemovesTheHighestOrdinalFirstAndWaitsForIt) {
  RunningSet("db", 3, "OrderedReady");
  Patch("db", {{"spec", {{"replicas", 1}}}});
  ASSERT_TRUE(Eventually([&] { return PodState("db-2") == "terminating"; }));
  EXPECT_NE(PodState("db-1"), "terminating") << "db-1 went before db-2 terminated";
  FinishDeletion("db-2");
  ASSERT_TRUE(Eventually([&] { return PodState("db-1") == "terminating"; }));
  FinishDeletion("db-1");
  EXPECT_TRUE(Exists("db-0"));
  // Claims are retained by default.
  EXPECT_TRUE(Get(std::string(kClaims) + "/data-db-2").is_object());
  ASSERT_TRUE(Eventually([&] { return SetStatus("db").value("replicas", 0) == 1; }));
}

TEST_F(StatefulSetIntegrationTest, RollingUpdateReplacesPodsDownToThePartition) {
  RunningSet("ru", 3, "OrderedReady");
  std::string old_revision = PodState("ru-0");
  Patch("ru", {{"spec", {{"updateStrategy", {{"rollingUpdate", {{"partition", 2}}}}}}}});
  SetImage("ru", "nginx:2");
  ASSERT_TRUE(Eventually([&] { return PodState("ru-2") == "terminating"; }));
  EXPECT_EQ(PodState("ru-1"), old_revision);
  FinishDeletion("ru-2");
  ASSERT_TRUE(Eventually([&] { return Exists("ru-2"); }));
  std::string new_revision = PodState("ru-2");
  EXPECT_NE(new_revision, old_revision);
  EXPECT_EQ(Get(std::string(kPods) + "/ru-2")["spec"]["containers"][0]["image"], "nginx:2");
  MarkReady("ru-2");
  ASSERT_TRUE(Eventually([&] { return SetStatus("ru").value("updatedReplicas", 0) == 1; }));
  json status = SetStatus("ru");
  EXPECT_EQ(status["updateRevision"], new_revision);
  EXPECT_EQ(status["currentRevision"], old_revision) << "the partition keeps ru-0 and ru-1";
  EXPECT_EQ(PodState("ru-1"), old_revision);

  // Lowering the partition lets the update continue with ru-1.
  Patch("ru", {{"spec", {{"updateStrategy", {{"rollingUpdate", {{"partition", 0}}}}}}}});
  ASSERT_TRUE(Eventually([&] { return PodState("ru-1") == "terminating"; }));
  FinishDeletion("ru-1");
  ASSERT_TRUE(Eventually([&] { return PodState("ru-1") == new_revision; }));
  MarkReady("ru-1");
  ASSERT_TRUE(Eventually([&] { return PodState("ru-0") == "terminating"; }));
  FinishDeletion("ru-0");
  ASSERT_TRUE(Eventually([&] { return PodState("ru-0") == new_revision; }));
  MarkReady("ru-0");
  // Once all three run the new revision and are ready, it becomes the current one.
  EXPECT_TRUE(Eventually([&] {
    json s = SetStatus("ru");
    return s.value("readyReplicas", 0) == 3 && s.value("currentReplicas", 0) == 3 &&
           s.value("currentRevision", "") == new_revision;
  })) << SetStatus("ru").dump();
}

TEST_F(StatefulSetIntegrationTest, OnDeleteOnlyRecreatesDeletedPodsAtTheNewRevision) {
  RunningSet("od", 2, "OrderedReady");
  std::string old_revision = PodState("od-0");
  Patch("od", {{"spec", {{"updateStrategy", {{"type", "OnDelete"}, {"rollingUpdate", nullptr}}}}}});
  SetImage("od", "nginx:2");
  ASSERT_TRUE(Eventually([&] {
    json s = SetStatus("od");
    return s.value("updateRevision", "") != old_revision && !s.value("updateRevision", "").empty();
  }));
  EXPECT_EQ(PodState("od-1"), old_revision);
  EXPECT_EQ(PodState("od-0"), old_revision);
  ASSERT_TRUE(client_->Delete(std::string(kPods) + "/od-1").ok());
  FinishDeletion("od-1");
  ASSERT_TRUE(Eventually([&] { return Exists("od-1"); }));
  EXPECT_EQ(PodState("od-1"), SetStatus("od")["updateRevision"]);
  EXPECT_EQ(PodState("od-0"), old_revision);
}

}  // namespace
}  // namespace capstan::controllers
