/* A minimal host written in C for the conformance test (see c_host.h). */
#include "c_host.h"

#include <stdio.h>
#include <string.h>

static CHost* Self(capstan_host_ctx* ctx) { return (CHost*)(void*)ctx; }

static void CopyStr(char* dst, size_t cap, capstan_host_str s) {
  size_t n = s.len < cap - 1 ? s.len : cap - 1;
  if (n > 0) memcpy(dst, s.data, n);
  dst[n] = '\0';
}

static int StrEquals(capstan_host_str s, const char* c) {
  size_t n = strlen(c);
  return s.len == n && (n == 0 || memcmp(s.data, c, n) == 0);
}

static void Log(capstan_host_ctx* ctx, int32_t level, capstan_host_str msg,
                capstan_host_str fields) {
  CHost* h = Self(ctx);
  (void)level;
  (void)fields;
  h->log_count++;
  CopyStr(h->last_log, sizeof(h->last_log), msg);
}

static capstan_rc MetricDefine(capstan_host_ctx* ctx, capstan_host_str name, capstan_host_str help,
                               int32_t type, uint32_t* out_id) {
  CHost* h = Self(ctx);
  (void)help;
  if (name.len == 0 || type < CAPSTAN_METRIC_COUNTER || type > CAPSTAN_METRIC_HISTOGRAM) {
    return CAPSTAN_RC_INVALID;
  }
  *out_id = (uint32_t)h->metrics_defined++;
  return CAPSTAN_RC_OK;
}

static void MetricRecord(capstan_host_ctx* ctx, uint32_t id, double value) {
  (void)id;
  (void)value;
  Self(ctx)->metric_records++;
}

static int32_t CallCancelled(capstan_host_call_handle* call) {
  (void)call;
  return 0;
}

static capstan_rc Post(capstan_host_ctx* ctx, capstan_plugin_task_fn fn, void* arg,
                       uint64_t delay_ms) {
  (void)delay_ms;
  Self(ctx)->posted++;
  fn(arg); /* inline: this host has no threads */
  return CAPSTAN_RC_OK;
}

static capstan_rc CacheGet(capstan_host_ctx* ctx, capstan_host_str resource, capstan_host_str key,
                           capstan_host_buf* out) {
  CHost* h = Self(ctx);
  for (size_t i = 0; i < h->object_count; ++i) {
    const CHostObject* o = &h->objects[i];
    if (StrEquals(resource, o->resource) && StrEquals(key, o->key)) {
      snprintf(h->out, sizeof(h->out), "%s", o->json);
      out->data = (const uint8_t*)h->out;
      out->len = strlen(h->out);
      return CAPSTAN_RC_OK;
    }
  }
  return CAPSTAN_RC_NOT_FOUND;
}

static capstan_rc CacheList(capstan_host_ctx* ctx, capstan_host_str resource, capstan_host_str ns,
                            capstan_host_str selector, capstan_host_buf* out) {
  CHost* h = Self(ctx);
  size_t used = 0;
  (void)selector; /* this host ignores selectors; the examples' checks use none */
  h->out[used++] = '[';
  for (size_t i = 0; i < h->object_count; ++i) {
    const CHostObject* o = &h->objects[i];
    if (!StrEquals(resource, o->resource)) continue;
    if (ns.len > 0 && !StrEquals(ns, o->ns)) continue;
    int n = snprintf(h->out + used, sizeof(h->out) - used, "%s%s", used > 1 ? "," : "", o->json);
    if (n < 0 || (size_t)n >= sizeof(h->out) - used - 1) return CAPSTAN_RC_ERROR;
    used += (size_t)n;
  }
  h->out[used++] = ']';
  h->out[used] = '\0';
  out->data = (const uint8_t*)h->out;
  out->len = used;
  return CAPSTAN_RC_OK;
}

static capstan_rc ApiRequest(capstan_host_ctx* ctx, capstan_call* call, capstan_host_str method,
                             capstan_host_str path, capstan_host_str content_type,
                             capstan_host_buf body, int32_t* out_status,
                             capstan_host_buf* out_body) {
  CHost* h = Self(ctx);
  capstan_host_str body_str = {(const char*)body.data, body.len};
  (void)call;
  h->api_count++;
  CopyStr(h->api_method, sizeof(h->api_method), method);
  CopyStr(h->api_path, sizeof(h->api_path), path);
  CopyStr(h->api_content_type, sizeof(h->api_content_type), content_type);
  CopyStr(h->api_body, sizeof(h->api_body), body_str);
  snprintf(h->out, sizeof(h->out), "{}");
  *out_status = 200;
  out_body->data = (const uint8_t*)h->out;
  out_body->len = 2;
  return CAPSTAN_RC_OK;
}

static capstan_host_proc GetProc(capstan_host_ctx* ctx, const char* name) {
  (void)ctx;
  if (strcmp(name, "capstan_host_log_v1") == 0) return (capstan_host_proc)Log;
  if (strcmp(name, "capstan_host_metric_define_v1") == 0) return (capstan_host_proc)MetricDefine;
  if (strcmp(name, "capstan_host_metric_record_v1") == 0) return (capstan_host_proc)MetricRecord;
  if (strcmp(name, "capstan_host_call_cancelled_v1") == 0) return (capstan_host_proc)CallCancelled;
  if (strcmp(name, "capstan_host_post_v1") == 0) return (capstan_host_proc)Post;
  if (strcmp(name, "capstan_host_cache_get_v1") == 0) return (capstan_host_proc)CacheGet;
  if (strcmp(name, "capstan_host_cache_list_v1") == 0) return (capstan_host_proc)CacheList;
  if (strcmp(name, "capstan_host_api_request_v1") == 0) return (capstan_host_proc)ApiRequest;
  return NULL; /* e.g. the scheduler services: plugins must cope */
}

void CHostInit(CHost* h) {
  memset(h, 0, sizeof(*h));
  h->table.struct_size = sizeof(capstan_host);
  h->table.abi_major = CAPSTAN_ABI_MAJOR;
  h->table.abi_minor = CAPSTAN_ABI_MINOR;
  h->table.ctx = (capstan_host_ctx*)(void*)h;
  h->table.get_proc = GetProc;
}

capstan_call* CCallReset(CCall* c) {
  memset(&c->call, 0, sizeof(c->call));
  memset(c->error, 'Z', sizeof(c->error));
  c->call.struct_size = sizeof(capstan_call);
  c->call.error_buf = c->error;
  c->call.error_cap = 256; /* the ABI's minimum; the bytes beyond stay 'Z' */
  return &c->call;
}

int CCallErrorTerminated(const CCall* c) {
  return memchr(c->error, '\0', c->call.error_cap) != NULL &&
         memchr(c->error + c->call.error_cap, '\0', sizeof(c->error) - c->call.error_cap) == NULL;
}
