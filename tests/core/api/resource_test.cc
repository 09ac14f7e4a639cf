// Tests for core/api/resource.{h,cc} and resource_table.cc: the built-in table agrees with the
// upstream swagger.json and v3 documents, and the Registry orders, finds and registers resources.
#include "core/api/resource.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/core/api/test_util.h"

namespace capstan::api {
namespace {

using nlohmann::json;

// What upstream serves for one "group/version/resource[/sub]", derived from swagger.json paths
// and their x-kubernetes-action / x-kubernetes-group-version-kind.
struct Upstream {
  GroupVersionKind kind;
  bool namespaced = false;
  std::set<std::string> verbs;
};

std::string VerbFor(const std::string& method, const std::string& action) {
  static const std::map<std::pair<std::string, std::string>, std::string> kVerbs = {
      {{"get", "get"}, "get"},
      {{"get", "list"}, "list"},
      {{"get", "watch"}, "watch"},
      {{"get", "watchlist"}, "watch"},
      {{"post", "post"}, "create"},
      {{"put", "put"}, "update"},
      {{"patch", "patch"}, "patch"},
      {{"delete", "delete"}, "delete"},
      {{"delete", "deletecollection"}, "deletecollection"},
      {{"get", "connect"}, "get"},
      {{"post", "connect"}, "create"},
      {{"put", "connect"}, "update"},
      {{"patch", "connect"}, "patch"},
      {{"delete", "connect"}, "delete"}};
  auto it = kVerbs.find({method, action});
  return it == kVerbs.end() ? "" : it->second;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t slash = s.find('/', start);
    if (slash == std::string::npos) slash = s.size();
    out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::map<std::string, Upstream> DeriveFromSwagger() {
  json swagger = testing::OpenApiFile("swagger.json");
  std::map<std::string, Upstream> out;
  for (const auto& [path, item] : swagger["paths"].items()) {
    std::vector<std::string> seg = Split(path.substr(1));
    std::string group;
    std::string version;
    size_t i = 0;
    if (seg.size() >= 2 && seg[0] == "api") {
      version = seg[1];
      i = 2;
    } else if (seg.size() >= 3 && seg[0] == "apis") {
      group = seg[1];
      version = seg[2];
      i = 3;
    } else {
      continue;
    }
    if (i < seg.size() && seg[i] == "watch") ++i;
    bool namespaced = false;
    if (i + 2 < seg.size() && seg[i] == "namespaces" && seg[i + 1] == "{namespace}") {
      namespaced = true;
      i += 2;
    }
    if (i >= seg.size() || seg.size() - i > 3) continue;  // skips proxy/{path}
    std::string key = group + "/" + version + "/" + seg[i];
    if (seg.size() - i == 3) key += "/" + seg[i + 2];
    for (const auto& [method, op] : item.items()) {
      if (!op.is_object() || !op.contains("x-kubernetes-action")) continue;
      std::string action = op["x-kubernetes-action"];
      std::string verb = VerbFor(method, action);
      if (verb.empty()) continue;
      Upstream& u = out[key];
      u.verbs.insert(verb);
      u.namespaced = u.namespaced || namespaced;
      if (action != "list" && action != "watchlist" && action != "deletecollection" &&
          op.contains("x-kubernetes-group-version-kind")) {
        const json& gvk = op["x-kubernetes-group-version-kind"];
        u.kind = {gvk["group"], gvk["version"], gvk["kind"]};
      }
    }
  }
  return out;
}

std::set<std::string> AsSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

TEST(BuiltinResourcesTest, EveryResourceMatchesUpstreamKindScopeVerbsAndSubresources) {
  std::map<std::string, Upstream> upstream = DeriveFromSwagger();
  ASSERT_GT(upstream.size(), 100u);
  for (const ResourceInfo& r : BuiltinResources()) {
    std::string key = r.group + "/" + r.version + "/" + r.plural;
    SCOPED_TRACE(key);
    auto it = upstream.find(key);
    ASSERT_NE(it, upstream.end()) << "not served upstream";
    EXPECT_EQ(it->second.kind, r.gvk());
    EXPECT_EQ(it->second.namespaced, r.namespaced);
    EXPECT_EQ(it->second.verbs, AsSet(r.verbs));
    for (const Subresource& sub : r.subresources) {
      auto us = upstream.find(key + "/" + sub.name);
      ASSERT_NE(us, upstream.end()) << "subresource " << sub.name << " not served upstream";
      EXPECT_EQ(us->second.kind, sub.kind) << sub.name;
      EXPECT_EQ(us->second.verbs, AsSet(sub.verbs)) << sub.name;
    }
    // Every upstream subresource is served, except alpha features upstream leaves disabled.
    for (auto us = upstream.lower_bound(key + "/"); us != upstream.end(); ++us) {
      if (!us->first.starts_with(key + "/")) break;
      std::string name = us->first.substr(key.size() + 1);
      if (key == "/v1/pods" && name == "resize") continue;  // InPlacePodVerticalScaling, alpha
      EXPECT_NE(r.FindSubresource(name), nullptr) << "missing subresource " << name;
    }
  }
}

TEST(BuiltinResourcesTest, HasSpecMatchesTheUpstreamSchema) {
  for (const ResourceInfo& r : BuiltinResources()) {
    SCOPED_TRACE(r.group + "/" + r.version + "/" + r.kind);
    std::string file = r.group.empty() ? "v3/api__v1_openapi.json"
                                       : "v3/apis__" + r.group + "__" + r.version + "_openapi.json";
    static std::map<std::string, json> docs;
    if (!docs.count(file)) docs[file] = testing::OpenApiFile(file);
    const json& schemas = docs[file]["components"]["schemas"];
    bool found = false;
    for (const auto& [name, schema] : schemas.items()) {
      for (const json& gvk : schema.value("x-kubernetes-group-version-kind", json::array())) {
        if (gvk["group"] == r.group && gvk["version"] == r.version && gvk["kind"] == r.kind) {
          found = true;
          EXPECT_EQ(schema["properties"].contains("spec"), r.has_spec);
        }
      }
    }
    EXPECT_TRUE(found) << "no schema in " << file;
  }
}

TEST(BuiltinResourcesTest, CoversExactlyTheAgreedGroupVersions) {
  std::set<std::string> served;
  for (const ResourceInfo& r : BuiltinResources()) served.insert(r.ApiVersion());
  EXPECT_EQ(served, (std::set<std::string>{
                        "v1", "apps/v1", "batch/v1", "autoscaling/v1", "autoscaling/v2",
                        "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1",
                        "coordination.k8s.io/v1", "scheduling.k8s.io/v1", "policy/v1",
                        "discovery.k8s.io/v1", "events.k8s.io/v1", "apiextensions.k8s.io/v1",
                        "authentication.k8s.io/v1", "authorization.k8s.io/v1"}));
  EXPECT_EQ(BuiltinResources().size(), 47u);
}

TEST(BuiltinResourcesTest, ShortNamesResolveToUpstreamResources) {
  const std::map<std::string, std::string> kShort = {
      {"cm", "/configmaps"},
      {"ep", "/endpoints"},
      {"limits", "/limitranges"},
      {"ns", "/namespaces"},
      {"no", "/nodes"},
      {"pvc", "/persistentvolumeclaims"},
      {"pv", "/persistentvolumes"},
      {"po", "/pods"},
      {"rc", "/replicationcontrollers"},
      {"quota", "/resourcequotas"},
      {"sa", "/serviceaccounts"},
      {"svc", "/services"},
      {"ds", "apps/daemonsets"},
      {"deploy", "apps/deployments"},
      {"rs", "apps/replicasets"},
      {"sts", "apps/statefulsets"},
      {"cj", "batch/cronjobs"},
      {"hpa", "autoscaling/horizontalpodautoscalers"},
      {"ing", "networking.k8s.io/ingresses"},
      {"netpol", "networking.k8s.io/networkpolicies"},
      {"sc", "storage.k8s.io/storageclasses"},
      {"pc", "scheduling.k8s.io/priorityclasses"},
      {"pdb", "policy/poddisruptionbudgets"},
      {"crd", "apiextensions.k8s.io/customresourcedefinitions"},
      {"crds", "apiextensions.k8s.io/customresourcedefinitions"},
  };
  std::map<std::string, std::set<std::string>> actual;
  for (const ResourceInfo& r : BuiltinResources()) {
    for (const std::string& s : r.short_names) actual[s].insert(r.group + "/" + r.plural);
  }
  for (const auto& [short_name, resource] : kShort) {
    EXPECT_EQ(actual[short_name], std::set<std::string>{resource}) << short_name;
  }
  // "ev" names both event APIs, as upstream.
  EXPECT_EQ(actual["ev"], (std::set<std::string>{"/events", "events.k8s.io/events"}));
  EXPECT_EQ(actual.size(), kShort.size() + 1);
}

TEST(BuiltinResourcesTest, CategoryAllHoldsTheWorkloadResources) {
  std::set<std::string> all;
  for (const ResourceInfo& r : BuiltinResources()) {
    if (std::find(r.categories.begin(), r.categories.end(), "all") != r.categories.end()) {
      all.insert(r.group + "/" + r.version + "/" + r.plural);
    }
  }
  EXPECT_EQ(all,
            (std::set<std::string>{"/v1/pods", "/v1/services", "/v1/replicationcontrollers",
                                   "apps/v1/deployments", "apps/v1/replicasets",
                                   "apps/v1/statefulsets", "apps/v1/daemonsets", "batch/v1/jobs",
                                   "batch/v1/cronjobs", "autoscaling/v1/horizontalpodautoscalers",
                                   "autoscaling/v2/horizontalpodautoscalers"}));
}

TEST(BuiltinResourcesTest, SingularAndListKindAreFilled) {
  Registry registry(BuiltinResources());
  auto endpoints = registry.Find("", "v1", "endpoints");
  ASSERT_NE(endpoints, nullptr);
  EXPECT_EQ(endpoints->singular, "endpoints");
  auto deployments = registry.Find("apps", "v1", "deployments");
  ASSERT_NE(deployments, nullptr);
  EXPECT_EQ(deployments->singular, "deployment");
  EXPECT_EQ(deployments->list_kind, "DeploymentList");
  ASSERT_NE(deployments->FindSubresource("scale"), nullptr);
  EXPECT_EQ(deployments->FindSubresource("scale")->kind,
            (GroupVersionKind{"autoscaling", "v1", "Scale"}));
  EXPECT_TRUE(deployments->HasVerb("deletecollection"));
  EXPECT_FALSE(registry.Find("", "v1", "namespaces")->HasVerb("deletecollection"));
}

struct VersionOrderCase {
  std::string preferred;
  std::string other;
};

class KubeVersionLessTest : public ::testing::TestWithParam<VersionOrderCase> {};

TEST_P(KubeVersionLessTest, PrefersStableAndNewerVersions) {
  EXPECT_TRUE(KubeVersionLess(GetParam().preferred, GetParam().other));
  EXPECT_FALSE(KubeVersionLess(GetParam().other, GetParam().preferred));
}

INSTANTIATE_TEST_SUITE_P(
    Table, KubeVersionLessTest,
    ::testing::Values(VersionOrderCase{"v2", "v1"}, VersionOrderCase{"v1", "v2beta1"},
                      VersionOrderCase{"v1beta2", "v1beta1"},
                      VersionOrderCase{"v1beta1", "v2alpha1"}, VersionOrderCase{"v10", "v9"},
                      VersionOrderCase{"v1alpha1", "foo"}, VersionOrderCase{"bar", "foo"}));

TEST(RegistryTest, GroupsAreInUpstreamOrderWithPreferredVersionFirst) {
  Registry registry(BuiltinResources());
  auto snap = registry.Snapshot();
  std::vector<std::string> names;
  for (const GroupInfo& g : snap->groups()) names.push_back(g.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
                       "autoscaling", "batch", "networking.k8s.io", "policy",
                       "rbac.authorization.k8s.io", "storage.k8s.io", "apiextensions.k8s.io",
                       "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io"}));
  EXPECT_EQ(snap->FindGroup("autoscaling")->versions, (std::vector<std::string>{"v2", "v1"}));
  // Resources within a group-version are sorted by plural.
  std::vector<std::string> apps;
  for (const ResourceInfo* r : snap->ResourcesOf("apps", "v1")) apps.push_back(r->plural);
  EXPECT_EQ(apps, (std::vector<std::string>{"controllerrevisions", "daemonsets", "deployments",
                                            "replicasets", "statefulsets"}));
}

TEST(RegistryTest, FindsByResourceAndByKind) {
  Registry registry(BuiltinResources());
  auto pods = registry.Find("", "v1", "pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->kind, "Pod");
  EXPECT_TRUE(pods->namespaced);
  auto by_kind = registry.FindKind("apps", "v1", "StatefulSet");
  ASSERT_NE(by_kind, nullptr);
  EXPECT_EQ(by_kind->plural, "statefulsets");
  EXPECT_EQ(registry.Find("apps", "v1", "pods"), nullptr);
  EXPECT_EQ(registry.FindKind("", "v1", "Deployment"), nullptr);
}

ResourceInfo Widget(std::string version = "v1") {
  ResourceInfo r;
  r.group = "example.com";
  r.version = std::move(version);
  r.kind = "Widget";
  r.plural = "widgets";
  r.namespaced = true;
  r.has_spec = true;
  r.verbs = {"watch", "get", "list", "create"};
  r.short_names = {"wd"};
  r.subresources = {{"status", {}, {"update", "get", "patch"}}};
  return r;
}

TEST(RegistryTest, RegistersAndUnregistersCustomResources) {
  Registry registry(BuiltinResources());
  uint64_t before = registry.Snapshot()->generation();
  ASSERT_TRUE(registry.Register(Widget()).ok());
  auto widgets = registry.Find("example.com", "v1", "widgets");
  ASSERT_NE(widgets, nullptr);
  EXPECT_FALSE(widgets->builtin);
  EXPECT_EQ(widgets->singular, "widget");
  EXPECT_EQ(widgets->list_kind, "WidgetList");
  EXPECT_EQ(widgets->verbs, (std::vector<std::string>{"create", "get", "list", "watch"}));
  EXPECT_EQ(widgets->FindSubresource("status")->kind,
            (GroupVersionKind{"example.com", "v1", "Widget"}));
  EXPECT_GT(registry.Snapshot()->generation(), before);
  EXPECT_EQ(registry.Snapshot()->groups().back().name, "example.com");

  EXPECT_EQ(registry.Register(Widget()).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(registry.Register(Widget("v1beta1")).ok());
  EXPECT_EQ(registry.Snapshot()->FindGroup("example.com")->versions,
            (std::vector<std::string>{"v1", "v1beta1"}));

  ASSERT_TRUE(registry.Unregister("example.com", "v1", "widgets").ok());
  EXPECT_EQ(registry.Find("example.com", "v1", "widgets"), nullptr);
  EXPECT_NE(registry.Find("example.com", "v1beta1", "widgets"), nullptr);
  EXPECT_EQ(registry.Unregister("example.com", "v1", "widgets").code(), StatusCode::kNotFound);
  EXPECT_EQ(registry.Unregister("", "v1", "pods").code(), StatusCode::kForbidden);
}

TEST(RegistryTest, RejectsInvalidRegistrations) {
  Registry registry(BuiltinResources());
  ResourceInfo no_kind = Widget();
  no_kind.kind.clear();
  EXPECT_EQ(registry.Register(no_kind).code(), StatusCode::kInvalid);
  ResourceInfo bad_plural = Widget();
  bad_plural.plural = "Widgets";
  EXPECT_EQ(registry.Register(bad_plural).code(), StatusCode::kInvalid);
  ResourceInfo bad_verb = Widget();
  bad_verb.verbs.push_back("explode");
  EXPECT_EQ(registry.Register(bad_verb).code(), StatusCode::kInvalid);
  ResourceInfo kind_taken = Widget();
  kind_taken.group = "apps";
  kind_taken.kind = "Deployment";
  EXPECT_EQ(registry.Register(kind_taken).code(), StatusCode::kAlreadyExists);
}

TEST(RegistryTest, ReadersSeeWholeSnapshotsWhileWritersPublishNewOnes) {
  Registry registry(BuiltinResources());
  auto held = registry.Find("", "v1", "pods");
  const size_t builtins = BuiltinResources().size();
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    uint64_t last = 0;
    while (!stop.load()) {
      auto snap = registry.Snapshot();
      // Each registration adds one resource and one generation: a snapshot never shows half.
      if (snap->resources().size() - builtins != snap->generation() - 1) torn.fetch_add(1);
      if (snap->generation() < last) torn.fetch_add(1);
      last = snap->generation();
      reads.fetch_add(1);
    }
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (reads.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(registry.Register(Widget("v" + std::to_string(i + 1))).ok());
  }
  stop.store(true);
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(held->kind, "Pod");  // the first snapshot is still alive through `held`
  EXPECT_EQ(registry.Snapshot()->FindGroup("example.com")->versions.front(), "v50");
}

}  // namespace
}  // namespace capstan::api
