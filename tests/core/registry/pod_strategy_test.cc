// Tests for core/registry/pod_strategy.h with pod_defaults.h, pod_validation.h and
// container_validation.h: defaulting tables, validation-error tables (paths, reasons, wording),
// update rules and graceful deletion.
#include "core/registry/pod_strategy.h"

#include <gtest/gtest.h>

#include "core/registry/pod_defaults.h"
#include "tests/core/registry/strategy_test_util.h"

namespace capstan::registry {
namespace {

using testing::CauseFor;
using testing::Describe;
using testing::RunCreate;
using testing::RunUpdate;

Json Pod(Json spec) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", "web"}, {"generation", 1}}},
          {"spec", std::move(spec)}};
}

Json OneContainer(Json container) { return {{"containers", Json::array({std::move(container)})}}; }

TEST(PodDefaultsTest, ImagePullPolicyFollowsTheTag) {
  struct Case {
    const char* image;
    const char* want;
  } cases[] = {
      {"nginx", "Always"},
      {"nginx:latest", "Always"},
      {"nginx:1.27", "IfNotPresent"},
      {"registry.local:5000/team/app", "Always"},
      {"registry.local:5000/team/app:v2", "IfNotPresent"},
      {"nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
       "IfNotPresent"},
      {"nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
       "Always"},
      {"Invalid/Upper", "IfNotPresent"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(DefaultImagePullPolicy(c.image), c.want) << c.image;
  }
}

TEST(PodStrategyTest, CreateAppliesUpstreamDefaults) {
  PodStrategy s;
  Json spec = OneContainer(
      {{"name", "app"},
       {"image", "nginx"},
       {"ports", {{{"containerPort", 80}}}},
       {"livenessProbe", {{"httpGet", {{"port", 80}}}}},
       {"env",
        {{{"name", "POD"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}}}}});
  spec["volumes"] = {{{"name", "scratch"}},
                     {{"name", "cfg"}, {"configMap", {{"name", "c"}}}},
                     {{"name", "sec"}, {"secret", {{"secretName", "s"}}}}};
  testing::Outcome o = RunCreate(s, Pod(spec));
  ASSERT_TRUE(o.prepared.ok() && o.causes.empty()) << Describe(o);
  struct Case {
    const char* pointer;
    Json want;
  } cases[] = {
      {"/spec/restartPolicy", "Always"},
      {"/spec/dnsPolicy", "ClusterFirst"},
      {"/spec/terminationGracePeriodSeconds", 30},
      {"/spec/schedulerName", "default-scheduler"},
      {"/spec/securityContext", Json::object()},
      {"/spec/enableServiceLinks", true},
      {"/spec/containers/0/imagePullPolicy", "Always"},
      {"/spec/containers/0/terminationMessagePath", "/dev/termination-log"},
      {"/spec/containers/0/terminationMessagePolicy", "File"},
      {"/spec/containers/0/resources", Json::object()},
      {"/spec/containers/0/ports/0/protocol", "TCP"},
      {"/spec/containers/0/livenessProbe/timeoutSeconds", 1},
      {"/spec/containers/0/livenessProbe/periodSeconds", 10},
      {"/spec/containers/0/livenessProbe/successThreshold", 1},
      {"/spec/containers/0/livenessProbe/failureThreshold", 3},
      {"/spec/containers/0/livenessProbe/httpGet/path", "/"},
      {"/spec/containers/0/livenessProbe/httpGet/scheme", "HTTP"},
      {"/spec/containers/0/env/0/valueFrom/fieldRef/apiVersion", "v1"},
      {"/spec/volumes/0/emptyDir", Json::object()},
      {"/spec/volumes/1/configMap/defaultMode", 420},
      {"/spec/volumes/2/secret/defaultMode", 420},
      {"/status/phase", "Pending"},
      {"/status/qosClass", "BestEffort"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(o.object.value(Json::json_pointer(c.pointer), Json()), c.want) << c.pointer;
  }
  EXPECT_FALSE(o.object["metadata"].contains("generation")) << "v1.32 pods have no generation";
  EXPECT_FALSE(o.object["spec"].contains("priority")) << "the Priority admission plugin sets it";
}

TEST(PodStrategyTest, ExplicitValuesAreKept) {
  PodStrategy s;
  Json spec = OneContainer({{"name", "app"}, {"image", "nginx"}, {"imagePullPolicy", "Never"}});
  spec["restartPolicy"] = "OnFailure";
  spec["terminationGracePeriodSeconds"] = 5;
  spec["priorityClassName"] = "system-node-critical";
  testing::Outcome o = RunCreate(s, Pod(spec));
  ASSERT_TRUE(o.causes.empty()) << Describe(o);
  EXPECT_EQ(o.object["spec"]["restartPolicy"], "OnFailure");
  EXPECT_EQ(o.object["spec"]["terminationGracePeriodSeconds"], 5);
  EXPECT_EQ(o.object["spec"]["containers"][0]["imagePullPolicy"], "Never");
  EXPECT_EQ(o.object["spec"]["priorityClassName"], "system-node-critical");
}

TEST(PodStrategyTest, QosClassAndRequestsFromLimits) {
  struct Case {
    const char* name;
    Json resources;
    const char* qos;
  } cases[] = {
      {"none", Json::object(), "BestEffort"},
      {"limits only", {{"limits", {{"cpu", "500m"}, {"memory", "128Mi"}}}}, "Guaranteed"},
      {"requests below limits",
       {{"requests", {{"cpu", "100m"}}}, {"limits", {{"cpu", "500m"}, {"memory", "128Mi"}}}},
       "Burstable"},
      {"requests only", {{"requests", {{"memory", "64Mi"}}}}, "Burstable"},
      {"equal in other units",
       {{"requests", {{"cpu", "1"}, {"memory", "1Gi"}}},
        {"limits", {{"cpu", "1000m"}, {"memory", "1024Mi"}}}},
       "Guaranteed"},
  };
  PodStrategy s;
  for (const Case& c : cases) {
    testing::Outcome o = RunCreate(
        s, Pod(OneContainer({{"name", "a"}, {"image", "x:1"}, {"resources", c.resources}})));
    ASSERT_TRUE(o.causes.empty()) << c.name << Describe(o);
    EXPECT_EQ(o.object["status"]["qosClass"], c.qos) << c.name;
  }
  testing::Outcome o = RunCreate(
      s, Pod(OneContainer({{"name", "a"},
                           {"image", "x:1"},
                           {"resources", {{"limits", {{"cpu", "1000m"}, {"memory", "0.5Gi"}}}}}})));
  EXPECT_EQ(o.object["spec"]["containers"][0]["resources"]["requests"],
            Json({{"cpu", "1"}, {"memory", "512Mi"}}))
      << "requests copied from limits, quantities canonical";
}

struct ErrorCase {
  const char* name;
  Json spec;
  const char* field;
  const char* reason;
  const char* message;
};

TEST(PodStrategyTest, ValidationErrorsMatchUpstream) {
  Json ok = {{"name", "app"}, {"image", "nginx:1"}};
  auto with = [&](const char* key, Json value) {
    Json c = ok;
    c[key] = std::move(value);
    return OneContainer(c);
  };
  Json two = {{"containers", {ok, ok}}};
  Json init_dup = OneContainer(ok);
  init_dup["initContainers"] = {ok};
  Json bad_restart = OneContainer(ok);
  bad_restart["restartPolicy"] = "Sometimes";
  Json bad_mount = with("volumeMounts", {{{"name", "data"}, {"mountPath", "/data"}}});
  Json dup_vol = OneContainer(ok);
  dup_vol["volumes"] = {{{"name", "v"}, {"emptyDir", Json::object()}},
                        {{"name", "v"}, {"emptyDir", Json::object()}}};
  ErrorCase cases[] = {
      {"no containers",
       {{"containers", Json::array()}},
       "spec.containers",
       "FieldValueRequired",
       "Required value"},
      {"no image", OneContainer({{"name", "app"}}), "spec.containers[0].image",
       "FieldValueRequired", "Required value"},
      {"bad name", OneContainer({{"name", "App"}, {"image", "x"}}), "spec.containers[0].name",
       "FieldValueInvalid",
       "Invalid value: \"App\": a lowercase RFC 1123 label must consist of lower case "
       "alphanumeric characters or '-', and must start and end with an alphanumeric character "
       "(e.g. 'my-name',  or '123-abc', regex used for validation is "
       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"},
      {"duplicate container", two, "spec.containers[1].name", "FieldValueDuplicate",
       "Duplicate value: \"app\""},
      {"init duplicates regular", init_dup, "spec.initContainers[0].name", "FieldValueDuplicate",
       "Duplicate value: \"app\""},
      {"restart policy", bad_restart, "spec.restartPolicy", "FieldValueNotSupported",
       "Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", "
       "\"Never\""},
      {"port zero", with("ports", {{{"containerPort", 0}}}),
       "spec.containers[0].ports[0].containerPort", "FieldValueRequired", "Required value"},
      {"port too big", with("ports", {{{"containerPort", 70000}}}),
       "spec.containers[0].ports[0].containerPort", "FieldValueInvalid",
       "Invalid value: 70000: must be between 1 and 65535, inclusive"},
      {"duplicate port name",
       with("ports",
            {{{"name", "http"}, {"containerPort", 80}}, {{"name", "http"}, {"containerPort", 81}}}),
       "spec.containers[0].ports[1].name", "FieldValueDuplicate", "Duplicate value: \"http\""},
      {"protocol", with("ports", {{{"containerPort", 80}, {"protocol", "HTTP"}}}),
       "spec.containers[0].ports[0].protocol", "FieldValueNotSupported",
       "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""},
      {"mount of a missing volume", bad_mount, "spec.containers[0].volumeMounts[0].name",
       "FieldValueNotFound", "Not found: \"data\""},
      {"duplicate volume", dup_vol, "spec.volumes[1].name", "FieldValueDuplicate",
       "Duplicate value: \"v\""},
      {"env name", with("env", {{{"name", "A=B"}}}), "spec.containers[0].env[0].name",
       "FieldValueInvalid",
       "Invalid value: \"A=B\": a valid environment variable name must consist only of printable "
       "ASCII characters other than '='"},
      {"requests above limits",
       with("resources", {{"requests", {{"cpu", "2"}}}, {"limits", {{"cpu", "1"}}}}),
       "spec.containers[0].resources.requests", "FieldValueInvalid",
       "Invalid value: \"2\": must be less than or equal to cpu limit of 1"},
      {"negative quantity", with("resources", {{"requests", {{"memory", "-1Mi"}}}}),
       "spec.containers[0].resources.requests[memory]", "FieldValueInvalid",
       "Invalid value: \"-1Mi\": must be greater than or equal to 0"},
      {"unknown resource", with("resources", {{"limits", {{"gpu", "1"}}}}),
       "spec.containers[0].resources.limits[gpu]", "FieldValueInvalid",
       "Invalid value: \"gpu\": must be a standard resource type or fully qualified"},
  };
  PodStrategy s;
  for (const ErrorCase& c : cases) {
    testing::Outcome o = RunCreate(s, Pod(c.spec));
    ASSERT_TRUE(o.prepared.ok()) << c.name << ": " << o.prepared.ToString();
    const apiserver::StatusCause* cause = CauseFor(o, c.field);
    ASSERT_NE(cause, nullptr) << c.name << Describe(o);
    EXPECT_EQ(cause->reason, c.reason) << c.name;
    EXPECT_EQ(cause->message, c.message) << c.name;
  }
}

TEST(PodStrategyTest, UnparseableQuantityIsABadRequestLikeUpstreamDecoding) {
  PodStrategy s;
  testing::Outcome o = RunCreate(
      s, Pod(OneContainer(
             {{"name", "a"}, {"image", "x"}, {"resources", {{"limits", {{"cpu", "lots"}}}}}})));
  EXPECT_EQ(o.prepared.code(), StatusCode::kBadRequest);
  EXPECT_EQ(o.prepared.message(),
            "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular "
            "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
}

TEST(PodStrategyTest, WrongJsonTypesAreRejectedWithoutThrowing) {
  PodStrategy s;
  testing::Outcome o = RunCreate(s, Pod(Json{{"containers", "nginx"}}));
  EXPECT_TRUE(!o.prepared.ok() || !o.causes.empty()) << Describe(o);
  Json weird = Pod(OneContainer({{"name", 5}, {"image", Json::array()}, {"ports", "80"}}));
  testing::Outcome w = RunCreate(s, weird);
  EXPECT_TRUE(!w.prepared.ok() || !w.causes.empty()) << Describe(w);
}

TEST(PodStrategyTest, UpdatesMayOnlyChangeImagesDeadlinesAndAddTolerations) {
  PodStrategy s;
  Json base = OneContainer({{"name", "app"}, {"image", "nginx:1"}});
  base["tolerations"] = {{{"key", "a"}, {"operator", "Exists"}}};
  testing::Outcome created = RunCreate(s, Pod(base));
  ASSERT_TRUE(created.causes.empty()) << Describe(created);
  const Json& old = created.object;

  Json image = old;
  image["spec"]["containers"][0]["image"] = "nginx:2";
  image["spec"]["activeDeadlineSeconds"] = 100;
  image["spec"]["tolerations"].push_back({{"key", "b"}, {"operator", "Exists"}});
  testing::Outcome ok = RunUpdate(s, image, old);
  EXPECT_TRUE(ok.prepared.ok() && ok.causes.empty()) << Describe(ok);

  Json env = old;
  env["spec"]["containers"][0]["env"] = {{{"name", "A"}, {"value", "1"}}};
  testing::Outcome bad = RunUpdate(s, env, old);
  const apiserver::StatusCause* c = CauseFor(bad, "spec");
  ASSERT_NE(c, nullptr) << Describe(bad);
  EXPECT_EQ(c->reason, "FieldValueForbidden");
  EXPECT_EQ(c->message.rfind(
                "Forbidden: pod updates may not change fields other than "
                "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
                "was previously negative)\n",
                0),
            0u)
      << c->message;
  EXPECT_NE(c->message.find("spec.containers[0].env"), std::string::npos) << c->message;

  Json removed = old;
  removed["spec"]["tolerations"] = Json::array();
  testing::Outcome tol = RunUpdate(s, removed, old);
  const apiserver::StatusCause* t = CauseFor(tol, "spec.tolerations");
  ASSERT_NE(t, nullptr) << Describe(tol);
  EXPECT_EQ(t->message,
            "Forbidden: existing toleration can not be modified except its tolerationSeconds");

  Json more = old;
  more["spec"]["containers"].push_back({{"name", "b"}, {"image", "x"}});
  testing::Outcome add = RunUpdate(s, more, old);
  const apiserver::StatusCause* a = CauseFor(add, "spec.containers");
  ASSERT_NE(a, nullptr) << Describe(add);
  EXPECT_EQ(a->message, "Forbidden: pod updates may not add or remove containers");
}

TEST(PodStrategyTest, GraceFollowsSchedulingAndPhase) {
  PodStrategy s;
  testing::Outcome o = RunCreate(s, Pod(OneContainer({{"name", "a"}, {"image", "x"}})));
  Json pod = o.object;
  EXPECT_EQ(s.DefaultGracePeriodSeconds(pod), 0) << "unscheduled pods go at once";
  pod["spec"]["nodeName"] = "node-1";
  EXPECT_EQ(s.DefaultGracePeriodSeconds(pod), 30);
  pod["spec"]["terminationGracePeriodSeconds"] = 7;
  EXPECT_EQ(s.DefaultGracePeriodSeconds(pod), 7);
  pod["status"]["phase"] = "Succeeded";
  EXPECT_EQ(s.DefaultGracePeriodSeconds(pod), 0);
}

}  // namespace
}  // namespace capstan::registry
