/* Test plugin: one library implementing two kinds (authn and authz) without multi-instance, so a
 * chain configuration naming the same instance in both chains must share one instance. */
#include "capstan/abi/authz.h"
#include "tests/core/plugin/testdata/minimal_common.h"

static capstan_rc on_authorize(capstan_plugin_state* state, capstan_call* call,
                               const capstan_authz_attributes* attributes,
                               capstan_plugin_buf* out_reason) {
  (void)state;
  (void)call;
  (void)attributes;
  (void)out_reason;
  return CAPSTAN_RC_OK;
}

static const capstan_authz_v1 kAuthz = {sizeof(capstan_authz_v1), 0, on_authorize};
static const capstan_kind_descriptor kKinds[] = {
    {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_AUTHN, 1, 0, 0, &minimal_authn},
    {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_AUTHZ, 1, 0, 0, &kAuthz},
};
static const capstan_plugin_descriptor kDescriptor = {sizeof(capstan_plugin_descriptor),
                                                      CAPSTAN_ABI_MAJOR,
                                                      CAPSTAN_ABI_MINOR,
                                                      "authn-authz",
                                                      "2.0.0",
                                                      "Both authn and authz.",
                                                      NULL,
                                                      0,
                                                      2,
                                                      0,
                                                      kKinds,
                                                      minimal_on_init,
                                                      minimal_on_destroy,
                                                      NULL};

CAPSTAN_TEST_EXPORT const capstan_plugin_descriptor* capstan_plugin_entry(void) {
  return &kDescriptor;
}
