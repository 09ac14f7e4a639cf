/* Test plugin: an authn plugin returning malformed output: with token "null-data" a buffer of
 * length 5 and NULL data, with "bad-json" a user info that is not JSON. Multi-instance and
 * thread-safe, so tests may create several instances. */
#include "tests/core/plugin/testdata/minimal_common.h"

static capstan_rc bad_on_authenticate(capstan_plugin_state* state, capstan_call* call,
                                      const capstan_authn_request* request,
                                      capstan_plugin_buf* out_user_json) {
  static const char kNotJson[] = "{\"username\": alice";
  (void)state;
  (void)call;
  if (request->bearer_token.len == 9 && memcmp(request->bearer_token.data, "null-data", 9) == 0) {
    out_user_json->data = NULL;
    out_user_json->len = 5;
    return CAPSTAN_RC_OK;
  }
  out_user_json->data = (const uint8_t*)kNotJson;
  out_user_json->len = sizeof(kNotJson) - 1;
  return CAPSTAN_RC_OK;
}

static const capstan_authn_v1 kAuthn = {sizeof(capstan_authn_v1), 0, bad_on_authenticate};
static const capstan_kind_descriptor kKinds[] = {
    {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_AUTHN, 1, 0, 0, &kAuthn},
};
static const capstan_plugin_descriptor kDescriptor = {
    sizeof(capstan_plugin_descriptor),
    CAPSTAN_ABI_MAJOR,
    CAPSTAN_ABI_MINOR,
    "bad-output",
    "0.0.1",
    NULL,
    NULL,
    CAPSTAN_CAP_MULTI_INSTANCE | CAPSTAN_CAP_THREAD_SAFE,
    1,
    0,
    kKinds,
    minimal_on_init,
    minimal_on_destroy,
    NULL};

CAPSTAN_TEST_EXPORT const capstan_plugin_descriptor* capstan_plugin_entry(void) {
  return &kDescriptor;
}
