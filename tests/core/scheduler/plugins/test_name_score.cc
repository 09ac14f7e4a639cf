// Test sched plugin `test-name-score`: Score 100 on the node named `prefer`, 10 elsewhere; with
// "fromLabel" the score is the node's integer label "score". With "normalize" NormalizeScore
// maps the highest raw score to 100 (raw scores may exceed 100). Config: {"prefer",
// "fromLabel", "normalize", "scale"} (raw score multiplied by `scale`).
#include <string>

#include "capstan/sdk/json.h"
#include "capstan/sdk/plugin.h"

namespace {

using capstan::sdk::Call;
using capstan::sdk::Cycle;
using capstan::sdk::NodeView;
using capstan::sdk::PodView;
using capstan::sdk::Status;

class TestNameScore final : public capstan::sdk::SchedPlugin {
 public:
  Status Init(const capstan::sdk::Host&, std::string_view config_json) {
    auto config = capstan::sdk::json::Parse(config_json);
    if (!config) return Status::Invalid("bad config");
    prefer_ = capstan::sdk::json::GetString(*config, "prefer").value_or("");
    from_label_ = capstan::sdk::json::GetBool(*config, "fromLabel").value_or(false);
    normalize_ = capstan::sdk::json::GetBool(*config, "normalize").value_or(false);
    scale_ = capstan::sdk::json::GetInt(*config, "scale").value_or(1);
    return Status::Ok();
  }

  Status Score(Call&, Cycle&, const PodView&, const NodeView& node, int64_t* score) override {
    if (from_label_) {
      auto v = node.labels().Get("score");
      *score = v ? std::stoll(std::string(*v)) : 0;
    } else {
      *score = node.name() == prefer_ ? 100 : 10;
    }
    *score *= scale_;
    return Status::Ok();
  }

  Status NormalizeScore(Call&, Cycle&, const PodView&, capstan::sdk::NodeScores& scores) override {
    if (!normalize_) return Status::Ok();
    int64_t max = 0;
    for (size_t i = 0; i < scores.size(); ++i) max = std::max(max, scores.score(i));
    for (size_t i = 0; i < scores.size(); ++i) {
      scores.set_score(i, max == 0 ? 0 : scores.score(i) * 100 / max);
    }
    return Status::Ok();
  }

 private:
  std::string prefer_;
  bool from_label_ = false;
  bool normalize_ = false;
  int64_t scale_ = 1;
};

}  // namespace

CAPSTAN_PLUGIN(TestNameScore, "test-name-score", "0.1.0", "test score by node name", nullptr,
               CAPSTAN_CAP_THREAD_SAFE | CAPSTAN_CAP_MULTI_INSTANCE);
