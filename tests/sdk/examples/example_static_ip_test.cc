// Tests for sdk/examples/example-static-ip (cni): the CNI 1.1.0 result, one holder at a time,
// idempotent ADD and DEL, CHECK, STATUS and GC.
#include <gtest/gtest.h>

#include "capstan/sdk/json.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"
#include "sdk/examples/example-static-ip/static_ip_cni.h"
#include "tests/sdk/examples/schema_check.h"

namespace capstan::examples {
namespace {

using sdk::json::Json;
using sdk::testing::CniRequestBuilder;
using sdk::testing::FakeHost;
using sdk::testing::Outcome;
using sdk::testing::TestPlugin;

constexpr char kConfig[] = R"({"address":"10.22.0.5/24","gateway":"10.22.0.1",
  "routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.22.0.10"]}})";

class ExampleStaticIpTest : public ::testing::Test {
 protected:
  FakeHost host_;
  TestPlugin<StaticIpCni> plugin_{host_, kConfig};
  CniRequestBuilder req_;
};

TEST_F(ExampleStaticIpTest, ConfigsAreCheckedAgainstTheSchemaAndInit) {
  EXPECT_EQ(testing::SchemaErrors(kStaticIpCniSchema, kConfig), "");
  EXPECT_NE(testing::SchemaErrors(kStaticIpCniSchema, "{}"), "");
  ASSERT_TRUE(plugin_.init().ok()) << plugin_.init().error;
  for (const char* bad :
       {R"({"address":"10.22.0.5"})", R"({"address":"10.22.0.300/24"})",
        R"({"address":"10.0.0.1/33"})", R"({"address":"10.0.0.1/8","gateway":"nope"})"}) {
    FakeHost host;
    TestPlugin<StaticIpCni> p(host, bad);
    EXPECT_EQ(p.init().rc, CAPSTAN_RC_INVALID) << bad;
  }
  FakeHost v6;
  EXPECT_TRUE(TestPlugin<StaticIpCni>(v6, R"({"address":"fd00::5/64"})").init().ok());
}

TEST_F(ExampleStaticIpTest, AddReturnsACni110Result) {
  Outcome o = plugin_.CniAdd(req_.ContainerId("c1").Netns("/var/run/netns/p1").get());
  ASSERT_TRUE(o.ok()) << o.error;
  EXPECT_EQ(*sdk::json::Parse(o.output), Json::parse(R"({
    "cniVersion":"1.1.0",
    "interfaces":[{"name":"eth0","sandbox":"/var/run/netns/p1"}],
    "ips":[{"address":"10.22.0.5/24","gateway":"10.22.0.1","interface":0}],
    "routes":[{"dst":"0.0.0.0/0"}],
    "dns":{"nameservers":["10.22.0.10"]}})"));
}

TEST_F(ExampleStaticIpTest, TheAddressHasOneHolderAndAddIsIdempotent) {
  ASSERT_TRUE(plugin_.CniAdd(req_.ContainerId("c1").get()).ok());
  EXPECT_TRUE(plugin_.CniAdd(req_.get()).ok());
  Outcome o = plugin_.CniAdd(req_.ContainerId("c2").get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(o.error, "address 10.22.0.5/24 is in use by container c1");
  EXPECT_TRUE(plugin_.Cni(&capstan_cni_v1::on_del, req_.ContainerId("c1").get()).ok());
  EXPECT_TRUE(plugin_.Cni(&capstan_cni_v1::on_del, req_.get()).ok());  // DEL may repeat
  EXPECT_TRUE(plugin_.CniAdd(req_.ContainerId("c2").get()).ok());
}

TEST_F(ExampleStaticIpTest, CheckVerifiesTheAttachment) {
  EXPECT_EQ(plugin_.Cni(&capstan_cni_v1::on_check, req_.ContainerId("c1").get()).rc,
            CAPSTAN_RC_ERROR);
  ASSERT_TRUE(plugin_.CniAdd(req_.get()).ok());
  EXPECT_TRUE(plugin_.Cni(&capstan_cni_v1::on_check, req_.get()).ok());
  Outcome o = plugin_.Cni(&capstan_cni_v1::on_check, req_.Ifname("net1").get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(o.error, "address is on eth0, not net1");
  EXPECT_TRUE(plugin_.Cni(&capstan_cni_v1::on_status, req_.get()).ok());
}

TEST_F(ExampleStaticIpTest, GcReleasesAttachmentsThatAreNotValid) {
  ASSERT_TRUE(plugin_.CniAdd(req_.ContainerId("c1").get()).ok());
  req_.Config(R"({"cniVersion":"1.1.0","name":"n","cni.dev/valid-attachments":
                  [{"containerID":"c1","ifname":"eth0"}]})");
  ASSERT_TRUE(plugin_.Cni(&capstan_cni_v1::on_gc, req_.get()).ok());
  EXPECT_TRUE(plugin_.Cni(&capstan_cni_v1::on_check, req_.get()).ok());  // kept
  req_.Config(R"({"cniVersion":"1.1.0","name":"n","cni.dev/valid-attachments":[]})");
  ASSERT_TRUE(plugin_.Cni(&capstan_cni_v1::on_gc, req_.get()).ok());
  EXPECT_EQ(plugin_.Cni(&capstan_cni_v1::on_check, req_.get()).rc, CAPSTAN_RC_ERROR);
}

TEST_F(ExampleStaticIpTest, AnUnsupportedCniVersionIsInvalid) {
  Outcome o = plugin_.CniAdd(req_.Config(R"({"cniVersion":"0.3.1","name":"n"})").get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_INVALID);
  o = plugin_.CniAdd(req_.Config(R"({"cniVersion":"1.0.0","name":"n"})").get());
  ASSERT_TRUE(o.ok());
  EXPECT_EQ((*sdk::json::Parse(o.output))["cniVersion"], "1.0.0");
}

}  // namespace
}  // namespace capstan::examples
