// Tests for core/apiserver/crd_definition.h: CRD validation (table), name defaults and the
// ResourceInfos a CRD serves.
#include "core/apiserver/crd_definition.h"

#include <gtest/gtest.h>

namespace capstan::apiserver {
namespace {

using Json = nlohmann::json;

Json CronTabCrd() {
  return Json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "crontabs.stable.example.com"},
    "spec": {
      "group": "stable.example.com",
      "scope": "Namespaced",
      "names": {"plural": "crontabs", "kind": "CronTab", "shortNames": ["ct"],
                "categories": ["all"]},
      "versions": [{
        "name": "v1", "served": true, "storage": true,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {"replicas": {"type": "integer"}}},
          "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}},
        "subresources": {"status": {},
                         "scale": {"specReplicasPath": ".spec.replicas",
                                   "statusReplicasPath": ".status.replicas"}}
      }]
    }
  })");
}

TEST(CrdDefinitionTest, ParsesAValidCrdAndDefaultsSingularAndListKind) {
  std::vector<StatusCause> causes;
  Result<CrdDefinition> def = ParseCrd(CronTabCrd(), &causes);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_TRUE(causes.empty());
  EXPECT_EQ(def->group, "stable.example.com");
  EXPECT_TRUE(def->namespaced);
  EXPECT_EQ(def->names.singular, "crontab");
  EXPECT_EQ(def->names.list_kind, "CronTabList");
  EXPECT_EQ(def->StorageVersion().name, "v1");
  ASSERT_NE(def->StorageVersion().schema, nullptr);
  EXPECT_EQ(def->names.ToJson(), Json::parse(R"({"plural": "crontabs", "singular": "crontab",
      "kind": "CronTab", "listKind": "CronTabList", "shortNames": ["ct"], "categories": ["all"]})"));
}

TEST(CrdDefinitionTest, ServedResourcesPutTheStorageVersionFirstAndCarrySubresources) {
  Json crd = CronTabCrd();
  Json v1 = crd["spec"]["versions"][0];
  Json beta = v1;
  beta["name"] = "v1beta1";
  beta["storage"] = false;
  beta.erase("subresources");
  Json off = beta;
  off["name"] = "v2";
  off["served"] = false;
  crd["spec"]["versions"] = {beta, v1, off};
  Result<CrdDefinition> def = ParseCrd(crd, nullptr);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  std::vector<api::ResourceInfo> served = def->ServedResources();
  ASSERT_EQ(served.size(), 2u);
  EXPECT_EQ(served[0].version, "v1");
  EXPECT_EQ(served[1].version, "v1beta1");
  const api::ResourceInfo& r = served[0];
  EXPECT_EQ(r.plural, "crontabs");
  EXPECT_EQ(r.singular, "crontab");
  EXPECT_EQ(r.list_kind, "CronTabList");
  EXPECT_TRUE(r.namespaced);
  EXPECT_FALSE(r.builtin);
  EXPECT_EQ(r.short_names, std::vector<std::string>{"ct"});
  EXPECT_EQ(r.categories, std::vector<std::string>{"all"});
  EXPECT_EQ(r.verbs, (std::vector<std::string>{"create", "delete", "deletecollection", "get",
                                               "list", "patch", "update", "watch"}));
  ASSERT_NE(r.FindSubresource("status"), nullptr);
  EXPECT_EQ(r.FindSubresource("status")->kind.kind, "CronTab");
  ASSERT_NE(r.FindSubresource("scale"), nullptr);
  EXPECT_EQ(r.FindSubresource("scale")->kind.group, "autoscaling");
  EXPECT_TRUE(served[1].subresources.empty());
}

TEST(CrdDefinitionTest, ClusterScope) {
  Json crd = CronTabCrd();
  crd["spec"]["scope"] = "Cluster";
  Result<CrdDefinition> def = ParseCrd(crd, nullptr);
  ASSERT_TRUE(def.ok());
  EXPECT_FALSE(def->ServedResources()[0].namespaced);
}

struct InvalidCase {
  const char* name;
  const char* patch;  // JSON merge patch applied to the CronTab CRD
  std::string want;   // one of the causes, "field: message"
};

class CrdValidationTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(CrdValidationTest, RejectsWithUpstreamWording) {
  Json crd = CronTabCrd();
  crd.merge_patch(Json::parse(GetParam().patch));
  std::vector<StatusCause> causes;
  Result<CrdDefinition> def = ParseCrd(crd, &causes);
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().code(), StatusCode::kInvalid);
  std::vector<std::string> got;
  for (const StatusCause& c : causes) got.push_back(c.field + ": " + c.message);
  EXPECT_NE(std::find(got.begin(), got.end(), GetParam().want), got.end())
      << ::testing::PrintToString(got);
  EXPECT_NE(def.status().message().find(GetParam().want), std::string::npos);
}

const char kNoStorage[] = R"({"spec": {"versions": [{"name": "v1", "served": true,
    "storage": false, "schema": {"openAPIV3Schema": {"type": "object"}}}]}})";
const char kNotServed[] = R"({"spec": {"versions": [{"name": "v1", "served": false,
    "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}}}]}})";
const char kNoSchema[] = R"({"spec": {"versions": [{"name": "v1", "served": true,
    "storage": true}]}})";
const char kUntyped[] = R"({"spec": {"versions": [{"name": "v1", "served": true,
    "storage": true, "schema": {"openAPIV3Schema": {"type": "object",
    "properties": {"spec": {}}}}}]}})";
const char kBadScale[] = R"({"spec": {"versions": [{"name": "v1", "served": true,
    "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}},
    "subresources": {"scale": {"specReplicasPath": "replicas",
                               "statusReplicasPath": ".status.replicas"}}}]}})";

INSTANTIATE_TEST_SUITE_P(
    Cases, CrdValidationTest,
    ::testing::Values(
        InvalidCase{"name_mismatch", R"({"metadata": {"name": "other.stable.example.com"}})",
                    "metadata.name: Invalid value: \"other.stable.example.com\": must be "
                    "spec.names.plural+\".\"+spec.group"},
        InvalidCase{"bad_scope", R"({"spec": {"scope": "Global"}})",
                    "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", "
                    "\"Namespaced\""},
        InvalidCase{"missing_scope", R"({"spec": {"scope": null}})", "spec.scope: Required value"},
        InvalidCase{"group_without_dot",
                    R"({"metadata": {"name": "crontabs.example"}, "spec": {"group": "example"}})",
                    "spec.group: Invalid value: \"example\": should be a domain with at least one "
                    "dot"},
        InvalidCase{"missing_group", R"({"spec": {"group": null}})", "spec.group: Required value"},
        InvalidCase{"missing_kind", R"({"spec": {"names": {"kind": null}}})",
                    "spec.names.kind: Required value"},
        InvalidCase{"missing_plural", R"({"spec": {"names": {"plural": null}}})",
                    "spec.names.plural: Required value"},
        InvalidCase{"bad_plural",
                    R"({"metadata": {"name": "CronTabs.stable.example.com"},
                        "spec": {"names": {"plural": "CronTabs"}}})",
                    "spec.names.plural: Invalid value: \"CronTabs\": a DNS-1035 label must "
                    "consist of lower case alphanumeric characters or '-', start with an "
                    "alphabetic character, and end with an alphanumeric character (e.g. "
                    "'my-name',  or 'abc-123', regex used for validation is "
                    "'[a-z]([-a-z0-9]*[a-z0-9])?')"},
        InvalidCase{"same_list_kind", R"({"spec": {"names": {"listKind": "CronTab"}}})",
                    "spec.names.listKind: Invalid value: \"CronTab\": kind and listKind may not "
                    "be the same"},
        InvalidCase{"bad_short_name", R"({"spec": {"names": {"shortNames": ["c_t"]}}})",
                    "spec.names.shortNames[0]: Invalid value: \"c_t\": a DNS-1035 label must "
                    "consist of lower case alphanumeric characters or '-', start with an "
                    "alphabetic character, and end with an alphanumeric character (e.g. "
                    "'my-name',  or 'abc-123', regex used for validation is "
                    "'[a-z]([-a-z0-9]*[a-z0-9])?')"},
        InvalidCase{"no_versions", R"({"spec": {"versions": []}})",
                    "spec.versions: Required value: must have exactly one version marked as "
                    "storage version"},
        InvalidCase{"no_storage", kNoStorage,
                    "spec.versions: Invalid value: "
                    "[]apiextensions.CustomResourceDefinitionVersion{\"v1\"}: must have exactly "
                    "one version marked as storage version"},
        InvalidCase{"none_served", kNotServed,
                    "spec.versions: Invalid value: "
                    "[]apiextensions.CustomResourceDefinitionVersion{\"v1\"}: must have at least "
                    "one version served"},
        InvalidCase{"no_schema", kNoSchema,
                    "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are "
                    "required"},
        InvalidCase{"non_structural", kUntyped,
                    "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required "
                    "value: must not be empty for specified object fields"},
        InvalidCase{"bad_scale_path", kBadScale,
                    "spec.versions[0].subresources.scale.specReplicasPath: Invalid value: "
                    "\"replicas\": should be a json path under .spec"}),
    [](const ::testing::TestParamInfo<InvalidCase>& p) { return p.param.name; });

TEST(CrdDefinitionTest, Dns1035LabelRules) {
  EXPECT_TRUE(ValidateDns1035Label("crontabs").empty());
  EXPECT_TRUE(ValidateDns1035Label("a-1").empty());
  EXPECT_FALSE(ValidateDns1035Label("1abc").empty());
  EXPECT_FALSE(ValidateDns1035Label("abc-").empty());
  EXPECT_FALSE(ValidateDns1035Label("").empty());
  EXPECT_FALSE(ValidateDns1035Label(std::string(64, 'a')).empty());
}

}  // namespace
}  // namespace capstan::apiserver
