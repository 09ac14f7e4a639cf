// Tests for core/patch/field_manager.h: server-side apply ownership, pruning, conflicts and
// force; managedFields for ordinary writes; manager names and apply bodies.
#include "core/patch/field_manager.h"

#include <gtest/gtest.h>

#include "tests/core/patch/test_schema.h"

namespace capstan::patch {
namespace {

using Json = nlohmann::json;
using testing::KubeSchema;

WriteOptions Opts(std::string_view manager, std::string_view version = "v1",
                  std::string_view now = "2024-01-01T00:00:00Z") {
  WriteOptions o;
  o.manager = manager;
  o.api_version = version;
  o.now = now;
  return o;
}

Json ConfigMap(const char* data) {
  return Json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", "cfg"}, {"namespace", "default"}}},
              {"data", Json::parse(data)}};
}

// The fieldsV1 of `manager`'s entry with `operation`, or null.
Json FieldsOf(const Json& object, std::string_view manager, std::string_view operation) {
  for (const Json& e : object["metadata"]["managedFields"]) {
    if (e["manager"] == manager && e["operation"] == operation) return e["fieldsV1"];
  }
  return nullptr;
}

Json Apply(const Json& live, const Json& config, std::string_view manager, bool force = false,
           std::vector<FieldConflict>* conflicts = nullptr, Status* status = nullptr) {
  Result<ApplyResult> r =
      ServerSideApply(live, config, Opts(manager, config.value("apiVersion", "v1")), force,
                      KubeSchema(), conflicts);
  if (status != nullptr) *status = r.status();
  if (!r.ok()) return nullptr;
  return r->object;
}

TEST(ServerSideApplyTest, FirstApplyCreatesTheObjectAndRecordsOwnership) {
  Result<ApplyResult> r = ServerSideApply(Json(), ConfigMap(R"({"a":"1","b":"2"})"),
                                          Opts("kubectl"), false, KubeSchema());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->created);
  EXPECT_EQ(r->object["data"], Json::parse(R"({"a":"1","b":"2"})"));
  EXPECT_EQ(r->object["metadata"]["managedFields"], Json::parse(R"([{
      "manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
      "time": "2024-01-01T00:00:00Z", "fieldsType": "FieldsV1",
      "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}}}}])"));
}

TEST(ServerSideApplyTest, ApplyingAgainWithoutAFieldRemovesIt) {
  Json live = Apply(Json(), ConfigMap(R"({"a":"1","b":"2"})"), "kubectl");
  Json next = Apply(live, ConfigMap(R"({"a":"1"})"), "kubectl");
  ASSERT_FALSE(next.is_null());
  EXPECT_EQ(next["data"], Json::parse(R"({"a":"1"})"));
  EXPECT_EQ(FieldsOf(next, "kubectl", "Apply"), Json::parse(R"({"f:data":{"f:a":{}}})"));
}

TEST(ServerSideApplyTest, RemovedFieldsStayWhenAnotherManagerOwnsThem) {
  Json live = Apply(Json(), ConfigMap(R"({"a":"1","b":"2"})"), "kubectl");
  live = Apply(live, ConfigMap(R"({"b":"2"})"), "other-applier");  // shares b
  Result<Json> edited = UpdateManagedFields(
      live,
      [&] {
        Json e = live;
        e["data"]["c"] = "3";
        return e;
      }(),
      Opts("kubectl-edit"), KubeSchema());
  ASSERT_TRUE(edited.ok()) << edited.status().ToString();
  Json next = Apply(*edited, ConfigMap(R"({})"), "kubectl");
  ASSERT_FALSE(next.is_null());
  // a was only kubectl's: gone. b is shared with another applier, c belongs to an updater.
  EXPECT_EQ(next["data"], Json::parse(R"({"b":"2","c":"3"})"));
  // An empty map in the configuration is itself owned, as upstream.
  EXPECT_EQ(FieldsOf(next, "kubectl", "Apply"), Json::parse(R"({"f:data":{}})"));
}

TEST(ServerSideApplyTest, RemovingAListItemFromTheConfigDeletesIt) {
  Json deploy = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web"},"spec":{"template":{"spec":{"containers":[
        {"name":"app","image":"a:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
        {"name":"side","image":"s:1"}]}}}})");
  Json live = Apply(Json(), deploy, "kubectl");
  Json smaller = deploy;
  smaller["spec"]["template"]["spec"]["containers"] =
      Json::parse(R"([{"name":"app","image":"a:2","env":[{"name":"A","value":"1"}]}])");
  Json next = Apply(live, smaller, "kubectl");
  ASSERT_FALSE(next.is_null());
  EXPECT_EQ(next["spec"]["template"]["spec"]["containers"],
            Json::parse(R"([{"name":"app","image":"a:2","env":[{"name":"A","value":"1"}]}])"));
}

TEST(ServerSideApplyTest, ConflictsWithAnotherManagerUnlessForced) {
  Json deploy = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","namespace":"default"},"spec":{"replicas":2}})");
  Result<Json> created = UpdateManagedFields(
      Json(), deploy, Opts("kubectl-client-side-apply", "apps/v1"), KubeSchema());
  ASSERT_TRUE(created.ok());
  Json config = deploy;
  config["spec"]["replicas"] = 3;

  std::vector<FieldConflict> conflicts;
  Status status;
  Json refused = Apply(*created, config, "kubectl", false, &conflicts, &status);
  EXPECT_TRUE(refused.is_null());
  EXPECT_EQ(status.code(), StatusCode::kConflict);
  EXPECT_EQ(status.message(),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using "
            "apps/v1: .spec.replicas");
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].manager, "kubectl-client-side-apply");
  EXPECT_EQ(conflicts[0].field, ".spec.replicas");

  // The same value is no conflict: both managers then own the field.
  Json shared = Apply(*created, deploy, "kubectl");
  ASSERT_FALSE(shared.is_null());
  EXPECT_EQ(FieldsOf(shared, "kubectl", "Apply"), Json::parse(R"({"f:spec":{"f:replicas":{}}})"));
  EXPECT_EQ(FieldsOf(shared, "kubectl-client-side-apply", "Update")["f:spec"],
            Json::parse(R"({".":{},"f:replicas":{}})"));

  // force takes the field over.
  Json forced = Apply(*created, config, "kubectl", true);
  ASSERT_FALSE(forced.is_null());
  EXPECT_EQ(forced["spec"]["replicas"], 3);
  EXPECT_EQ(FieldsOf(forced, "kubectl", "Apply"), Json::parse(R"({"f:spec":{"f:replicas":{}}})"));
  Json old = FieldsOf(forced, "kubectl-client-side-apply", "Update");
  EXPECT_TRUE(old.is_null() || !old["f:spec"].contains("f:replicas")) << old.dump();
}

TEST(ServerSideApplyTest, ConflictMessageGroupsSeveralManagers) {
  Json live = Apply(Json(), ConfigMap(R"({"a":"1"})"), "alpha");
  live = Apply(live, ConfigMap(R"({"b":"1","c":"1"})"), "beta");
  std::vector<FieldConflict> conflicts;
  Status status;
  Apply(live, ConfigMap(R"({"a":"2","b":"2","c":"2"})"), "gamma", false, &conflicts, &status);
  EXPECT_EQ(status.code(), StatusCode::kConflict);
  EXPECT_EQ(status.message(),
            "Apply failed with 3 conflicts: conflicts with \"alpha\":\n- .data.a\n"
            "conflicts with \"beta\":\n- .data.b\n- .data.c");
  EXPECT_EQ(conflicts.size(), 3u);
}

TEST(ServerSideApplyTest, ObjectsWithoutManagedFieldsBelongToBeforeFirstApply) {
  Json legacy = ConfigMap(R"({"a":"1"})");
  Status status;
  Apply(legacy, ConfigMap(R"({"a":"2"})"), "kubectl", false, nullptr, &status);
  EXPECT_EQ(status.code(), StatusCode::kConflict);
  EXPECT_EQ(status.message(),
            "Apply failed with 1 conflict: conflict with \"before-first-apply\" using v1: .data.a");
}

TEST(ServerSideApplyTest, RejectsManagedFieldsInTheConfiguration) {
  Json config = ConfigMap(R"({})");
  config["metadata"]["managedFields"] = Json::array();
  Result<ApplyResult> r = ServerSideApply(Json(), config, Opts("kubectl"), false, KubeSchema());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kBadRequest);
  EXPECT_EQ(r.status().message(), "metadata.managedFields must be nil");
}

TEST(ServerSideApplyTest, IgnoredFieldsAndSubresourcesAreRecordedAsUpstream) {
  FieldSet status_fields = FieldSet::OfFields({"status"});
  WriteOptions o = Opts("kubectl", "apps/v1");
  o.ignored = &status_fields;
  Json config = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web"},"spec":{"replicas":1},"status":{"replicas":5}})");
  Result<ApplyResult> r = ServerSideApply(Json(), config, o, false, KubeSchema());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(FieldsOf(r->object, "kubectl", "Apply"),
            Json::parse(R"({"f:spec":{"f:replicas":{}}})"));

  WriteOptions s = Opts("kubectl", "apps/v1");
  s.subresource = "status";
  Result<ApplyResult> st =
      ServerSideApply(r->object, Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
          "metadata":{"name":"web"},"status":{"replicas":2}})"),
                      s, false, KubeSchema());
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  int with_subresource = 0;
  for (const Json& e : st->object["metadata"]["managedFields"]) {
    if (e.value("subresource", "") == "status") ++with_subresource;
  }
  EXPECT_EQ(with_subresource, 1);
}

TEST(UpdateManagedFieldsTest, CreateRecordsEverythingButObjectIdentity) {
  Json deploy = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","namespace":"default","uid":"u","labels":{"app":"web"}},
      "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"nginx","image":"n:1"}]}}}})");
  Result<Json> created =
      UpdateManagedFields(Json(), deploy, Opts("kubectl-create", "apps/v1"), KubeSchema());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const Json& mf = (*created)["metadata"]["managedFields"];
  ASSERT_EQ(mf.size(), 1u);
  EXPECT_EQ(mf[0]["manager"], "kubectl-create");
  EXPECT_EQ(mf[0]["operation"], "Update");
  EXPECT_EQ(mf[0]["apiVersion"], "apps/v1");
  EXPECT_EQ(mf[0]["fieldsV1"]["f:metadata"], Json::parse(R"({"f:labels":{".":{},"f:app":{}}})"));
  EXPECT_EQ(mf[0]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"],
            Json::parse(R"({".":{},"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}})"));
  EXPECT_FALSE(mf[0]["fieldsV1"].contains("f:apiVersion"));
}

TEST(UpdateManagedFieldsTest, UpdatesMoveOwnershipToTheWriter) {
  Json deploy = Json::parse(R"({"metadata":{"name":"web"},
      "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"nginx","image":"n:1"}]}}}})");
  Result<Json> created =
      UpdateManagedFields(Json(), deploy, Opts("kubectl-create", "apps/v1"), KubeSchema());
  ASSERT_TRUE(created.ok());
  Json edited = *created;
  edited["spec"]["template"]["spec"]["containers"][0]["image"] = "n:2";
  Result<Json> updated = UpdateManagedFields(
      *created, edited, Opts("kubectl-edit", "apps/v1", "2024-02-02T00:00:00Z"), KubeSchema());
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  const Json& mf = (*updated)["metadata"]["managedFields"];
  ASSERT_EQ(mf.size(), 2u);
  EXPECT_EQ(mf[1]["manager"], "kubectl-edit");
  EXPECT_EQ(mf[1]["time"], "2024-02-02T00:00:00Z");
  EXPECT_EQ(mf[1]["fieldsV1"], Json::parse(R"({"f:spec":{"f:template":{"f:spec":{"f:containers":{
      "k:{\"name\":\"nginx\"}":{"f:image":{}}}}}}})"));
  Json create_fields = FieldsOf(*updated, "kubectl-create", "Update");
  EXPECT_FALSE(
      create_fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"]
          .contains("f:image"));

  // A write that changes nothing records nothing new.
  Result<Json> again = UpdateManagedFields(
      *updated, *updated, Opts("kubectl-edit", "apps/v1", "2030-01-01T00:00:00Z"), KubeSchema());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *updated);
}

TEST(UpdateManagedFieldsTest, UntrackedObjectsStayUntrackedAndEmptyEntryClears) {
  Json legacy = ConfigMap(R"({"a":"1"})");
  Json changed = ConfigMap(R"({"a":"2"})");
  Result<Json> r = UpdateManagedFields(legacy, changed, Opts("kubectl-edit"), KubeSchema());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)["metadata"].contains("managedFields"));

  Result<Json> tracked = UpdateManagedFields(Json(), legacy, Opts("kubectl-create"), KubeSchema());
  ASSERT_TRUE(tracked.ok());
  ASSERT_TRUE((*tracked)["metadata"].contains("managedFields"));
  Json reset = *tracked;
  reset["metadata"]["managedFields"] = Json::parse("[{}]");
  Result<Json> cleared = UpdateManagedFields(*tracked, reset, Opts("kubectl-patch"), KubeSchema());
  ASSERT_TRUE(cleared.ok());
  EXPECT_FALSE((*cleared)["metadata"].contains("managedFields"));
}

TEST(UpdateManagedFieldsTest, CapsUpdateManagersAtTen) {
  Result<Json> obj =
      UpdateManagedFields(Json(), ConfigMap(R"({"k0":"x"})"), Opts("m0"), KubeSchema());
  ASSERT_TRUE(obj.ok());
  Json cur = *obj;
  for (int i = 1; i <= 11; ++i) {
    Json next = cur;
    next["data"]["k" + std::to_string(i)] = "x";
    std::string now =
        "2024-01-01T00:00:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "Z";
    Result<Json> r =
        UpdateManagedFields(cur, next, Opts("m" + std::to_string(i), "v1", now), KubeSchema());
    ASSERT_TRUE(r.ok());
    cur = *r;
  }
  const Json& mf = cur["metadata"]["managedFields"];
  EXPECT_EQ(mf.size(), kMaxUpdateManagers);
  bool ancient = false;
  for (const Json& e : mf) {
    if (e["manager"] == "ancient-changes") {
      ancient = true;
      EXPECT_TRUE(e["fieldsV1"]["f:data"].contains("f:k0"));
      EXPECT_TRUE(e["fieldsV1"]["f:data"].contains("f:k1"));
    }
  }
  EXPECT_TRUE(ancient);
}

TEST(FieldManagerTest, ManagerNamesFromUserAgents) {
  EXPECT_EQ(ManagerFromUserAgent("kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07"), "kubectl");
  EXPECT_EQ(ManagerFromUserAgent("Go-http-client/1.1"), "Go-http-client");
  EXPECT_EQ(ManagerFromUserAgent("a\tb/1"), "ab");
  EXPECT_EQ(ManagerFromUserAgent(std::string(200, 'x')).size(), kFieldManagerMaxLength);
  EXPECT_EQ(ValidateFieldManager("", true).message(),
            "fieldManager: Required value: is required for apply patch");
  EXPECT_TRUE(ValidateFieldManager("", false).ok());
  EXPECT_EQ(ValidateFieldManager(std::string(129, 'x'), false).code(), StatusCode::kInvalid);
  EXPECT_EQ(ValidateFieldManager("a\nb", false).code(), StatusCode::kInvalid);
  EXPECT_TRUE(ValidateFieldManager("kubectl-client-side-apply", true).ok());
}

TEST(FieldManagerTest, ApplyBodiesMayBeJsonOrYaml) {
  Result<Json> json = ParseApplyPatchBody(R"({"apiVersion":"v1","kind":"ConfigMap"})");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ((*json)["kind"], "ConfigMap");
  Result<Json> yaml = ParseApplyPatchBody("apiVersion: v1\nkind: ConfigMap\ndata:\n  a: \"1\"\n");
  ASSERT_TRUE(yaml.ok()) << yaml.status().ToString();
  EXPECT_EQ((*yaml)["data"]["a"], "1");
  Result<Json> bad = ParseApplyPatchBody("{\"a\":");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kBadRequest);
}

}  // namespace
}  // namespace capstan::patch
