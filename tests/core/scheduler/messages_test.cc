// Tests for core/scheduler/messages.h: FailedScheduling text as upstream writes it.
#include "core/scheduler/messages.h"

#include <gtest/gtest.h>

namespace capstan::scheduler {
namespace {

NodeFailure F(uint32_t node, std::string reason, std::string plugin = "p") {
  return NodeFailure{node, CAPSTAN_RC_UNSCHEDULABLE, std::move(plugin), std::move(reason)};
}

TEST(MessagesTest, CountsReasonsAndSortsTheCountedStrings) {
  Diagnosis d;
  d.num_all_nodes = 3;
  d.failures = {F(0, "node(s) had untolerated taint {node-role: master}"), F(1, "Insufficient cpu"),
                F(2, "Insufficient cpu")};
  EXPECT_EQ(FitErrorMessage(d),
            "0/3 nodes are available: 1 node(s) had untolerated taint {node-role: master}, 2 "
            "Insufficient cpu.");
}

TEST(MessagesTest, SortingIsByStringAsUpstreamDoes) {
  Diagnosis d;
  d.num_all_nodes = 12;
  for (uint32_t i = 0; i < 10; ++i) d.failures.push_back(F(i, "b reason"));
  d.failures.push_back(F(10, "a reason"));
  d.failures.push_back(F(11, "a reason"));
  // "10 b reason" sorts before "2 a reason".
  EXPECT_EQ(FitErrorMessage(d), "0/12 nodes are available: 10 b reason, 2 a reason.");
}

TEST(MessagesTest, SeveralReasonsOfOneNodeAreCountedSeparately) {
  Diagnosis d;
  d.num_all_nodes = 3;
  d.failures = {F(0, "Insufficient cpu, Insufficient memory"), F(1, "Insufficient memory"),
                F(2, "Insufficient cpu\nInsufficient pods")};
  EXPECT_EQ(FitErrorMessage(d),
            "0/3 nodes are available: 1 Insufficient pods, 2 Insufficient cpu, 2 Insufficient "
            "memory.");
  EXPECT_EQ(FailureReasons(F(0, "", "fit")),
            std::vector<std::string>{"node(s) didn't satisfy plugin fit"});
}

TEST(MessagesTest, PreFilterAndPostFilterTextsAreSentences) {
  Diagnosis d;
  d.num_all_nodes = 3;
  d.pre_filter_msg = "pod has unbound immediate PersistentVolumeClaims";
  d.post_filter_msg =
      "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
  EXPECT_EQ(FitErrorMessage(d),
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
            "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming "
            "pod.");
}

TEST(MessagesTest, NodesExcludedByPreFilterAreCountedUnderTheRestrictingPlugins) {
  Diagnosis d;
  d.num_all_nodes = 5;
  d.absent_nodes = 4;
  d.restricting_plugins = {"node-name"};
  d.failures = {F(3, "node(s) were unschedulable")};
  EXPECT_EQ(FitErrorMessage(d),
            "0/5 nodes are available: 1 node(s) were unschedulable, 4 node(s) didn't satisfy "
            "plugin(s) [node-name].");
}

}  // namespace
}  // namespace capstan::scheduler
