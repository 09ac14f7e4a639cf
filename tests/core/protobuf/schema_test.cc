// Tests for core/protobuf/schema.h: the text parser and the generated built-in table.
#include "core/protobuf/schema.h"

#include <gtest/gtest.h>

#include <string>

namespace capstan::protobuf {
namespace {

const FieldSchema& FieldOf(std::string_view message, uint32_t number) {
  const MessageSchema* m = Schema::Builtin().FindMessage(message);
  if (m == nullptr) ADD_FAILURE() << "no message " << message;
  const FieldSchema* f = m == nullptr ? nullptr : m->Find(number);
  if (f == nullptr) {
    ADD_FAILURE() << message << " has no field " << number;
    static const FieldSchema kNone;
    return kNone;
  }
  return *f;
}

TEST(SchemaTest, BuiltinTableKnowsEveryKindKubectlSendsInProtobuf) {
  const std::pair<const char*, const char*> kinds[] = {
      {"v1", "Namespace"},
      {"v1", "ConfigMap"},
      {"v1", "Secret"},
      {"v1", "ServiceAccount"},
      {"v1", "Service"},
      {"v1", "ResourceQuota"},
      {"apps/v1", "Deployment"},
      {"batch/v1", "Job"},
      {"batch/v1", "CronJob"},
      {"scheduling.k8s.io/v1", "PriorityClass"},
      {"rbac.authorization.k8s.io/v1", "Role"},
      {"rbac.authorization.k8s.io/v1", "RoleBinding"},
      {"rbac.authorization.k8s.io/v1", "ClusterRole"},
      {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"},
      {"policy/v1", "PodDisruptionBudget"},
      {"networking.k8s.io/v1", "Ingress"},
      {"authorization.k8s.io/v1", "SelfSubjectAccessReview"},
      {"authorization.k8s.io/v1", "SelfSubjectRulesReview"},
      {"authentication.k8s.io/v1", "SelfSubjectReview"},
      {"authentication.k8s.io/v1", "TokenRequest"},
  };
  for (const auto& [api_version, kind] : kinds) {
    EXPECT_NE(Schema::Builtin().FindKind(api_version, kind), nullptr) << api_version << " " << kind;
  }
  EXPECT_EQ(Schema::Builtin().FindKind("v1", "Deployment"), nullptr);
  EXPECT_GT(Schema::Builtin().message_count(), 300u);
}

TEST(SchemaTest, BuiltinFieldNumbersMatchTheOnesDecodedFromKubectl) {
  struct Case {
    const char* message;
    uint32_t number;
    const char* json_name;
  };
  const Case cases[] = {
      {"meta.v1.ObjectMeta", 1, "name"},
      {"meta.v1.ObjectMeta", 2, "generateName"},
      {"meta.v1.ObjectMeta", 3, "namespace"},
      {"meta.v1.ObjectMeta", 7, "generation"},
      {"meta.v1.ObjectMeta", 8, "creationTimestamp"},
      {"meta.v1.ObjectMeta", 11, "labels"},
      {"meta.v1.ObjectMeta", 12, "annotations"},
      {"meta.v1.ObjectMeta", 13, "ownerReferences"},
      {"meta.v1.ObjectMeta", 17, "managedFields"},
      {"apps.v1.DeploymentSpec", 1, "replicas"},
      {"apps.v1.DeploymentSpec", 2, "selector"},
      {"apps.v1.DeploymentSpec", 3, "template"},
      {"core.v1.PodSpec", 2, "containers"},
      {"core.v1.Container", 1, "name"},
      {"core.v1.Container", 2, "image"},
      {"core.v1.Container", 3, "command"},
      {"core.v1.Container", 4, "args"},
      {"core.v1.ConfigMap", 2, "data"},
      {"authorization.v1.SelfSubjectAccessReviewSpec", 1, "resourceAttributes"},
      {"authorization.v1.SelfSubjectAccessReviewSpec", 2, "nonResourceAttributes"},
      {"authorization.v1.ResourceAttributes", 7, "name"},
      {"authorization.v1.SelfSubjectRulesReviewSpec", 1, "namespace"},
  };
  for (const Case& c : cases) EXPECT_EQ(FieldOf(c.message, c.number).json_name, c.json_name);
}

TEST(SchemaTest, BuiltinTableCarriesGoPointerInlineAndMapShapes) {
  EXPECT_TRUE(FieldOf("apps.v1.DeploymentSpec", 1).pointer);   // *int32 replicas
  EXPECT_FALSE(FieldOf("apps.v1.DeploymentSpec", 4).pointer);  // strategy struct
  EXPECT_TRUE(FieldOf("core.v1.VolumeSource", 2).pointer);     // *EmptyDirVolumeSource
  EXPECT_TRUE(FieldOf("core.v1.Volume", 2).inline_fields);     // VolumeSource
  EXPECT_TRUE(FieldOf("core.v1.Probe", 1).inline_fields);      // ProbeHandler
  EXPECT_TRUE(FieldOf("core.v1.Secret", 2).map);
  EXPECT_EQ(FieldOf("core.v1.Secret", 2).type, FieldType::kBytes);
  EXPECT_TRUE(FieldOf("core.v1.PodSpec", 2).repeated);
  const FieldSchema& hard = FieldOf("core.v1.ResourceQuotaSpec", 1);
  ASSERT_NE(hard.message, nullptr);
  EXPECT_EQ(hard.message->kind, MessageKind::kQuantity);
  const FieldSchema& target_port = FieldOf("core.v1.ServicePort", 4);
  ASSERT_NE(target_port.message, nullptr);
  EXPECT_EQ(target_port.message->kind, MessageKind::kIntOrString);
  const std::pair<const char*, MessageKind> specials[] = {
      {"meta.v1.Time", MessageKind::kTime},
      {"meta.v1.MicroTime", MessageKind::kMicroTime},
      {"meta.v1.Duration", MessageKind::kDuration},
      {"meta.v1.FieldsV1", MessageKind::kRawJson},
      {"runtime.RawExtension", MessageKind::kRawJson},
      {"authentication.v1.ExtraValue", MessageKind::kList},
  };
  for (const auto& [name, kind] : specials) {
    const MessageSchema* m = Schema::Builtin().FindMessage(name);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_EQ(m->kind, kind) << name;
  }
}

TEST(SchemaTest, ParsesTheTextForm) {
  Result<Schema> schema = Schema::Parse(
      "# comment\n"
      "\n"
      "kind t/v1 Thing t.Thing\n"
      "message t.Thing 2=spec:*t.Spec 1=metadata:t.Meta\n"
      "message t.Spec 1=items:[]string 2=labels:{}string 3=inner:^t.Meta 4=when:t.Time\n"
      "message t.Meta 1=name:string\n"
      "message t.Time !time\n");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const MessageSchema* thing = schema->FindKind("t/v1", "Thing");
  ASSERT_NE(thing, nullptr);
  ASSERT_EQ(thing->fields.size(), 2u);
  EXPECT_EQ(thing->fields[0].json_name, "metadata");  // sorted by number
  EXPECT_TRUE(thing->fields[1].pointer);
  EXPECT_EQ(thing->fields[1].message, schema->FindMessage("t.Spec"));
  const MessageSchema* spec = schema->FindMessage("t.Spec");
  EXPECT_TRUE(spec->Find(1)->repeated);
  EXPECT_TRUE(spec->Find(2)->map);
  EXPECT_TRUE(spec->Find(3)->inline_fields);
  EXPECT_EQ(spec->Find(4)->message->kind, MessageKind::kTime);
  EXPECT_EQ(spec->Find(5), nullptr);
  EXPECT_EQ(schema->Kinds().size(), 1u);
}

TEST(SchemaTest, RejectsMalformedTables) {
  const char* bad[] = {
      "message a.A 1=x:a.Missing\n",
      "message a.A 1=x:string 1=y:string\n",
      "message a.A 1=x\n",
      "message a.A x=y:string\n",
      "message a.A 0=y:string\n",
      "message a.A !nonsense\n",
      "message a.A 1=x:string\nmessage a.A 1=x:string\n",
      "kind v1 A a.A\n",
      "message a.A 1=x:^string\n",
      "message a.A 1=x:^a.T\nmessage a.T !time\n",
      "bogus line\n",
  };
  for (const char* text : bad) {
    Result<Schema> schema = Schema::Parse(text);
    ASSERT_FALSE(schema.ok()) << text;
    EXPECT_EQ(schema.status().code(), StatusCode::kInvalid);
  }
}

}  // namespace
}  // namespace capstan::protobuf
