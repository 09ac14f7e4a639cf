// Tests for plugins/controllers/kit/history.h: upstream's template and revision hashes, the
// revision data patch and objects, ordering, history-limit pruning in both modes, adoption and
// release of revisions, and creation with hash-collision probing (FakeHost API).
#include "plugins/controllers/kit/history.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "capstan/sdk/testing/fake_host.h"
#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers {
namespace {

using sdk::testing::FakeCall;
using sdk::testing::FakeHost;
using testing::OwnerRef;

constexpr char kRevs[] = "/apis/apps/v1/namespaces/default/controllerrevisions";

Json Owner() {
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "DaemonSet"},
              {"metadata", {{"name", "ds"}, {"namespace", "default"}, {"uid", "ds-uid"}}},
              {"spec",
               {{"template",
                 {{"metadata", {{"labels", {{"app", "x"}}}}},
                  {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "i:1"}}})}}}}}}}};
}

Json Revision(const std::string& name, int64_t number, Json labels = {{"app", "x"}}) {
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "ControllerRevision"},
              {"metadata",
               {{"name", name},
                {"namespace", "default"},
                {"uid", "uid-" + name},
                {"resourceVersion", "7"},
                {"labels", labels}}},
              {"data", {{"spec", {{"template", {{"$patch", "replace"}}}}}}},
              {"revision", number}};
}

TEST(HistoryTest, SafeEncodeStringUsesUpstreamsAlphabet) {
  EXPECT_EQ(SafeEncodeString("0123456789"), "456789bcdf");
  EXPECT_EQ(SafeEncodeString(""), "");
}

TEST(HistoryTest, TemplateHashIsFnv1aOfTheCanonicalTemplatePlusTheCollisionCount) {
  Json tmpl = {{"metadata", {{"labels", {{"app", "x"}}}, {"annotations", Json::object()}}},
               {"spec", nullptr}};
  // FNV-32a of {"metadata":{"labels":{"app":"x"}}} is 1738480528.
  EXPECT_EQ(ComputeTemplateHash(tmpl, std::nullopt), SafeEncodeString("1738480528"));
  EXPECT_EQ(ComputeTemplateHash(tmpl, 1), SafeEncodeString("2242796721"));
  EXPECT_NE(ComputeTemplateHash(tmpl, 0), ComputeTemplateHash(tmpl, std::nullopt));
}

TEST(HistoryTest, RevisionHashIsFnv1OfTheDataPlusTheDecimalProbe) {
  Json data = {{"spec", {{"template", {{"$patch", "replace"}}}}}};
  EXPECT_EQ(HashRevisionData(data, std::nullopt), SafeEncodeString("173142040"));
  EXPECT_EQ(HashRevisionData(data, 2), SafeEncodeString("1459418618"));
}

TEST(HistoryTest, RevisionNamesCutLongOwnerNames) {
  EXPECT_EQ(RevisionName("ds", "abc"), "ds-abc");
  EXPECT_EQ(RevisionName(std::string(300, 'a'), "h").size(), 225u);
}

TEST(HistoryTest, TemplatePatchReplacesTheWholeTemplate) {
  Json patch = TemplatePatch(Owner());
  EXPECT_EQ(patch["spec"]["template"]["$patch"], "replace");
  EXPECT_EQ(patch["spec"]["template"]["metadata"]["labels"]["app"], "x");
  EXPECT_EQ(patch["spec"].size(), 1u);
  EXPECT_EQ(patch.size(), 1u);
}

TEST(HistoryTest, EqualRevisionComparesDataSemanticallyAndHashLabels) {
  Json a = Revision("a", 1);
  Json b = Revision("b", 2);
  b["data"]["spec"]["template"]["metadata"] = Json::object();  // empty: same as absent
  EXPECT_TRUE(EqualRevision(a, b));
  a["metadata"]["labels"][kControllerRevisionHashLabel] = "h1";
  b["metadata"]["labels"][kControllerRevisionHashLabel] = "h2";
  EXPECT_FALSE(EqualRevision(a, b));
  b["metadata"]["labels"].erase(kControllerRevisionHashLabel);
  b["data"]["spec"]["template"]["spec"] = {{"x", 1}};
  EXPECT_FALSE(EqualRevision(a, b));
}

TEST(HistoryTest, NewControllerRevisionIsOwnedLabelledAndNumbered) {
  Json owner = Owner();
  Json rev = NewControllerRevision(owner, "apps/v1", "DaemonSet", Json{{"app", "x"}},
                                   Json{{"note", "y"}}, TemplatePatch(owner), 3, "hash1");
  EXPECT_EQ(rev["kind"], "ControllerRevision");
  EXPECT_EQ(rev["metadata"]["name"], "ds-hash1");
  EXPECT_EQ(rev["metadata"]["namespace"], "default");
  EXPECT_EQ(rev["metadata"]["labels"],
            (Json{{"app", "x"}, {kControllerRevisionHashLabel, "hash1"}}));
  EXPECT_EQ(rev["metadata"]["annotations"], (Json{{"note", "y"}}));
  EXPECT_EQ(rev["metadata"]["ownerReferences"][0], OwnerRef("DaemonSet", "ds", "ds-uid"));
  EXPECT_EQ(rev["revision"], 3);
  EXPECT_EQ(rev["data"], TemplatePatch(owner));
  Json bare = NewControllerRevision(owner, "apps/v1", "StatefulSet", nullptr, nullptr, {}, 1, "h");
  EXPECT_FALSE(bare["metadata"].contains("annotations"));
}

TEST(HistoryTest, NextRevisionAndOrdering) {
  EXPECT_EQ(NextRevision({}), 1);
  std::vector<Json> revs = {Revision("c", 5), Revision("b", 2), Revision("a", 2)};
  EXPECT_EQ(NextRevision(revs), 6);
  SortByRevision(revs);
  EXPECT_EQ(Name(revs[0]), "a");
  EXPECT_EQ(Name(revs[1]), "b");
  EXPECT_EQ(Name(revs[2]), "c");
}

struct PruneCase {
  const char* name;
  int64_t limit;
  std::set<std::string> live;
  LiveRevisions mode;
  std::vector<std::string> pruned;
};

TEST(HistoryTest, RevisionsToPruneHonoursTheLimitInBothModes) {
  // Old revisions r1..r4 (revisions 1..4), given out of order.
  const std::vector<PruneCase> cases = {
      {"under the limit", 10, {}, LiveRevisions::kCounted, {}},
      {"oldest go first", 2, {}, LiveRevisions::kCounted, {"r1", "r2"}},
      {"limit zero removes all", 0, {}, LiveRevisions::kExcluded, {"r1", "r2", "r3", "r4"}},
      {"negative limit reads as zero", -1, {}, LiveRevisions::kCounted, {"r1", "r2", "r3", "r4"}},
      // DaemonSet: 4 - 2 = 2 due; r1 is live so r2 and r3 go.
      {"daemonset skips live ones", 2, {"r1"}, LiveRevisions::kCounted, {"r2", "r3"}},
      // DaemonSet: 4 - 3 = 1 due, r1 live: r2 goes.
      {"daemonset counts live ones", 3, {"r1"}, LiveRevisions::kCounted, {"r2"}},
      // StatefulSet: 3 non-live, limit 2: r2 goes.
      {"statefulset excludes live ones", 2, {"r1"}, LiveRevisions::kExcluded, {"r2"}},
      {"statefulset all live", 0, {"r1", "r2", "r3", "r4"}, LiveRevisions::kExcluded, {}},
  };
  std::vector<Json> old = {Revision("r3", 3), Revision("r1", 1), Revision("r4", 4),
                           Revision("r2", 2)};
  for (const PruneCase& c : cases) {
    std::vector<Json> out = RevisionsToPrune(
        old, c.limit, [&](const Json& r) { return c.live.count(Name(r)) > 0; }, c.mode);
    std::vector<std::string> names;
    for (const Json& r : out) names.push_back(Name(r));
    EXPECT_EQ(names, c.pruned) << c.name;
  }
}

class HistoryApiTest : public ::testing::Test {
 protected:
  std::vector<sdk::testing::ApiCall> Calls(const std::string& method) const {
    std::vector<sdk::testing::ApiCall> out;
    for (const auto& c : fake_.api_calls()) {
      if (c.method == method) out.push_back(c);
    }
    return out;
  }
  FakeHost fake_;
  sdk::Host host_{fake_.host()};
  FakeCall raw_call_;
  sdk::Call call_{raw_call_.get(), host_};
};

TEST_F(HistoryApiTest, ClaimAdoptsMatchingOrphansReleasesStrayOnesAndSkipsOthers) {
  Json owner = Owner();
  Json mine = Revision("mine", 1);
  mine["metadata"]["ownerReferences"] = Json::array({OwnerRef("DaemonSet", "ds", "ds-uid")});
  Json orphan = Revision("orphan", 2);
  Json stray = Revision("stray", 3, Json{{"app", "other"}});
  stray["metadata"]["ownerReferences"] = Json::array({OwnerRef("DaemonSet", "ds", "ds-uid")});
  Json foreign = Revision("foreign", 4);
  foreign["metadata"]["ownerReferences"] = Json::array({OwnerRef("DaemonSet", "b", "b-uid")});
  Json adopted = orphan;
  adopted["metadata"]["resourceVersion"] = "8";
  fake_.SetApiResponse("PATCH", std::string(kRevs) + "/orphan", 200, adopted.dump());
  fake_.SetApiResponse("PATCH", std::string(kRevs) + "/stray", 200, stray.dump());

  std::optional<Selector> selector =
      Selector::FromLabelSelector(Json{{"matchLabels", {{"app", "x"}}}});
  ASSERT_TRUE(selector.has_value());
  std::vector<Json> owned;
  ASSERT_TRUE(ClaimObjects(call_, owner, "apps/v1", "DaemonSet", *selector,
                           {mine, orphan, stray, foreign}, "apps/v1", "controllerrevisions", &owned)
                  .ok());
  ASSERT_EQ(owned.size(), 2u);
  EXPECT_EQ(Name(owned[0]), "mine");
  EXPECT_EQ(owned[1]["metadata"]["resourceVersion"], "8");  // as the server returned it
  std::vector<sdk::testing::ApiCall> patches = Calls("PATCH");
  ASSERT_EQ(patches.size(), 2u);
  Json adopt = Json::parse(patches[0].body);
  EXPECT_EQ(adopt["metadata"]["ownerReferences"],
            Json::array({OwnerRef("DaemonSet", "ds", "ds-uid")}));
  EXPECT_EQ(adopt["metadata"]["resourceVersion"], "7");
  Json release = Json::parse(patches[1].body);
  EXPECT_EQ(release["metadata"]["ownerReferences"], Json::array());

  // A deleting owner neither adopts nor releases.
  owner["metadata"]["deletionTimestamp"] = testing::kNowText;
  owned.clear();
  ASSERT_TRUE(ClaimObjects(call_, owner, "apps/v1", "DaemonSet", *selector, {orphan, stray},
                           "apps/v1", "controllerrevisions", &owned)
                  .ok());
  EXPECT_TRUE(owned.empty());
  EXPECT_EQ(Calls("PATCH").size(), 2u);
}

TEST_F(HistoryApiTest, CreateRevisionProbingSkipsNamesTakenByOtherData) {
  Json owner = Owner();
  Json data = TemplatePatch(owner);
  Json rev = NewControllerRevision(owner, "apps/v1", "StatefulSet", nullptr, nullptr, data, 1,
                                   HashRevisionData(data, 0));
  std::string first = RevisionName("ds", HashRevisionData(data, 0));
  std::string second = RevisionName("ds", HashRevisionData(data, 1));
  Json taken = Revision(first, 1);  // other data
  fake_.SetApiResponse("POST", kRevs, 409,
                       R"({"kind":"Status","reason":"AlreadyExists","message":"exists"})");
  fake_.SetApiResponse("GET", std::string(kRevs) + "/" + first, 200, taken.dump());
  Json same = rev;
  same["metadata"]["name"] = second;
  fake_.SetApiResponse("GET", std::string(kRevs) + "/" + second, 200, same.dump());

  int64_t collisions = 0;
  Json created;
  ASSERT_TRUE(CreateRevisionProbing(call_, owner, rev, &collisions, &created).ok());
  EXPECT_EQ(collisions, 1);
  EXPECT_EQ(Name(created), second);  // the existing revision with equal data
  std::vector<sdk::testing::ApiCall> posts = Calls("POST");
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(Json::parse(posts[1].body)["metadata"]["name"], second);
}

TEST_F(HistoryApiTest, UpdateAndDeleteAddressTheRevision) {
  Json rev = Revision("r", 1);
  fake_.SetApiResponse("PUT", std::string(kRevs) + "/r", 200, "{}");
  Json updated;
  ASSERT_TRUE(UpdateRevisionNumber(call_, rev, 4, &updated).ok());
  EXPECT_EQ(Json::parse(Calls("PUT")[0].body)["revision"], 4);
  EXPECT_TRUE(DeleteRevision(call_, rev).ok());  // 404 from the fake: already gone
  EXPECT_EQ(Calls("DELETE")[0].path, std::string(kRevs) + "/r");
}

TEST_F(HistoryApiTest, ListRevisionsAsksToRetryWhenTheCacheCannotAnswer) {
  std::vector<Json> out;
  EXPECT_EQ(ListRevisions(host_, "default", &out).code(), CAPSTAN_RC_RETRY_LATER);
  fake_.PutObject("apps/v1/controllerrevisions", "default/r", Revision("r", 1).dump());
  ASSERT_TRUE(ListRevisions(host_, "default", &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Name(out[0]), "r");
}

}  // namespace
}  // namespace capstan::controllers
