// Tests of StatefulSet pod identity (plugins/controllers/statefulset/stateful_pod.h) and claim
// retention ownership (claim_retention.h): names and ordinals, the labels, hostname, subdomain
// and claim volumes of new pods, claims from templates, applying a revision, and the
// ownerReferences each whenDeleted/whenScaled combination asks for.
#include "plugins/controllers/statefulset/stateful_pod.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plugins/controllers/statefulset/claim_retention.h"
#include "tests/plugins/controllers/statefulset/sts_objects.h"

namespace capstan::controllers {
namespace {

using testing::PodState;
using testing::SetPod;
using testing::StatefulSet;

TEST(StatefulPod, ParsesOrdinalsFromPodNames) {
  struct Row {
    std::string name;
    bool ok;
    std::string parent;
    int64_t ordinal;
  };
  for (const Row& r : std::vector<Row>{{"web-0", true, "web", 0},
                                       {"my-db-12", true, "my-db", 12},
                                       {"web", false, "", -1},
                                       {"web-", false, "", -1},
                                       {"web-1a", false, "", -1},
                                       {"web-99999999999", false, "", -1}}) {
    std::string parent;
    int64_t ordinal = -1;
    EXPECT_EQ(ParseOrdinal(r.name, &parent, &ordinal), r.ok) << r.name;
    if (r.ok) {
      EXPECT_EQ(parent, r.parent);
      EXPECT_EQ(ordinal, r.ordinal);
    }
  }
}

TEST(StatefulPod, ANewPodCarriesItsIdentityClaimsAndRevision) {
  Json set = StatefulSet(3);
  set["spec"]["template"]["spec"]["volumes"] = Json::array({{{"name", "cfg"}}});
  Json pod = NewStatefulPod(set, 2, "web-abc");
  EXPECT_EQ(pod["metadata"]["name"], "web-2");
  EXPECT_EQ(pod["metadata"]["namespace"], "default");
  EXPECT_EQ(pod["metadata"]["generateName"], "web-");
  EXPECT_EQ(pod["metadata"]["labels"], (Json{{"app", "web"},
                                             {"statefulset.kubernetes.io/pod-name", "web-2"},
                                             {"apps.kubernetes.io/pod-index", "2"},
                                             {"controller-revision-hash", "web-abc"}}));
  EXPECT_EQ(pod["metadata"]["ownerReferences"][0],
            testing::OwnerRef("StatefulSet", "web", "sts-uid"));
  EXPECT_EQ(pod["spec"]["hostname"], "web-2");
  EXPECT_EQ(pod["spec"]["subdomain"], "nginx");
  EXPECT_EQ(pod["spec"]["volumes"],
            Json::parse(R"([{"name":"www","persistentVolumeClaim":{"claimName":"www-web-2"}},
                            {"name":"cfg"}])"));
  EXPECT_TRUE(IdentityMatches(set, pod));
  EXPECT_TRUE(StorageMatches(set, pod));
  EXPECT_EQ(PodRevision(pod), "web-abc");
}

TEST(StatefulPod, ClaimsAreNamedPerOrdinalAndLabelledWithTheSelector) {
  Json set = StatefulSet(1);
  set["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"] = {{"tier", "db"}};
  auto claims = PodClaims(set, 4);
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0].first, "www");
  const Json& claim = claims[0].second;
  EXPECT_EQ(claim["metadata"]["name"], "www-web-4");
  EXPECT_EQ(claim["metadata"]["namespace"], "default");
  EXPECT_EQ(claim["metadata"]["labels"], (Json{{"tier", "db"}, {"app", "web"}}));
  EXPECT_EQ(claim["kind"], "PersistentVolumeClaim");
  EXPECT_EQ(claim["spec"]["resources"]["requests"]["storage"], "1Gi");
}

TEST(StatefulPod, StorageMismatchesWhenAClaimVolumePointsElsewhere) {
  Json set = StatefulSet(1);
  Json pod = SetPod(0, "r", PodState::kReady);
  EXPECT_TRUE(StorageMatches(set, pod));
  pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] = "other";
  EXPECT_FALSE(StorageMatches(set, pod));
  UpdateStorage(set, pod);
  EXPECT_TRUE(StorageMatches(set, pod));
}

TEST(StatefulPod, ApplyingARevisionReplacesOnlyTheTemplate) {
  Json set = StatefulSet(2);
  Json revision = {{"data", Json::parse(R"({"spec":{"template":{"$patch":"replace",
      "metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx",
      "image":"nginx:0"}]}}}})")}};
  Json applied = SetAtRevision(set, revision);
  EXPECT_EQ(applied["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:0");
  EXPECT_FALSE(applied["spec"]["template"].contains("$patch"));
  EXPECT_EQ(applied["spec"]["replicas"], 2);
}

struct RetentionRow {
  std::string when_deleted;
  std::string when_scaled;
  bool scaled_down;
  bool want_set_ref;
  bool want_pod_ref;
};

TEST(ClaimRetention, OwnerReferencesFollowThePolicy) {
  for (const RetentionRow& r : std::vector<RetentionRow>{
           {"Retain", "Retain", false, false, false},
           {"Retain", "Retain", true, false, false},
           {"Delete", "Retain", false, true, false},
           {"Delete", "Retain", true, true, false},
           {"Retain", "Delete", false, false, false},
           {"Retain", "Delete", true, false, true},
           {"Delete", "Delete", false, true, false},
           {"Delete", "Delete", true, false, true},
       }) {
    Json set = StatefulSet(r.scaled_down ? 1 : 3);
    set["spec"]["persistentVolumeClaimRetentionPolicy"] = {{"whenDeleted", r.when_deleted},
                                                           {"whenScaled", r.when_scaled}};
    Json pod = SetPod(2, "r", PodState::kReady);
    Json claim = {{"metadata", {{"name", "www-web-2"}}}};
    std::string what = r.when_deleted + "/" + r.when_scaled + (r.scaled_down ? " scaled" : "");
    bool none_wanted = !r.want_set_ref && !r.want_pod_ref;
    EXPECT_EQ(ClaimOwnerUpToDate(claim, set, pod), none_wanted) << what;
    claim["metadata"]["ownerReferences"] = ClaimOwnerRefsFor(claim, set, pod);
    EXPECT_EQ(HasOwnerRef(claim, set), r.want_set_ref) << what;
    EXPECT_EQ(HasOwnerRef(claim, pod), r.want_pod_ref) << what;
    EXPECT_TRUE(ClaimOwnerUpToDate(claim, set, pod)) << what;
  }
}

TEST(ClaimRetention, ClaimsOfAnotherControllerAreLeftAlone) {
  Json set = StatefulSet(3);
  set["spec"]["persistentVolumeClaimRetentionPolicy"] = {{"whenDeleted", "Delete"},
                                                         {"whenScaled", "Retain"}};
  Json pod = SetPod(0, "r", PodState::kReady);
  Json claim = {{"metadata",
                 {{"name", "www-web-0"},
                  {"ownerReferences",
                   Json::array({testing::OwnerRef("Thing", "other", "other-uid", "x/v1")})}}}};
  EXPECT_TRUE(HasUnexpectedController(claim, set, pod));
  EXPECT_TRUE(ClaimOwnerUpToDate(claim, set, pod));
}

}  // namespace
}  // namespace capstan::controllers
