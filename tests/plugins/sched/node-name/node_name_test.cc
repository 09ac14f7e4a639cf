// Tests for plugins/sched/node-name: Filter on spec.nodeName.
#include "plugins/sched/node-name/node_name.h"

#include <gtest/gtest.h>

#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::Node;
using testing::Pod;

TEST(NodeNameTest, PodsNamingANodeFitOnlyThatNode) {
  struct Case {
    const char* pod_node;
    capstan_rc want;
  };
  const Case cases[] = {
      {"", CAPSTAN_RC_OK},
      {"n1", CAPSTAN_RC_OK},
      {"n2", CAPSTAN_RC_UNRESOLVABLE},
  };
  FakeHost host;
  TestPlugin<NodeName> p(host);
  Node node("n1");
  for (const Case& c : cases) {
    Pod pod;
    pod.NodeName(c.pod_node);
    sdk::testing::Outcome o = p.Filter(pod.get(), node.get());
    EXPECT_EQ(o.rc, c.want) << c.pod_node;
    EXPECT_EQ(o.error,
              c.want == CAPSTAN_RC_OK ? "" : "node(s) didn't match the requested node name");
  }
}

}  // namespace
}  // namespace capstan::sched
