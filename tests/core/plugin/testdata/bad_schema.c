/* Test plugin: its config schema is not valid JSON, which is a load error. */
#include "tests/core/plugin/testdata/minimal_common.h"

MINIMAL_DESCRIPTOR(kDescriptor, "bad-schema", 1, 0, "{\"type\": \"object\",", 0);

CAPSTAN_TEST_EXPORT const capstan_plugin_descriptor* capstan_plugin_entry(void) {
  return &kDescriptor;
}
