// Test sched plugin `test-sort`: QueueSort by priority (higher first), then creation time, then
// name. Loaded by tests/core/scheduler through the real plugin loader.
#include <string>

#include "capstan/sdk/plugin.h"

namespace {

class TestSort final : public capstan::sdk::SchedPlugin {
 public:
  bool QueueLess(const capstan::sdk::PodView& a, const capstan::sdk::PodView& b) override {
    if (a.priority() != b.priority()) return a.priority() > b.priority();
    if (a.creation_unix_ms() != b.creation_unix_ms()) {
      return a.creation_unix_ms() < b.creation_unix_ms();
    }
    return a.name() < b.name();
  }
};

}  // namespace

CAPSTAN_PLUGIN(TestSort, "test-sort", "0.1.0", "test queue sort", nullptr,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
