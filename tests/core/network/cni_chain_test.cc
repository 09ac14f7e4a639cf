// Tests for core/network/cni_chain.h: the host-side chain rule over real cni-exec instances
// loaded by the plugin Registry, each running stand-in binaries (fake_cni.h; no root needed):
// prevResult across entries, reverse DEL past errors, DEL after a failed ADD, failure policy,
// per-entry timeouts, STATUS and GC.
#include "core/network/cni_chain.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/core/network/cni_registry.h"
#include "tests/core/network/fake_cni.h"

namespace capstan::network {
namespace {

using nlohmann::json;

class CniChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/cni_chain_test_" + std::to_string(getpid());
    std::filesystem::create_directories(dir_);
    log_ = dir_ + "/log.jsonl";
    cni::testing::WriteFakeCni(dir_, "fake-a", {"0.4.0", "1.0.0"}, log_);
    cni::testing::WriteFakeCni(dir_, "fake-b", {"0.4.0", "1.0.0"}, log_);
    cni::testing::WriteFakeCni(dir_, "fake-new", {"1.0.0", "1.1.0"}, log_);
    attachment_.container_id = "sandbox-1";
    attachment_.netns_path = "/var/run/netns/x";
    attachment_.args = K8sCniArgs("default", "web", "sandbox-1", "uid-1");
  }
  void TearDown() override {
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A chain entry running cni-exec over one stand-in binary with `plugin_conf`.
  json Entry(const std::string& name, json plugin_conf, const std::string& policy = "Fail",
             const std::string& timeout = "") {
    json e = {{"name", name},
              {"library", "cni/cni-exec.so"},
              {"failurePolicy", policy},
              {"config",
               {{"binDir", dir_},
                {"name", "net-" + name},
                {"cniVersion", "1.0.0"},
                {"plugins", json::array({std::move(plugin_conf)})}}}};
    if (!timeout.empty()) e["timeout"] = timeout;
    return e;
  }
  const plugin::Chain* Load(json entries) {
    registry_ = testing::LoadCniRegistry(std::move(entries));
    if (!registry_) return nullptr;
    return registry_->chain(CAPSTAN_KIND_CNI);
  }
  // "<COMMAND> <type>" per logged invocation.
  std::vector<std::string> Calls() const {
    std::vector<std::string> out;
    for (const json& j : cni::testing::ReadFakeCniLog(log_)) {
      out.push_back(j["cmd"].get<std::string>() + " " + j["type"].get<std::string>());
    }
    return out;
  }

  std::string dir_;
  std::string log_;
  std::unique_ptr<plugin::Registry> registry_;
  CniAttachment attachment_;
};

const json kIpResult = {
    {"interfaces", json::array({{{"name", "eth0"}, {"sandbox", "/var/run/netns/x"}}})},
    {"ips",
     json::array({{{"address", "10.99.7.4/24"}, {"gateway", "10.99.7.1"}, {"interface", 0}}})}};

TEST_F(CniChainTest, AddThreadsPrevResultThroughTheChainEntries) {
  CniChain chain(Load({Entry("a", {{"type", "fake-a"}, {"result", kIpResult}}),
                       Entry("b", {{"type", "fake-b"}, {"addDns", "10.96.0.10"}})}));
  ASSERT_TRUE(chain.configured());
  Result<CniResult> r = chain.Add(attachment_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cni_version, "1.1.0");
  EXPECT_EQ(r->PrimaryIp(), "10.99.7.4");
  EXPECT_EQ(r->dns.nameservers, std::vector<std::string>{"10.96.0.10"});
  std::vector<json> log = cni::testing::ReadFakeCniLog(log_);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1]["conf"]["prevResult"]["ips"][0]["address"], "10.99.7.4/24");
  EXPECT_EQ(log[0]["env"]["CNI_ARGS"],
            "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID="
            "sandbox-1;"
            "K8S_POD_UID=uid-1");
  EXPECT_EQ(log[0]["env"]["CNI_CONTAINERID"], "sandbox-1");
}

TEST_F(CniChainTest, DelRunsInReverseWithPrevResultAndContinuesPastErrors) {
  CniChain chain(Load(
      {Entry("a", {{"type", "fake-a"},
                   {"failOn", {{"DEL", {{"code", 3}, {"msg", "gone"}, {"details", "no netns"}}}}}}),
       Entry("b", {{"type", "fake-b"}})}));
  Status s = chain.Del(attachment_, R"({"cniVersion":"1.1.0","ips":[{"address":"10.99.7.4/24"}]})");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("CNI DEL for sandbox-1: plugin 'cni-exec' instance 'a' on_del: "
                             "ERROR: fake-a: CNI error 3 (container unknown or does not exist): "
                             "gone: no netns"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(Calls(), (std::vector<std::string>{"DEL fake-b", "DEL fake-a"}));
  std::vector<json> log = cni::testing::ReadFakeCniLog(log_);
  EXPECT_EQ(log[0]["conf"]["prevResult"]["ips"][0]["address"], "10.99.7.4/24");
}

TEST_F(CniChainTest, AFailedAddReportsThePluginAndRunsDelOverTheWholeChain) {
  CniChain chain(Load(
      {Entry("a", {{"type", "fake-a"}, {"result", kIpResult}}),
       Entry("b", {{"type", "fake-b"}, {"failOn", {{"ADD", {{"code", 7}, {"msg", "bad conf"}}}}}}),
       Entry("c", {{"type", "fake-a"}, {"result", kIpResult}})}));
  Result<CniResult> r = chain.Add(attachment_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(
      r.status().message().find(
          "instance 'b' on_add: ERROR: fake-b: CNI error 7 (invalid network config): bad conf"),
      std::string::npos)
      << r.status().message();
  EXPECT_EQ(Calls(), (std::vector<std::string>{"ADD fake-a", "ADD fake-b", "DEL fake-a",
                                               "DEL fake-b", "DEL fake-a"}));
}

TEST_F(CniChainTest, AnIgnoredPluginIsPassedOverOnAdd) {
  CniChain chain(
      Load({Entry("a", {{"type", "fake-a"}, {"result", kIpResult}}),
            Entry("b", {{"type", "fake-b"}, {"failOn", {{"ADD", {{"code", 100}, {"msg", "meh"}}}}}},
                  "Ignore")}));
  Result<CniResult> r = chain.Add(attachment_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->PrimaryIp(), "10.99.7.4");
}

TEST_F(CniChainTest, TheEntryTimeoutKillsAHangingPlugin) {
  CniChain chain(Load({Entry("a", {{"type", "fake-a"}, {"hangOn", "ADD"}}, "Fail", "1s")}));
  Result<CniResult> r = chain.Add(attachment_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout) << r.status().ToString();
  EXPECT_NE(r.status().message().find("killed at the call's deadline"), std::string::npos);
}

TEST_F(CniChainTest, StatusAndGcReachPluginsThatSpeakCni110) {
  CniChain chain(Load({Entry("a", {{"type", "fake-new"}})}));
  EXPECT_TRUE(chain.NetworkStatus().ok());
  EXPECT_TRUE(chain.Gc({{"sandbox-1", "eth0"}}).ok());
  std::vector<json> log = cni::testing::ReadFakeCniLog(log_);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["cmd"], "STATUS");
  EXPECT_EQ(log[1]["cmd"], "GC");
  EXPECT_EQ(log[1]["conf"]["cni.dev/valid-attachments"],
            json::parse(R"([{"containerID":"sandbox-1","ifname":"eth0"}])"));
}

TEST_F(CniChainTest, WithoutPluginsAddIsUnavailableAndDelSucceeds) {
  CniChain chain(nullptr);
  EXPECT_FALSE(chain.configured());
  EXPECT_EQ(chain.Add(attachment_).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(chain.Del(attachment_).ok());
  EXPECT_EQ(chain.NetworkStatus().code(), StatusCode::kUnavailable);
}

TEST(CniNetConfTest, InjectsVersionNameTypePrevResultAndRuntimeConfig) {
  plugin::ChainEntry entry;
  entry.config.config = {{"mtu", 1400}, {"name", "theirs"}, {"prevResult", "stale"}};
  CniChainOptions options;
  options.network_name = "podnet";
  json conf = BuildCniNetConf(entry, options, json{{"ips", json::array()}},
                              json{{"portMappings", json::array()}});
  EXPECT_EQ(conf, json::parse(R"({"mtu":1400,"name":"podnet","cniVersion":"1.1.0",
      "prevResult":{"ips":[]},"runtimeConfig":{"portMappings":[]}})"));
  EXPECT_FALSE(BuildCniNetConf(entry, options, nullptr, nullptr).contains("prevResult"));
}

}  // namespace
}  // namespace capstan::network
