// Tests for core/api/field_types.{h,cc} against the upstream OpenAPI documents: well-typed
// objects pass (including int-or-string, quantities, nulls and free-form fields) and each kind
// of mismatch fails with Go's decoder message.
#include "core/api/field_types.h"

#include <gtest/gtest.h>

#include <string>

#include "core/api/openapi.h"
#include "tests/core/api/test_util.h"

namespace capstan::api {
namespace {

using Json = nlohmann::json;

class FieldTypesTest : public testing::FieldSchemaSuite {
 protected:
  // The error message of checking `text` as a `kind` of `group`/`version` ("" when it passes).
  static std::string Check(const std::string& text, const std::string& kind,
                           const std::string& group = "", const std::string& version = "v1") {
    Result<FieldSchema> schema = cache_->For({group, version, kind});
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    if (!schema.ok()) return "no schema";
    Status s = CheckFieldTypes(Json::parse(text), *schema->root, kind);
    if (s.ok()) return "";
    EXPECT_EQ(s.code(), StatusCode::kBadRequest);
    return s.message();
  }
};

TEST_F(FieldTypesTest, WellTypedObjectsPass) {
  EXPECT_EQ(Check(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c",
      "labels":{"a":"b"},"annotations":null},"data":{"k":"v"},"binaryData":{"b":"AA=="}})",
                  "ConfigMap"),
            "");
  EXPECT_EQ(Check(R"({"metadata":{"name":"p","creationTimestamp":null},"spec":{"containers":[
      {"name":"c","image":"busybox","command":["sh","-c","true"],
       "ports":[{"containerPort":80.0,"protocol":"TCP"}],
       "resources":{"limits":{"cpu":1,"memory":"64Mi"}},
       "livenessProbe":{"httpGet":{"port":"http","path":"/"},"periodSeconds":5},
       "readinessProbe":{"tcpSocket":{"port":8080}}}],
      "terminationGracePeriodSeconds":30,"hostNetwork":false}})",
                  "Pod"),
            "");
  // Free-form positions take anything.
  EXPECT_EQ(Check(R"({"metadata":{"name":"r"},"data":{"any":["thing",1,{"x":true}]},
      "revision":1})",
                  "ControllerRevision", "apps"),
            "");
}

TEST_F(FieldTypesTest, MismatchesFailWithGoDecoderMessages) {
  struct Case {
    const char* object;
    const char* kind;
    const char* group;
    const char* message;
  };
  const Case cases[] = {
      {R"({"data":{"k":[1]}})", "ConfigMap", "",
       "json: cannot unmarshal array into Go struct field ConfigMap.data of type string"},
      {R"({"data":"flat"})", "ConfigMap", "",
       "json: cannot unmarshal string into Go struct field ConfigMap.data of type "
       "map[string]string"},
      {R"({"metadata":{"name":7}})", "ConfigMap", "",
       "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type "
       "string"},
      {R"({"spec":{"containers":[{"name":"c","ports":[{"containerPort":"80"}]}]}})", "Pod", "",
       "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports."
       "containerPort of type int32"},
      {R"({"spec":{"containers":{"name":"c"}}})", "Pod", "",
       "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type "
       "[]v1.Container"},
      {R"({"spec":{"hostNetwork":"yes"}})", "Pod", "",
       "json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool"},
      {R"({"spec":{"containers":[{"name":"c","command":"sh"}]}})", "Pod", "",
       "json: cannot unmarshal string into Go struct field Container.spec.containers.command of "
       "type []string"},
      {R"({"spec":{"replicas":1.5}})", "Deployment", "apps",
       "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of "
       "type int32"},
      {R"({"spec":"none"})", "Deployment", "apps",
       "json: cannot unmarshal string into Go struct field Deployment.spec of type "
       "v1.DeploymentSpec"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Check(c.object, c.kind, c.group), c.message) << c.object;
  }
}

TEST_F(FieldTypesTest, UnknownFieldsAreLeftToPruning) {
  EXPECT_EQ(Check(R"({"spec":{"madeUp":[1,2]}})", "Pod"), "");
}

}  // namespace
}  // namespace capstan::api
