// Test sched plugin `test-postfilter`: PostFilter nominates node `nominate` when set, else
// returns UNSCHEDULABLE with "preemption: 0/N nodes are available: N No preemption victims found
// for incoming pod." (N = the statuses it was given). Config: {"nominate"}.
#include <string>

#include "capstan/sdk/json.h"
#include "capstan/sdk/plugin.h"

namespace {

using capstan::sdk::Status;

class TestPostFilter final : public capstan::sdk::SchedPlugin {
 public:
  Status Init(const capstan::sdk::Host&, std::string_view config_json) {
    auto config = capstan::sdk::json::Parse(config_json);
    if (!config) return Status::Invalid("bad config");
    nominate_ = capstan::sdk::json::GetString(*config, "nominate").value_or("");
    return Status::Ok();
  }
  Status PostFilter(capstan::sdk::Call&, capstan::sdk::Cycle&, const capstan::sdk::PodView&,
                    const capstan::sdk::NodeStatuses& statuses, std::string* nominated) override {
    if (!nominate_.empty()) {
      *nominated = nominate_;
      return Status::Ok();
    }
    std::string n = std::to_string(statuses.size());
    return Status::Unschedulable("preemption: 0/" + n + " nodes are available: " + n +
                                 " No preemption victims found for incoming pod.");
  }

 private:
  std::string nominate_;
};

}  // namespace

CAPSTAN_PLUGIN(TestPostFilter, "test-postfilter", "0.1.0", "test post filter", nullptr,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
