/* Shared pieces of the small test plugins in this folder: no-op lifecycle entries and a
 * one-kind authn vtable, so each test plugin file shows only what makes it special. */
#ifndef CAPSTAN_TESTS_PLUGIN_MINIMAL_COMMON_H_
#define CAPSTAN_TESTS_PLUGIN_MINIMAL_COMMON_H_

#include <string.h>

#include "capstan/abi/authn.h"

#define CAPSTAN_TEST_EXPORT __attribute__((visibility("default")))

static capstan_rc minimal_on_init(const capstan_host* host, capstan_host_buf config_json,
                                  capstan_call* call, capstan_plugin_state** out_state) {
  (void)host;
  (void)config_json;
  (void)call;
  *out_state = NULL;
  return CAPSTAN_RC_OK;
}

static void minimal_on_destroy(capstan_plugin_state* state) { (void)state; }

static capstan_rc minimal_on_authenticate(capstan_plugin_state* state, capstan_call* call,
                                          const capstan_authn_request* request,
                                          capstan_plugin_buf* out_user_json) {
  static const char kUser[] = "{\"username\":\"bob\"}";
  (void)state;
  (void)call;
  (void)request;
  out_user_json->data = (const uint8_t*)kUser;
  out_user_json->len = sizeof(kUser) - 1;
  return CAPSTAN_RC_OK;
}

static const capstan_authn_v1 minimal_authn = {sizeof(capstan_authn_v1), 0,
                                               minimal_on_authenticate};

static const capstan_kind_descriptor minimal_authn_kinds[] = {
    {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_AUTHN, CAPSTAN_AUTHN_IFACE_MAJOR,
     CAPSTAN_AUTHN_IFACE_MINOR, 0, &minimal_authn},
};

/* A descriptor with the given name, ABI version, schema and capabilities implementing authn. */
#define MINIMAL_DESCRIPTOR(ident, name, major, minor, schema, caps)                  \
  static const capstan_plugin_descriptor ident = {sizeof(capstan_plugin_descriptor), \
                                                  major,                             \
                                                  minor,                             \
                                                  name,                              \
                                                  "0.1.0",                           \
                                                  "test plugin",                     \
                                                  schema,                            \
                                                  caps,                              \
                                                  1,                                 \
                                                  0,                                 \
                                                  minimal_authn_kinds,               \
                                                  minimal_on_init,                   \
                                                  minimal_on_destroy,                \
                                                  NULL}

#endif /* CAPSTAN_TESTS_PLUGIN_MINIMAL_COMMON_H_ */
