// Test sched plugin `test-noop`: Filter OK and Score 0 with no work, to measure the cost of one
// ABI crossing (bench/scheduler_bench.cc).
#include "capstan/sdk/plugin.h"

namespace {

class TestNoop final : public capstan::sdk::SchedPlugin {
 public:
  capstan::sdk::Status Filter(capstan::sdk::Call&, capstan::sdk::Cycle&,
                              const capstan::sdk::PodView&,
                              const capstan::sdk::NodeView&) override {
    return capstan::sdk::Status::Ok();
  }
  capstan::sdk::Status Score(capstan::sdk::Call&, capstan::sdk::Cycle&,
                             const capstan::sdk::PodView&, const capstan::sdk::NodeView&,
                             int64_t* score) override {
    *score = 0;
    return capstan::sdk::Status::Ok();
  }
};

}  // namespace

CAPSTAN_PLUGIN(TestNoop, "test-noop", "0.1.0", "no-op filter and score", nullptr,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
