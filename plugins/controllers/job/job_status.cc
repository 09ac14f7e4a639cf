// Pure helpers of the Job controller (see job_status.h).
#include "plugins/controllers/job/job_status.h"

#include <cstdlib>

namespace capstan::controllers {

int64_t CompletionIndex(const Json& pod) {
  std::string text = GetStr(pod, {"metadata", "annotations", kCompletionIndexKey});
  if (text.empty()) text = GetStr(pod, {"metadata", "labels", kCompletionIndexKey});
  if (text.empty()) return -1;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (end == nullptr || *end != '\0' || v < 0) return -1;
  return v;
}

JobPods CountJobPods(const std::vector<Json>& pods, int64_t completions) {
  JobPods out;
  for (const Json& pod : pods) {
    std::string phase = GetStr(pod, {"status", "phase"});
    int64_t index = completions >= 0 ? CompletionIndex(pod) : -1;
    bool valid_index = index >= 0 && index < completions;
    if (phase == "Succeeded") {
      ++out.succeeded;
      if (valid_index) out.succeeded_indexes.insert(index);
    } else if (phase == "Failed") {
      ++out.failed;
    } else if (Deleting(pod)) {
      ++out.terminating;
    } else {
      out.active.push_back(pod);
      if (IsPodReady(pod)) ++out.ready;
      if (valid_index) out.active_indexes.insert(index);
    }
  }
  return out;
}

std::string CompressIndexes(const std::set<int64_t>& indexes) {
  std::string out;
  auto it = indexes.begin();
  while (it != indexes.end()) {
    int64_t first = *it;
    int64_t last = first;
    for (++it; it != indexes.end() && *it == last + 1; ++it) last = *it;
    if (!out.empty()) out += ',';
    out += std::to_string(first);
    if (last != first) out += "-" + std::to_string(last);
  }
  return out;
}

bool HasTrueCondition(const Json& conditions, std::string_view type) {
  int i = FindCondition(conditions, type);
  return i >= 0 && GetStr(conditions[static_cast<size_t>(i)], {"status"}) == "True";
}

void EnsureCondition(Json& conditions, std::string_view type, std::string_view reason,
                     const std::string& message, int64_t now) {
  std::string t = FormatTime(now);
  int i = FindCondition(conditions, type);
  if (i < 0) {
    conditions.push_back(Json{{"type", type},
                              {"status", "True"},
                              {"lastProbeTime", t},
                              {"lastTransitionTime", t},
                              {"reason", reason},
                              {"message", message}});
    return;
  }
  Json& c = conditions[static_cast<size_t>(i)];
  if (GetStr(c, {"status"}) != "True") {
    c["status"] = "True";
    c["lastTransitionTime"] = t;
  }
  c["lastProbeTime"] = t;
  c["reason"] = reason;
  c["message"] = message;
}

}  // namespace capstan::controllers
