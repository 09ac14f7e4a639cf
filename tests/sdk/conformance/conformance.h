/* Shared declarations of the C conformance test: failure reporting, one loaded plugin instance,
 * buffer helpers, and the table of functional checks for the SDK's example plugins.
 * Partners: conformance_test.c (main, descriptor and lifecycle checks), example_checks.c,
 * c_host.c, json_check.c. */
#ifndef CAPSTAN_TESTS_SDK_CONFORMANCE_CONFORMANCE_H_
#define CAPSTAN_TESTS_SDK_CONFORMANCE_CONFORMANCE_H_

#include <stddef.h>

#include "c_host.h"
#include "capstan/abi/abi.h"

/* Records a failed expectation about plugin `who` and prints it. */
void Fail(const char* who, const char* file, int line, const char* what);
/* Counts a passed expectation. */
void Pass(void);
#define EXPECT(who, cond) ((cond) ? Pass() : Fail((who), __FILE__, __LINE__, #cond))

/* One instance of a loaded plugin, with the host it was created on. */
typedef struct Instance {
  const char* name;
  const capstan_plugin_descriptor* d;
  CHost host;
  capstan_plugin_state* state;
} Instance;

/* The vtable of `kind` in `d`, or NULL. */
const void* FindVtable(const capstan_plugin_descriptor* d, uint32_t kind);

capstan_host_str HostStr(const char* s);
capstan_host_buf HostBuf(const char* s);
/* 1 when the plugin buffer contains `needle` / is one JSON value. */
int OutContains(capstan_plugin_buf out, const char* needle);
int OutIsJson(capstan_plugin_buf out);
/* Copies the string value of the first `"key":"value"` in `out` into `dst` (NUL-terminated);
 * returns 1 when found. Good enough for the flat IDs the runtime example returns. */
int OutStringField(capstan_plugin_buf out, const char* key, char* dst, size_t cap);

/* Functional checks for one example plugin, found by descriptor name. */
typedef struct ExampleSpec {
  const char* name;
  uint32_t kind;
  const char* (*config)(void); /* a config the checks rely on */
  void (*check)(Instance* inst);
  void (*cleanup)(void); /* may be NULL */
} ExampleSpec;

/* The spec named `name`, or NULL for plugins that are not SDK examples. */
const ExampleSpec* FindExample(const char* name);

#endif /* CAPSTAN_TESTS_SDK_CONFORMANCE_CONFORMANCE_H_ */
