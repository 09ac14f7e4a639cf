// Tests for the kind headers other than sched (authn.h, authz.h, admission.h, controller.h,
// cni.h, csi.h, runtime.h): request views, helpers, and that every vtable slot reaches the
// method of the same name (the CSI and runtime tables are positional).
#include <gtest/gtest.h>

#include <string>

#include "capstan/sdk/plugin.h"
#include "capstan/sdk/testing/fake_host.h"
#include "capstan/sdk/testing/harness.h"
#include "capstan/sdk/testing/requests.h"

namespace capstan::sdk {
namespace {

using testing::FakeCall;
using testing::FakeHost;
using testing::Outcome;
using testing::TestPlugin;

TEST(AuthnTest, RequestViewFindsHeadersAndCertificates) {
  testing::AuthnRequestBuilder b;
  b.Header("x-remote-user", "alice").ClientCert("PEM", true).BearerToken("t0k3n");
  AuthnRequest r(b.get());
  EXPECT_EQ(r.Header("x-remote-user"), "alice");
  EXPECT_EQ(r.Header("x-missing"), "");
  EXPECT_EQ(r.client_cert_chain_pem(), "PEM");
  EXPECT_TRUE(r.client_cert_verified());
  EXPECT_EQ(r.bearer_token(), "t0k3n");
  EXPECT_EQ(r.remote_addr(), "127.0.0.1:40000");
}

TEST(AuthnTest, UserInfoRendersTheDocumentTheHostExpects) {
  UserInfo u;
  u.username = "system:node:\"n1\"";
  u.groups = {"system:nodes"};
  u.extra["scopes"] = {"a", "b"};
  EXPECT_EQ(u.ToJson(), R"({"username":"system:node:\"n1\"","groups":["system:nodes"],)"
                        R"("extra":{"scopes":["a","b"]}})");
  u.uid = "42";
  u.groups.clear();
  u.extra.clear();
  EXPECT_EQ(u.ToJson(), R"({"username":"system:node:\"n1\"","uid":"42","groups":[]})");
}

TEST(AuthzTest, AttributesViewReadsGroupsAndResource) {
  testing::AuthzAttributesBuilder b;
  b.User("bob").Group("dev").Group("ops").Verb("list").Resource("apps", "v1", "deployments", "x");
  AuthzAttributes a(b.get());
  EXPECT_TRUE(a.is_resource_request());
  EXPECT_EQ(a.user(), "bob");
  ASSERT_EQ(a.groups().size(), 2u);
  EXPECT_TRUE(a.groups().Contains("ops"));
  EXPECT_EQ(a.api_group(), "apps");
  EXPECT_EQ(a.resource(), "deployments");
  EXPECT_EQ(a.namespace_name(), "x");
  b.Path("/healthz");
  EXPECT_FALSE(AuthzAttributes(b.get()).is_resource_request());
  EXPECT_EQ(AuthzAttributes(b.get()).path(), "/healthz");
}

TEST(AdmissionTest, OperationsMapAndUnknownOnesAreFlagged) {
  testing::AdmissionRequestBuilder b;
  EXPECT_EQ(AdmissionRequest(b.Operation(CAPSTAN_ADMISSION_UPDATE).get()).operation(),
            AdmissionOperation::kUpdate);
  EXPECT_EQ(AdmissionRequest(b.Operation(99).get()).operation(), AdmissionOperation::kUnknown);
  EXPECT_TRUE(AdmissionRequest(b.DryRun(true).get()).dry_run());
}

TEST(AdmissionTest, JsonPointerEscapeHandlesSlashAndTilde) {
  EXPECT_EQ(JsonPointerEscape("app.kubernetes.io/name"), "app.kubernetes.io~1name");
  EXPECT_EQ(JsonPointerEscape("a~b/c"), "a~0b~1c");
  EXPECT_EQ(JsonPointerEscape("plain"), "plain");
}

TEST(CniTest, ArgFindsCniArgsValues) {
  struct Case {
    const char* args;
    const char* key;
    const char* value;
  };
  const Case cases[] = {
      {"K8S_POD_NAMESPACE=default;K8S_POD_NAME=web", "K8S_POD_NAME", "web"},
      {"K8S_POD_NAMESPACE=default;K8S_POD_NAME=web", "K8S_POD_NAMESPACE", "default"},
      {"A=1;B=2", "C", ""},
      {"IgnoreUnknown=true;X=a=b", "X", "a=b"},
      {"", "X", ""},
      {"X", "X", ""},
  };
  for (const Case& c : cases) {
    testing::CniRequestBuilder b;
    EXPECT_EQ(CniRequest(b.Args(c.args).get()).Arg(c.key), c.value) << c.args << " " << c.key;
  }
}

class MinimalController : public ControllerPlugin {
 public:
  Status Describe(Call&, std::string* json) override {
    *json = R"({"primary":"/v1/pods"})";
    return Status::Ok();
  }
  Status Reconcile(Call&, std::string_view key, uint64_t* requeue) override {
    *requeue = key == "a/b" ? 500 : 0;
    return Status::Ok();
  }
};

TEST(ControllerTest, MapEventIsNullUnlessOverriddenAndRequeueIsReturned) {
  FakeHost host;
  TestPlugin<MinimalController> p(host);
  auto* vt = p.Vtable<capstan_controller_v1>(CAPSTAN_KIND_CONTROLLER);
  EXPECT_EQ(vt->on_map_event, nullptr);
  EXPECT_EQ(p.Describe().output, R"({"primary":"/v1/pods"})");
  uint64_t requeue = 0;
  EXPECT_TRUE(p.Reconcile("a/b", &requeue).ok());
  EXPECT_EQ(requeue, 500u);
}

// Every CSI RPC answers with its own name, so a misplaced vtable slot shows up.
class EchoCsi : public CsiPlugin {
 public:
#define ECHO(M)                                                               \
  Status M(Call&, std::string_view request, std::string* response) override { \
    *response = #M + std::string(":") + std::string(request);                 \
    return Status::Ok();                                                      \
  }
  ECHO(GetPluginInfo)
  ECHO(GetPluginCapabilities)
  ECHO(Probe)
  ECHO(CreateVolume)
  ECHO(DeleteVolume)
  ECHO(ControllerPublishVolume)
  ECHO(ControllerUnpublishVolume)
  ECHO(ValidateVolumeCapabilities)
  ECHO(ControllerExpandVolume)
  ECHO(ControllerGetCapabilities)
  ECHO(NodeStageVolume)
  ECHO(NodeUnstageVolume)
  ECHO(NodePublishVolume)
  ECHO(NodeUnpublishVolume)
  ECHO(NodeExpandVolume)
  ECHO(NodeGetVolumeStats)
  ECHO(NodeGetCapabilities)
  ECHO(NodeGetInfo)
};

TEST(CsiTest, EverySlotReachesTheMethodOfTheSameName) {
  struct Slot {
    capstan_csi_rpc_fn capstan_csi_v1::*entry;
    const char* method;
  };
  const Slot slots[] = {
      {&capstan_csi_v1::on_get_plugin_info, "GetPluginInfo"},
      {&capstan_csi_v1::on_get_plugin_capabilities, "GetPluginCapabilities"},
      {&capstan_csi_v1::on_probe, "Probe"},
      {&capstan_csi_v1::on_create_volume, "CreateVolume"},
      {&capstan_csi_v1::on_delete_volume, "DeleteVolume"},
      {&capstan_csi_v1::on_controller_publish_volume, "ControllerPublishVolume"},
      {&capstan_csi_v1::on_controller_unpublish_volume, "ControllerUnpublishVolume"},
      {&capstan_csi_v1::on_validate_volume_capabilities, "ValidateVolumeCapabilities"},
      {&capstan_csi_v1::on_controller_expand_volume, "ControllerExpandVolume"},
      {&capstan_csi_v1::on_controller_get_capabilities, "ControllerGetCapabilities"},
      {&capstan_csi_v1::on_node_stage_volume, "NodeStageVolume"},
      {&capstan_csi_v1::on_node_unstage_volume, "NodeUnstageVolume"},
      {&capstan_csi_v1::on_node_publish_volume, "NodePublishVolume"},
      {&capstan_csi_v1::on_node_unpublish_volume, "NodeUnpublishVolume"},
      {&capstan_csi_v1::on_node_expand_volume, "NodeExpandVolume"},
      {&capstan_csi_v1::on_node_get_volume_stats, "NodeGetVolumeStats"},
      {&capstan_csi_v1::on_node_get_capabilities, "NodeGetCapabilities"},
      {&capstan_csi_v1::on_node_get_info, "NodeGetInfo"},
  };
  FakeHost host;
  TestPlugin<EchoCsi> p(host);
  for (const Slot& s : slots) {
    Outcome o = p.Csi(s.entry, "{}");
    EXPECT_TRUE(o.ok()) << s.method;
    EXPECT_EQ(o.output, std::string(s.method) + ":{}");
  }
}

class IdentityOnlyCsi : public CsiPlugin {
 public:
  Status GetPluginInfo(Call&, std::string_view, std::string* response) override {
    *response = R"({"name":"x"})";
    return Status::Ok();
  }
};

TEST(CsiTest, RpcsTheClassDoesNotOverrideAreNull) {
  FakeHost host;
  TestPlugin<IdentityOnlyCsi> p(host);
  auto* vt = p.Vtable<capstan_csi_v1>(CAPSTAN_KIND_CSI);
  EXPECT_NE(vt->on_get_plugin_info, nullptr);
  EXPECT_EQ(vt->on_probe, nullptr);
  EXPECT_EQ(vt->on_create_volume, nullptr);
  EXPECT_EQ(vt->on_node_get_info, nullptr);
}

class EchoRuntime : public RuntimePlugin {
 public:
  ECHO(RunPodSandbox)
  ECHO(StopPodSandbox)
  ECHO(RemovePodSandbox)
  ECHO(PodSandboxStatus)
  ECHO(CreateContainer)
  ECHO(StartContainer)
  ECHO(StopContainer)
  ECHO(RemoveContainer)
  ECHO(ContainerStatus)
  ECHO(ListPodSandbox)
  ECHO(ListContainers)
  ECHO(ExecSync)
  ECHO(ReopenContainerLog)
  ECHO(UpdateContainerResources)
  ECHO(ListContainerStats)
#undef ECHO
  Status Exec(Call&, std::string_view, const ExecStreams& streams, int32_t* exit_code) override {
    *exit_code = streams.stdout_fd + (streams.tty ? 1000 : 0) + (streams.resize_fd + 1) * 10000;
    return Status::Ok();
  }
  Status Attach(Call&, std::string_view request, const ExecStreams& streams) override {
    if (request != R"({"containerId":"c"})") return Status::Invalid("request");
    return streams.stdin_fd == 3 && streams.resize_fd == 6 && streams.tty ? Status::Ok()
                                                                          : Status::NotFound("x");
  }
};

TEST(RuntimeTest, EverySlotReachesTheMethodOfTheSameName) {
  struct Slot {
    capstan_runtime_rpc_fn capstan_runtime_v1::*entry;
    const char* method;
  };
  const Slot slots[] = {
      {&capstan_runtime_v1::on_run_pod_sandbox, "RunPodSandbox"},
      {&capstan_runtime_v1::on_stop_pod_sandbox, "StopPodSandbox"},
      {&capstan_runtime_v1::on_remove_pod_sandbox, "RemovePodSandbox"},
      {&capstan_runtime_v1::on_pod_sandbox_status, "PodSandboxStatus"},
      {&capstan_runtime_v1::on_create_container, "CreateContainer"},
      {&capstan_runtime_v1::on_start_container, "StartContainer"},
      {&capstan_runtime_v1::on_stop_container, "StopContainer"},
      {&capstan_runtime_v1::on_remove_container, "RemoveContainer"},
      {&capstan_runtime_v1::on_container_status, "ContainerStatus"},
      {&capstan_runtime_v1::on_list_pod_sandboxes, "ListPodSandbox"},
      {&capstan_runtime_v1::on_list_containers, "ListContainers"},
      {&capstan_runtime_v1::on_exec_sync, "ExecSync"},
      {&capstan_runtime_v1::on_reopen_container_log, "ReopenContainerLog"},
      {&capstan_runtime_v1::on_update_container_resources, "UpdateContainerResources"},
      {&capstan_runtime_v1::on_list_container_stats, "ListContainerStats"},
  };
  FakeHost host;
  TestPlugin<EchoRuntime> p(host);
  for (const Slot& s : slots) {
    Outcome o = p.Runtime(s.entry, "{}");
    EXPECT_TRUE(o.ok()) << s.method;
    EXPECT_EQ(o.output, std::string(s.method) + ":{}");
  }
}

TEST(RuntimeTest, ExecReceivesTheStreamsAndReturnsTheExitCode) {
  FakeHost host;
  TestPlugin<EchoRuntime> p(host);
  auto* vt = p.Vtable<capstan_runtime_v1>(CAPSTAN_KIND_RUNTIME);
  // A minor-1 host's struct ends before resize_fd: the plugin must see -1 there, not garbage.
  struct Case {
    uint32_t struct_size;
    int32_t want;
  };
  const Case cases[] = {{sizeof(capstan_runtime_streams), 71004},
                        {offsetof(capstan_runtime_streams, resize_fd), 1004}};
  for (const Case& c : cases) {
    capstan_runtime_streams streams{c.struct_size, 3, 4, 5, 1, 0, 6, 0};
    FakeCall call;
    int32_t exit_code = 0;
    std::string req = R"({"containerId":"c","cmd":["sh"]})";
    ASSERT_EQ(vt->on_exec(p.state(), call.get(), ToHostBuf(req), &streams, &exit_code),
              CAPSTAN_RC_OK);
    EXPECT_EQ(exit_code, c.want) << c.struct_size;
  }
}

TEST(RuntimeTest, AttachReceivesTheStreamsAndIsNullUnlessOverridden) {
  FakeHost host;
  TestPlugin<EchoRuntime> p(host);
  auto* vt = p.Vtable<capstan_runtime_v1>(CAPSTAN_KIND_RUNTIME);
  ASSERT_NE(vt->on_attach, nullptr);
  capstan_runtime_streams streams{sizeof(capstan_runtime_streams), 3, -1, -1, 1, 0, 6, 0};
  FakeCall call;
  std::string req = R"({"containerId":"c"})";
  EXPECT_EQ(vt->on_attach(p.state(), call.get(), ToHostBuf(req), &streams), CAPSTAN_RC_OK);
  class Plain : public RuntimePlugin {
   public:
    Status RunPodSandbox(Call&, std::string_view, std::string*) override { return Status::Ok(); }
    Status StopPodSandbox(Call&, std::string_view, std::string*) override { return Status::Ok(); }
    Status RemovePodSandbox(Call&, std::string_view, std::string*) override { return Status::Ok(); }
    Status PodSandboxStatus(Call&, std::string_view, std::string*) override { return Status::Ok(); }
    Status CreateContainer(Call&, std::string_view, std::string*) override { return Status::Ok(); }
    Status StartContainer(Call&, std::string_view, std::string*) override { return Status::Ok(); }
    Status StopContainer(Call&, std::string_view, std::string*) override { return Status::Ok(); }
    Status RemoveContainer(Call&, std::string_view, std::string*) override { return Status::Ok(); }
    Status ContainerStatus(Call&, std::string_view, std::string*) override { return Status::Ok(); }
  };
  TestPlugin<Plain> plain(host);
  EXPECT_EQ(plain.Vtable<capstan_runtime_v1>(CAPSTAN_KIND_RUNTIME)->on_attach, nullptr);
}

}  // namespace
}  // namespace capstan::sdk
