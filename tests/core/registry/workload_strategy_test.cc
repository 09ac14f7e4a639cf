// Tests for core/registry/workload_strategy.h: defaults per kind, template defaulting, selector
// and template validation, immutable selectors and StatefulSet update limits.
#include "core/registry/workload_strategy.h"

#include <gtest/gtest.h>

#include "tests/core/registry/strategy_test_util.h"

namespace capstan::registry {
namespace {

using testing::CauseFor;
using testing::Describe;
using testing::RunCreate;
using testing::RunUpdate;

Json Template(Json labels) {
  return {{"metadata", {{"labels", std::move(labels)}}},
          {"spec", {{"containers", {{{"name", "app"}, {"image", "nginx:1.27"}}}}}}};
}

Json Workload(const char* kind, Json spec) {
  return {{"kind", kind}, {"metadata", {{"name", "web"}}}, {"spec", std::move(spec)}};
}

Json Selected() {
  return {{"selector", {{"matchLabels", {{"app", "web"}}}}},
          {"template", Template({{"app", "web"}})}};
}

TEST(WorkloadStrategyTest, DefaultsPerKind) {
  struct Case {
    WorkloadKind kind;
    const char* name;
    std::vector<std::pair<const char*, Json>> want;
  } cases[] = {
      {WorkloadKind::kDeployment,
       "Deployment",
       {{"/spec/replicas", 1},
        {"/spec/strategy/type", "RollingUpdate"},
        {"/spec/strategy/rollingUpdate/maxSurge", "25%"},
        {"/spec/strategy/rollingUpdate/maxUnavailable", "25%"},
        {"/spec/revisionHistoryLimit", 10},
        {"/spec/progressDeadlineSeconds", 600},
        {"/status", Json::object()}}},
      {WorkloadKind::kReplicaSet, "ReplicaSet", {{"/spec/replicas", 1}, {"/status/replicas", 0}}},
      {WorkloadKind::kStatefulSet,
       "StatefulSet",
       {{"/spec/replicas", 1},
        {"/spec/podManagementPolicy", "OrderedReady"},
        {"/spec/updateStrategy/type", "RollingUpdate"},
        {"/spec/updateStrategy/rollingUpdate/partition", 0},
        {"/spec/persistentVolumeClaimRetentionPolicy/whenDeleted", "Retain"},
        {"/spec/persistentVolumeClaimRetentionPolicy/whenScaled", "Retain"},
        {"/spec/revisionHistoryLimit", 10}}},
      {WorkloadKind::kDaemonSet,
       "DaemonSet",
       {{"/spec/updateStrategy/type", "RollingUpdate"},
        {"/spec/updateStrategy/rollingUpdate/maxUnavailable", 1},
        {"/spec/updateStrategy/rollingUpdate/maxSurge", 0},
        {"/spec/revisionHistoryLimit", 10},
        {"/status/numberReady", 0}}},
  };
  for (const Case& c : cases) {
    WorkloadStrategy s(c.kind);
    testing::Outcome o = RunCreate(s, Workload(c.name, Selected()));
    ASSERT_TRUE(o.prepared.ok() && o.causes.empty()) << c.name << Describe(o);
    for (const auto& [pointer, want] : c.want) {
      EXPECT_EQ(o.object.value(Json::json_pointer(pointer), Json()), want) << c.name << pointer;
    }
    const Json& tmpl = o.object["spec"]["template"];
    EXPECT_TRUE(tmpl["metadata"].contains("creationTimestamp")) << c.name;
    EXPECT_EQ(tmpl["spec"]["restartPolicy"], "Always") << c.name;
    EXPECT_EQ(tmpl["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent") << c.name;
    EXPECT_FALSE(tmpl["spec"].contains("priority")) << "admission defaults are for Pods only";
  }
}

TEST(WorkloadStrategyTest, ReplicationControllerSelectorAndLabelsComeFromTheTemplate) {
  WorkloadStrategy s(WorkloadKind::kReplicationController);
  testing::Outcome o =
      RunCreate(s, Workload("ReplicationController", {{"template", Template({{"app", "web"}})}}));
  ASSERT_TRUE(o.causes.empty()) << Describe(o);
  EXPECT_EQ(o.object["spec"]["selector"], Json({{"app", "web"}}));
  EXPECT_EQ(o.object["metadata"]["labels"], Json({{"app", "web"}}));
  EXPECT_EQ(o.object["spec"]["replicas"], 1);
}

TEST(WorkloadStrategyTest, ValidationErrorsMatchUpstream) {
  Json mismatch = Selected();
  mismatch["selector"]["matchLabels"]["app"] = "api";
  Json no_selector = Selected();
  no_selector.erase("selector");
  Json negative = Selected();
  negative["replicas"] = -1;
  Json never = Selected();
  never["template"]["spec"]["restartPolicy"] = "Never";
  Json empty_sel = Selected();
  empty_sel["selector"] = Json::object();
  Json zero_zero = Selected();
  zero_zero["strategy"] = {{"type", "RollingUpdate"},
                           {"rollingUpdate", {{"maxSurge", 0}, {"maxUnavailable", 0}}}};
  struct Case {
    const char* name;
    WorkloadKind kind;
    Json spec;
    const char* field;
    const char* message;
  } cases[] = {
      {"mismatch", WorkloadKind::kDeployment, mismatch, "spec.template.metadata.labels",
       "Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template "
       "`labels`"},
      {"no selector", WorkloadKind::kDeployment, no_selector, "spec.selector", "Required value"},
      {"negative replicas", WorkloadKind::kReplicaSet, negative, "spec.replicas",
       "Invalid value: -1: must be greater than or equal to 0"},
      {"restart policy", WorkloadKind::kStatefulSet, never, "spec.template.spec.restartPolicy",
       "Unsupported value: \"Never\": supported values: \"Always\""},
      {"empty selector", WorkloadKind::kDeployment, empty_sel, "spec.selector",
       "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
       "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for "
       "deployment"},
      {"zero surge and unavailable", WorkloadKind::kDeployment, zero_zero,
       "spec.strategy.rollingUpdate.maxUnavailable",
       "Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when "
       "`maxSurge` is 0"},
      {"daemonset mismatch", WorkloadKind::kDaemonSet, mismatch, "spec.template.metadata.labels",
       "Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template "
       "`labels`"},
  };
  for (const Case& c : cases) {
    WorkloadStrategy s(c.kind);
    testing::Outcome o = RunCreate(s, Workload("X", c.spec));
    const apiserver::StatusCause* cause = CauseFor(o, c.field);
    ASSERT_NE(cause, nullptr) << c.name << Describe(o);
    EXPECT_EQ(cause->message, c.message) << c.name;
  }
}

TEST(WorkloadStrategyTest, SelectorsAreImmutableAndStatefulSetsLimitUpdates) {
  WorkloadStrategy deploy(WorkloadKind::kDeployment);
  testing::Outcome d = RunCreate(deploy, Workload("Deployment", Selected()));
  ASSERT_TRUE(d.causes.empty()) << Describe(d);
  Json moved = d.object;
  moved["spec"]["selector"]["matchLabels"] = {{"app", "web"}, {"tier", "fe"}};
  moved["spec"]["template"]["metadata"]["labels"]["tier"] = "fe";
  testing::Outcome u = RunUpdate(deploy, moved, d.object);
  const apiserver::StatusCause* c = CauseFor(u, "spec.selector");
  ASSERT_NE(c, nullptr) << Describe(u);
  EXPECT_EQ(c->message,
            "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", "
            "\"tier\":\"fe\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is "
            "immutable");
  Json scaled = d.object;
  scaled["spec"]["replicas"] = 5;
  testing::Outcome ok = RunUpdate(deploy, scaled, d.object);
  EXPECT_TRUE(ok.causes.empty()) << Describe(ok);

  WorkloadStrategy sts(WorkloadKind::kStatefulSet);
  Json spec = Selected();
  spec["serviceName"] = "web";
  testing::Outcome s = RunCreate(sts, Workload("StatefulSet", spec));
  ASSERT_TRUE(s.causes.empty()) << Describe(s);
  Json renamed = s.object;
  renamed["spec"]["serviceName"] = "other";
  testing::Outcome bad = RunUpdate(sts, renamed, s.object);
  const apiserver::StatusCause* f = CauseFor(bad, "spec");
  ASSERT_NE(f, nullptr) << Describe(bad);
  EXPECT_EQ(f->reason, "FieldValueForbidden");
  Json image = s.object;
  image["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28";
  image["spec"]["replicas"] = 3;
  testing::Outcome good = RunUpdate(sts, image, s.object);
  EXPECT_TRUE(good.causes.empty()) << Describe(good);
}

TEST(WorkloadStrategyTest, StatefulSetMountsMayNameClaimTemplatesButNotUnknownVolumes) {
  WorkloadStrategy sts(WorkloadKind::kStatefulSet);
  Json spec = Selected();
  spec["serviceName"] = "web";
  spec["volumeClaimTemplates"] = {
      {{"metadata", {{"name", "www"}}}, {"spec", {{"accessModes", {"ReadWriteOnce"}}}}}};
  spec["template"]["spec"]["containers"][0]["volumeMounts"] = {
      {{"name", "www"}, {"mountPath", "/usr/share/nginx/html"}}};
  testing::Outcome ok = RunCreate(sts, Workload("StatefulSet", spec));
  EXPECT_TRUE(ok.causes.empty()) << Describe(ok);
  EXPECT_FALSE(ok.object["spec"]["template"]["spec"].contains("volumes"))
      << "the claim volumes are only assumed for validation, never stored";

  spec["template"]["spec"]["containers"][0]["volumeMounts"][0]["name"] = "nope";
  testing::Outcome bad = RunCreate(sts, Workload("StatefulSet", spec));
  const apiserver::StatusCause* c =
      CauseFor(bad, "spec.template.spec.containers[0].volumeMounts[0].name");
  ASSERT_NE(c, nullptr) << Describe(bad);
  EXPECT_EQ(c->message, "Not found: \"nope\"");
}

}  // namespace
}  // namespace capstan::registry
