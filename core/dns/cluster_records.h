// What the cluster DNS answers, as the Kubernetes DNS specification (and CoreDNS's kubernetes
// plugin) define it: <svc>.<ns>.svc.<domain> A/AAAA (cluster IP, or the ready endpoints of a
// headless Service), CNAME for ExternalName, SRV for _<port>._<proto>.<svc>.<ns>.svc.<domain>
// and for the Service name, <host>.<svc>.<ns>.svc.<domain> for headless endpoints,
// <a-b-c-d>.<ns>.pod.<domain>, PTR for cluster and endpoint IPs; NXDOMAIN for other names in the
// domain. Pure logic over a `ClusterView`; dns_server.h serves it. Tests:
// tests/core/dns/cluster_records_test.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/dns/dns_message.h"

namespace capstan::dns {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

// The objects records are built from. Implementations must be thread-safe.
class ClusterView {
 public:
  virtual ~ClusterView() = default;
  virtual ObjectPtr Service(const std::string& ns, const std::string& name) const = 0;
  virtual std::vector<ObjectPtr> AllServices() const = 0;
  // discovery.k8s.io/v1 EndpointSlices labelled kubernetes.io/service-name=`service` in `ns`.
  virtual std::vector<ObjectPtr> EndpointSlices(const std::string& ns,
                                                const std::string& service) const = 0;
};

struct Answer {
  enum class Kind : uint8_t {
    kAnswer,    // NOERROR with `answers` (empty: the name exists without this type)
    kNxDomain,  // a name in the cluster domain (or a reverse name) nobody holds
    kNotOurs,   // outside the cluster domain: forward it
  };
  Kind kind = Kind::kNotOurs;
  std::vector<Record> answers;
  std::vector<Record> additional;
};

// Thread-safe when the view is.
class ClusterRecords {
 public:
  // `view` is borrowed and must outlive this. `domain` like "cluster.local".
  ClusterRecords(const ClusterView* view, const std::string& domain, uint32_t ttl = 5);

  Answer Resolve(const Question& question) const;
  // The SOA record of the cluster domain (authority section of NXDOMAIN/empty answers).
  Record Soa() const;
  const std::string& domain() const { return domain_; }

 private:
  Answer ServiceRecords(const nlohmann::json& svc, uint16_t type) const;
  Answer PortRecords(const nlohmann::json& svc, const std::string& port,
                     const std::string& proto) const;
  Answer EndpointHost(const nlohmann::json& svc, const std::string& host, uint16_t type) const;
  Answer Reverse(const std::string& ip) const;
  // Ready IPv4 endpoints of a Service: (host label, address).
  std::vector<std::pair<std::string, std::string>> ReadyEndpoints(const nlohmann::json& svc) const;
  std::string ServiceName(const nlohmann::json& svc) const;

  const ClusterView* view_;
  std::string domain_;
  uint32_t ttl_;
};

}  // namespace capstan::dns
