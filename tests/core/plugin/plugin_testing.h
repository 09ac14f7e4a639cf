// Helpers shared by the plugin host tests: paths of the test plugins (testdata/) and a recorder
// for the test-only "capstan_test_probe_v1" host service (testdata/test_probe.h).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/plugin/host_context.h"
#include "tests/core/plugin/testdata/test_probe.h"

namespace capstan::plugin::testing {

// Path of a test plugin built by capstan_plugin(KIND testdata).
inline std::string TestPlugin(const std::string& name) {
  return std::string(CAPSTAN_TESTDATA_DIR) + "/" + name + ".so";
}
// Path of a test library built outside the plugin dir (wrong_symbol, clang_authn).
inline std::string ExtraPlugin(const std::string& name) {
  return std::string(CAPSTAN_TEST_EXTRA_DIR) + "/" + name + ".so";
}

// Records probe events in order. Register with Attach() before on_init. Thread-safe.
class ProbeRecorder {
 public:
  void Attach(HostContext& ctx) {
    ctx.SetUserData("test_probe", this);
    ctx.RegisterProc("capstan_test_probe_v1", reinterpret_cast<capstan_host_proc>(&Probe));
  }
  std::vector<std::string> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  int Count(const std::string& event) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& e : events_) n += e == event ? 1 : 0;
    return n;
  }

 private:
  static void Probe(capstan_host_ctx* ctx, const char* event) {
    auto* self = static_cast<ProbeRecorder*>(HostContext::FromHandle(ctx)->UserData("test_probe"));
    std::lock_guard lock(self->mu_);
    self->events_.emplace_back(event);
  }
  mutable std::mutex mu_;
  std::vector<std::string> events_;
};

}  // namespace capstan::plugin::testing
