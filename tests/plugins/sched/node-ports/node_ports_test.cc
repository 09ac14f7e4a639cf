// Tests for plugins/sched/node-ports: host-port conflicts and the PreFilter skip.
#include "plugins/sched/node-ports/node_ports.h"

#include <gtest/gtest.h>

#include "tests/plugins/sched/testing/sched_test_util.h"

namespace capstan::sched {
namespace {

using sdk::testing::FakeHost;
using sdk::testing::TestPlugin;
using testing::Node;
using testing::Pod;
using testing::SchedDriver;

TEST(NodePortsTest, FilterRejectsConflictingHostPorts) {
  struct Case {
    const char* name;
    const char* want_ip;
    int32_t want_port;
    uint32_t want_proto;
    const char* used_ip;
    int32_t used_port;
    uint32_t used_proto;
    capstan_rc want;
  };
  const Case cases[] = {
      {"same port wildcard", "", 80, CAPSTAN_PROTOCOL_TCP, "", 80, CAPSTAN_PROTOCOL_TCP,
       CAPSTAN_RC_UNSCHEDULABLE},
      {"other port", "", 80, CAPSTAN_PROTOCOL_TCP, "", 81, CAPSTAN_PROTOCOL_TCP, CAPSTAN_RC_OK},
      {"other protocol", "", 53, CAPSTAN_PROTOCOL_UDP, "", 53, CAPSTAN_PROTOCOL_TCP, CAPSTAN_RC_OK},
      {"different addresses", "10.0.0.1", 80, CAPSTAN_PROTOCOL_TCP, "10.0.0.2", 80,
       CAPSTAN_PROTOCOL_TCP, CAPSTAN_RC_OK},
      {"same address", "10.0.0.1", 80, CAPSTAN_PROTOCOL_TCP, "10.0.0.1", 80, CAPSTAN_PROTOCOL_TCP,
       CAPSTAN_RC_UNSCHEDULABLE},
      {"wanted wildcard vs used address", "0.0.0.0", 80, CAPSTAN_PROTOCOL_TCP, "10.0.0.1", 80,
       CAPSTAN_PROTOCOL_TCP, CAPSTAN_RC_UNSCHEDULABLE},
      {"used wildcard vs wanted address", "10.0.0.1", 80, CAPSTAN_PROTOCOL_TCP, "", 80,
       CAPSTAN_PROTOCOL_TCP, CAPSTAN_RC_UNSCHEDULABLE},
      {"unset protocol is TCP", "", 80, 0, "", 80, CAPSTAN_PROTOCOL_TCP, CAPSTAN_RC_UNSCHEDULABLE},
  };
  FakeHost host;
  TestPlugin<NodePorts> p(host);
  for (const Case& c : cases) {
    Pod pod;
    pod.HostPort(c.want_ip, c.want_port, c.want_proto);
    Node node;
    node.UsedPort(c.used_ip, c.used_port, c.used_proto);
    sdk::testing::Outcome o = p.Filter(pod.get(), node.get());
    EXPECT_EQ(o.rc, c.want) << c.name;
    if (c.want != CAPSTAN_RC_OK) {
      EXPECT_EQ(o.error, "node(s) didn't have free ports for the requested pod ports") << c.name;
    }
  }
}

TEST(NodePortsTest, PreFilterSkipsPodsWithoutHostPorts) {
  FakeHost host;
  TestPlugin<NodePorts> p(host);
  SchedDriver d(p);
  Pod none, some;
  some.HostPort("", 8080);
  EXPECT_EQ(d.PreFilter(host.NewCycle(), none.get()).rc, CAPSTAN_RC_SKIP);
  EXPECT_EQ(d.PreFilter(host.NewCycle(), some.get()).rc, CAPSTAN_RC_OK);
}

}  // namespace
}  // namespace capstan::sched
