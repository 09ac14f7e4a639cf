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
  size_t start = 0;
  const std::string& r = failure.reason;
  while (start <= r.size()) {
    size_t end = r.find('\n', start);
    if (end == std::string::npos) end = r.size();
    if (end > start) out.push_back(r.substr(start, end - start));
    start = end + 1;
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
