/* Test plugin: built for ABI 1.2, i.e. older than a host claiming minor 3 and newer than 1.0. */
#include "tests/core/plugin/testdata/minimal_common.h"

MINIMAL_DESCRIPTOR(kDescriptor, "older-minor", 1, 2, NULL, 0);

CAPSTAN_TEST_EXPORT const capstan_plugin_descriptor* capstan_plugin_entry(void) {
  return &kDescriptor;
}
