// Tests for core/protobuf/decoder.h: whole request bodies, built field by field the way
// client-go lays them out, decoded with the built-in schema.
#include "core/protobuf/decoder.h"

#include <gtest/gtest.h>

#include "tests/core/protobuf/test_encoder.h"

namespace capstan::protobuf {
namespace {

using nlohmann::json;
using testing::Envelope;
using testing::ProtoWriter;

// ObjectMeta as Go writes it for a new object: every non-pointer field, mostly empty, and the
// zero creationTimestamp as an empty message.
ProtoWriter Meta(std::string_view name, std::string_view ns = "") {
  ProtoWriter m;
  m.Bytes(1, name).Bytes(2, "").Bytes(3, ns).Bytes(4, "").Bytes(5, "").Bytes(6, "").Varint(7, 0);
  m.Message(8, ProtoWriter()).Bytes(15, "");
  return m;
}

json Decode(const std::string& body) {
  Result<json> out = DecodeKubernetesProtobuf(body);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : json();
}

TEST(DecoderTest, DecodesANamespace) {
  ProtoWriter ns;
  ns.Message(1, Meta("team-a")).Message(2, ProtoWriter()).Message(3, ProtoWriter().Bytes(1, ""));
  EXPECT_EQ(Decode(Envelope("v1", "Namespace", ns)),
            json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}})"));
}

TEST(DecoderTest, DecodesAConfigMapWithData) {
  ProtoWriter cm;
  cm.Message(1, Meta("cfg", "default")).Entry(2, "a", "1").Entry(2, "b", "two words");
  EXPECT_EQ(Decode(Envelope("v1", "ConfigMap", cm)), json::parse(R"({
      "apiVersion":"v1","kind":"ConfigMap",
      "metadata":{"name":"cfg","namespace":"default"},"data":{"a":"1","b":"two words"}})"));
}

TEST(DecoderTest, DecodesADeploymentAsKubectlCreatesIt) {
  ProtoWriter labels;
  labels.Entry(11, "app", "web");
  ProtoWriter container;
  container.Bytes(1, "nginx").Bytes(2, "nginx:1.27").Bytes(5, "");
  container.Message(6,
                    ProtoWriter().Bytes(1, "").Varint(2, 0).Int(3, 80).Bytes(4, "").Bytes(5, ""));
  container.Message(8, ProtoWriter()).Bytes(13, "").Bytes(14, "").Varint(16, 0).Varint(17, 0);
  container.Varint(18, 0).Bytes(20, "");
  ProtoWriter pod_spec;
  pod_spec.Message(2, container).Bytes(3, "").Bytes(6, "").Bytes(8, "").Bytes(9, "");
  pod_spec.Bytes(10, "").Varint(11, 0).Varint(12, 0).Varint(13, 0).Bytes(16, "").Bytes(17, "");
  pod_spec.Bytes(19, "");
  ProtoWriter template_meta = Meta("");
  template_meta.Entry(11, "app", "web");
  ProtoWriter spec;
  spec.Varint(1, 3)
      .Message(2, ProtoWriter().Entry(1, "app", "web"))
      .Message(3, ProtoWriter().Message(1, template_meta).Message(2, pod_spec))
      .Message(4, ProtoWriter().Bytes(1, ""))
      .Varint(5, 0)
      .Varint(7, 0);
  ProtoWriter deployment;
  deployment.Message(1, Meta("web").Entry(11, "app", "web")).Message(2, spec);
  deployment.Message(3, ProtoWriter().Varint(1, 0).Varint(2, 0).Varint(3, 0).Varint(4, 0));
  EXPECT_EQ(Decode(Envelope("apps/v1", "Deployment", deployment)), json::parse(R"({
      "apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","labels":{"app":"web"}},
      "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
        "template":{"metadata":{"labels":{"app":"web"}},
          "spec":{"containers":[{"name":"nginx","image":"nginx:1.27",
                                 "ports":[{"containerPort":80}]}]}}}})"));
}

TEST(DecoderTest, KeepsZeroReplicasBecauseTheFieldIsAPointer) {
  ProtoWriter deployment;
  deployment.Message(1, Meta("idle")).Message(2, ProtoWriter().Varint(1, 0));
  EXPECT_EQ(Decode(Envelope("apps/v1", "Deployment", deployment))["spec"],
            json::parse(R"({"replicas":0})"));
}

TEST(DecoderTest, KeepsZeroPriorityClassValueBecauseGoJsonShowsIt) {
  ProtoWriter priority;
  priority.Message(1, Meta("low")).Varint(2, 0).Varint(3, 1).Bytes(4, "");
  EXPECT_EQ(Decode(Envelope("scheduling.k8s.io/v1", "PriorityClass", priority)),
            json::parse(R"({"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass",
                            "metadata":{"name":"low"},"value":0,"globalDefault":true})"));
}

TEST(DecoderTest, DecodesSecretBytesAsBase64) {
  ProtoWriter secret;
  secret.Message(1, Meta("creds"))
      .Entry(2, "blob", std::string("\x00\x01\xfe\xff", 4))
      .Entry(2, "user", "admin")
      .Bytes(3, "Opaque");
  EXPECT_EQ(Decode(Envelope("v1", "Secret", secret)), json::parse(R"({
      "apiVersion":"v1","kind":"Secret","metadata":{"name":"creds"},"type":"Opaque",
      "data":{"blob":"AAH+/w==","user":"YWRtaW4="}})"));
}

TEST(DecoderTest, DecodesServicePortsWithIntAndStringTargetPorts) {
  auto port = [](std::string_view name, int number, const ProtoWriter& target) {
    ProtoWriter p;
    p.Bytes(1, name).Bytes(2, "TCP").Int(3, number).Message(4, target).Varint(5, 0);
    return p;
  };
  ProtoWriter spec;
  spec.Message(1, port("80-8080", 80, ProtoWriter().Varint(1, 0).Int(2, 8080).Bytes(3, "")))
      .Message(1, port("443-https", 443, ProtoWriter().Varint(1, 1).Varint(2, 0).Bytes(3, "https")))
      .Entry(2, "app", "svc1")
      .Bytes(3, "")
      .Bytes(4, "ClusterIP");
  ProtoWriter service;
  service.Message(1, Meta("svc1"))
      .Message(2, spec)
      .Message(3, ProtoWriter().Message(1, ProtoWriter()));
  EXPECT_EQ(Decode(Envelope("v1", "Service", service)), json::parse(R"({
      "apiVersion":"v1","kind":"Service","metadata":{"name":"svc1"},
      "spec":{"type":"ClusterIP","selector":{"app":"svc1"},"ports":[
        {"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080},
        {"name":"443-https","protocol":"TCP","port":443,"targetPort":"https"}]}})"));
}

// `status.allowed` has no omitempty, so Go's JSON (and the decoder) show it even when false.
TEST(DecoderTest, DecodesASelfSubjectAccessReview) {
  ProtoWriter attributes;
  attributes.Bytes(1, "prod")
      .Bytes(2, "create")
      .Bytes(3, "apps")
      .Bytes(4, "")
      .Bytes(5, "deployments");
  attributes.Bytes(6, "scale").Bytes(7, "");
  ProtoWriter review;
  review.Message(1, Meta(""))
      .Message(2, ProtoWriter().Message(1, attributes))
      .Message(3, ProtoWriter().Varint(1, 0).Bytes(2, "").Bytes(3, "").Varint(4, 0));
  EXPECT_EQ(Decode(Envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview", review)),
            json::parse(R"({"apiVersion":"authorization.k8s.io/v1",
      "kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"prod",
      "verb":"create","group":"apps","resource":"deployments","subresource":"scale"}},
      "status":{"allowed":false}})"));
}

TEST(DecoderTest, DecodesTimestampsInMetadataAndManagedFields) {
  ProtoWriter managed;
  managed.Bytes(1, "kubectl")
      .Bytes(2, "Update")
      .Bytes(3, "v1")
      .Message(4, testing::Time(1700000000));
  managed.Bytes(6, "FieldsV1").Message(7, ProtoWriter().Bytes(1, R"({"f:data":{}})"));
  ProtoWriter meta = Meta("cfg");
  meta.Message(8, testing::Time(1700000000, 999)).Message(9, testing::Time(1700000030));
  meta.Int(10, 30).Message(17, managed);
  // OwnerReference numbers its fields out of order: 5 apiVersion, 1 kind, 3 name, 4 uid.
  meta.Message(13, ProtoWriter()
                       .Bytes(5, "apps/v1")
                       .Bytes(1, "ReplicaSet")
                       .Bytes(3, "rs")
                       .Bytes(4, "u1")
                       .Varint(6, 1));
  EXPECT_EQ(Decode(Envelope("v1", "ConfigMap", ProtoWriter().Message(1, meta)))["metadata"],
            json::parse(R"({"name":"cfg","creationTimestamp":"2023-11-14T22:13:20Z",
      "deletionTimestamp":"2023-11-14T22:13:50Z","deletionGracePeriodSeconds":30,
      "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u1",
                          "controller":true}],
      "managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"v1",
        "time":"2023-11-14T22:13:20Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{}}}]})"));
}

TEST(DecoderTest, KeepsEmptyVolumeSourcesAndInlinesThem) {
  ProtoWriter volume;
  volume.Bytes(1, "scratch").Message(2, ProtoWriter().Message(2, ProtoWriter().Bytes(1, "")));
  ProtoWriter config;
  config.Bytes(1, "cfg").Message(
      2, ProtoWriter().Message(19, ProtoWriter().Message(1, ProtoWriter().Bytes(1, "settings"))));
  ProtoWriter probe;
  probe
      .Message(1,
               ProtoWriter().Message(2, ProtoWriter()
                                            .Bytes(1, "/healthz")
                                            .Message(2, ProtoWriter().Varint(1, 0).Int(2, 8080))))
      .Int(2, 5);
  ProtoWriter pod_spec;
  pod_spec.Message(1, volume).Message(1, config).Message(
      2, ProtoWriter().Bytes(1, "c").Message(11, probe));
  ProtoWriter pod;
  pod.Message(1, Meta("p")).Message(2, pod_spec);
  EXPECT_EQ(Decode(Envelope("v1", "Pod", pod))["spec"], json::parse(R"({
      "volumes":[{"name":"scratch","emptyDir":{}},
                 {"name":"cfg","configMap":{"name":"settings"}}],
      "containers":[{"name":"c","readinessProbe":{"httpGet":{"path":"/healthz","port":8080},
                                                  "initialDelaySeconds":5}}]})"));
}

TEST(DecoderTest, RejectsBodiesWithoutTheMagicPrefix) {
  for (const std::string& body : {std::string(), std::string("k8s"), std::string("{\"kind\":1}"),
                                  std::string("k8s\x01", 4)}) {
    Result<json> out = DecodeKubernetesProtobuf(body);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), StatusCode::kBadRequest);
    EXPECT_NE(out.status().message().find("k8s\\0"), std::string::npos);
  }
}

TEST(DecoderTest, RejectsUnknownKindsWithUpstreamWording) {
  Result<json> out = DecodeKubernetesProtobuf(Envelope("example.com/v1", "Widget", ProtoWriter()));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kBadRequest);
  EXPECT_EQ(out.status().message(),
            "the body of the request was in an unknown format: no protobuf schema for "
            "example.com/v1 Widget");
}

TEST(DecoderTest, RejectsEnvelopesItCannotInterpret) {
  ProtoWriter gzip;
  gzip.Message(1, ProtoWriter().Bytes(1, "v1").Bytes(2, "Namespace"))
      .Bytes(2, "x")
      .Bytes(3, "gzip");
  ProtoWriter json_inside;
  json_inside.Message(1, ProtoWriter().Bytes(1, "v1").Bytes(2, "Namespace"))
      .Bytes(4, "application/json");
  ProtoWriter no_kind;
  no_kind.Message(2, ProtoWriter());
  ProtoWriter bad_field;
  bad_field.Message(1, ProtoWriter().Bytes(1, "v1").Bytes(2, "Namespace"))
      .Message(2, ProtoWriter().Varint(1, 5));
  const std::pair<ProtoWriter, const char*> cases[] = {
      {gzip, "contentEncoding"},
      {json_inside, "contentType"},
      {no_kind, "does not name"},
      {bad_field, "protobuf body for v1 Namespace: at metadata: wrong wire type"},
  };
  for (const auto& [unknown, want] : cases) {
    Result<json> out = DecodeKubernetesProtobuf(std::string("k8s\0", 4) + unknown.bytes());
    ASSERT_FALSE(out.ok()) << want;
    EXPECT_NE(out.status().message().find(want), std::string::npos) << out.status().message();
  }
}

TEST(DecoderTest, RecognisesTheProtobufContentType) {
  EXPECT_TRUE(IsProtobufContentType("application/vnd.kubernetes.protobuf"));
  EXPECT_TRUE(IsProtobufContentType("Application/VND.Kubernetes.Protobuf"));
  EXPECT_TRUE(IsProtobufContentType(" application/vnd.kubernetes.protobuf ; charset=utf-8"));
  EXPECT_FALSE(IsProtobufContentType("application/json"));
  EXPECT_FALSE(IsProtobufContentType("application/vnd.kubernetes.protobuf+json"));
  EXPECT_FALSE(IsProtobufContentType(""));
}

}  // namespace
}  // namespace capstan::protobuf
