/* Functional checks, one per SDK example plugin, run by conformance_test.c through the C ABI
 * only: real inputs in, outputs checked (valid JSON, expected fields, codes, error text). Also
 * the small buffer helpers declared in conformance.h. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "c_host.h"
#include "capstan/abi/abi.h"
#include "conformance.h"
#include "json_check.h"

/* ---- Buffer helpers ---------------------------------------------------------------------- */

capstan_host_str HostStr(const char* s) {
  capstan_host_str r = {s, s != NULL ? strlen(s) : 0};
  return r;
}
capstan_host_buf HostBuf(const char* s) {
  capstan_host_buf r = {(const uint8_t*)s, s != NULL ? strlen(s) : 0};
  return r;
}

int OutContains(capstan_plugin_buf out, const char* needle) {
  size_t n = strlen(needle);
  if (out.data == NULL || out.len < n) return 0;
  for (size_t i = 0; i + n <= out.len; ++i) {
    if (memcmp(out.data + i, needle, n) == 0) return 1;
  }
  return 0;
}

int OutIsJson(capstan_plugin_buf out) {
  return out.data != NULL && JsonIsValid((const char*)out.data, out.len);
}

int OutStringField(capstan_plugin_buf out, const char* key, char* dst, size_t cap) {
  char pattern[64];
  snprintf(pattern, sizeof(pattern), "\"%s\":\"", key);
  size_t n = strlen(pattern);
  for (size_t i = 0; out.data != NULL && i + n <= out.len; ++i) {
    if (memcmp(out.data + i, pattern, n) != 0) continue;
    size_t j = i + n, k = 0;
    while (j < out.len && out.data[j] != '"' && k + 1 < cap) dst[k++] = (char)out.data[j++];
    dst[k] = '\0';
    return j < out.len && out.data[j] == '"';
  }
  return 0;
}

/* ---- authn: example-token ---------------------------------------------------------------- */

static const char* TokenConfig(void) {
  return "{\"tokens\":[{\"token\":\"conformance-token\",\"username\":\"alice\","
         "\"groups\":[\"dev\"]}]}";
}

static void TokenCheck(Instance* inst) {
  const capstan_authn_v1* vt = FindVtable(inst->d, CAPSTAN_KIND_AUTHN);
  capstan_authn_request req;
  memset(&req, 0, sizeof(req));
  req.struct_size = sizeof(req);
  req.bearer_token = HostStr("conformance-token");
  req.remote_addr = HostStr("127.0.0.1:5000");
  CCall call;
  capstan_plugin_buf out = {NULL, 0};
  EXPECT(inst->name,
         vt->on_authenticate(inst->state, CCallReset(&call), &req, &out) == CAPSTAN_RC_OK);
  EXPECT(inst->name, OutIsJson(out));
  EXPECT(inst->name, OutContains(out, "\"username\":\"alice\""));
  EXPECT(inst->name, OutContains(out, "\"dev\""));
  req.bearer_token = HostStr(NULL);
  EXPECT(inst->name,
         vt->on_authenticate(inst->state, CCallReset(&call), &req, &out) == CAPSTAN_RC_SKIP);
  EXPECT(inst->name, inst->host.metrics_defined > 0 && inst->host.metric_records == 1);
}

/* ---- authz: example-groups --------------------------------------------------------------- */

static const char* GroupsConfig(void) { return "{\"allowedGroups\":[\"dev\"]}"; }

static void GroupsCheck(Instance* inst) {
  const capstan_authz_v1* vt = FindVtable(inst->d, CAPSTAN_KIND_AUTHZ);
  capstan_host_str groups[] = {HostStr("system:authenticated"), HostStr("dev")};
  capstan_authz_attributes a;
  memset(&a, 0, sizeof(a));
  a.struct_size = sizeof(a);
  a.is_resource_request = 1;
  a.user = HostStr("alice");
  a.groups = groups;
  a.group_count = 2;
  a.verb = HostStr("delete");
  a.resource = HostStr("pods");
  CCall call;
  capstan_plugin_buf reason = {NULL, 0};
  EXPECT(inst->name,
         vt->on_authorize(inst->state, CCallReset(&call), &a, &reason) == CAPSTAN_RC_OK);
  EXPECT(inst->name, OutContains(reason, "dev"));
  a.group_count = 1;
  EXPECT(inst->name,
         vt->on_authorize(inst->state, CCallReset(&call), &a, &reason) == CAPSTAN_RC_SKIP);
}

/* ---- admission: example-labels ----------------------------------------------------------- */

static const char* LabelsConfig(void) {
  return "{\"defaultLabels\":{\"owner\":\"unknown\"},\"requiredLabels\":[\"app\"]}";
}

static void LabelsCheck(Instance* inst) {
  const capstan_admission_v1* vt = FindVtable(inst->d, CAPSTAN_KIND_ADMISSION);
  EXPECT(inst->name, vt->on_mutate != NULL && vt->on_validate != NULL);
  if (vt->on_mutate == NULL || vt->on_validate == NULL) return;
  capstan_admission_request r;
  memset(&r, 0, sizeof(r));
  r.struct_size = sizeof(r);
  r.operation = CAPSTAN_ADMISSION_CREATE;
  r.version = HostStr("v1");
  r.kind = HostStr("Pod");
  r.resource = HostStr("pods");
  r.namespace_name = HostStr("default");
  r.name = HostStr("web");
  r.object_json = HostBuf("{\"metadata\":{\"name\":\"web\"}}");
  CCall call;
  capstan_plugin_buf out = {NULL, 0};
  EXPECT(inst->name, vt->on_mutate(inst->state, CCallReset(&call), &r, &out) == CAPSTAN_RC_OK);
  EXPECT(inst->name, OutIsJson(out));
  EXPECT(inst->name, OutContains(out, "\"/metadata/labels\""));
  EXPECT(inst->name,
         vt->on_validate(inst->state, CCallReset(&call), &r, &out) == CAPSTAN_RC_DENIED);
  EXPECT(inst->name, CCallErrorTerminated(&call) && strstr(call.error, "app") != NULL);
  r.object_json = HostBuf("{\"metadata\":{\"labels\":{\"app\":\"web\"}}}");
  EXPECT(inst->name, vt->on_validate(inst->state, CCallReset(&call), &r, &out) == CAPSTAN_RC_OK);
}

/* ---- sched: example-zone ----------------------------------------------------------------- */

static const char* ZoneConfig(void) { return "{\"allowedZones\":[\"a\"],\"preferredZone\":\"a\"}"; }

static void ZoneCheck(Instance* inst) {
  const capstan_sched_v1* vt = FindVtable(inst->d, CAPSTAN_KIND_SCHED);
  EXPECT(inst->name, vt->on_filter != NULL && vt->on_score != NULL);
  EXPECT(inst->name, vt->on_queue_less == NULL && vt->on_pre_filter == NULL &&
                         vt->on_bind == NULL && vt->on_permit == NULL);
  if (vt->on_filter == NULL || vt->on_score == NULL) return;
  capstan_sched_pod_view pod;
  memset(&pod, 0, sizeof(pod));
  pod.struct_size = sizeof(pod);
  pod.namespace_name = HostStr("default");
  pod.name = HostStr("web");
  pod.requests.pods = 1;
  capstan_sched_label labels[] = {{HostStr("topology.kubernetes.io/zone"), HostStr("a")}};
  capstan_sched_node_view node;
  memset(&node, 0, sizeof(node));
  node.struct_size = sizeof(node);
  node.name = HostStr("node-a");
  node.labels = labels;
  node.label_count = 1;
  CCall call;
  capstan_sched_cycle* cycle = (capstan_sched_cycle*)(void*)&call; /* opaque to the plugin */
  EXPECT(inst->name,
         vt->on_filter(inst->state, CCallReset(&call), cycle, &pod, &node) == CAPSTAN_RC_OK);
  int64_t score = -1;
  EXPECT(inst->name,
         vt->on_score(inst->state, CCallReset(&call), cycle, &pod, &node, &score) == CAPSTAN_RC_OK);
  EXPECT(inst->name, score == 100);
  labels[0].value = HostStr("b");
  EXPECT(inst->name, vt->on_filter(inst->state, CCallReset(&call), cycle, &pod, &node) ==
                         CAPSTAN_RC_UNRESOLVABLE);
  EXPECT(inst->name, CCallErrorTerminated(&call) && strstr(call.error, "zone b") != NULL);
}

/* ---- controller: example-configmap-counter ----------------------------------------------- */

static const CHostObject kCounterObjects[] = {
    {"/v1/namespaces", "", "team-a", "{\"metadata\":{\"name\":\"team-a\"}}"},
    {"/v1/configmaps", "team-a", "team-a/one",
     "{\"metadata\":{\"namespace\":\"team-a\",\"name\":\"one\"}}"},
    {"/v1/configmaps", "team-a", "team-a/two",
     "{\"metadata\":{\"namespace\":\"team-a\",\"name\":\"two\"}}"},
    {"/v1/configmaps", "team-b", "team-b/three",
     "{\"metadata\":{\"namespace\":\"team-b\",\"name\":\"three\"}}"},
};

static const char* CounterConfig(void) { return "{}"; }

static void CounterCheck(Instance* inst) {
  const capstan_controller_v1* vt = FindVtable(inst->d, CAPSTAN_KIND_CONTROLLER);
  inst->host.objects = kCounterObjects;
  inst->host.object_count = sizeof(kCounterObjects) / sizeof(kCounterObjects[0]);
  CCall call;
  capstan_plugin_buf out = {NULL, 0};
  EXPECT(inst->name, vt->on_describe(inst->state, CCallReset(&call), &out) == CAPSTAN_RC_OK);
  EXPECT(inst->name, OutIsJson(out) && OutContains(out, "\"primary\":\"/v1/namespaces\""));
  uint64_t requeue = 99;
  EXPECT(inst->name, vt->on_reconcile(inst->state, CCallReset(&call), HostStr("team-a"),
                                      &requeue) == CAPSTAN_RC_OK);
  EXPECT(inst->name, requeue == 0);
  EXPECT(inst->name, inst->host.api_count == 1);
  EXPECT(inst->name, strcmp(inst->host.api_method, "PATCH") == 0);
  EXPECT(inst->name, strcmp(inst->host.api_path, "/api/v1/namespaces/team-a") == 0);
  EXPECT(inst->name, JsonIsObject(inst->host.api_body, strlen(inst->host.api_body)));
  EXPECT(inst->name, strstr(inst->host.api_body, "\"2\"") != NULL);
  EXPECT(inst->name, vt->on_map_event != NULL);
  if (vt->on_map_event == NULL) return;
  EXPECT(inst->name, vt->on_map_event(inst->state, CCallReset(&call), HostStr("/v1/configmaps"),
                                      CAPSTAN_EVENT_ADDED, HostBuf(kCounterObjects[3].json),
                                      &out) == CAPSTAN_RC_OK);
  EXPECT(inst->name, OutIsJson(out) && OutContains(out, "[\"team-b\"]"));
}

/* ---- cni: example-static-ip -------------------------------------------------------------- */

static const char* StaticIpConfig(void) { return "{\"address\":\"10.22.0.5/24\"}"; }

static void StaticIpCheck(Instance* inst) {
  const capstan_cni_v1* vt = FindVtable(inst->d, CAPSTAN_KIND_CNI);
  capstan_cni_request r;
  memset(&r, 0, sizeof(r));
  r.struct_size = sizeof(r);
  r.container_id = HostStr("c0ffee");
  r.netns = HostStr("/var/run/netns/conformance");
  r.ifname = HostStr("eth0");
  r.args = HostStr("K8S_POD_NAMESPACE=default;K8S_POD_NAME=web");
  r.config_json = HostBuf("{\"cniVersion\":\"1.1.0\",\"name\":\"net\",\"type\":\"static\"}");
  CCall call;
  capstan_plugin_buf out = {NULL, 0};
  EXPECT(inst->name, vt->on_add(inst->state, CCallReset(&call), &r, &out) == CAPSTAN_RC_OK);
  EXPECT(inst->name, OutIsJson(out));
  EXPECT(inst->name, OutContains(out, "\"cniVersion\":\"1.1.0\""));
  EXPECT(inst->name, OutContains(out, "\"address\":\"10.22.0.5/24\""));
  EXPECT(inst->name, vt->on_check != NULL && vt->on_status != NULL);
  if (vt->on_check != NULL) {
    EXPECT(inst->name, vt->on_check(inst->state, CCallReset(&call), &r) == CAPSTAN_RC_OK);
  }
  EXPECT(inst->name, vt->on_del(inst->state, CCallReset(&call), &r) == CAPSTAN_RC_OK);
  EXPECT(inst->name, vt->on_del(inst->state, CCallReset(&call), &r) == CAPSTAN_RC_OK);
  if (vt->on_check != NULL) {
    EXPECT(inst->name, vt->on_check(inst->state, CCallReset(&call), &r) == CAPSTAN_RC_ERROR);
    EXPECT(inst->name, CCallErrorTerminated(&call));
  }
  if (vt->on_status != NULL) {
    EXPECT(inst->name, vt->on_status(inst->state, CCallReset(&call), &r) == CAPSTAN_RC_OK);
  }
}

/* ---- csi: example-tmpdir ----------------------------------------------------------------- */

static char g_tmp_root[256];
static char g_tmp_config[512];

static const char* TmpDirConfig(void) {
  if (g_tmp_root[0] == '\0') {
    snprintf(g_tmp_root, sizeof(g_tmp_root), "/tmp/capstan-conformance-XXXXXX");
    if (mkdtemp(g_tmp_root) == NULL) return "{}";
  }
  snprintf(g_tmp_config, sizeof(g_tmp_config), "{\"root\":\"%s/vols\",\"nodeId\":\"n1\"}",
           g_tmp_root);
  return g_tmp_config;
}

static void TmpDirCheck(Instance* inst) {
  const capstan_csi_v1* vt = FindVtable(inst->d, CAPSTAN_KIND_CSI);
  EXPECT(inst->name, vt->on_get_plugin_info && vt->on_create_volume && vt->on_delete_volume);
  if (!vt->on_get_plugin_info || !vt->on_create_volume || !vt->on_delete_volume) return;
  CCall call;
  capstan_plugin_buf out = {NULL, 0};
  EXPECT(inst->name, vt->on_get_plugin_info(inst->state, CCallReset(&call), HostBuf("{}"), &out) ==
                         CAPSTAN_RC_OK);
  EXPECT(inst->name, OutIsJson(out) && OutContains(out, "\"name\":"));
  EXPECT(inst->name, vt->on_create_volume(inst->state, CCallReset(&call),
                                          HostBuf("{\"name\":\"pvc-c\"}"), &out) == CAPSTAN_RC_OK);
  EXPECT(inst->name, OutIsJson(out) && OutContains(out, "\"volumeId\":\"pvc-c\""));
  char dir[400];
  struct stat st;
  snprintf(dir, sizeof(dir), "%s/vols/pvc-c", g_tmp_root);
  EXPECT(inst->name, stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
  EXPECT(inst->name,
         vt->on_create_volume(inst->state, CCallReset(&call), HostBuf("{\"name\":\"../escape\"}"),
                              &out) == CAPSTAN_RC_INVALID);
  EXPECT(inst->name,
         vt->on_delete_volume(inst->state, CCallReset(&call), HostBuf("{\"volumeId\":\"pvc-c\"}"),
                              &out) == CAPSTAN_RC_OK);
  EXPECT(inst->name, stat(dir, &st) != 0);
}

static void TmpDirCleanup(void) {
  char vols[300];
  snprintf(vols, sizeof(vols), "%s/vols", g_tmp_root);
  rmdir(vols);
  rmdir(g_tmp_root);
}

/* ---- runtime: example-inmemory ----------------------------------------------------------- */

static const char* InMemoryConfig(void) { return "{}"; }

static void InMemoryCheck(Instance* inst) {
  const capstan_runtime_v1* vt = FindVtable(inst->d, CAPSTAN_KIND_RUNTIME);
  CCall call;
  capstan_plugin_buf out = {NULL, 0};
  char sandbox[64], container[64], req[256];
  EXPECT(inst->name, vt->on_run_pod_sandbox(inst->state, CCallReset(&call),
                                            HostBuf("{\"config\":{\"metadata\":{\"name\":\"web\","
                                                    "\"namespace\":\"default\",\"uid\":\"u1\"}}}"),
                                            &out) == CAPSTAN_RC_OK);
  EXPECT(inst->name, OutIsJson(out));
  EXPECT(inst->name, OutStringField(out, "podSandboxId", sandbox, sizeof(sandbox)));
  snprintf(req, sizeof(req),
           "{\"podSandboxId\":\"%s\",\"config\":{\"metadata\":{\"name\":\"main\"},"
           "\"image\":{\"image\":\"busybox\"}}}",
           sandbox);
  EXPECT(inst->name, vt->on_create_container(inst->state, CCallReset(&call), HostBuf(req), &out) ==
                         CAPSTAN_RC_OK);
  EXPECT(inst->name, OutStringField(out, "containerId", container, sizeof(container)));
  snprintf(req, sizeof(req), "{\"containerId\":\"%s\"}", container);
  EXPECT(inst->name, vt->on_start_container(inst->state, CCallReset(&call), HostBuf(req), &out) ==
                         CAPSTAN_RC_OK);
  EXPECT(inst->name, vt->on_container_status(inst->state, CCallReset(&call), HostBuf(req), &out) ==
                         CAPSTAN_RC_OK);
  EXPECT(inst->name, OutIsJson(out) && OutContains(out, "CONTAINER_RUNNING"));
  EXPECT(inst->name, vt->on_stop_container(inst->state, CCallReset(&call), HostBuf(req), &out) ==
                         CAPSTAN_RC_OK);
  EXPECT(inst->name, vt->on_remove_container(inst->state, CCallReset(&call), HostBuf(req), &out) ==
                         CAPSTAN_RC_OK);
  EXPECT(inst->name, vt->on_container_status(inst->state, CCallReset(&call), HostBuf(req), &out) ==
                         CAPSTAN_RC_NOT_FOUND);
  EXPECT(inst->name, CCallErrorTerminated(&call) && call.error[0] != '\0');
  snprintf(req, sizeof(req), "{\"podSandboxId\":\"%s\"}", sandbox);
  EXPECT(inst->name, vt->on_stop_pod_sandbox(inst->state, CCallReset(&call), HostBuf(req), &out) ==
                         CAPSTAN_RC_OK);
  EXPECT(inst->name, vt->on_remove_pod_sandbox(inst->state, CCallReset(&call), HostBuf(req),
                                               &out) == CAPSTAN_RC_OK);
  EXPECT(inst->name, vt->on_pod_sandbox_status(inst->state, CCallReset(&call), HostBuf(req),
                                               &out) == CAPSTAN_RC_NOT_FOUND);
}

/* ---- The table --------------------------------------------------------------------------- */

static const ExampleSpec kExamples[] = {
    {"example-token", CAPSTAN_KIND_AUTHN, TokenConfig, TokenCheck, NULL},
    {"example-groups", CAPSTAN_KIND_AUTHZ, GroupsConfig, GroupsCheck, NULL},
    {"example-labels", CAPSTAN_KIND_ADMISSION, LabelsConfig, LabelsCheck, NULL},
    {"example-zone", CAPSTAN_KIND_SCHED, ZoneConfig, ZoneCheck, NULL},
    {"example-configmap-counter", CAPSTAN_KIND_CONTROLLER, CounterConfig, CounterCheck, NULL},
    {"example-static-ip", CAPSTAN_KIND_CNI, StaticIpConfig, StaticIpCheck, NULL},
    {"example-tmpdir", CAPSTAN_KIND_CSI, TmpDirConfig, TmpDirCheck, TmpDirCleanup},
    {"example-inmemory", CAPSTAN_KIND_RUNTIME, InMemoryConfig, InMemoryCheck, NULL},
};

const ExampleSpec* FindExample(const char* name) {
  for (size_t i = 0; name != NULL && i < sizeof(kExamples) / sizeof(kExamples[0]); ++i) {
    if (strcmp(kExamples[i].name, name) == 0) return &kExamples[i];
  }
  return NULL;
}
