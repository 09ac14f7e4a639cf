/* Test plugin: a descriptor whose required version string is NULL. */
#include "tests/core/plugin/testdata/minimal_common.h"

static const capstan_plugin_descriptor kDescriptor = {sizeof(capstan_plugin_descriptor),
                                                      CAPSTAN_ABI_MAJOR,
                                                      CAPSTAN_ABI_MINOR,
                                                      "malformed",
                                                      NULL, /* version: required */
                                                      NULL,
                                                      NULL,
                                                      0,
                                                      1,
                                                      0,
                                                      minimal_authn_kinds,
                                                      minimal_on_init,
                                                      minimal_on_destroy,
                                                      NULL};

CAPSTAN_TEST_EXPORT const capstan_plugin_descriptor* capstan_plugin_entry(void) {
  return &kDescriptor;
}
