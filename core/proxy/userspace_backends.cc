// Endpoint choice of the userspace proxy (userspace_backends.h).
#include "core/proxy/userspace_backends.h"

#include <arpa/inet.h>

#include <algorithm>

namespace capstan::proxy {

void PortBackends::Update(const ServicePortState& state) {
  all_.clear();
  local_.clear();
  for (const Endpoint& e : state.endpoints) {
    in_addr a{};
    if (inet_pton(AF_INET, e.ip.c_str(), &a) != 1) continue;
    Backend b{ntohl(a.s_addr), e.port, e.local};
    all_.push_back(b);
    if (e.local) local_.push_back(b);
  }
  external_local_ = state.external_local;
  affinity_timeout_ = std::chrono::seconds(std::max(0, state.affinity_timeout_seconds));
  if (affinity_timeout_.count() == 0) {
    affinity_.clear();
    return;
  }
  std::erase_if(affinity_, [this](const auto& entry) {
    return std::find(all_.begin(), all_.end(), entry.second.backend) == all_.end();
  });
}

std::vector<Backend> PortBackends::Candidates(uint32_t client_ip, bool external, size_t max,
                                              std::mt19937* rng) const {
  const std::vector<Backend>& eligible = Eligible(external);
  std::vector<Backend> out;
  if (eligible.empty() || max == 0) return out;
  size_t first = eligible.size();
  if (affinity_timeout_.count() > 0) {
    auto it = affinity_.find(client_ip);
    if (it != affinity_.end() && now_() - it->second.last_used <= affinity_timeout_) {
      auto pos = std::find(eligible.begin(), eligible.end(), it->second.backend);
      if (pos != eligible.end()) first = static_cast<size_t>(pos - eligible.begin());
    }
  }
  if (first == eligible.size()) {
    first = std::uniform_int_distribution<size_t>(0, eligible.size() - 1)(*rng);
  }
  size_t n = std::min(max, eligible.size());
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(eligible[(first + i) % eligible.size()]);
  return out;
}

void PortBackends::Chose(uint32_t client_ip, const Backend& backend) {
  if (affinity_timeout_.count() == 0) return;
  affinity_[client_ip] = Affinity{backend, now_()};
}

bool PortBackends::Serves(const Backend& backend, bool external) const {
  const std::vector<Backend>& eligible = Eligible(external);
  return std::find(eligible.begin(), eligible.end(), backend) != eligible.end();
}

void PortBackends::ExpireAffinity() {
  Clock::time_point now = now_();
  std::erase_if(affinity_, [&](const auto& entry) {
    return now - entry.second.last_used > affinity_timeout_;
  });
}

}  // namespace capstan::proxy
