// Small helpers shared by the default scheduler plugins (plugins/sched/*): toleration matching,
// scalar-resource lookup, upstream's DefaultNormalizeScore, and reason joining. Pure functions on
// the SDK views; no allocation except where a string is returned. Partners: selector.h (label and
// node selectors), cycle_cache.h (per-cycle parsed state).
#ifndef CAPSTAN_PLUGINS_SCHED_COMMON_SCHED_UTIL_H_
#define CAPSTAN_PLUGINS_SCHED_COMMON_SCHED_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "capstan/abi/sched.h"
#include "capstan/sdk/sched_views.h"

namespace capstan::sched {

// kube-scheduler's framework.MaxNodeScore.
inline constexpr int64_t kMaxNodeScore = 100;

// True when `t` tolerates the taint (key, value, effect), as upstream's Toleration.ToleratesTaint:
// a set effect must equal the taint's, a set key must equal it, Exists matches any value and
// Equal (or an unset operator) needs an equal value.
bool ToleratesTaint(const capstan_sched_toleration& t, std::string_view key, std::string_view value,
                    uint32_t effect);

// True when any of `tolerations` tolerates the taint.
bool AnyToleratesTaint(sdk::Span<capstan_sched_toleration> tolerations, std::string_view key,
                       std::string_view value, uint32_t effect);

// The quantity of scalar resource `name` in `r`, or 0 when absent.
int64_t ScalarOf(const capstan_sched_resources& r, std::string_view name);

// Upstream's helper.DefaultNormalizeScore: scales scores so the largest becomes `max_priority`,
// and with `reverse` maps s to max_priority - s. All-zero scores become max_priority when
// reversed and stay 0 otherwise.
void DefaultNormalizeScore(int64_t max_priority, bool reverse, sdk::NodeScores& scores);

// Whether two host ports conflict: same port and protocol (empty/0 reads as TCP), and the same
// address or either one the wildcard ("" or 0.0.0.0).
bool HostPortsConflict(const capstan_sched_host_port& a, const capstan_sched_host_port& b);

// Upstream's Status.Message(): several reasons of one status are joined with ", ".
void AppendReason(std::string* out, std::string_view reason);

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_COMMON_SCHED_UTIL_H_
