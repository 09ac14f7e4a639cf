/* Test plugin: its schema requires {"user": <string>} and nothing else; tests give it configs
 * that break the schema. Also declares multi-instance and thread-safe. */
#include "tests/core/plugin/testdata/minimal_common.h"

MINIMAL_DESCRIPTOR(kDescriptor, "strict-schema", 1, 0,
                   "{\"type\":\"object\",\"required\":[\"user\"],\"additionalProperties\":false,"
                   "\"properties\":{\"user\":{\"type\":\"string\",\"minLength\":1},"
                   "\"groups\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}",
                   CAPSTAN_CAP_MULTI_INSTANCE | CAPSTAN_CAP_THREAD_SAFE);

CAPSTAN_TEST_EXPORT const capstan_plugin_descriptor* capstan_plugin_entry(void) {
  return &kDescriptor;
}
