/* A minimal host written in C for the conformance test: the `capstan_host` services table
 * (log, metrics, cancellation, post, object cache, API client), a per-call context with a
 * sentinel-filled error buffer, and records of what the plugin asked for. Single-threaded.
 * Partner: c_host.c; used by conformance_test.c and example_checks.c. */
#ifndef CAPSTAN_TESTS_SDK_CONFORMANCE_C_HOST_H_
#define CAPSTAN_TESTS_SDK_CONFORMANCE_C_HOST_H_

#include <stddef.h>

#include "capstan/abi/abi.h"

/* One object in the fake informer cache; `ns` is "" for cluster-scoped objects. */
typedef struct CHostObject {
  const char* resource;
  const char* ns;
  const char* key;
  const char* json;
} CHostObject;

typedef struct CHost {
  capstan_host table;
  int log_count;
  char last_log[512];
  int metrics_defined;
  int metric_records;
  int posted;
  const CHostObject* objects;
  size_t object_count;
  int api_count;
  char api_method[16];
  char api_path[256];
  char api_content_type[64];
  char api_body[1024];
  char out[8192]; /* host-owned output of object-access services */
} CHost;

/* Zeroes `h` and fills its services table. */
void CHostInit(CHost* h);

/* One call context. The error buffer is filled with a non-NUL sentinel before each call, so the
 * test can check that the plugin NUL-terminated what it wrote. */
typedef struct CCall {
  capstan_call call;
  char error[300];
} CCall;

/* Prepares `c` for the next entry call; returns `&c->call`. */
capstan_call* CCallReset(CCall* c);
/* 1 when the plugin left a NUL inside the buffer's capacity. */
int CCallErrorTerminated(const CCall* c);

#endif /* CAPSTAN_TESTS_SDK_CONFORMANCE_C_HOST_H_ */
