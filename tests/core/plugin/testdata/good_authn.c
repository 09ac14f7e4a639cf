/* Test plugin: a well-formed authn plugin in plain C. It accepts the bearer token "secret",
 * skips requests without a token, denies others, and reacts to special tokens so tests can
 * drive host services (post, log, metrics, cancellation) and error paths. Used by
 * the tests in tests/core/plugin/ and tests/core/cmd/. */
#include <stdlib.h>
#include <string.h>

#include "capstan/abi/authn.h"
#include "tests/core/plugin/testdata/test_probe.h"

typedef struct state {
  capstan_host_ctx* ctx;
  capstan_host_log_v1_fn log;
  capstan_host_metric_record_v1_fn record;
  capstan_host_call_cancelled_v1_fn cancelled;
  capstan_host_post_v1_fn post;
  capstan_test_probe_v1_fn probe;
  uint32_t requests_id;
  uint32_t latency_id;
} state;

static const char kUser[] = "{\"username\":\"alice\",\"uid\":\"1\",\"groups\":[\"dev\"]}";

static void probe(state* s, const char* event) {
  if (s->probe != NULL) s->probe(s->ctx, event);
}

static void task_run(void* arg) { probe((state*)arg, "task"); }
static void late_task_run(void* arg) { probe((state*)arg, "late-task"); }

static int token_is(const capstan_authn_request* r, const char* want) {
  size_t n = strlen(want);
  return r->bearer_token.len == n && memcmp(r->bearer_token.data, want, n) == 0;
}

static void set_error(capstan_call* call, const char* text) {
  size_t n = strlen(text);
  if (n >= call->error_cap) n = call->error_cap - 1;
  memcpy(call->error_buf, text, n);
  call->error_buf[n] = '\0';
}

static capstan_rc on_init(const capstan_host* host, capstan_host_buf config_json,
                          capstan_call* call, capstan_plugin_state** out_state) {
  (void)config_json;
  (void)call;
  state* s = (state*)calloc(1, sizeof(state));
  if (s == NULL) return CAPSTAN_RC_ERROR;
  s->ctx = host->ctx;
  s->log = (capstan_host_log_v1_fn)host->get_proc(host->ctx, "capstan_host_log_v1");
  s->record =
      (capstan_host_metric_record_v1_fn)host->get_proc(host->ctx, "capstan_host_metric_record_v1");
  s->cancelled = (capstan_host_call_cancelled_v1_fn)host->get_proc(
      host->ctx, "capstan_host_call_cancelled_v1");
  s->post = (capstan_host_post_v1_fn)host->get_proc(host->ctx, "capstan_host_post_v1");
  s->probe = (capstan_test_probe_v1_fn)host->get_proc(host->ctx, "capstan_test_probe_v1");
  capstan_host_metric_define_v1_fn define =
      (capstan_host_metric_define_v1_fn)host->get_proc(host->ctx, "capstan_host_metric_define_v1");
  if (define != NULL) {
    capstan_host_str name = {"requests_total", 14};
    capstan_host_str help = {"Requests seen.", 14};
    capstan_host_str lname = {"latency_seconds", 15};
    capstan_host_str lhelp = {"Latency.", 8};
    if (define(host->ctx, name, help, CAPSTAN_METRIC_COUNTER, &s->requests_id) != CAPSTAN_RC_OK ||
        define(host->ctx, lname, lhelp, CAPSTAN_METRIC_HISTOGRAM, &s->latency_id) !=
            CAPSTAN_RC_OK) {
      free(s);
      set_error(call, "metric definition failed");
      return CAPSTAN_RC_ERROR;
    }
  }
  probe(s, "init");
  *out_state = (capstan_plugin_state*)s;
  return CAPSTAN_RC_OK;
}

static void on_destroy(capstan_plugin_state* st) {
  state* s = (state*)st;
  probe(s, "destroy");
  free(s);
}

static capstan_rc on_health(capstan_plugin_state* st, capstan_call* call) {
  (void)st;
  (void)call;
  return CAPSTAN_RC_OK;
}

static capstan_rc on_authenticate(capstan_plugin_state* st, capstan_call* call,
                                  const capstan_authn_request* request,
                                  capstan_plugin_buf* out_user_json) {
  state* s = (state*)st;
  if (s->record != NULL) {
    s->record(s->ctx, s->requests_id, 1);
    s->record(s->ctx, s->latency_id, 0.02);
  }
  if (request->bearer_token.len == 0) return CAPSTAN_RC_SKIP;
  if (token_is(request, "secret")) {
    out_user_json->data = (const uint8_t*)kUser;
    out_user_json->len = sizeof(kUser) - 1;
    return CAPSTAN_RC_OK;
  }
  if (token_is(request, "post")) {
    int i;
    for (i = 0; i < 50; i++) {
      if (s->post(s->ctx, task_run, s, 0) != CAPSTAN_RC_OK) return CAPSTAN_RC_ERROR;
    }
    return CAPSTAN_RC_OK;
  }
  if (token_is(request, "post-later")) {
    return s->post(s->ctx, late_task_run, s, 3600u * 1000u);
  }
  if (token_is(request, "log")) {
    capstan_host_str msg = {"hello from plugin", 17};
    capstan_host_str fields = {"{\"k\":\"v\"}", 9};
    s->log(s->ctx, CAPSTAN_LOG_INFO, msg, fields);
    return CAPSTAN_RC_OK;
  }
  if (token_is(request, "long-error")) {
    /* Fills the whole buffer without a terminator; the host must terminate it. */
    memset(call->error_buf, 'x', call->error_cap);
    return CAPSTAN_RC_ERROR;
  }
  if (token_is(request, "rc-104")) {
    set_error(call, "custom failure");
    return 104;
  }
  if (token_is(request, "deadline")) {
    if (s->cancelled(call->handle)) {
      set_error(call, "gave up");
      return CAPSTAN_RC_DEADLINE_EXCEEDED;
    }
    return CAPSTAN_RC_OK;
  }
  set_error(call, "unknown token");
  return CAPSTAN_RC_DENIED;
}

static const capstan_authn_v1 kAuthn = {sizeof(capstan_authn_v1), 0, on_authenticate};

static const capstan_kind_descriptor kKinds[] = {
    {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_AUTHN, CAPSTAN_AUTHN_IFACE_MAJOR,
     CAPSTAN_AUTHN_IFACE_MINOR, 0, &kAuthn},
};

static const capstan_plugin_descriptor kDescriptor = {
    sizeof(capstan_plugin_descriptor),
    CAPSTAN_ABI_MAJOR,
    CAPSTAN_ABI_MINOR,
    "good-authn",
    "1.2.3",
    "Accepts the bearer token \"secret\" as alice.",
    "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"tokens\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"required\":[\"user\"],"
    "\"properties\":{\"user\":{\"type\":\"string\"},\"token\":{\"type\":\"string\"}}}}}}",
    0, /* neither thread-safe nor multi-instance */
    1,
    0,
    kKinds,
    on_init,
    on_destroy,
    on_health,
};

__attribute__((visibility("default"))) const capstan_plugin_descriptor* capstan_plugin_entry(void) {
  return &kDescriptor;
}
