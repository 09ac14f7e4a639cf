// Tests of core/network/node_routes.h: the desired routes from Node objects (table-driven,
// pure) and `NodeRoutes` following Nodes of an in-process API server into a recording table.
#include "core/network/node_routes.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "tests/core/client/test_cluster.h"

namespace capstan::network {
namespace {

using nlohmann::json;

json Node(const std::string& name, const json& pod_cidrs, const std::string& ip,
          const std::string& single = "") {
  json n = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}}}};
  n["spec"] = json::object();
  if (!pod_cidrs.empty()) n["spec"]["podCIDRs"] = pod_cidrs;
  if (!single.empty()) n["spec"]["podCIDR"] = single;
  if (!ip.empty()) {
    n["status"] = {{"addresses", json::array({{{"type", "Hostname"}, {"address", name}},
                                              {{"type", "InternalIP"}, {"address", ip}}})}};
  }
  return n;
}

struct Case {
  const char* name;
  std::vector<json> nodes;
  std::vector<PodRoute> want;
};

class DesiredPodRoutesTest : public ::testing::TestWithParam<Case> {};

TEST_P(DesiredPodRoutesTest, GivesEveryOtherNodesPodCidrViaItsInternalIp) {
  std::vector<client::ObjectPtr> nodes;
  for (const json& n : GetParam().nodes) nodes.push_back(std::make_shared<const json>(n));
  EXPECT_EQ(DesiredPodRoutes(nodes, "self"), GetParam().want);
}

const json kNone = json::array();

INSTANTIATE_TEST_SUITE_P(
    Nodes, DesiredPodRoutesTest,
    ::testing::Values(
        Case{"no_nodes", {}, {}},
        Case{"only_self", {Node("self", {"10.1.0.0/24"}, "192.0.2.1")}, {}},
        Case{"two_others",
             {Node("self", {"10.1.0.0/24"}, "192.0.2.1"), Node("b", {"10.1.2.0/24"}, "192.0.2.3"),
              Node("a", {"10.1.1.0/24"}, "192.0.2.2")},
             {{"10.1.1.0/24", "192.0.2.2"}, {"10.1.2.0/24", "192.0.2.3"}}},
        Case{"pod_cidr_without_pod_cidrs",
             {Node("a", kNone, "192.0.2.2", "10.1.1.0/24")},
             {{"10.1.1.0/24", "192.0.2.2"}}},
        Case{"host_bits_are_cleared",
             {Node("a", {"10.1.1.9/24"}, "192.0.2.2")},
             {{"10.1.1.0/24", "192.0.2.2"}}},
        Case{"no_internal_ip_no_route", {Node("a", {"10.1.1.0/24"}, "")}, {}},
        Case{"no_pod_cidr_no_route", {Node("a", kNone, "192.0.2.2")}, {}},
        Case{"ipv6_cidrs_and_garbage_skipped",
             {Node("a", {"fd00::/64", "bogus", "10.1.1.0/24"}, "192.0.2.2")},
             {{"10.1.1.0/24", "192.0.2.2"}}},
        Case{"overlapping_self_skipped",
             {Node("self", {"10.1.0.0/24"}, "192.0.2.1"), Node("a", {"10.1.0.0/16"}, "192.0.2.2")},
             {}},
        Case{"contested_cidr_goes_to_first_name",
             {Node("b", {"10.1.1.0/24"}, "192.0.2.3"), Node("a", {"10.1.1.0/25"}, "192.0.2.2")},
             {{"10.1.1.0/25", "192.0.2.2"}}},
        Case{"ipv6_internal_ip_skipped",
             {[] {
               json n = Node("a", {"10.1.1.0/24"}, "");
               n["status"] = {
                   {"addresses", json::array({{{"type", "InternalIP"}, {"address", "fd00::2"}}})}};
               return n;
             }()},
             {}}),
    [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

// Records the table in memory. Thread-safe.
class MemoryRouteTable : public RouteTable {
 public:
  explicit MemoryRouteTable(std::map<std::string, std::string> initial)
      : routes_(std::move(initial)) {}
  Status Replace(const PodRoute& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    routes_[r.destination] = r.gateway;
    return Status::Ok();
  }
  Status Delete(const PodRoute& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    routes_.erase(r.destination);
    return Status::Ok();
  }
  Result<std::vector<PodRoute>> List() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<PodRoute> out;
    for (const auto& [d, g] : routes_) out.push_back({d, g});
    return out;
  }
  std::map<std::string, std::string> Snapshot() {
    std::lock_guard<std::mutex> lock(mu_);
    return routes_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> routes_;
};

// Polls until the table equals `want` and every seen event is applied.
bool Converges(const NodeRoutes& routes, MemoryRouteTable& table,
               const std::map<std::string, std::string>& want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (routes.Applied() >= routes.Seen() && table.Snapshot() == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(NodeRoutesTest, FollowsNodesAndPrunesRoutesOfNodesThatAreGone) {
  client::testing::TestCluster cluster;
  std::unique_ptr<client::ApiClient> api = cluster.NewClient();
  // Left by an earlier run for a node that no longer exists.
  MemoryRouteTable table(std::map<std::string, std::string>{{"10.9.9.0/24", "192.0.2.9"}});
  ASSERT_TRUE(api->Create("/api/v1/nodes", Node("self", {"10.1.0.0/24"}, "")).ok());
  ASSERT_TRUE(api->Create("/api/v1/nodes", Node("a", {"10.1.1.0/24"}, "")).ok());
  // The agent posts its addresses through the status subresource.
  auto set_ip = [&](const std::string& name, const std::string& ip) {
    json patch = {{"status", Node(name, kNone, ip)["status"]}};
    ASSERT_TRUE(
        api->Patch("/api/v1/nodes/" + name + "/status", "application/merge-patch+json", patch)
            .ok());
  };
  set_ip("self", "192.0.2.1");
  NodeRoutesOptions o;
  o.node_name = "self";
  Result<std::unique_ptr<NodeRoutes>> routes = NodeRoutes::Start(api.get(), &table, o);
  ASSERT_TRUE(routes.ok()) << routes.status().ToString();
  // Node a has no address yet: no route, and the stale one is gone.
  EXPECT_TRUE(Converges(**routes, table, {}));

  set_ip("a", "192.0.2.2");
  EXPECT_TRUE(Converges(**routes, table, {{"10.1.1.0/24", "192.0.2.2"}}));
  ASSERT_TRUE(api->Create("/api/v1/nodes", Node("b", {"10.1.2.0/24"}, "")).ok());
  set_ip("b", "192.0.2.3");
  EXPECT_TRUE(
      Converges(**routes, table, {{"10.1.1.0/24", "192.0.2.2"}, {"10.1.2.0/24", "192.0.2.3"}}));
  set_ip("a", "192.0.2.4");  // a node moved
  EXPECT_TRUE(
      Converges(**routes, table, {{"10.1.1.0/24", "192.0.2.4"}, {"10.1.2.0/24", "192.0.2.3"}}));
  ASSERT_TRUE(api->Delete("/api/v1/nodes/b").ok());
  EXPECT_TRUE(Converges(**routes, table, {{"10.1.1.0/24", "192.0.2.4"}}));
  (*routes)->Stop();
  // Stop leaves the routes for the pods that still use them.
  EXPECT_EQ(table.Snapshot(), (std::map<std::string, std::string>{{"10.1.1.0/24", "192.0.2.4"}}));
}

}  // namespace
}  // namespace capstan::network
