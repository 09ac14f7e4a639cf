// Integration test for core/netpol/policy_enforcer.h: an in-process API server
// (tests/core/client/test_cluster.h) holds the pods and policies; real nft programs the table in
// a "node" network namespace with a bridge, and three "pod" namespaces on that bridge run
// busybox httpd and fetch from each other, so the test checks real bridged traffic. Every
// namespace is created here with the test's PID in its name and always deleted. Needs root,
// nft, ip, busybox and curl; skipped otherwise.
#include "core/netpol/policy_enforcer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "tests/core/client/test_cluster.h"

namespace capstan::netpol {
namespace {

using Json = nlohmann::json;
using client::testing::Eventually;

constexpr char kPods[] = "/api/v1/namespaces/default/pods";
constexpr char kPolicies[] = "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies";
constexpr char kTable[] = "capstan-netpol-test";

int Shell(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

class PolicyEnforcerTest : public testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0 || proxy::NftRunner::FindNft().empty() || Shell("command -v busybox") != 0 ||
        Shell("command -v ip") != 0 || Shell("command -v curl") != 0) {
      GTEST_SKIP() << "needs root, nft, ip, busybox and curl";
    }
    id_ = std::to_string(getpid());
    dir_ = "/tmp/capstan-netpol-test-" + id_;
    ASSERT_EQ(Shell("mkdir -p " + dir_), 0);
    node_ = "capstan-netpol-" + id_ + "-node";
    ASSERT_EQ(Shell("ip netns add " + node_), 0);
    created_.push_back(node_);
    std::string n = "ip netns exec " + node_ + " ";
    ASSERT_EQ(Shell(n + "ip link add br0 type bridge"), 0);
    ASSERT_EQ(Shell(n + "ip addr add 10.125.0.1/24 dev br0"), 0);
    ASSERT_EQ(Shell(n + "ip link set br0 up"), 0);
    for (const char* pod : {"server", "labelled", "other"}) ASSERT_NO_FATAL_FAILURE(AddPod(pod));
    client_ = cluster_.NewClient();
    EnforcerOptions o;
    o.node_name = "n1";
    o.table = kTable;
    o.netns = node_;
    Result<std::unique_ptr<PolicyEnforcer>> e = PolicyEnforcer::Start(client_.get(), o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    enforcer_ = std::move(*e);
  }

  void TearDown() override {
    if (enforcer_) enforcer_->Stop();
    enforcer_.reset();
    for (const std::string& ns : created_) {
      // Only the processes of the namespaces this test made (their httpd).
      Shell("ip netns pids " + ns + " | xargs -r kill");
      Shell("ip netns del " + ns);
    }
    if (!dir_.empty()) Shell("rm -rf " + dir_);
  }

  // A pod namespace on the bridge, running httpd on :8080, and its Pod object (labels by name).
  void AddPod(const std::string& name) {
    const std::string ip = IpOf(name);
    const std::string ns = "capstan-netpol-" + id_ + "-" + name;
    ASSERT_EQ(Shell("ip netns add " + ns), 0);
    created_.push_back(ns);
    std::string p = "ip netns exec " + ns + " ";
    ASSERT_EQ(
        Shell("ip link add v" + name + " netns " + node_ + " type veth peer name eth0 netns " + ns),
        0);
    ASSERT_EQ(Shell("ip netns exec " + node_ + " ip link set v" + name + " master br0 up"), 0);
    ASSERT_EQ(Shell(p + "ip addr add " + ip + "/24 dev eth0"), 0);
    ASSERT_EQ(Shell(p + "ip link set eth0 up"), 0);
    ASSERT_EQ(Shell(p + "ip link set lo up"), 0);
    ASSERT_EQ(Shell("echo " + name + " > " + dir_ + "/" + name + ".html"), 0);
    ASSERT_EQ(Shell(p + "busybox httpd -p 8080 -h " + dir_), 0);
    Json labels = {{"app", name}};
    if (name == "labelled") labels["access"] = "true";
    Json pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", name}, {"labels", labels}}},
        {"spec",
         {{"nodeName", "n1"},
          {"containers", Json::array({{{"name", "c"},
                                       {"image", "busybox"},
                                       {"ports", Json::array({{{"name", "http"},
                                                               {"containerPort", 8080}}})}}})}}}};
    std::unique_ptr<client::ApiClient> c = cluster_.NewClient();
    ASSERT_TRUE(c->Create(kPods, pod).ok());
    Json status = {{"status", {{"phase", "Running"}, {"podIP", ip}}}};
    Result<Json> r = c->Patch(std::string(kPods) + "/" + name + "/status",
                              "application/merge-patch+json", status);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  static std::string IpOf(const std::string& pod) {
    return pod == "server" ? "10.125.0.2" : pod == "labelled" ? "10.125.0.3" : "10.125.0.4";
  }

  // True when `from` (a pod name, or "node") gets `to`'s page within two seconds.
  bool Reaches(const std::string& from, const std::string& to) {
    std::string ns = from == "node" ? node_ : "capstan-netpol-" + id_ + "-" + from;
    std::string url = "http://" + IpOf(to) + ":8080/" + to + ".html";
    // curl, not busybox wget: Debian's busybox 1.35 wget crashes with -T.
    return Shell("ip netns exec " + ns + " curl -s -m 2 -o /dev/null " + url) == 0;
  }

  // Waits until the enforcer applied every event it saw and `from` -> `to` is as `want`.
  bool Becomes(const std::string& from, const std::string& to, bool want) {
    return Eventually(
        [&] {
          return enforcer_->AppliedEvents() >= enforcer_->SeenEvents() && Reaches(from, to) == want;
        },
        std::chrono::seconds(20));
  }

  // The table and the enforcer's counters, for failure messages.
  std::string Diag() {
    Result<std::string> t = proxy::NftRunner("", node_).Run({"list", "table", "inet", kTable});
    EnforcerStats st = enforcer_->Stats();
    return (t.ok() ? *t : t.status().ToString()) + "\nerrors=" + std::to_string(st.errors) +
           " last_error=" + st.last_error;
  }

  void CreatePolicy(const std::string& json) {
    Result<Json> r = client_->Create(kPolicies, Json::parse(json));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  client::testing::TestCluster cluster_;
  std::unique_ptr<client::ApiClient> client_;
  std::string id_, node_, dir_;
  std::vector<std::string> created_;
  std::unique_ptr<PolicyEnforcer> enforcer_;
};

TEST_F(PolicyEnforcerTest, DeniesAllowsByLabelAndPortAndRestoresWhenPoliciesGo) {
  EXPECT_TRUE(Becomes("labelled", "server", true)) << Diag();
  EXPECT_TRUE(Becomes("other", "server", true)) << Diag();

  // Default deny ingress for the server: nobody gets in, but the node still does, and the
  // server still reaches others (replies to its own connections pass).
  CreatePolicy(R"({"metadata": {"name": "deny"},
      "spec": {"podSelector": {"matchLabels": {"app": "server"}}}})");
  EXPECT_TRUE(Becomes("labelled", "server", false)) << Diag();
  EXPECT_FALSE(Reaches("other", "server")) << Diag();
  EXPECT_TRUE(Reaches("node", "server")) << Diag();
  EXPECT_TRUE(Reaches("server", "other")) << Diag();

  // Pods labelled access=true, on the named port: the labelled client only.
  CreatePolicy(R"({"metadata": {"name": "allow-access"},
      "spec": {"podSelector": {"matchLabels": {"app": "server"}},
               "ingress": [{"from": [{"podSelector": {"matchLabels": {"access": "true"}}}],
                            "ports": [{"port": "http"}]}]}})");
  EXPECT_TRUE(Becomes("labelled", "server", true)) << Diag();
  EXPECT_FALSE(Reaches("other", "server")) << Diag();

  // Egress deny for the server: it reaches nobody, yet still answers the allowed client.
  CreatePolicy(R"({"metadata": {"name": "no-egress"},
      "spec": {"podSelector": {"matchLabels": {"app": "server"}}, "policyTypes": ["Egress"]}})");
  EXPECT_TRUE(Becomes("server", "other", false)) << Diag();
  EXPECT_TRUE(Reaches("labelled", "server")) << Diag();

  for (const char* name : {"deny", "allow-access", "no-egress"}) {
    ASSERT_TRUE(client_->Delete(std::string(kPolicies) + "/" + name).ok());
  }
  EXPECT_TRUE(Becomes("other", "server", true)) << Diag();
  EXPECT_TRUE(Reaches("server", "other")) << Diag();
  EXPECT_EQ(enforcer_->Stats().errors, 0) << enforcer_->Stats().last_error;
  EXPECT_GE(enforcer_->Stats().delta_syncs, 4);

  enforcer_->Stop();
  proxy::NftRunner runner("", node_);
  EXPECT_FALSE(runner.Run({"list", "table", "inet", kTable}).ok());
}

}  // namespace
}  // namespace capstan::netpol
