// FailedScheduling message text (messages.h).
#include "core/scheduler/messages.h"

#include <algorithm>
#include <map>

namespace capstan::scheduler {
namespace {

// " <text>." without doubling a final period.
void AppendSentence(std::string& out, std::string_view text) {
  out += ' ';
  out += text;
  if (text.empty() || text.back() != '.') out += '.';
}

}  // namespace

std::vector<std::string> FailureReasons(const NodeFailure& failure) {
  std::vector<std::string> out;
  std::string_view r = failure.reason;
  while (!r.empty()) {
    size_t nl = r.find('\n');
    size_t comma = r.find(", ");
    size_t end = std::min(nl, comma);
    if (end == std::string_view::npos) end = r.size();
    if (end > 0) out.emplace_back(r.substr(0, end));
    r.remove_prefix(std::min(r.size(), end + (end == comma ? 2 : 1)));
  }
  if (out.empty()) out.push_back("node(s) didn't satisfy plugin " + failure.plugin);
  return out;
}

std::string FitErrorMessage(const Diagnosis& d) {
  std::string out = "0/" + std::to_string(d.num_all_nodes) + " nodes are available:";
  if (!d.pre_filter_msg.empty()) {
    AppendSentence(out, d.pre_filter_msg);
  } else {
    std::map<std::string, size_t> counts;
    for (const NodeFailure& f : d.failures) {
      for (std::string& reason : FailureReasons(f)) ++counts[std::move(reason)];
    }
    if (d.absent_nodes > 0) {
      std::string plugins;
      for (const std::string& p : d.restricting_plugins)
        plugins += (plugins.empty() ? "" : " ") + p;
      counts["node(s) didn't satisfy plugin(s) [" + plugins + "]"] += d.absent_nodes;
    }
    std::vector<std::string> parts;
    parts.reserve(counts.size());
    for (const auto& [reason, n] : counts) parts.push_back(std::to_string(n) + " " + reason);
    // Upstream sorts the "N reason" strings themselves.
    std::sort(parts.begin(), parts.end());
    std::string joined;
    for (const std::string& p : parts) joined += (joined.empty() ? "" : ", ") + p;
    AppendSentence(out, joined);
  }
  if (!d.post_filter_msg.empty()) AppendSentence(out, d.post_filter_msg);
  return out;
}

}  // namespace capstan::scheduler
