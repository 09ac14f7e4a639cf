// Service strategy: defaulting, allocation, validation, release (service_strategy.h).
#include "core/registry/service_strategy.h"

#include <map>

#include "core/apiserver/object_meta.h"
#include "core/registry/field_validation.h"
#include "core/registry/service_validation.h"

namespace capstan::registry {
namespace {

std::string UidOf(const Json& obj) {
  const Json* meta = ObjectIn(obj, "metadata");
  return meta != nullptr ? Str(*meta, "uid") : "";
}

const Json& SpecOf(const Json& obj) {
  static const Json kEmpty = Json::object();
  const Json* spec = ObjectIn(obj, "spec");
  return spec != nullptr ? *spec : kEmpty;
}

std::string PrimaryIp(const Json& spec) {
  if (const Json* ips = ArrayAt(spec, "clusterIPs"); ips != nullptr && !ips->empty()) {
    return (*ips)[0].is_string() ? (*ips)[0].get<std::string>() : "";
  }
  return Str(spec, "clusterIP");
}

// DNS-1035 (service names): a DNS label that starts with a letter.
void ValidateServiceName(const Json& obj, FieldErrors* errs) {
  const Json* meta = ObjectIn(obj, "metadata");
  std::string name = meta != nullptr ? Str(*meta, "name") : "";
  if (name.empty() || !apiserver::ValidateDnsSubdomain(name).empty()) return;
  bool ok = name.size() <= 63 && name.front() >= 'a' && name.front() <= 'z' &&
            apiserver::ValidateDnsLabel(name).empty();
  if (!ok) {
    errs->Invalid("metadata.name", name,
                  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                  "start with an alphabetic character, and end with an alphanumeric character "
                  "(e.g. 'my-name',  or 'abc-123', regex used for validation is "
                  "'[a-z]([-a-z0-9]*[a-z0-9])?')");
  }
}

// Errors of the spec before allocation that make allocating pointless. A missing
// healthCheckNodePort is not one: allocation fills it in (upstream allocates before it
// validates).
bool BlocksAllocation(const FieldErrors& pre) {
  for (const apiserver::StatusCause& c : pre.causes()) {
    if (c.field != "spec.healthCheckNodePort" || c.reason != "FieldValueRequired") return true;
  }
  return false;
}

}  // namespace

ServiceStrategy::ServiceStrategy(ServiceAllocators allocators, int64_t stale_release_age_ms)
    : StrategyBase("Service", "v1"),
      alloc_(std::move(allocators)),
      stale_release_age_ms_(stale_release_age_ms) {}

Status ServiceStrategy::Allocate(Json& spec, const Json* old_spec, const std::string& uid) {
  ServiceAllocations taken;  // newly taken by this call, undone on failure
  auto fail = [&](std::string message) {
    Free(taken, uid);
    return InternalError(std::move(message));
  };
  if (alloc_.ips && NeedsClusterIp(spec)) {
    bool had = old_spec != nullptr && NeedsClusterIp(*old_spec) && !PrimaryIp(*old_spec).empty();
    std::string ip = Str(spec, "clusterIP");
    if (!had && ip.empty()) {
      Result<std::string> next = alloc_.ips->AllocateNext(uid);
      if (!next.ok()) return fail("failed to allocate a serviceIP: " + next.status().message());
      taken.ips.insert(*next);
      spec["clusterIP"] = *next;
      spec["clusterIPs"] = Json::array({*next});
    } else if (!had && ip != "None" && !alloc_.ips->IsOwnedBy(ip, uid)) {
      if (alloc_.ips->Allocate(ip, uid).ok()) taken.ips.insert(ip);
    }
  }
  if (alloc_.ports && NeedsNodePorts(spec)) {
    bool allocate_new =
        Str(spec, "type") == "NodePort" || Bool(spec, "allocateLoadBalancerNodePorts", true);
    auto claim = [&](int64_t port) {
      if (!alloc_.ports->IsOwnedBy(static_cast<int>(port), uid) &&
          alloc_.ports->Allocate(static_cast<int>(port), uid).ok()) {
        taken.ports.insert(static_cast<int>(port));
      }
    };
    std::map<int64_t, int64_t> by_service_port;  // ports sharing a number share a node port
    Json* ports = ArrayAt(spec, "ports");
    for (size_t i = 0; ports != nullptr && i < ports->size(); ++i) {
      Json& p = (*ports)[i];
      int64_t np = Int(p, "nodePort");
      if (!p.is_object() || (np == 0 && !allocate_new)) continue;
      int64_t number = Int(p, "port");
      int64_t shared = by_service_port.count(number) ? by_service_port[number] : 0;
      if (shared == 0) {
        int64_t requested = np;
        for (size_t j = i + 1; requested == 0 && j < ports->size(); ++j) {
          if (Int((*ports)[j], "port") == number) requested = Int((*ports)[j], "nodePort");
        }
        if (requested != 0) {
          claim(requested);
        } else {
          Result<int> next = alloc_.ports->AllocateNext(uid);
          if (!next.ok()) return fail("failed to allocate a nodePort: " + next.status().message());
          taken.ports.insert(*next);
          requested = *next;
        }
        p["nodePort"] = requested;
        by_service_port[number] = requested;
      } else if (np == 0) {
        p["nodePort"] = shared;
      } else if (np != shared) {
        claim(np);
      }
    }
  }
  if (alloc_.ports && NeedsHealthCheckNodePort(spec)) {
    int64_t hc = Int(spec, "healthCheckNodePort");
    if (hc == 0) {
      Result<int> next = alloc_.ports->AllocateNext(uid);
      if (!next.ok()) {
        return fail("failed to allocate a healthCheckNodePort: " + next.status().message());
      }
      taken.ports.insert(*next);
      spec["healthCheckNodePort"] = *next;
    } else if (!alloc_.ports->IsOwnedBy(static_cast<int>(hc), uid) &&
               alloc_.ports->Allocate(static_cast<int>(hc), uid).ok()) {
      taken.ports.insert(static_cast<int>(hc));
    }
  }
  return Status::Ok();
}

void ServiceStrategy::CheckOwnership(const Json& spec, const std::string& uid, FieldErrors* errs) {
  std::string type = Str(spec, "type");
  if (alloc_.ips && NeedsClusterIp(spec)) {
    std::string ip = PrimaryIp(spec);
    uint32_t addr = 0;
    if (!ip.empty() && ip != "None" && ParseIpv4(ip, &addr) && !alloc_.ips->IsOwnedBy(ip, uid)) {
      std::string why = alloc_.ips->InRange(ip)
                            ? "provided IP is already allocated"
                            : "the provided IP (" + ip +
                                  ") is not in the valid range. The range of valid IPs is " +
                                  alloc_.ips->cidr();
      const Json* ips = ArrayAt(spec, "clusterIPs");
      errs->Invalid("spec.clusterIPs", ips != nullptr ? *ips : Json::array({ip}),
                    "failed to allocate IP " + ip + ": " + why);
    }
  }
  if (!alloc_.ports || type == "ClusterIP" || type == "ExternalName") return;
  auto check = [&](int64_t port, const std::string& path) {
    if (port == 0 || alloc_.ports->IsOwnedBy(static_cast<int>(port), uid)) return;
    errs->Invalid(path, port,
                  alloc_.ports->InRange(static_cast<int>(port))
                      ? "provided port is already allocated"
                      : "provided port is not in the valid range. The range of valid ports is " +
                            alloc_.ports->Range());
  };
  if (const Json* ports = ArrayAt(spec, "ports")) {
    for (size_t i = 0; i < ports->size(); ++i) {
      check(Int((*ports)[i], "nodePort"), Child(Index("spec.ports", i), "nodePort"));
    }
  }
  check(Int(spec, "healthCheckNodePort"), "spec.healthCheckNodePort");
}

void ServiceStrategy::Free(const ServiceAllocations& values, const std::string& uid) {
  for (const std::string& ip : values.ips) {
    if (alloc_.ips) alloc_.ips->Release(ip, uid);
  }
  for (int port : values.ports) {
    if (alloc_.ports) alloc_.ports->Release(port, uid);
  }
}

Status ServiceStrategy::Create(Json& obj) {
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  DefaultServiceSpec(*spec);
  obj["status"] = {{"loadBalancer", Json::object()}};
  FieldErrors pre;
  ValidateServiceSpec(*spec, &pre);
  if (BlocksAllocation(pre)) return Status::Ok();  // Validate rejects it; allocate nothing
  return Allocate(*spec, nullptr, UidOf(obj));
}

Status ServiceStrategy::Update(Json& obj, const Json& old) {
  Json* spec = ObjectAt(obj, "spec");
  if (spec == nullptr) return DecodeError("spec must be an object");
  const Json& old_spec = SpecOf(old);
  PrepareServiceUpdate(*spec, old_spec);
  DefaultServiceSpec(*spec);
  std::string uid = UidOf(old);
  FieldErrors pre;
  ValidateServiceSpec(*spec, &pre);
  ValidateServiceSpecUpdate(*spec, old_spec, &pre);
  if (!BlocksAllocation(pre)) CAPSTAN_RETURN_IF_ERROR(Allocate(*spec, &old_spec, uid));
  // Values neither the stored object nor this one uses were dropped by an earlier, committed
  // update (or left by a failed one): free them now that the store shows they are unused.
  ServiceAllocations keep = AllocationsOf(old);
  ServiceAllocations now = AllocationsOf(obj);
  keep.ips.insert(now.ips.begin(), now.ips.end());
  keep.ports.insert(now.ports.begin(), now.ports.end());
  if (alloc_.ips) {
    BitmapAllocator& b = alloc_.ips->bitmap();
    alloc_.ips->ReleaseOwnerExcept(uid, keep.ips, b.Now() - stale_release_age_ms_);
  }
  if (alloc_.ports) {
    BitmapAllocator& b = alloc_.ports->bitmap();
    alloc_.ports->ReleaseOwnerExcept(uid, keep.ports, b.Now() - stale_release_age_ms_);
  }
  return Status::Ok();
}

void ServiceStrategy::Check(const Json& obj, FieldErrors* errs) {
  ValidateServiceName(obj, errs);
  const Json& spec = SpecOf(obj);
  FieldErrors spec_errs;
  ValidateServiceSpec(spec, &spec_errs);
  if (spec_errs.empty()) CheckOwnership(spec, UidOf(obj), &spec_errs);
  errs->Append(spec_errs);
}

void ServiceStrategy::CheckUpdate(const Json& obj, const Json& old, FieldErrors* errs) {
  const Json& spec = SpecOf(obj);
  FieldErrors spec_errs;
  ValidateServiceSpecUpdate(spec, SpecOf(old), &spec_errs);
  ValidateServiceSpec(spec, &spec_errs);
  if (spec_errs.empty()) CheckOwnership(spec, UidOf(old), &spec_errs);
  errs->Append(spec_errs);
}

void ServiceStrategy::Deleted(const Json& obj) {
  std::string uid = UidOf(obj);
  if (alloc_.ips) alloc_.ips->ReleaseOwnerExcept(uid, {});
  if (alloc_.ports) alloc_.ports->ReleaseOwnerExcept(uid, {});
}

void ServiceStrategy::AbortCreate(const Json& obj) { Deleted(obj); }

void ServiceStrategy::AfterUpdate(const Json& obj, const Json& old, bool committed) {
  ServiceAllocations before = AllocationsOf(old);
  ServiceAllocations after = AllocationsOf(obj);
  const ServiceAllocations& from = committed ? before : after;
  const ServiceAllocations& minus = committed ? after : before;
  ServiceAllocations drop;
  for (const std::string& ip : from.ips) {
    if (minus.ips.count(ip) == 0) drop.ips.insert(ip);
  }
  for (int port : from.ports) {
    if (minus.ports.count(port) == 0) drop.ports.insert(port);
  }
  Free(drop, UidOf(old));
}

}  // namespace capstan::registry
