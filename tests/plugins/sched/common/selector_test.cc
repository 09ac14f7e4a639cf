// Tests for plugins/sched/common/selector.{h,cc}: label selectors and node selector terms.
#include "plugins/sched/common/selector.h"

#include <gtest/gtest.h>

#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using testing::Node;

sdk::Labels LabelsOf(Node& n) { return sdk::NodeView(n.get()).labels(); }

TEST(LabelSelectorTest, MatchesLabelsAndExpressionsAsKubernetesDoes) {
  struct Case {
    const char* selector;
    bool want;
  };
  const Case cases[] = {
      {R"({})", true},
      {R"({"matchLabels":{"app":"web"}})", true},
      {R"({"matchLabels":{"app":"db"}})", false},
      {R"({"matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]})", true},
      {R"({"matchExpressions":[{"key":"tier","operator":"NotIn","values":["b"]}]})", false},
      {R"({"matchExpressions":[{"key":"gone","operator":"NotIn","values":["b"]}]})", true},
      {R"({"matchExpressions":[{"key":"app","operator":"Exists"}]})", true},
      {R"({"matchExpressions":[{"key":"app","operator":"DoesNotExist"}]})", false},
      {R"({"matchLabels":{"app":"web"},"matchExpressions":[{"key":"x","operator":"Exists"}]})",
       false},
  };
  Node node;
  node.Label("app", "web").Label("tier", "b");
  for (const Case& c : cases) {
    LabelSelector s;
    ASSERT_TRUE(LabelSelector::Parse(*sdk::json::Parse(c.selector), &s).ok()) << c.selector;
    EXPECT_EQ(s.Matches(LabelsOf(node)), c.want) << c.selector;
  }
}

TEST(LabelSelectorTest, NullSelectorMatchesNothingAndBadOperatorsAreInvalid) {
  LabelSelector s;
  ASSERT_TRUE(LabelSelector::Parse(sdk::json::Json(), &s).ok());
  Node node;
  EXPECT_FALSE(s.Matches(LabelsOf(node)));
  EXPECT_FALSE(
      LabelSelector::Parse(*sdk::json::Parse(R"({"matchExpressions":[{"key":"a","operator":"Gt",
                                         "values":["1"]}]})"),
                           &s)
          .ok());
  EXPECT_FALSE(LabelSelector::Parse(
                   *sdk::json::Parse(R"({"matchExpressions":[{"key":"a","operator":"In"}]})"), &s)
                   .ok());
}

TEST(NodeSelectorTermTest, MatchesExpressionsFieldsAndNumericOperators) {
  struct Case {
    const char* term;
    bool want;
  };
  const Case cases[] = {
      {R"({})", false},
      {R"({"matchExpressions":[{"key":"cores","operator":"Gt","values":["8"]}]})", true},
      {R"({"matchExpressions":[{"key":"cores","operator":"Lt","values":["8"]}]})", false},
      {R"({"matchExpressions":[{"key":"zone","operator":"Gt","values":["8"]}]})", false},
      {R"({"matchExpressions":[{"key":"cores","operator":"Gt","values":["x"]}]})", false},
      {R"({"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]})", true},
      {R"({"matchFields":[{"key":"metadata.name","operator":"NotIn","values":["n1"]}]})", false},
      {R"({"matchFields":[{"key":"spec.x","operator":"In","values":["n1"]}]})", false},
      {R"({"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}],
           "matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]})",
       true},
  };
  Node node("n1");
  node.Label("cores", "16").Label("zone", "a");
  for (const Case& c : cases) {
    NodeSelectorTerm t = NodeSelectorTerm::Parse(*sdk::json::Parse(c.term));
    EXPECT_EQ(t.Matches(LabelsOf(node), "n1"), c.want) << c.term;
  }
}

TEST(NodeSelectorTermTest, NodeNamesIntersectMetadataNameInRequirements) {
  NodeSelectorTerm t = NodeSelectorTerm::Parse(*sdk::json::Parse(
      R"({"matchFields":[{"key":"metadata.name","operator":"In","values":["a","b"]},
                         {"key":"metadata.name","operator":"In","values":["b","c"]}]})"));
  bool any = false;
  EXPECT_EQ(t.NodeNames(&any), std::vector<std::string>{"b"});
  EXPECT_TRUE(any);
  NodeSelectorTerm plain = NodeSelectorTerm::Parse(
      *sdk::json::Parse(R"({"matchExpressions":[{"key":"a","operator":"Exists"}]})"));
  plain.NodeNames(&any);
  EXPECT_FALSE(any);
}

}  // namespace
}  // namespace capstan::sched
