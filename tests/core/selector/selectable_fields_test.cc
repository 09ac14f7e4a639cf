// Tests for core/selector/selectable_fields.h: per-resource tables, binding errors and matching
// object JSON (strings, bools, integers, defaults).
#include "core/selector/selectable_fields.h"

#include <gtest/gtest.h>

namespace capstan::selector {
namespace {

using Json = nlohmann::json;

Result<BoundFieldSelector> Bind(std::string_view group, std::string_view resource,
                                std::string_view text) {
  Result<FieldSelector> s = FieldSelector::Parse(text);
  if (!s.ok()) return s.status();
  return SelectableFields::ForResource(group, resource, true).Bind(*s);
}

TEST(SelectableFieldsTest, UnsupportedFieldsAreRejectedWithUpstreamWording) {
  Result<BoundFieldSelector> b = Bind("", "configmaps", "spec.nodeName=n1");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kBadRequest);
  EXPECT_EQ(b.status().message(), "field label not supported: spec.nodeName");
  EXPECT_TRUE(Bind("", "configmaps", "metadata.name=x,metadata.namespace=y").ok());
  EXPECT_FALSE(SelectableFields::ForResource("", "nodes", false)
                   .Bind(*FieldSelector::Parse("metadata.namespace=x"))
                   .ok());
}

TEST(SelectableFieldsTest, MatchesPodsOnTheFieldsKubectlSends) {
  const Json pod = Json::parse(R"({
      "metadata": {"name": "web-1", "namespace": "default"},
      "spec": {"nodeName": "node-1", "schedulerName": "default-scheduler"},
      "status": {"phase": "Running", "podIP": "10.0.0.5"}})");
  struct Case {
    const char* selector;
    bool matches;
  };
  const Case cases[] = {
      {"metadata.name=web-1", true},
      {"metadata.name=web-2", false},
      {"spec.nodeName=node-1,status.phase=Running", true},
      {"status.phase!=Running", false},
      {"status.podIP=10.0.0.5", true},
      {"spec.hostNetwork=false", true},
      {"spec.hostNetwork=true", false},
      {"spec.restartPolicy=", true},
      {"spec.schedulerName=default-scheduler", true},
  };
  for (const Case& c : cases) {
    Result<BoundFieldSelector> b = Bind("", "pods", c.selector);
    ASSERT_TRUE(b.ok()) << c.selector << ": " << b.status().ToString();
    EXPECT_EQ(b->Matches(pod), c.matches) << c.selector;
  }
}

TEST(SelectableFieldsTest, MatchesEventsSecretsNodesAndCountedFields) {
  const Json event = Json::parse(R"({
      "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "default", "uid": "u1"},
      "reason": "Started", "type": "Normal", "source": {"component": "kubelet"}})");
  Result<BoundFieldSelector> e =
      Bind("", "events",
           "involvedObject.name=web-1,involvedObject.namespace=default,involvedObject.uid=u1");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->Matches(event));
  Result<BoundFieldSelector> source = Bind("", "events", "source=kubelet,type=Normal");
  ASSERT_TRUE(source.ok());
  EXPECT_TRUE(source->Matches(event));

  Result<BoundFieldSelector> secret = Bind("", "secrets", "type=kubernetes.io/tls");
  ASSERT_TRUE(secret.ok());
  EXPECT_TRUE(secret->Matches(Json::parse(R"({"type":"kubernetes.io/tls"})")));
  EXPECT_FALSE(secret->Matches(Json::parse(R"({"type":"Opaque"})")));

  Result<BoundFieldSelector> node = Bind("", "nodes", "spec.unschedulable=true");
  ASSERT_TRUE(node.ok());
  EXPECT_TRUE(node->Matches(Json::parse(R"({"spec":{"unschedulable":true}})")));
  EXPECT_FALSE(node->Matches(Json::parse(R"({"spec":{}})")));

  Result<BoundFieldSelector> rs = Bind("apps", "replicasets", "status.replicas=0");
  ASSERT_TRUE(rs.ok());
  EXPECT_TRUE(rs->Matches(Json::parse(R"({"status":{}})")));
  EXPECT_FALSE(rs->Matches(Json::parse(R"({"status":{"replicas":3}})")));
  Result<BoundFieldSelector> rs3 = Bind("apps", "replicasets", "status.replicas=3");
  ASSERT_TRUE(rs3.ok());
  EXPECT_TRUE(rs3->Matches(Json::parse(R"({"status":{"replicas":3}})")));
}

TEST(SelectableFieldsTest, CustomTablesDeclareTheirOwnFields) {
  SelectableFields fields = SelectableFields::WithObjectMeta(
      true, {{"spec.color", {"spec", "color"}, ""}, {"spec.size", {"spec", "size"}, "0"}});
  Result<FieldSelector> s = FieldSelector::Parse("spec.color=red,spec.size=2");
  ASSERT_TRUE(s.ok());
  Result<BoundFieldSelector> b = fields.Bind(*s);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->Matches(Json::parse(R"({"spec":{"color":"red","size":2}})")));
  EXPECT_FALSE(b->Matches(Json::parse(R"({"spec":{"color":"red"}})")));
  EXPECT_TRUE(BoundFieldSelector().Matches(Json::object()));
}

}  // namespace
}  // namespace capstan::selector
