/* ABI conformance test, in C11 to prove the boundary is C: dlopen()s plugin .so files the way
 * the host does (RTLD_NOW | RTLD_LOCAL), checks the descriptor's invariants, runs on_init with a
 * malformed and a valid config, the health probe, functional checks per kind for the SDK
 * examples (example_checks.c), a second instance when multi-instance, and on_destroy.
 * Usage: sdk_conformance_test [--examples] [--config JSON] PLUGIN.so...
 *   --examples  every plugin must be one of the SDK examples (so no check is skipped)
 *   --config    config for plugins that are not examples (default "{}") */
#define _POSIX_C_SOURCE 200809L

#include "conformance.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c_host.h"
#include "capstan/abi/abi.h"
#include "json_check.h"

static int g_failures = 0;
static int g_passes = 0;

void Fail(const char* who, const char* file, int line, const char* what) {
  ++g_failures;
  fprintf(stderr, "FAIL [%s] %s:%d: %s\n", who, file, line, what);
}
void Pass(void) { ++g_passes; }

const void* FindVtable(const capstan_plugin_descriptor* d, uint32_t kind) {
  for (uint32_t i = 0; i < d->kind_count; ++i) {
    if (d->kinds[i].kind == kind) return d->kinds[i].vtable;
  }
  return NULL;
}

/* The smallest vtable that holds a kind's required entries, and whether they are set. */
#define END_OF(type, field) (offsetof(type, field) + sizeof(((type*)0)->field))
typedef struct KindRule {
  uint32_t kind;
  uint16_t major;
  uint16_t minor;
  size_t min_size;
} KindRule;
static const KindRule kKindRules[] = {
    {CAPSTAN_KIND_AUTHN, CAPSTAN_AUTHN_IFACE_MAJOR, CAPSTAN_AUTHN_IFACE_MINOR,
     END_OF(capstan_authn_v1, on_authenticate)},
    {CAPSTAN_KIND_AUTHZ, CAPSTAN_AUTHZ_IFACE_MAJOR, CAPSTAN_AUTHZ_IFACE_MINOR,
     END_OF(capstan_authz_v1, on_authorize)},
    {CAPSTAN_KIND_ADMISSION, CAPSTAN_ADMISSION_IFACE_MAJOR, CAPSTAN_ADMISSION_IFACE_MINOR, 8},
    {CAPSTAN_KIND_SCHED, CAPSTAN_SCHED_IFACE_MAJOR, CAPSTAN_SCHED_IFACE_MINOR, 8},
    {CAPSTAN_KIND_CONTROLLER, CAPSTAN_CONTROLLER_IFACE_MAJOR, CAPSTAN_CONTROLLER_IFACE_MINOR,
     END_OF(capstan_controller_v1, on_reconcile)},
    {CAPSTAN_KIND_CNI, CAPSTAN_CNI_IFACE_MAJOR, CAPSTAN_CNI_IFACE_MINOR,
     END_OF(capstan_cni_v1, on_del)},
    {CAPSTAN_KIND_CSI, CAPSTAN_CSI_IFACE_MAJOR, CAPSTAN_CSI_IFACE_MINOR, 8},
    {CAPSTAN_KIND_RUNTIME, CAPSTAN_RUNTIME_IFACE_MAJOR, CAPSTAN_RUNTIME_IFACE_MINOR,
     END_OF(capstan_runtime_v1, on_container_status)},
};

static int RequiredEntriesSet(uint32_t kind, const void* vt) {
  switch (kind) {
    case CAPSTAN_KIND_AUTHN:
      return ((const capstan_authn_v1*)vt)->on_authenticate != NULL;
    case CAPSTAN_KIND_AUTHZ:
      return ((const capstan_authz_v1*)vt)->on_authorize != NULL;
    case CAPSTAN_KIND_CONTROLLER: {
      const capstan_controller_v1* c = (const capstan_controller_v1*)vt;
      return c->on_describe != NULL && c->on_reconcile != NULL;
    }
    case CAPSTAN_KIND_CNI: {
      const capstan_cni_v1* c = (const capstan_cni_v1*)vt;
      return c->on_add != NULL && c->on_del != NULL;
    }
    case CAPSTAN_KIND_RUNTIME: {
      const capstan_runtime_v1* r = (const capstan_runtime_v1*)vt;
      return r->on_run_pod_sandbox && r->on_stop_pod_sandbox && r->on_remove_pod_sandbox &&
             r->on_pod_sandbox_status && r->on_create_container && r->on_start_container &&
             r->on_stop_container && r->on_remove_container && r->on_container_status;
    }
    default:
      return 1; /* every entry optional */
  }
}

static int NameIsValid(const char* s) {
  if (s == NULL || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) return 0;
  for (; *s; ++s) {
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("._-", *s))) return 0;
  }
  return 1;
}

/* MAJOR.MINOR.PATCH with an optional -prerelease/+build tail. */
static int VersionIsSemver(const char* s) {
  if (s == NULL) return 0;
  for (int part = 0; part < 3; ++part) {
    if (*s < '0' || *s > '9') return 0;
    while (*s >= '0' && *s <= '9') ++s;
    if (part < 2 && *s++ != '.') return 0;
  }
  return *s == '\0' || *s == '-' || *s == '+';
}

static void CheckDescriptor(const char* who, const capstan_plugin_descriptor* d) {
  EXPECT(who, d->struct_size >= END_OF(capstan_plugin_descriptor, on_destroy));
  EXPECT(who, d->abi_major == CAPSTAN_ABI_MAJOR);
  EXPECT(who, d->abi_minor <= CAPSTAN_ABI_MINOR);
  EXPECT(who, NameIsValid(d->name));
  EXPECT(who, VersionIsSemver(d->version));
  EXPECT(who, d->description == NULL || strchr(d->description, '\n') == NULL);
  EXPECT(who, (d->capabilities & ~(CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE)) == 0);
  EXPECT(who, d->on_init != NULL && d->on_destroy != NULL);
  if (d->config_schema != NULL) {
    EXPECT(who, JsonIsObject(d->config_schema, strlen(d->config_schema)));
  }
  EXPECT(who, d->kind_count > 0 && d->kinds != NULL);
  if (d->kinds == NULL) return;
  uint32_t seen = 0;
  for (uint32_t i = 0; i < d->kind_count; ++i) {
    const capstan_kind_descriptor* k = &d->kinds[i];
    EXPECT(who, k->struct_size == sizeof(capstan_kind_descriptor));
    EXPECT(who, k->kind >= CAPSTAN_KIND_AUTHN && k->kind <= CAPSTAN_KIND_RUNTIME);
    EXPECT(who, (seen & (1u << k->kind)) == 0); /* each kind once */
    seen |= 1u << k->kind;
    EXPECT(who, k->vtable != NULL);
    for (size_t r = 0; r < sizeof(kKindRules) / sizeof(kKindRules[0]); ++r) {
      if (kKindRules[r].kind != k->kind || k->vtable == NULL) continue;
      uint32_t vt_size = *(const uint32_t*)k->vtable; /* every vtable begins with struct_size */
      EXPECT(who, k->iface_major == kKindRules[r].major);
      EXPECT(who, k->iface_minor <= kKindRules[r].minor);
      EXPECT(who, vt_size >= kKindRules[r].min_size);
      EXPECT(who, RequiredEntriesSet(k->kind, k->vtable));
    }
  }
}

/* on_init must return on bad input (convention 10); a refusal explains itself. */
static void CheckMalformedConfig(const char* who, const capstan_plugin_descriptor* d) {
  CHost host;
  CCall call;
  CHostInit(&host);
  capstan_plugin_state* state = NULL;
  capstan_rc rc =
      d->on_init(&host.table, HostBuf("{\"unterminated\": "), CCallReset(&call), &state);
  if (rc == CAPSTAN_RC_OK) {
    d->on_destroy(state); /* a stateless plugin may return NULL state */
    return;
  }
  EXPECT(who, state == NULL);
  EXPECT(who, CCallErrorTerminated(&call));
  EXPECT(who, call.error[0] != '\0');
}

static int CreateInstance(Instance* inst, const char* config) {
  CCall call;
  CHostInit(&inst->host);
  inst->state = NULL;
  capstan_rc rc =
      inst->d->on_init(&inst->host.table, HostBuf(config), CCallReset(&call), &inst->state);
  EXPECT(inst->name, rc == CAPSTAN_RC_OK);
  if (rc != CAPSTAN_RC_OK) {
    fprintf(stderr, "  on_init(%s) -> %d: %.255s\n", config, rc, call.error);
    return 0;
  }
  return 1; /* NULL state is allowed: the ABI does not require a non-NULL instance */
}

static void CheckPlugin(const char* path, int require_example, const char* default_config) {
  const int failures_before = g_failures;
  /* A bare file name would make dlopen search the library path instead of this directory. */
  char local[4096];
  if (strchr(path, '/') == NULL) {
    snprintf(local, sizeof(local), "./%s", path);
    path = local;
  }
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  EXPECT(path, lib != NULL);
  if (lib == NULL) {
    fprintf(stderr, "  dlopen: %s\n", dlerror());
    return;
  }
  void* sym = dlsym(lib, CAPSTAN_ENTRY_SYMBOL);
  EXPECT(path, sym != NULL);
  if (sym == NULL) return;
  capstan_plugin_entry_fn entry;
  memcpy(&entry, &sym, sizeof(entry)); /* ISO C has no object-to-function pointer cast */
  const capstan_plugin_descriptor* d = entry();
  EXPECT(path, d != NULL);
  if (d == NULL) return;
  EXPECT(path, entry() == d); /* the same static descriptor on every call */
  const char* who = d->name != NULL ? d->name : path;
  CheckDescriptor(who, d);

  const ExampleSpec* spec = FindExample(d->name);
  if (require_example) EXPECT(who, spec != NULL);
  if (spec != NULL) EXPECT(who, FindVtable(d, spec->kind) != NULL);
  CheckMalformedConfig(who, d);

  Instance inst;
  memset(&inst, 0, sizeof(inst));
  inst.name = who;
  inst.d = d;
  if (!CreateInstance(&inst, spec != NULL ? spec->config() : default_config)) return;
  if (d->on_health != NULL) {
    CCall call;
    EXPECT(who, d->on_health(inst.state, CCallReset(&call)) == CAPSTAN_RC_OK);
  }
  if (spec != NULL) spec->check(&inst);
  if (d->capabilities & CAPSTAN_CAP_MULTI_INSTANCE) {
    Instance second;
    memset(&second, 0, sizeof(second));
    second.name = who;
    second.d = d;
    if (CreateInstance(&second, spec != NULL ? spec->config() : default_config)) {
      EXPECT(who, second.state == NULL || second.state != inst.state);
      d->on_destroy(second.state);
    }
  }
  d->on_destroy(inst.state);
  if (spec != NULL && spec->cleanup != NULL) spec->cleanup();
  /* Libraries are never unloaded (DESIGN.md §4.8), so no dlclose. */
  if (g_failures == failures_before) {
    printf("ok   %s %s (%s, %u kind(s))\n", who, d->version != NULL ? d->version : "?", path,
           d->kind_count);
  }
}

int main(int argc, char** argv) {
  int require_example = 0;
  const char* config = "{}";
  int plugins = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--examples") == 0) {
      require_example = 1;
    } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config = argv[++i];
    } else {
      int before = g_failures;
      CheckPlugin(argv[i], require_example, config);
      if (g_failures != before) printf("FAIL %s\n", argv[i]);
      ++plugins;
    }
  }
  if (plugins == 0) {
    fprintf(stderr, "usage: %s [--examples] [--config JSON] PLUGIN.so...\n", argv[0]);
    return 2;
  }
  printf("conformance: %d plugin(s), %d checks passed, %d failed\n", plugins, g_passes, g_failures);
  return g_failures == 0 ? 0 : 1;
}
