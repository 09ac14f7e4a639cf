// Tests for core/registry/config_strategy.h: Namespace, Secret, ConfigMap, Node and
// PersistentVolumeClaim defaulting, validation and update rules.
#include "core/registry/config_strategy.h"

#include <gtest/gtest.h>

#include "tests/core/registry/strategy_test_util.h"

namespace capstan::registry {
namespace {

using testing::CauseFor;
using testing::Describe;
using testing::RunCreate;
using testing::RunUpdate;

TEST(NamespaceStrategyTest, ActivePhaseFinalizerAndNameLabel) {
  NamespaceStrategy s;
  testing::Outcome o = RunCreate(s, {{"kind", "Namespace"}, {"metadata", {{"name", "team-a"}}}});
  ASSERT_TRUE(o.prepared.ok() && o.causes.empty()) << Describe(o);
  EXPECT_EQ(o.object["status"]["phase"], "Active");
  EXPECT_EQ(o.object["spec"]["finalizers"], Json::array({"kubernetes"}));
  EXPECT_EQ(o.object["metadata"]["labels"]["kubernetes.io/metadata.name"], "team-a");

  Json relabelled = o.object;
  relabelled["metadata"]["labels"] = {{"env", "prod"}};
  relabelled["spec"]["finalizers"] = Json::array();
  testing::Outcome u = RunUpdate(s, relabelled, o.object);
  ASSERT_TRUE(u.causes.empty()) << Describe(u);
  EXPECT_EQ(u.object["metadata"]["labels"],
            Json({{"env", "prod"}, {"kubernetes.io/metadata.name", "team-a"}}));
  EXPECT_EQ(u.object["spec"]["finalizers"], Json::array({"kubernetes"}))
      << "finalizers change only through /finalize";
}

TEST(SecretStrategyTest, StringDataIsMergedAsBase64AndTypeDefaults) {
  SecretStrategy s;
  testing::Outcome o = RunCreate(s, {{"metadata", {{"name", "db"}}},
                                     {"data", {{"user", "YWRtaW4="}, {"pass", "b2xk"}}},
                                     {"stringData", {{"pass", "s3cr3t"}, {"host", "db.local"}}}});
  ASSERT_TRUE(o.prepared.ok() && o.causes.empty()) << Describe(o);
  EXPECT_EQ(o.object["type"], "Opaque");
  EXPECT_FALSE(o.object.contains("stringData"));
  EXPECT_EQ(o.object["data"],
            Json({{"user", "YWRtaW4="}, {"pass", "czNjcjN0"}, {"host", "ZGIubG9jYWw="}}));
}

TEST(SecretStrategyTest, BadBase64IsABadRequestAndBadKeysAreInvalid) {
  SecretStrategy s;
  testing::Outcome bad =
      RunCreate(s, {{"metadata", {{"name", "x"}}}, {"data", {{"k", "not base64!"}}}});
  EXPECT_EQ(bad.prepared.code(), StatusCode::kBadRequest);
  EXPECT_EQ(bad.prepared.message(),
            "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input "
            "byte 3");
  testing::Outcome key = RunCreate(s, {{"metadata", {{"name", "x"}}}, {"data", {{"a b", "eA=="}}}});
  const apiserver::StatusCause* c = CauseFor(key, "data[a b]");
  ASSERT_NE(c, nullptr) << Describe(key);
  EXPECT_EQ(c->message,
            "Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, "
            "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
            "validation is '[-._a-zA-Z0-9]+')");
  testing::Outcome tls = RunCreate(
      s, {{"metadata", {{"name", "x"}}}, {"type", "kubernetes.io/tls"}, {"data", Json::object()}});
  EXPECT_NE(CauseFor(tls, "data[tls.crt]"), nullptr) << Describe(tls);
  EXPECT_NE(CauseFor(tls, "data[tls.key]"), nullptr) << Describe(tls);
}

TEST(SecretStrategyTest, TypeAndImmutableDataCannotChange) {
  SecretStrategy s;
  testing::Outcome o =
      RunCreate(s, {{"metadata", {{"name", "x"}}}, {"immutable", true}, {"data", {{"k", "dg=="}}}});
  ASSERT_TRUE(o.causes.empty()) << Describe(o);
  Json changed = o.object;
  changed["type"] = "kubernetes.io/basic-auth";
  changed["data"]["k"] = "dzI=";
  changed["data"]["username"] = "dQ==";
  testing::Outcome u = RunUpdate(s, changed, o.object);
  const apiserver::StatusCause* t = CauseFor(u, "type");
  ASSERT_NE(t, nullptr) << Describe(u);
  EXPECT_EQ(t->message, "Invalid value: \"kubernetes.io/basic-auth\": field is immutable");
  const apiserver::StatusCause* d = CauseFor(u, "data");
  ASSERT_NE(d, nullptr) << Describe(u);
  EXPECT_EQ(d->message, "Forbidden: field is immutable when `immutable` is set");
}

TEST(ConfigMapStrategyTest, KeysAndOverlapWithBinaryData) {
  ConfigMapStrategy s;
  testing::Outcome ok =
      RunCreate(s, {{"metadata", {{"name", "c"}}}, {"data", {{"app.conf", "x"}}}});
  EXPECT_TRUE(ok.prepared.ok() && ok.causes.empty()) << Describe(ok);
  testing::Outcome dup = RunCreate(
      s, {{"metadata", {{"name", "c"}}}, {"data", {{"k", "x"}}}, {"binaryData", {{"k", "eA=="}}}});
  const apiserver::StatusCause* c = CauseFor(dup, "data[k]");
  ASSERT_NE(c, nullptr) << Describe(dup);
  EXPECT_EQ(c->message, "Invalid value: \"k\": duplicate of key present in binaryData");
  testing::Outcome dots = RunCreate(s, {{"metadata", {{"name", "c"}}}, {"data", {{"..x", "y"}}}});
  const apiserver::StatusCause* d = CauseFor(dots, "data[..x]");
  ASSERT_NE(d, nullptr) << Describe(dots);
  EXPECT_EQ(d->message, "Invalid value: \"..x\": must not start with '..'");
  testing::Outcome bin =
      RunCreate(s, {{"metadata", {{"name", "c"}}}, {"binaryData", {{"k", "%%"}}}});
  EXPECT_EQ(bin.prepared.code(), StatusCode::kBadRequest);
}

TEST(NodeStrategyTest, AllocatableDefaultsToCapacity) {
  NodeStrategy s;
  testing::Outcome o = RunCreate(s, {{"metadata", {{"name", "n1"}}},
                                     {"status", {{"capacity", {{"cpu", "4"}, {"pods", "110"}}}}}});
  ASSERT_TRUE(o.causes.empty()) << Describe(o);
  EXPECT_EQ(o.object["status"]["allocatable"], Json({{"cpu", "4"}, {"pods", "110"}}));
}

TEST(PersistentVolumeClaimStrategyTest, DefaultsValidationAndImmutableSpec) {
  PersistentVolumeClaimStrategy s;
  Json pvc = {{"metadata", {{"name", "data"}}},
              {"spec",
               {{"accessModes", {"ReadWriteOnce"}},
                {"resources", {{"requests", {{"storage", "1024Mi"}}}}}}}};
  testing::Outcome o = RunCreate(s, pvc);
  ASSERT_TRUE(o.prepared.ok() && o.causes.empty()) << Describe(o);
  EXPECT_EQ(o.object["spec"]["volumeMode"], "Filesystem");
  EXPECT_EQ(o.object["status"]["phase"], "Pending");
  EXPECT_EQ(o.object["spec"]["resources"]["requests"]["storage"], "1Gi");

  Json none = pvc;
  none["spec"]["accessModes"] = Json::array();
  none["spec"]["resources"]["requests"].erase("storage");
  testing::Outcome bad = RunCreate(s, none);
  const apiserver::StatusCause* m = CauseFor(bad, "spec.accessModes");
  ASSERT_NE(m, nullptr) << Describe(bad);
  EXPECT_EQ(m->message, "Required value: at least 1 access mode is required");
  EXPECT_NE(CauseFor(bad, "spec.resources[storage]"), nullptr) << Describe(bad);

  Json grown = o.object;
  grown["spec"]["accessModes"] = {"ReadWriteMany"};
  testing::Outcome u = RunUpdate(s, grown, o.object);
  const apiserver::StatusCause* f = CauseFor(u, "spec");
  ASSERT_NE(f, nullptr) << Describe(u);
  EXPECT_EQ(f->message.rfind("Forbidden: spec is immutable after creation except "
                             "resources.requests and volumeAttributesClassName for bound claims",
                             0),
            0u);
}

TEST(Base64Test, MatchesGoStdEncoding) {
  size_t n = 0;
  EXPECT_EQ(CheckBase64("aGVsbG8=", &n), "");
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(CheckBase64("aGVs\nbG8=", &n), "") << "newlines are ignored as Go does";
  EXPECT_NE(CheckBase64("aGVsbG8", &n), "");
  EXPECT_EQ(EncodeBase64("hello"), "aGVsbG8=");
  EXPECT_EQ(EncodeBase64(""), "");
  EXPECT_EQ(EncodeBase64("ab"), "YWI=");
}

}  // namespace
}  // namespace capstan::registry
