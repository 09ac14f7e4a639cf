// Hash containers keyed by std::string with lookup by std::string_view (C++20 heterogeneous
// lookup), so per-node Filter/Score lookups never allocate. Header-only.
#ifndef CAPSTAN_PLUGINS_SCHED_COMMON_STRING_MAPS_H_
#define CAPSTAN_PLUGINS_SCHED_COMMON_STRING_MAPS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace capstan::sched {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
// Topology value (or any name) -> count.
using DomainCounts = std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>;
using NameSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

}  // namespace capstan::sched

#endif  // CAPSTAN_PLUGINS_SCHED_COMMON_STRING_MAPS_H_
