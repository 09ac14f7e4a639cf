// Shared helpers of the default scheduler plugins; see sched_util.h.
#include "plugins/sched/common/sched_util.h"

#include <algorithm>

#include "capstan/sdk/text.h"

namespace capstan::sched {

bool ToleratesTaint(const capstan_sched_toleration& t, std::string_view key, std::string_view value,
                    uint32_t effect) {
  if (t.effect != 0 && t.effect != effect) return false;
  std::string_view tkey = sdk::ToView(t.key);
  if (!tkey.empty() && !sdk::SameBytes(tkey, key)) return false;
  switch (t.op) {
    case 0:
    case CAPSTAN_TOLERATION_EQUAL:
      return sdk::SameBytes(sdk::ToView(t.value), value);
    case CAPSTAN_TOLERATION_EXISTS:
      return true;
    default:
      return false;
  }
}

bool AnyToleratesTaint(sdk::Span<capstan_sched_toleration> tolerations, std::string_view key,
                       std::string_view value, uint32_t effect) {
  for (const capstan_sched_toleration& t : tolerations) {
    if (ToleratesTaint(t, key, value, effect)) return true;
  }
  return false;
}

int64_t ScalarOf(const capstan_sched_resources& r, std::string_view name) {
  for (uint32_t i = 0; i < r.scalar_count && r.scalars != nullptr; ++i) {
    if (sdk::SameBytes(sdk::ToView(r.scalars[i].name), name)) return r.scalars[i].value;
  }
  return 0;
}

void DefaultNormalizeScore(int64_t max_priority, bool reverse, sdk::NodeScores& scores) {
  int64_t max_count = 0;
  for (size_t i = 0; i < scores.size(); ++i) max_count = std::max(max_count, scores.score(i));
  if (max_count == 0) {
    if (reverse) {
      for (size_t i = 0; i < scores.size(); ++i) scores.set_score(i, max_priority);
    }
    return;
  }
  for (size_t i = 0; i < scores.size(); ++i) {
    int64_t s = max_priority * scores.score(i) / max_count;
    scores.set_score(i, reverse ? max_priority - s : s);
  }
}

void AppendReason(std::string* out, std::string_view reason) {
  if (!out->empty()) out->append(", ");
  out->append(reason);
}

namespace {

std::string_view Ip(const capstan_sched_host_port& p) {
  std::string_view ip = sdk::ToView(p.host_ip);
  return ip.empty() ? std::string_view("0.0.0.0") : ip;
}
uint32_t Protocol(const capstan_sched_host_port& p) {
  return p.protocol == 0 ? CAPSTAN_PROTOCOL_TCP : p.protocol;
}

}  // namespace

bool HostPortsConflict(const capstan_sched_host_port& a, const capstan_sched_host_port& b) {
  if (a.port != b.port || Protocol(a) != Protocol(b)) return false;
  std::string_view ia = Ip(a), ib = Ip(b);
  return ia == ib || ia == "0.0.0.0" || ib == "0.0.0.0";
}

}  // namespace capstan::sched
