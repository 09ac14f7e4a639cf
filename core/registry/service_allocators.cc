// Cluster-IP and NodePort allocators (service_allocators.h).
#include "core/registry/service_allocators.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "core/registry/field_validation.h"
#include "core/registry/json_util.h"

namespace capstan::registry {
namespace {

// Upstream's static band: the lower part of a range is left for explicit requests.
uint32_t StaticBand(uint32_t size, uint32_t divisor, uint32_t cap) {
  return std::min(std::max<uint32_t>(16, size / divisor), cap);
}

std::string Uid(const Json& obj) {
  const Json* meta = ObjectIn(obj, "metadata");
  return meta != nullptr ? Str(*meta, "uid") : "";
}

std::string NameOf(const Json& obj) {
  const Json* meta = ObjectIn(obj, "metadata");
  return meta != nullptr ? Str(*meta, "namespace") + "/" + Str(*meta, "name") : "";
}

bool ParseInt(std::string_view s, int* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

MonotonicClock SteadyClockMs() {
  return [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
}

// --- ServiceIpAllocator ---

ServiceIpAllocator::ServiceIpAllocator(std::string cidr, uint32_t first,
                                       std::unique_ptr<BitmapAllocator> bitmap)
    : cidr_(std::move(cidr)), first_(first), bitmap_(std::move(bitmap)) {}

Result<std::unique_ptr<ServiceIpAllocator>> ServiceIpAllocator::Create(std::string_view cidr,
                                                                       MonotonicClock clock,
                                                                       uint64_t seed) {
  size_t slash = cidr.find('/');
  uint32_t ip = 0;
  int prefix = -1;
  if (slash == std::string_view::npos || !ParseIpv4(cidr.substr(0, slash), &ip) ||
      !ParseInt(cidr.substr(slash + 1), &prefix) || prefix < 0 || prefix > 32) {
    return InvalidError("service CIDR \"" + std::string(cidr) + "\" is not an IPv4 CIDR");
  }
  if (prefix > 30) {
    return InvalidError("service CIDR \"" + std::string(cidr) + "\" is too small (at most /30)");
  }
  uint64_t size = uint64_t{1} << (32 - prefix);
  uint32_t network = prefix == 0 ? 0 : ip & ~static_cast<uint32_t>(size - 1);
  std::string canonical = FormatIpv4(network) + "/" + std::to_string(prefix);
  auto bitmap =
      std::make_unique<BitmapAllocator>(static_cast<uint32_t>(size - 2), std::move(clock), seed);
  return std::unique_ptr<ServiceIpAllocator>(
      new ServiceIpAllocator(std::move(canonical), network + 1, std::move(bitmap)));
}

bool ServiceIpAllocator::OffsetOf(std::string_view ip, uint32_t* offset) const {
  uint32_t addr = 0;
  if (!ParseIpv4(ip, &addr) || addr < first_) return false;
  if (addr - first_ >= bitmap_->size()) return false;
  *offset = addr - first_;
  return true;
}

std::string ServiceIpAllocator::AddressAt(uint32_t offset) const {
  return FormatIpv4(first_ + offset);
}

bool ServiceIpAllocator::InRange(std::string_view ip) const {
  uint32_t offset = 0;
  return OffsetOf(ip, &offset);
}

Status ServiceIpAllocator::Allocate(std::string_view ip, std::string_view owner) {
  uint32_t addr = 0;
  if (!ParseIpv4(ip, &addr)) {
    return InvalidError("\"" + std::string(ip) + "\" is not a valid IPv4 address");
  }
  uint32_t offset = 0;
  if (!OffsetOf(ip, &offset)) {
    return InvalidError("the provided IP (" + std::string(ip) +
                        ") is not in the valid range. The range of valid IPs is " + cidr_);
  }
  if (!bitmap_->Allocate(offset, owner)) return InvalidError("provided IP is already allocated");
  return Status::Ok();
}

Result<std::string> ServiceIpAllocator::AllocateNext(std::string_view owner) {
  uint32_t size = bitmap_->size();
  // Offset 0 (.1) is the `kubernetes` Service's and only handed out on request.
  std::optional<uint32_t> offset =
      bitmap_->AllocateNext(owner, std::min<uint32_t>(1, size), StaticBand(size, 16, 256));
  if (!offset) return InternalError("range is full");
  return FormatIpv4(first_ + *offset);
}

void ServiceIpAllocator::Release(std::string_view ip, std::string_view owner) {
  uint32_t offset = 0;
  if (OffsetOf(ip, &offset)) bitmap_->Release(offset, owner);
}

void ServiceIpAllocator::ReleaseOwnerExcept(std::string_view owner,
                                            const std::set<std::string>& keep,
                                            int64_t taken_before_ms) {
  std::set<uint32_t> offsets;
  for (const std::string& ip : keep) {
    uint32_t offset = 0;
    if (OffsetOf(ip, &offset)) offsets.insert(offset);
  }
  bitmap_->ReleaseOwnerExcept(owner, offsets, taken_before_ms);
}

bool ServiceIpAllocator::IsOwnedBy(std::string_view ip, std::string_view owner) const {
  uint32_t offset = 0;
  return OffsetOf(ip, &offset) && bitmap_->IsOwnedBy(offset, owner);
}

// --- NodePortAllocator ---

NodePortAllocator::NodePortAllocator(int base, int size, std::unique_ptr<BitmapAllocator> bitmap)
    : base_(base), size_(size), bitmap_(std::move(bitmap)) {}

Result<std::unique_ptr<NodePortAllocator>> NodePortAllocator::Create(int base, int size,
                                                                     MonotonicClock clock,
                                                                     uint64_t seed) {
  if (size <= 0 || base < 1 || base + size - 1 > 65535) {
    return InvalidError("invalid node port range " + std::to_string(base) + "+" +
                        std::to_string(size));
  }
  auto bitmap =
      std::make_unique<BitmapAllocator>(static_cast<uint32_t>(size), std::move(clock), seed);
  return std::unique_ptr<NodePortAllocator>(new NodePortAllocator(base, size, std::move(bitmap)));
}

Result<std::unique_ptr<NodePortAllocator>> NodePortAllocator::Parse(std::string_view range,
                                                                    MonotonicClock clock,
                                                                    uint64_t seed) {
  size_t dash = range.find('-');
  int lo = 0;
  int hi = 0;
  if (dash == std::string_view::npos || !ParseInt(range.substr(0, dash), &lo) ||
      !ParseInt(range.substr(dash + 1), &hi) || hi < lo) {
    return InvalidError("invalid node port range \"" + std::string(range) + "\"");
  }
  return Create(lo, hi - lo + 1, std::move(clock), seed);
}

std::string NodePortAllocator::Range() const {
  return std::to_string(base_) + "-" + std::to_string(base_ + size_ - 1);
}

Status NodePortAllocator::Allocate(int port, std::string_view owner) {
  if (!InRange(port)) {
    return InvalidError("provided port is not in the valid range. The range of valid ports is " +
                        Range());
  }
  if (!bitmap_->Allocate(static_cast<uint32_t>(port - base_), owner)) {
    return InvalidError("provided port is already allocated");
  }
  return Status::Ok();
}

Result<int> NodePortAllocator::AllocateNext(std::string_view owner) {
  uint32_t size = bitmap_->size();
  std::optional<uint32_t> offset = bitmap_->AllocateNext(owner, 0, StaticBand(size, 32, 128));
  if (!offset) return InternalError("range is full");
  return base_ + static_cast<int>(*offset);
}

void NodePortAllocator::Release(int port, std::string_view owner) {
  if (InRange(port)) bitmap_->Release(static_cast<uint32_t>(port - base_), owner);
}

void NodePortAllocator::ReleaseOwnerExcept(std::string_view owner, const std::set<int>& keep,
                                           int64_t taken_before_ms) {
  std::set<uint32_t> offsets;
  for (int port : keep) {
    if (InRange(port)) offsets.insert(static_cast<uint32_t>(port - base_));
  }
  bitmap_->ReleaseOwnerExcept(owner, offsets, taken_before_ms);
}

bool NodePortAllocator::IsOwnedBy(int port, std::string_view owner) const {
  return InRange(port) && bitmap_->IsOwnedBy(static_cast<uint32_t>(port - base_), owner);
}

// --- ServiceAllocators ---

ServiceAllocations AllocationsOf(const Json& service) {
  ServiceAllocations out;
  const Json* spec = ObjectIn(service, "spec");
  if (spec == nullptr) return out;
  if (const Json* ips = ArrayAt(*spec, "clusterIPs")) {
    for (const Json& ip : *ips) {
      if (ip.is_string() && ip != "None" && !IsEmptyString(ip))
        out.ips.insert(ip.get<std::string>());
    }
  } else if (std::string ip = Str(*spec, "clusterIP"); !ip.empty() && ip != "None") {
    out.ips.insert(ip);
  }
  if (const Json* ports = ArrayAt(*spec, "ports")) {
    for (const Json& p : *ports) {
      if (int64_t np = Int(p, "nodePort"); np > 0 && np <= 65535)
        out.ports.insert(static_cast<int>(np));
    }
  }
  if (int64_t hc = Int(*spec, "healthCheckNodePort"); hc > 0 && hc <= 65535) {
    out.ports.insert(static_cast<int>(hc));
  }
  return out;
}

ServiceAllocators ServiceAllocators::Default(const MonotonicClock& clock) {
  ServiceAllocators a;
  a.ips = std::shared_ptr<ServiceIpAllocator>(
      std::move(ServiceIpAllocator::Create("10.96.0.0/12", clock).value()));
  a.ports = std::shared_ptr<NodePortAllocator>(
      std::move(NodePortAllocator::Create(30000, 2768, clock).value()));
  return a;
}

std::vector<std::string> ServiceAllocators::Rebuild(const std::vector<Json>& services) {
  std::vector<std::string> problems;
  if (ips) ips->bitmap().Clear();
  if (ports) ports->bitmap().Clear();
  for (const Json& svc : services) {
    std::string uid = Uid(svc);
    ServiceAllocations held = AllocationsOf(svc);
    for (const std::string& ip : held.ips) {
      if (!ips) break;
      if (Status s = ips->Allocate(ip, uid); !s.ok()) {
        problems.push_back("service " + NameOf(svc) + ": cluster IP " + ip + ": " + s.message());
      }
    }
    for (int port : held.ports) {
      if (!ports) break;
      if (Status s = ports->Allocate(port, uid); !s.ok()) {
        problems.push_back("service " + NameOf(svc) + ": node port " + std::to_string(port) + ": " +
                           s.message());
      }
    }
  }
  return problems;
}

std::vector<std::string> ServiceAllocators::Repair(const std::vector<Json>& services,
                                                   int64_t min_age_ms) {
  std::set<std::string> live;
  for (const Json& svc : services) live.insert(Uid(svc));
  std::vector<std::string> freed;
  if (ips) {
    BitmapAllocator& b = ips->bitmap();
    for (uint32_t offset : b.ReleaseOrphans(live, b.Now() - min_age_ms)) {
      freed.push_back("released leaked cluster IP " + ips->AddressAt(offset));
    }
  }
  if (ports) {
    BitmapAllocator& b = ports->bitmap();
    for (uint32_t offset : b.ReleaseOrphans(live, b.Now() - min_age_ms)) {
      freed.push_back("released leaked node port " + std::to_string(ports->PortAt(offset)));
    }
  }
  return freed;
}

}  // namespace capstan::registry
