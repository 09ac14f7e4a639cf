// Test sched plugin `test-faulty`: misbehaves at the extension points named in its config —
// "errorIn": [...] returns ERROR, "throwIn": [...] throws (the SDK turns it into ERROR),
// "rejectIn": [...] returns UNSCHEDULABLE with "faulty says no", "waitMs": N makes Permit WAIT.
// Points: prefilter, filter, score, reserve, permit, prebind, bind. Not thread-safe on purpose,
// so the host's serialized call path is exercised.
#include <set>
#include <stdexcept>
#include <string>

#include "capstan/sdk/json.h"
#include "capstan/sdk/plugin.h"

namespace {

using capstan::sdk::Call;
using capstan::sdk::Cycle;
using capstan::sdk::NodeView;
using capstan::sdk::PodView;
using capstan::sdk::Status;

class TestFaulty final : public capstan::sdk::SchedPlugin {
 public:
  Status Init(const capstan::sdk::Host&, std::string_view config_json) {
    auto config = capstan::sdk::json::Parse(config_json);
    if (!config) return Status::Invalid("bad config");
    for (auto [key, set] : {std::pair{"errorIn", &error_}, std::pair{"throwIn", &throw_},
                            std::pair{"rejectIn", &reject_}}) {
      if (const auto* a = capstan::sdk::json::GetArray(*config, key)) {
        for (const auto& v : *a) {
          if (auto s = capstan::sdk::json::AsString(v)) set->insert(*s);
        }
      }
    }
    wait_ms_ = capstan::sdk::json::GetInt(*config, "waitMs").value_or(0);
    return Status::Ok();
  }

  Status PreFilter(Call&, Cycle&, const PodView&, std::string*) override {
    return At("prefilter", Status::Ok());
  }
  Status Filter(Call&, Cycle&, const PodView&, const NodeView&) override {
    return At("filter", Status::Ok());
  }
  Status Score(Call&, Cycle&, const PodView&, const NodeView&, int64_t* score) override {
    *score = 0;
    return At("score", Status::Ok());
  }
  Status Reserve(Call&, Cycle&, const PodView&, std::string_view) override {
    return At("reserve", Status::Ok());
  }
  Status Permit(Call&, Cycle&, const PodView&, std::string_view, uint64_t* wait_ms) override {
    if (wait_ms_ > 0) {
      *wait_ms = static_cast<uint64_t>(wait_ms_);
      return Status::Wait();
    }
    return At("permit", Status::Ok());
  }
  Status PreBind(Call&, Cycle&, const PodView&, std::string_view) override {
    return At("prebind", Status::Ok());
  }
  Status Bind(Call&, Cycle&, const PodView&, std::string_view) override {
    return At("bind", Status::Skip());
  }

 private:
  Status At(const std::string& point, Status otherwise) {
    if (throw_.count(point) != 0) throw std::runtime_error("faulty throws in " + point);
    if (error_.count(point) != 0) return Status::Error("faulty fails in " + point);
    if (reject_.count(point) != 0) return Status::Unschedulable("faulty says no");
    return otherwise;
  }
  std::set<std::string> error_, throw_, reject_;
  int64_t wait_ms_ = 0;
};

}  // namespace

CAPSTAN_PLUGIN(TestFaulty, "test-faulty", "0.1.0", "test plugin that fails on demand", nullptr,
               CAPSTAN_CAP_MULTI_INSTANCE);
