// Tests for cni-exec (cni_exec.h) over stand-in binaries (tests/core/network/fake_cni.h): the
// CNI_* environment, prevResult chaining, reverse DEL past failures, CNI error documents,
// deadlines, version negotiation, CHECK, STATUS and GC. Real binaries: tests/core/network/.
#include "cni_exec.h"

#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"
#include "tests/core/network/fake_cni.h"

namespace capstan::cni {
namespace {

using sdk::testing::CniRequestBuilder;
using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;

const std::vector<std::string> kDebian = {"0.3.1", "0.4.0", "1.0.0"};
const std::vector<std::string> kModern = {"0.4.0", "1.0.0", "1.1.0"};

class CniExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/cni_exec_test_" + std::to_string(getpid());
    std::filesystem::create_directories(dir_);
    log_ = dir_ + "/log.jsonl";
    testing::WriteFakeCni(dir_, "fake-a", kDebian, log_);
    testing::WriteFakeCni(dir_, "fake-b", kDebian, log_);
    testing::WriteFakeCni(dir_, "fake-new", kModern, log_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // An instance over `plugins` (a JSON list) in network "testnet".
  std::unique_ptr<TestPlugin<CniExec>> Make(const std::string& plugins,
                                            const std::string& extra = "") {
    std::string config = R"({"binDir":[")" + dir_ + R"(", "/nonexistent"],"name":"testnet",)" +
                         R"("cniVersion":"1.1.0",)" + extra + R"("plugins":)" + plugins + "}";
    auto p = std::make_unique<TestPlugin<CniExec>>(host_, config);
    EXPECT_TRUE(p->init().ok()) << p->init().error;
    return p;
  }
  std::vector<sdk::json::Json> Log() const { return testing::ReadFakeCniLog(log_); }

  std::string dir_;
  std::string log_;
  FakeHost host_;
  CniRequestBuilder req_;
};

constexpr char kTwo[] = R"([
  {"type":"fake-a","result":{"interfaces":[{"name":"eth0","sandbox":"/var/run/netns/t"}],
                             "ips":[{"address":"10.9.0.5/24","gateway":"10.9.0.1","interface":0}]}},
  {"type":"fake-b","addDns":"10.9.0.10"}])";

TEST_F(CniExecTest, AddChainsPrevResultAcrossTheListAndSetsTheCniEnvironment) {
  auto p = Make(kTwo);
  Outcome o = p->CniAdd(req_.ContainerId("c1").Netns("/var/run/netns/t").get());
  ASSERT_TRUE(o.ok()) << o.error;
  sdk::json::Json result = *sdk::json::Parse(o.output);
  EXPECT_EQ(result["cniVersion"], "1.1.0");  // the request's version, not the binaries'
  EXPECT_EQ(result["ips"][0]["address"], "10.9.0.5/24");
  EXPECT_EQ(result["dns"]["nameservers"][0], "10.9.0.10");

  std::vector<sdk::json::Json> log = Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["type"], "fake-a");
  EXPECT_FALSE(log[0]["conf"].contains("prevResult"));
  EXPECT_EQ(log[0]["conf"]["name"], "testnet");
  EXPECT_EQ(log[0]["conf"]["cniVersion"], "1.0.0");  // negotiated down for the binaries
  EXPECT_EQ(log[1]["conf"]["prevResult"]["ips"][0]["address"], "10.9.0.5/24");
  const sdk::json::Json& env = log[0]["env"];
  EXPECT_EQ(env["CNI_COMMAND"], "ADD");
  EXPECT_EQ(env["CNI_CONTAINERID"], "c1");
  EXPECT_EQ(env["CNI_NETNS"], "/var/run/netns/t");
  EXPECT_EQ(env["CNI_IFNAME"], "eth0");
  EXPECT_EQ(env["CNI_ARGS"], "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web");
  EXPECT_EQ(env["CNI_PATH"], dir_ + ":/nonexistent");
}

TEST_F(CniExecTest, TheHostsPrevResultReachesTheFirstBinary) {
  auto p = Make(R"([{"type":"fake-b","addDns":"1.1.1.1"}])");
  Outcome o = p->CniAdd(req_.Config(R"({"cniVersion":"1.1.0","name":"x","type":"cni-exec",
      "prevResult":{"cniVersion":"1.1.0","ips":[{"address":"10.8.0.2/16"}]}})")
                            .get());
  ASSERT_TRUE(o.ok()) << o.error;
  sdk::json::Json result = *sdk::json::Parse(o.output);
  EXPECT_EQ(result["ips"][0]["address"], "10.8.0.2/16");
  EXPECT_EQ(result["dns"]["nameservers"][0], "1.1.1.1");
}

TEST_F(CniExecTest, DelRunsInReverseWithPrevResultAndContinuesPastFailures) {
  auto p = Make(R"([{"type":"fake-a"},
      {"type":"fake-b","failOn":{"DEL":{"code":5,"msg":"disk gone","details":"EIO"}}}])");
  Outcome o = p->Cni(&capstan_cni_v1::on_del, req_.Config(R"({"cniVersion":"1.1.0",
      "prevResult":{"ips":[{"address":"10.9.0.5/24"}]}})")
                                                  .get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(o.error, "fake-b: CNI error 5 (I/O failure): disk gone: EIO");
  std::vector<sdk::json::Json> log = Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["type"], "fake-b");
  EXPECT_EQ(log[1]["type"], "fake-a");
  EXPECT_EQ(log[1]["env"]["CNI_COMMAND"], "DEL");
  EXPECT_EQ(log[1]["conf"]["prevResult"]["ips"][0]["address"], "10.9.0.5/24");
}

TEST_F(CniExecTest, AddStopsAtTheFirstFailureWithItsCodeAndMessage) {
  auto p = Make(R"([{"type":"fake-a","failOn":{"ADD":{"code":7,"msg":"no subnet"}}},
      {"type":"fake-b"}])");
  Outcome o = p->CniAdd(req_.get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(o.error, "fake-a: CNI error 7 (invalid network config): no subnet");
  EXPECT_EQ(Log().size(), 1u);
  auto retry = Make(R"([{"type":"fake-a","failOn":{"ADD":{"code":11,"msg":"busy"}}}])");
  EXPECT_EQ(retry->CniAdd(req_.get()).rc, CAPSTAN_RC_RETRY_LATER);
}

TEST_F(CniExecTest, ABinaryFailingWithoutAnErrorDocumentReportsItsExitAndStderr) {
  auto p = Make(R"([{"type":"fake-a","garbageOn":"ADD"}])");
  Outcome o = p->CniAdd(req_.get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(o.error, "fake-a: ADD exited with status 2: panic: something broke");
}

TEST_F(CniExecTest, AMissingBinaryFailsAddAndMakesStatusUnavailable) {
  auto p = Make(R"([{"type":"fake-a"},{"type":"not-installed"}])");
  Outcome o = p->CniAdd(req_.get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_NE(o.error.find("failed to find plugin \"not-installed\""), std::string::npos) << o.error;
  EXPECT_EQ(p->Cni(&capstan_cni_v1::on_status, req_.get()).rc, CAPSTAN_RC_UNAVAILABLE);
}

TEST_F(CniExecTest, AHangingBinaryIsKilledAtTheCallsDeadline) {
  auto p = Make(R"([{"type":"fake-a","hangOn":"ADD"}])");
  char error[1024] = {};
  capstan_call call{};
  call.struct_size = sizeof(call);
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  call.deadline_mono_ns = ts.tv_sec * 1000000000LL + ts.tv_nsec + 1500000000LL;
  call.error_buf = error;
  call.error_cap = sizeof(error);
  capstan_plugin_buf out{};
  const auto* v = p->Vtable<capstan_cni_v1>(CAPSTAN_KIND_CNI);
  EXPECT_EQ(v->on_add(p->state(), &call, req_.get(), &out), CAPSTAN_RC_DEADLINE_EXCEEDED);
  EXPECT_STREQ(error, "fake-a: ADD killed at the call's deadline");
}

TEST_F(CniExecTest, CheckNeedsPrevResultAndHonoursDisableCheck) {
  auto p = Make(R"([{"type":"fake-a"}])");
  EXPECT_EQ(p->Cni(&capstan_cni_v1::on_check, req_.get()).rc, CAPSTAN_RC_INVALID);
  Outcome o = p->Cni(&capstan_cni_v1::on_check,
                     req_.Config(R"({"prevResult":{"ips":[{"address":"10.9.0.5/24"}]}})").get());
  ASSERT_TRUE(o.ok()) << o.error;
  ASSERT_EQ(Log().size(), 1u);
  EXPECT_EQ(Log()[0]["env"]["CNI_COMMAND"], "CHECK");
  auto off = Make(R"([{"type":"fake-a"}])", R"("disableCheck":true,)");
  EXPECT_TRUE(off->Cni(&capstan_cni_v1::on_check, req_.get()).ok());
  EXPECT_EQ(Log().size(), 1u);
}

TEST_F(CniExecTest, GcAndStatusGoOnlyToBinariesSpeakingCni110) {
  auto p = Make(R"([{"type":"fake-a"},{"type":"fake-new"}])");
  Outcome o = p->Cni(&capstan_cni_v1::on_gc, req_.Config(R"({"cniVersion":"1.1.0",
      "cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}]})")
                                                 .get());
  ASSERT_TRUE(o.ok()) << o.error;
  ASSERT_TRUE(p->Cni(&capstan_cni_v1::on_status, req_.get()).ok());
  std::vector<sdk::json::Json> log = Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0]["type"], "fake-new");
  EXPECT_EQ(log[0]["env"]["CNI_COMMAND"], "GC");
  EXPECT_EQ(log[0]["conf"]["cniVersion"], "1.1.0");
  EXPECT_EQ(log[0]["conf"]["cni.dev/valid-attachments"][0]["containerID"], "c1");
  EXPECT_FALSE(log[0]["env"].contains("CNI_CONTAINERID"));
  EXPECT_EQ(log[1]["env"]["CNI_COMMAND"], "STATUS");
}

}  // namespace
}  // namespace capstan::cni
