/* A test-only host service the plugin tests register per instance ("capstan_test_probe_v1"):
 * plugins report lifecycle events through it so tests can observe ordering (e.g. posted tasks
 * drained before on_destroy). Not part of the ABI. */
#ifndef CAPSTAN_TESTS_PLUGIN_TEST_PROBE_H_
#define CAPSTAN_TESTS_PLUGIN_TEST_PROBE_H_

#include "capstan/abi/common.h"

typedef void (*capstan_test_probe_v1_fn)(capstan_host_ctx* ctx, const char* event);

#endif /* CAPSTAN_TESTS_PLUGIN_TEST_PROBE_H_ */
