/* Test plugin: needs ABI minor 5, newer than every host the tests simulate. */
#include "tests/core/plugin/testdata/minimal_common.h"

MINIMAL_DESCRIPTOR(kDescriptor, "newer-minor", 1, 5, NULL, 0);

CAPSTAN_TEST_EXPORT const capstan_plugin_descriptor* capstan_plugin_entry(void) {
  return &kDescriptor;
}
