// Tests for core/apiserver/namespace_lifecycle.h through RestStorage on a real LevelDbStore:
// a deleted namespace stays Terminating until /finalize empties spec.finalizers.
#include "core/apiserver/namespace_lifecycle.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/store/leveldb_store.h"
#include "tests/core/apiserver/rest_storage_fixture.h"

namespace capstan::apiserver {
namespace {

class NamespaceLifecycleTest : public testing::RestStorageFixture {
 protected:
  void SetUp() override {
    OpenStorage({"", "v1", "Namespace", "namespaces", false, true, NameRule::kDnsLabel, {}},
                "nslife");
  }

  static nlohmann::json Namespace(const std::string& name, nlohmann::json finalizers) {
    return {{"apiVersion", "v1"},
            {"kind", "Namespace"},
            {"metadata", {{"name", name}}},
            {"spec", {{"finalizers", std::move(finalizers)}}},
            {"status", {{"phase", "Active"}}}};
  }

  bool Exists(const std::string& name) const {
    return !std::holds_alternative<ApiError>(storage_->Get("", name));
  }
};

TEST_F(NamespaceLifecycleTest, DeleteMarksTheNamespaceTerminatingWhileSpecFinalizersRemain) {
  Ok(storage_->Create({}, "", Namespace("x", {"kubernetes"})));
  WriteResult marked = Ok(storage_->Delete({}, "", "x", {}));
  EXPECT_FALSE(marked.removed);
  EXPECT_TRUE(marked.object["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(marked.object["status"]["phase"], "Terminating");
  EXPECT_TRUE(Exists("x"));
}

TEST_F(NamespaceLifecycleTest, FinalizeRemovingTheLastFinalizerDeletesTheNamespace) {
  Ok(storage_->Create({}, "", Namespace("x", {"kubernetes", "example.com/keep"})));
  WriteResult marked = Ok(storage_->Delete({}, "", "x", {}));
  nlohmann::json request = marked.object;
  request["spec"]["finalizers"] = {"example.com/keep"};
  request["status"]["phase"] = "Active";         // ignored by finalize
  request["metadata"]["labels"] = {{"a", "b"}};  // ignored too
  WriteResult one = Ok(storage_->Update({}, "", "x", kFinalizeSubresource, request));
  EXPECT_FALSE(one.removed);
  EXPECT_EQ(one.object["spec"]["finalizers"], nlohmann::json({"example.com/keep"}));
  EXPECT_EQ(one.object["status"]["phase"], "Terminating");
  EXPECT_FALSE(one.object["metadata"].contains("labels"));
  request = one.object;  // the resourceVersion is a precondition
  request["spec"]["finalizers"] = nlohmann::json::array();
  WriteResult done = Ok(storage_->Update({}, "", "x", kFinalizeSubresource, request));
  EXPECT_TRUE(done.removed);
  EXPECT_FALSE(Exists("x"));
}

TEST_F(NamespaceLifecycleTest, NamespaceWithoutSpecFinalizersIsDeletedAtOnce) {
  Ok(storage_->Create({}, "", Namespace("x", nlohmann::json::array())));
  WriteResult r = Ok(storage_->Delete({}, "", "x", {}));
  EXPECT_TRUE(r.removed);
  EXPECT_FALSE(Exists("x"));
}

TEST_F(NamespaceLifecycleTest, MetadataFinalizersStillHoldAFinalizedNamespace) {
  nlohmann::json ns = Namespace("x", {"kubernetes"});
  ns["metadata"]["finalizers"] = {"example.com/hold"};
  Ok(storage_->Create({}, "", ns));
  WriteResult marked = Ok(storage_->Delete({}, "", "x", {}));
  nlohmann::json request = marked.object;
  request["spec"]["finalizers"] = nlohmann::json::array();
  WriteResult r = Ok(storage_->Update({}, "", "x", kFinalizeSubresource, request));
  EXPECT_FALSE(r.removed);
  EXPECT_TRUE(Exists("x"));
}

TEST(NamespaceLifecycleHelpersTest, OnlyNamespacesAwaitSpecFinalizers) {
  ResourceInfo pods{"", "v1", "Pod", "pods", true, true, NameRule::kDnsSubdomain, {}};
  nlohmann::json obj = {{"spec", {{"finalizers", {"kubernetes"}}}}};
  EXPECT_FALSE(AwaitsSpecFinalizers(pods, obj));
  MarkTerminating(pods, obj);
  EXPECT_FALSE(obj.contains("status"));
}

}  // namespace
}  // namespace capstan::apiserver
