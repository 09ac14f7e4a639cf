// Tests for plugins/controllers/kit/object_util: times, label selectors (table-driven), owner
// references and pod availability.
#include "plugins/controllers/kit/object_util.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/plugins/controllers/objects.h"

namespace capstan::controllers {
namespace {

using testing::kNow;
using testing::kNowText;
using testing::Pod;

TEST(ObjectUtilTest, TimesRoundTripAndAcceptFractionsAndOffsets) {
  EXPECT_EQ(ParseTime(kNowText), kNow);
  EXPECT_EQ(FormatTime(kNow), kNowText);
  EXPECT_EQ(ParseTime("2023-11-14T22:13:20.123456Z"), kNow);
  EXPECT_EQ(ParseTime("2023-11-14T23:13:20+01:00"), kNow);
  EXPECT_EQ(ParseTime("yesterday"), std::nullopt);
}

TEST(ObjectUtilTest, LabelSelectorsMatchLikeUpstream) {
  struct Case {
    const char* selector;
    Json labels;
    bool matches;
  };
  std::vector<Case> cases = {
      {R"({})", Json{{"a", "1"}}, true},
      {R"({"matchLabels":{"a":"1"}})", Json{{"a", "1"}, {"b", "2"}}, true},
      {R"({"matchLabels":{"a":"1"}})", Json{{"a", "2"}}, false},
      {R"({"matchExpressions":[{"key":"a","operator":"In","values":["1","2"]}]})", Json{{"a", "2"}},
       true},
      {R"({"matchExpressions":[{"key":"a","operator":"NotIn","values":["1"]}]})", Json::object(),
       true},
      {R"({"matchExpressions":[{"key":"a","operator":"NotIn","values":["1"]}]})", Json{{"a", "1"}},
       false},
      {R"({"matchExpressions":[{"key":"a","operator":"Exists"}]})", Json::object(), false},
      {R"({"matchExpressions":[{"key":"a","operator":"DoesNotExist"}]})", Json::object(), true},
  };
  for (const Case& c : cases) {
    std::optional<Selector> s = Selector::FromLabelSelector(Json::parse(c.selector));
    ASSERT_TRUE(s.has_value()) << c.selector;
    EXPECT_EQ(s->Matches(&c.labels), c.matches) << c.selector << " " << c.labels.dump();
  }
  EXPECT_FALSE(Selector::FromLabelSelector(
                   Json::parse(R"({"matchExpressions":[{"key":"a","operator":"In"}]})"))
                   .has_value());
  EXPECT_FALSE(Selector().Matches(nullptr));  // nil selector: nothing
}

TEST(ObjectUtilTest, ControllerRefIsTheOneMarkedController) {
  Json pod = Pod("p", Json::object());
  EXPECT_EQ(ControllerRef(pod), nullptr);
  pod["metadata"]["ownerReferences"] = Json::array(
      {{{"kind", "A"}, {"uid", "1"}}, {{"kind", "B"}, {"uid", "2"}, {"controller", true}}});
  ASSERT_NE(ControllerRef(pod), nullptr);
  EXPECT_EQ((*ControllerRef(pod))["kind"], "B");
}

TEST(ObjectUtilTest, AvailabilityNeedsReadinessForLongerThanMinReadySeconds) {
  Json pod = Pod("p", Json::object(), "2023-11-14T22:12:20Z");  // ready 60s before kNow
  EXPECT_TRUE(IsPodAvailable(pod, 0, kNow));
  EXPECT_TRUE(IsPodAvailable(pod, 59, kNow));
  EXPECT_FALSE(IsPodAvailable(pod, 60, kNow));
  EXPECT_FALSE(IsPodAvailable(Pod("q", Json::object()), 0, kNow));
  Json done = pod;
  done["status"]["phase"] = "Failed";
  EXPECT_FALSE(IsPodActive(done));
}

}  // namespace
}  // namespace capstan::controllers
