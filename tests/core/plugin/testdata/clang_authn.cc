// Test plugin compiled with clang++ while the host is built with g++ (tests/core/plugin/
// CMakeLists.txt): proves the boundary is C. Uses C++ internally (std::string state, an
// exception caught before the boundary) and answers authn calls with the token as username.
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "capstan/abi/authn.h"

namespace {

struct State {
  std::string config;
  std::string last_user;
};

capstan_rc OnInit(const capstan_host*, capstan_host_buf config_json, capstan_call*,
                  capstan_plugin_state** out_state) {
  auto* s = new (std::nothrow) State;
  if (s == nullptr) return CAPSTAN_RC_ERROR;
  s->config.assign(reinterpret_cast<const char*>(config_json.data), config_json.len);
  *out_state = reinterpret_cast<capstan_plugin_state*>(s);
  return CAPSTAN_RC_OK;
}

void OnDestroy(capstan_plugin_state* state) { delete reinterpret_cast<State*>(state); }

capstan_rc OnAuthenticate(capstan_plugin_state* state, capstan_call* call,
                          const capstan_authn_request* request, capstan_plugin_buf* out) noexcept {
  auto* s = reinterpret_cast<State*>(state);
  try {
    if (request->bearer_token.len == 0) throw std::invalid_argument("no token");
    std::string token(request->bearer_token.data, request->bearer_token.len);
    s->last_user = "{\"username\":\"" + token + "\",\"extra\":{\"compiler\":[\"clang\"]}}";
    out->data = reinterpret_cast<const uint8_t*>(s->last_user.data());
    out->len = s->last_user.size();
    return CAPSTAN_RC_OK;
  } catch (const std::exception& e) {
    std::strncpy(call->error_buf, e.what(), call->error_cap - 1);
    return CAPSTAN_RC_SKIP;
  }
}

const capstan_authn_v1 kAuthn = {sizeof(capstan_authn_v1), 0, OnAuthenticate};
const capstan_kind_descriptor kKinds[] = {
    {sizeof(capstan_kind_descriptor), CAPSTAN_KIND_AUTHN, CAPSTAN_AUTHN_IFACE_MAJOR,
     CAPSTAN_AUTHN_IFACE_MINOR, 0, &kAuthn},
};
const capstan_plugin_descriptor kDescriptor = {
    sizeof(capstan_plugin_descriptor),
    CAPSTAN_ABI_MAJOR,
    CAPSTAN_ABI_MINOR,
    "clang-authn",
    "0.9.0",
    "Built with clang++.",
    nullptr,
    CAPSTAN_CAP_THREAD_SAFE,
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
