/* Test plugin: exports its descriptor under a misspelt name (built without the version script
 * so the symbol really is exported); the host must report "no entry symbol". */
#include "tests/core/plugin/testdata/minimal_common.h"

MINIMAL_DESCRIPTOR(kDescriptor, "wrong-symbol", 1, 0, NULL, 0);

CAPSTAN_TEST_EXPORT const capstan_plugin_descriptor* capstan_plugin_entry_v0(void);
CAPSTAN_TEST_EXPORT const capstan_plugin_descriptor* capstan_plugin_entry_v0(void) {
  return &kDescriptor;
}
