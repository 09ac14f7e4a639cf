/* A strict RFC 8259 syntax check for the conformance test: is this buffer one JSON value? No
 * allocation, no dependencies; recursion depth is bounded. Partner: json_check.c. */
#ifndef CAPSTAN_TESTS_SDK_CONFORMANCE_JSON_CHECK_H_
#define CAPSTAN_TESTS_SDK_CONFORMANCE_JSON_CHECK_H_

#include <stddef.h>

/* 1 when `text[0..len)` is exactly one JSON value (surrounding whitespace allowed), else 0. */
int JsonIsValid(const char* text, size_t len);
/* 1 when it is valid JSON whose top-level value is an object. */
int JsonIsObject(const char* text, size_t len);

#endif /* CAPSTAN_TESTS_SDK_CONFORMANCE_JSON_CHECK_H_ */
