// `ClusterDns`: the cluster DNS service as `capstan server` runs it — informers of Services and
// EndpointSlices over core/client feeding a `DnsServer` (dns_server.h). Start(options) is the
// whole API; the coordinator wires it to flags. Tests: tests/core/dns/cluster_dns_test.cc.
#pragma once

#include <chrono>
#include <memory>

#include "core/client/api_client.h"
#include "core/client/informer.h"
#include "core/common/status.h"
#include "core/dns/dns_server.h"

namespace capstan::dns {

// A `ClusterView` over two informers (thread-safe as the informers' caches are).
class InformerClusterView : public ClusterView {
 public:
  // The informers are borrowed and must outlive the view.
  InformerClusterView(const client::Informer* services, const client::Informer* slices)
      : services_(services), slices_(slices) {}
  ObjectPtr Service(const std::string& ns, const std::string& name) const override;
  std::vector<ObjectPtr> AllServices() const override;
  std::vector<ObjectPtr> EndpointSlices(const std::string& ns,
                                        const std::string& service) const override;

 private:
  const client::Informer* services_;
  const client::Informer* slices_;
};

class ClusterDns {
 public:
  // Starts the informers, waits up to `sync_timeout` for their first lists, then serves.
  // `client` is borrowed and must outlive the result. Errors: those of DnsServer::Start;
  // kUnavailable when the informers do not sync in time.
  static Result<std::unique_ptr<ClusterDns>> Start(
      const DnsServerOptions& options, client::ApiClient* client,
      std::chrono::milliseconds sync_timeout = std::chrono::seconds(30));
  ~ClusterDns();  // Stop()s
  uint16_t port() const { return server_->port(); }
  // Stops serving, then the informers. Idempotent.
  void Stop();

 private:
  ClusterDns() = default;
  std::unique_ptr<client::Informer> services_;
  std::unique_ptr<client::Informer> slices_;
  std::unique_ptr<InformerClusterView> view_;
  std::unique_ptr<DnsServer> server_;
};

}  // namespace capstan::dns
