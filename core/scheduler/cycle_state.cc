// Per-cycle key/value state (cycle_state.h).
#include "core/scheduler/cycle_state.h"

namespace capstan::scheduler {

bool CycleState::Write(std::string_view key, std::string_view value) {
  if (!writable()) return false;
  values_.emplace_back(std::string(key), std::make_unique<std::string>(value));
  return true;
}

const std::string* CycleState::Read(std::string_view key) const {
  for (auto it = values_.rbegin(); it != values_.rend(); ++it) {
    if (it->first == key) return it->second.get();
  }
  return nullptr;
}

}  // namespace capstan::scheduler
