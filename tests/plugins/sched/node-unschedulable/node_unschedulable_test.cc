// Tests for plugins/sched/node-unschedulable: cordoned nodes and the unschedulable toleration.
#include "plugins/sched/node-unschedulable/node_unschedulable.h"

#include <gtest/gtest.h>

#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::Node;
using testing::Pod;

TEST(NodeUnschedulableTest, CordonedNodesRejectPodsWithoutTheToleration) {
  struct Case {
    const char* name;
    bool unschedulable;
    const char* tol_key;  // nullptr: no toleration
    uint32_t tol_effect;
    capstan_rc want;
  };
  const Case cases[] = {
      {"schedulable node", false, nullptr, 0, CAPSTAN_RC_OK},
      {"cordoned node", true, nullptr, 0, CAPSTAN_RC_UNRESOLVABLE},
      {"tolerated", true, "node.kubernetes.io/unschedulable", CAPSTAN_TAINT_NO_SCHEDULE,
       CAPSTAN_RC_OK},
      {"tolerated for every effect", true, "node.kubernetes.io/unschedulable", 0, CAPSTAN_RC_OK},
      {"wildcard toleration", true, "", 0, CAPSTAN_RC_OK},
      {"wrong effect", true, "node.kubernetes.io/unschedulable", CAPSTAN_TAINT_NO_EXECUTE,
       CAPSTAN_RC_UNRESOLVABLE},
      {"other key", true, "x", 0, CAPSTAN_RC_UNRESOLVABLE},
  };
  FakeHost host;
  TestPlugin<NodeUnschedulable> p(host);
  for (const Case& c : cases) {
    Pod pod;
    if (c.tol_key != nullptr)
      pod.Toleration(c.tol_key, CAPSTAN_TOLERATION_EXISTS, "", c.tol_effect);
    Node node;
    node.Unschedulable(c.unschedulable);
    sdk::testing::Outcome o = p.Filter(pod.get(), node.get());
    EXPECT_EQ(o.rc, c.want) << c.name;
    if (c.want != CAPSTAN_RC_OK) {
      EXPECT_EQ(o.error, "node(s) were unschedulable") << c.name;
    }
  }
}

}  // namespace
}  // namespace capstan::sched
