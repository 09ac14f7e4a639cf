// Tests for sdk/include/capstan/sdk/plugin.h (CAPSTAN_PLUGIN's descriptor and trampolines):
// descriptor contents, lifecycle, exceptions mapped to ERROR with text, error truncation, retry
// hints, classes implementing several kinds, and the lifetime of returned buffers.
// Compile-time signature checks are tested in internal/bridge_test.cc.
#include "capstan/sdk/plugin.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"

namespace capstan::sdk {
namespace {

using testing::AuthnRequestBuilder;
using testing::AuthzAttributesBuilder;
using testing::FakeCall;
using testing::FakeHost;
using testing::Outcome;
using testing::PluginInstance;
using testing::TestPlugin;

// Behaviour chosen by the bearer token, so one class covers every trampoline path.
class ScriptedAuthn : public AuthnPlugin {
 public:
  static inline std::atomic<int> destroyed{0};
  ~ScriptedAuthn() override { ++destroyed; }

  Status Init(const Host& host, std::string_view config_json) {
    if (config_json == R"({"fail":true})") return Status::Invalid("fail was requested");
    if (config_json == R"({"throw":true})") throw std::runtime_error("init blew up");
    config_ = std::string(config_json);
    host.Info("init");
    return Status::Ok();
  }

  Status Authenticate(Call& call, const AuthnRequest& request, std::string* user_json) override {
    (void)call;
    std::string_view token = request.bearer_token();
    if (token == "throw") throw std::runtime_error("boom");
    if (token == "throw-int") throw 42;
    if (token == "long") return Status::Denied(std::string(600, 'x') + "é");
    if (token == "retry") return Status::RetryLater("later", 1500);
    *user_json = R"({"username":")" + std::string(token) + R"("})";
    return Status::Ok();
  }
  const std::string& config() const { return config_; }

 private:
  std::string config_;
};

TEST(PluginTest, DescriptorDescribesTheClass) {
  const capstan_plugin_descriptor* d = testing::TestDescriptor<ScriptedAuthn>();
  capstan_plugin_descriptor full = internal::BuildDescriptor<ScriptedAuthn>(
      PluginInfo{"scripted", "1.2.3", "desc", R"({"type":"object"})", CAPSTAN_CAP_THREAD_SAFE});
  EXPECT_EQ(full.struct_size, sizeof(capstan_plugin_descriptor));
  EXPECT_EQ(full.abi_major, CAPSTAN_ABI_MAJOR);
  EXPECT_EQ(full.abi_minor, CAPSTAN_ABI_MINOR);
  EXPECT_STREQ(full.name, "scripted");
  EXPECT_STREQ(full.version, "1.2.3");
  EXPECT_STREQ(full.config_schema, R"({"type":"object"})");
  EXPECT_EQ(full.capabilities, CAPSTAN_CAP_THREAD_SAFE);
  ASSERT_EQ(full.kind_count, 1u);
  EXPECT_EQ(full.kinds[0].struct_size, sizeof(capstan_kind_descriptor));
  EXPECT_EQ(full.kinds[0].kind, static_cast<uint32_t>(CAPSTAN_KIND_AUTHN));
  EXPECT_EQ(full.kinds[0].iface_major, CAPSTAN_AUTHN_IFACE_MAJOR);
  auto* vt = static_cast<const capstan_authn_v1*>(full.kinds[0].vtable);
  EXPECT_EQ(vt->struct_size, sizeof(capstan_authn_v1));
  EXPECT_NE(vt->on_authenticate, nullptr);
  EXPECT_NE(full.on_init, nullptr);
  EXPECT_NE(full.on_destroy, nullptr);
  EXPECT_EQ(full.on_health, nullptr);                      // ScriptedAuthn has no Health()
  EXPECT_EQ(testing::TestDescriptor<ScriptedAuthn>(), d);  // one static descriptor
}

TEST(PluginTest, InitReceivesTheConfigAndTheHost) {
  FakeHost host;
  TestPlugin<ScriptedAuthn> p(host, R"({"a":1})");
  ASSERT_TRUE(p.init().ok()) << p.init().error;
  EXPECT_EQ(p.plugin().config(), R"({"a":1})");
  EXPECT_TRUE(host.HasLog("init"));
}

TEST(PluginTest, InitFailureReturnsItsCodeAndTextAndNoState) {
  FakeHost host;
  TestPlugin<ScriptedAuthn> failed(host, R"({"fail":true})");
  EXPECT_EQ(failed.init().rc, CAPSTAN_RC_INVALID);
  EXPECT_EQ(failed.init().error, "fail was requested");
  EXPECT_EQ(failed.state(), nullptr);

  TestPlugin<ScriptedAuthn> threw(host, R"({"throw":true})");
  EXPECT_EQ(threw.init().rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(threw.init().error, "uncaught exception: init blew up");
  EXPECT_EQ(threw.state(), nullptr);
}

TEST(PluginTest, DestroyDeletesThePluginObject) {
  FakeHost host;
  int before = ScriptedAuthn::destroyed.load();
  { TestPlugin<ScriptedAuthn> p(host); }
  EXPECT_EQ(ScriptedAuthn::destroyed.load(), before + 1);
}

TEST(PluginTest, ExceptionsBecomeErrorWithTheirText) {
  FakeHost host;
  TestPlugin<ScriptedAuthn> p(host);
  AuthnRequestBuilder req;
  Outcome o = p.Authenticate(req.BearerToken("throw").get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(o.error, "uncaught exception: boom");
  EXPECT_EQ(o.output, "");

  o = p.Authenticate(req.BearerToken("throw-int").get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_ERROR);
  EXPECT_EQ(o.error, "uncaught non-standard exception");
}

TEST(PluginTest, LongErrorTextIsTruncatedToTheBufferAtACharacterBoundary) {
  FakeHost host;
  TestPlugin<ScriptedAuthn> p(host);
  auto* vt = p.Vtable<capstan_authn_v1>(CAPSTAN_KIND_AUTHN);
  AuthnRequestBuilder req;
  req.BearerToken("long");
  for (uint32_t cap : {1u, 2u, 256u, 601u, 602u, 1024u}) {
    FakeCall call;
    call.set_error_cap(cap);
    capstan_plugin_buf out{};
    EXPECT_EQ(vt->on_authenticate(p.state(), call.get(), req.get(), &out), CAPSTAN_RC_DENIED);
    std::string text = call.error();
    EXPECT_LE(text.size(), cap - 1) << cap;
    // 600 'x' then a 2-byte "é": a cap of 602 leaves room for 601 bytes, which would split it.
    size_t expected = cap - 1 >= 602 ? 602 : std::min<size_t>(cap - 1, 600);
    EXPECT_EQ(text.size(), expected) << cap;
  }
}

TEST(PluginTest, RetryHintReachesTheCall) {
  FakeHost host;
  TestPlugin<ScriptedAuthn> p(host);
  AuthnRequestBuilder req;
  Outcome o = p.Authenticate(req.BearerToken("retry").get());
  EXPECT_EQ(o.rc, CAPSTAN_RC_RETRY_LATER);
  EXPECT_EQ(o.retry_after_ms, 1500u);
  EXPECT_EQ(o.error, "later");
}

TEST(PluginTest, AFailedCallLeavesNoStaleOutput) {
  FakeHost host;
  TestPlugin<ScriptedAuthn> p(host);
  auto* vt = p.Vtable<capstan_authn_v1>(CAPSTAN_KIND_AUTHN);
  AuthnRequestBuilder req;
  FakeCall call;
  capstan_plugin_buf out{};
  ASSERT_EQ(vt->on_authenticate(p.state(), call.get(), req.BearerToken("alice").get(), &out),
            CAPSTAN_RC_OK);
  EXPECT_NE(out.data, nullptr);
  ASSERT_EQ(vt->on_authenticate(p.state(), call.get(), req.BearerToken("throw").get(), &out),
            CAPSTAN_RC_ERROR);
  EXPECT_EQ(out.data, nullptr);
  EXPECT_EQ(out.len, 0u);
}

TEST(PluginTest, AReturnedBufferSurvivesCallsFromOtherThreadsAndInstances) {
  FakeHost host;
  TestPlugin<ScriptedAuthn> p(host);
  TestPlugin<ScriptedAuthn> other(host);
  auto* vt = p.Vtable<capstan_authn_v1>(CAPSTAN_KIND_AUTHN);
  AuthnRequestBuilder mine;
  FakeCall call;
  capstan_plugin_buf out{};
  ASSERT_EQ(vt->on_authenticate(p.state(), call.get(), mine.BearerToken("alice").get(), &out),
            CAPSTAN_RC_OK);
  const std::string expected = R"({"username":"alice"})";
  ASSERT_EQ(ToView(out), expected);

  // Same instance, another thread.
  std::thread([&] {
    AuthnRequestBuilder theirs;
    FakeCall c;
    capstan_plugin_buf o{};
    ASSERT_EQ(
        vt->on_authenticate(p.state(), c.get(), theirs.BearerToken("bob-the-builder").get(), &o),
        CAPSTAN_RC_OK);
    EXPECT_EQ(ToView(o), R"({"username":"bob-the-builder"})");
  }).join();
  EXPECT_EQ(ToView(out), expected);

  // Another instance, same thread.
  capstan_plugin_buf o2{};
  AuthnRequestBuilder third;
  ASSERT_EQ(vt->on_authenticate(other.state(), call.get(), third.BearerToken("carol").get(), &o2),
            CAPSTAN_RC_OK);
  EXPECT_EQ(ToView(out), expected);
  EXPECT_EQ(ToView(o2), R"({"username":"carol"})");
}

// One class, three kinds; admission only validates.
class MultiKind : public AuthnPlugin, public AuthzPlugin, public AdmissionPlugin {
 public:
  Status Authenticate(Call&, const AuthnRequest&, std::string* user_json) override {
    *user_json = R"({"username":"multi"})";
    return Status::Ok();
  }
  Status Authorize(Call&, const AuthzAttributes& a, std::string* reason) override {
    *reason = "verb " + std::string(a.verb());
    return a.verb() == "get" ? Status::Ok() : Status::Denied("read only");
  }
  Status Validate(Call&, const AdmissionRequest&, std::string* warnings_json) override {
    *warnings_json = R"(["careful"])";
    return Status::Ok();
  }
  Status Health(Call&) { return healthy ? Status::Ok() : Status::Unavailable("sick"); }
  bool healthy = true;
};

TEST(PluginTest, AClassMayImplementSeveralKinds) {
  const capstan_plugin_descriptor* d = testing::TestDescriptor<MultiKind>();
  ASSERT_EQ(d->kind_count, 3u);
  EXPECT_EQ(d->kinds[0].kind, static_cast<uint32_t>(CAPSTAN_KIND_AUTHN));
  EXPECT_EQ(d->kinds[1].kind, static_cast<uint32_t>(CAPSTAN_KIND_AUTHZ));
  EXPECT_EQ(d->kinds[2].kind, static_cast<uint32_t>(CAPSTAN_KIND_ADMISSION));
  auto* adm = static_cast<const capstan_admission_v1*>(d->kinds[2].vtable);
  EXPECT_EQ(adm->on_mutate, nullptr);  // not overridden: not a mutator
  EXPECT_NE(adm->on_validate, nullptr);

  FakeHost host;
  TestPlugin<MultiKind> p(host);
  AuthnRequestBuilder authn;
  AuthzAttributesBuilder authz;
  testing::AdmissionRequestBuilder adm_req;
  // Each entry has its own buffer: earlier outputs survive later calls on other entries.
  auto* an = p.Vtable<capstan_authn_v1>(CAPSTAN_KIND_AUTHN);
  FakeCall call;
  capstan_plugin_buf user{};
  ASSERT_EQ(an->on_authenticate(p.state(), call.get(), authn.get(), &user), CAPSTAN_RC_OK);
  Outcome allowed = p.Authorize(authz.Verb("get").get());
  Outcome denied = p.Authorize(authz.Verb("delete").get());
  Outcome validated = p.Validate(adm_req.get());
  EXPECT_EQ(ToView(user), R"({"username":"multi"})");
  EXPECT_TRUE(allowed.ok());
  EXPECT_EQ(allowed.output, "verb get");
  EXPECT_EQ(denied.rc, CAPSTAN_RC_DENIED);
  EXPECT_EQ(denied.output, "verb delete");  // the reason travels with a deny too
  EXPECT_EQ(denied.error, "read only");
  EXPECT_EQ(validated.output, R"(["careful"])");
  EXPECT_EQ(p.Mutate(adm_req.get()).rc, CAPSTAN_RC_UNIMPLEMENTED);
}

TEST(PluginTest, HealthIsExportedWhenTheClassDefinesIt) {
  FakeHost host;
  TestPlugin<MultiKind> p(host);
  ASSERT_NE(p.descriptor()->on_health, nullptr);
  EXPECT_TRUE(p.Health().ok());
  p.plugin().healthy = false;
  Outcome o = p.Health();
  EXPECT_EQ(o.rc, CAPSTAN_RC_UNAVAILABLE);
  EXPECT_EQ(o.error, "sick");
}

}  // namespace
}  // namespace capstan::sdk
