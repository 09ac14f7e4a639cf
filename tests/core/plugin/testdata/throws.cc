// Test plugin in C++ without the SDK: its on_authenticate lets a C++ exception escape across the
// ABI (a bug the host must contain: "plugin threw across the ABI").
#include <stdexcept>

#include "capstan/abi/authn.h"

namespace {

capstan_rc OnInit(const capstan_host*, capstan_host_buf, capstan_call*,
                  capstan_plugin_state** out_state) {
  *out_state = nullptr;
  return CAPSTAN_RC_OK;
}

void OnDestroy(capstan_plugin_state*) {}

capstan_rc OnAuthenticate(capstan_plugin_state*, capstan_call*, const capstan_authn_request*,
                          capstan_plugin_buf*) {
  throw std::runtime_error("boom");
}

const capstan_authn_v1 kAuthn = {sizeof(capstan_authn_v1), 0, OnAuthenticate};
const capstan_kind_descriptor kKinds[] = {
    {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_AUTHN, 1, 0, 0, &kAuthn},
};
const capstan_plugin_descriptor kDescriptor = {
    sizeof(capstan_plugin_descriptor),
    CAPSTAN_ABI_MAJOR,
    CAPSTAN_ABI_MINOR,
    "throws",
    "0.0.1",
    "Throws from on_authenticate.",
    nullptr,
    0,
    1,
    0,
    kKinds,
    OnInit,
    OnDestroy,
    nullptr,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const capstan_plugin_descriptor*
capstan_plugin_entry(void) {
  return &kDescriptor;
}
