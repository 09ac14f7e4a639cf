// Cluster DNS over informers (cluster_dns.h).
#include "core/dns/cluster_dns.h"

namespace capstan::dns {

ObjectPtr InformerClusterView::Service(const std::string& ns, const std::string& name) const {
  return services_->Get(ns + "/" + name);
}

std::vector<ObjectPtr> InformerClusterView::AllServices() const { return services_->List(); }

std::vector<ObjectPtr> InformerClusterView::EndpointSlices(const std::string& ns,
                                                           const std::string& service) const {
  std::vector<ObjectPtr> out;
  for (const ObjectPtr& slice : slices_->List(ns)) {
    const nlohmann::json& o = *slice;
    auto meta = o.find("metadata");
    if (meta == o.end() || !meta->contains("labels")) continue;
    const nlohmann::json& labels = (*meta)["labels"];
    auto it = labels.find("kubernetes.io/service-name");
    if (it != labels.end() && it->is_string() && *it == service) out.push_back(slice);
  }
  return out;
}

Result<std::unique_ptr<ClusterDns>> ClusterDns::Start(const DnsServerOptions& options,
                                                      client::ApiClient* client,
                                                      std::chrono::milliseconds sync_timeout) {
  std::unique_ptr<ClusterDns> dns(new ClusterDns());
  client::InformerOptions services;
  services.path = "/api/v1/services";
  client::InformerOptions slices;
  slices.path = "/apis/discovery.k8s.io/v1/endpointslices";
  dns->services_ = std::make_unique<client::Informer>(client, services);
  dns->slices_ = std::make_unique<client::Informer>(client, slices);
  dns->view_ = std::make_unique<InformerClusterView>(dns->services_.get(), dns->slices_.get());
  dns->services_->Start();
  dns->slices_->Start();
  if (!dns->services_->WaitForSync(sync_timeout) || !dns->slices_->WaitForSync(sync_timeout)) {
    return UnavailableError("DNS: Services and EndpointSlices did not sync");
  }
  Result<std::unique_ptr<DnsServer>> server = DnsServer::Start(options, dns->view_.get());
  if (!server.ok()) return server.status();
  dns->server_ = std::move(*server);
  return dns;
}

ClusterDns::~ClusterDns() { Stop(); }

void ClusterDns::Stop() {
  if (server_) server_->Stop();
  if (slices_) slices_->Stop();
  if (services_) services_->Stop();
}

}  // namespace capstan::dns
