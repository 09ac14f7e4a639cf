// Integration test of the daemonset plugin (.so) in the controller host against an in-process
// API server over HTTPS: pods land on the eligible nodes only (nodeSelector, NoSchedule taint),
// follow node label changes, roll with maxUnavailable on a template change, wait for deletion
// with OnDelete, and leave ControllerRevisions within revisionHistoryLimit. No scheduler runs:
// pods stay pinned by node affinity; the test marks them Ready through pods/status.
#include <gtest/gtest.h>

#include <set>
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
constexpr char kNodes[] = "/api/v1/nodes";
constexpr char kDs[] = "/apis/apps/v1/namespaces/default/daemonsets";
constexpr char kRevs[] = "/apis/apps/v1/namespaces/default/controllerrevisions";
constexpr char kHash[] = "controller-revision-hash";

json Node(const std::string& name, json labels, json taints = json::array()) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec", {{"taints", taints}}}};
}

bool IsReady(const json& pod) {
  for (const json& c : pod.value("status", json::object()).value("conditions", json::array())) {
    if (c.value("type", "") == "Ready" && c.value("status", "") == "True") return true;
  }
  return false;
}

json DaemonSet(const std::string& name, json strategy, const json& node_selector = json::object()) {
  json spec = {{"containers", json::array({{{"name", "c"}, {"image", "busybox:1"}}})}};
  if (!node_selector.empty()) spec["nodeSelector"] = node_selector;
  return {{"apiVersion", "apps/v1"},
          {"kind", "DaemonSet"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"selector", {{"matchLabels", {{"app", name}}}}},
            {"updateStrategy", strategy},
            {"template", {{"metadata", {{"labels", {{"app", name}}}}}, {"spec", spec}}}}}};
}

class DaemonSetIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = cluster_.NewClient();
    Result<std::unique_ptr<ControllerHost>> host =
        testing::StartHostWithPlugins(client_.get(), CAPSTAN_TEST_PLUGIN_DIR,
                                      json::array({{{"name", "daemonsets"},
                                                    {"library", "controllers/daemonset.so"},
                                                    {"timeout", "30s"}}}));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
  }
  void TearDown() override {
    if (host_) host_->Stop();
  }

  json Create(const std::string& path, const json& object) {
    Result<json> created = client_->Create(path, object);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : json();
  }
  void Patch(const std::string& path, const json& patch) {
    Result<json> r = client_->Patch(path, "application/merge-patch+json", patch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  json Items(const std::string& path, const std::string& selector) {
    Result<json> list = client_->Get(path + "?labelSelector=" + selector);
    return list.ok() && list->contains("items") ? (*list)["items"] : json::array();
  }
  // The node each live pod of `app` is pinned to, with its revision hash.
  std::multiset<std::string> PodNodes(const std::string& app) {
    std::multiset<std::string> out;
    for (const json& pod : Items(kPods, "app%3D" + app)) {
      if (pod["metadata"].contains("deletionTimestamp")) continue;
      out.insert(
          pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
             ["nodeSelectorTerms"][0]["matchFields"][0]["values"][0]
                 .get<std::string>());
    }
    return out;
  }
  std::multiset<std::string> Hashes(const std::string& app) {
    std::multiset<std::string> out;
    for (const json& pod : Items(kPods, "app%3D" + app)) {
      out.insert(pod["metadata"]["labels"].value(kHash, ""));
    }
    return out;
  }
  void MarkReady(const json& pod) {
    Patch(std::string(kPods) + "/" + pod["metadata"]["name"].get<std::string>() + "/status",
          {{"status",
            {{"phase", "Running"},
             {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}});
  }
  void MarkAllReady(const std::string& app) {
    for (const json& pod : Items(kPods, "app%3D" + app)) MarkReady(pod);
  }
  json Status(const std::string& name) {
    Result<json> ds = client_->Get(std::string(kDs) + "/" + name);
    return ds.ok() ? (*ds)["status"] : json();
  }
  void SetImage(const std::string& name, const std::string& image) {
    Patch(std::string(kDs) + "/" + name,
          {{"spec",
            {{"template",
              {{"spec", {{"containers", json::array({{{"name", "c"}, {"image", image}}})}}}}}}}});
  }
  void ThreeWorkers() {
    for (const char* n : {"w1", "w2", "w3"}) Create(kNodes, Node(n, {{"role", "w"}}));
  }

  ControllerTestCluster cluster_;
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<ControllerHost> host_;
};

TEST_F(DaemonSetIntegrationTest, PodsLandOnEligibleNodesAndFollowLabelChanges) {
  Create(kNodes, Node("n1", {{"role", "w"}}));
  Create(kNodes,
         Node("n2", {{"role", "w"}},
              json::array({{{"key", "dedicated"}, {"value", "x"}, {"effect", "NoSchedule"}}})));
  Create(kNodes, Node("n3", {{"role", "other"}}));
  Create(kDs, DaemonSet("place", {{"type", "RollingUpdate"}}, {{"role", "w"}}));

  ASSERT_TRUE(Eventually([&] { return PodNodes("place") == std::multiset<std::string>{"n1"}; }));
  json pod = Items(kPods, "app%3Dplace")[0];
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["kind"], "DaemonSet");
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_TRUE(pod["metadata"]["labels"].contains(kHash));
  EXPECT_TRUE(pod["metadata"]["labels"].contains("pod-template-generation"));
  EXPECT_EQ(pod["spec"]["tolerations"].size(), 6u);
  ASSERT_TRUE(Eventually([&] { return Status("place").value("desiredNumberScheduled", -1) == 1; }));
  json revs = Items(kRevs, "app%3Dplace");
  ASSERT_EQ(revs.size(), 1u);
  EXPECT_EQ(revs[0]["revision"], 1);
  EXPECT_EQ(revs[0]["data"]["spec"]["template"]["$patch"], "replace");

  // n3 starts to qualify; n1 stops.
  Patch(std::string(kNodes) + "/n3", {{"metadata", {{"labels", {{"role", "w"}}}}}});
  ASSERT_TRUE(Eventually([&] { return PodNodes("place").count("n3") == 1; }));
  Patch(std::string(kNodes) + "/n1", {{"metadata", {{"labels", {{"role", "gone"}}}}}});
  EXPECT_TRUE(Eventually([&] { return PodNodes("place") == std::multiset<std::string>{"n3"}; }));
}

TEST_F(DaemonSetIntegrationTest, TemplateChangeRollsPodsOneUnavailableAtATime) {
  ThreeWorkers();
  Create(kDs, DaemonSet("roll",
                        {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", 1}}}}));
  ASSERT_TRUE(Eventually([&] { return PodNodes("roll").size() == 3; }));
  MarkAllReady("roll");
  ASSERT_TRUE(Eventually([&] { return Status("roll").value("numberAvailable", 0) == 3; }));
  std::string old_hash = *Hashes("roll").begin();

  SetImage("roll", "busybox:2");
  // New pods are marked Ready one by one; at every look at most one node lacks an available pod.
  ASSERT_TRUE(Eventually([&] {
    json pods = Items(kPods, "app%3Droll");
    int available = 0, fresh_pending = 0;
    for (const json& p : pods) {
      bool fresh = p["metadata"]["labels"].value(kHash, "") != old_hash;
      bool ready = IsReady(p);
      if (ready) ++available;
      if (fresh && !ready) ++fresh_pending;
    }
    EXPECT_GE(available, 2) << pods.dump();
    EXPECT_LE(fresh_pending, 1) << pods.dump();
    for (const json& p : pods) {
      if (!IsReady(p)) MarkReady(p);
    }
    std::multiset<std::string> hashes = Hashes("roll");
    return hashes.size() == 3 && hashes.count(old_hash) == 0;
  }));
  EXPECT_EQ(PodNodes("roll"), (std::multiset<std::string>{"w1", "w2", "w3"}));
  ASSERT_TRUE(Eventually([&] { return Status("roll").value("updatedNumberScheduled", 0) == 3; }));
  json revs = Items(kRevs, "app%3Droll");
  std::set<int64_t> numbers;
  for (const json& r : revs) numbers.insert(r["revision"].get<int64_t>());
  EXPECT_EQ(numbers, (std::set<int64_t>{1, 2}));
}

TEST_F(DaemonSetIntegrationTest, OnDeleteReplacesOnlyDeletedPodsAndHistoryIsLimited) {
  ThreeWorkers();
  json ds = DaemonSet("od", {{"type", "OnDelete"}});
  ds["spec"]["revisionHistoryLimit"] = 1;
  Create(kDs, ds);
  ASSERT_TRUE(Eventually([&] { return PodNodes("od").size() == 3; }));
  std::string old_hash = *Hashes("od").begin();

  SetImage("od", "busybox:2");
  ASSERT_TRUE(Eventually([&] { return Items(kRevs, "app%3Dod").size() == 2; }));
  ASSERT_TRUE(Eventually([&] {
    json st = Status("od");
    return st.value("observedGeneration", 0) == 2 && st.value("updatedNumberScheduled", -1) == 0;
  }));
  EXPECT_EQ(Hashes("od").count(old_hash), 3u) << "OnDelete must not replace pods by itself";

  json victim = Items(kPods, "app%3Dod")[0];
  Result<json> deleted =
      client_->Delete(std::string(kPods) + "/" + victim["metadata"]["name"].get<std::string>());
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  ASSERT_TRUE(Eventually([&] {
    std::multiset<std::string> h = Hashes("od");
    return h.size() == 3 && h.count(old_hash) == 2;
  }));

  // A third template: the first revision is still used by two pods, the second by one; with
  // limit 1 neither may go, and the new current one is added.
  SetImage("od", "busybox:3");
  ASSERT_TRUE(Eventually([&] { return Items(kRevs, "app%3Dod").size() == 3; }));
  // Once every pod runs the third template, the two old revisions exceed the limit: one goes.
  for (const json& p : Items(kPods, "app%3Dod")) {
    ASSERT_TRUE(
        client_->Delete(std::string(kPods) + "/" + p["metadata"]["name"].get<std::string>()).ok());
  }
  EXPECT_TRUE(
      Eventually([&] { return Hashes("od").size() == 3 && Items(kRevs, "app%3Dod").size() == 2; }));
}

}  // namespace
}  // namespace capstan::controllers
