// A `ClusterView` over fixed objects for the tests of core/dns.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/dns/cluster_records.h"

namespace capstan::dns::testing {

using nlohmann::json;

class FakeClusterView : public ClusterView {
 public:
  void AddService(json svc) {
    std::lock_guard<std::mutex> l(mu_);
    std::string key = svc["metadata"]["namespace"].get<std::string>() + "/" +
                      svc["metadata"]["name"].get<std::string>();
    services_[key] = std::make_shared<const json>(std::move(svc));
  }
  void AddSlice(const std::string& ns, const std::string& service, json slice) {
    std::lock_guard<std::mutex> l(mu_);
    slices_[ns + "/" + service].push_back(std::make_shared<const json>(std::move(slice)));
  }
  ObjectPtr Service(const std::string& ns, const std::string& name) const override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = services_.find(ns + "/" + name);
    return it == services_.end() ? nullptr : it->second;
  }
  std::vector<ObjectPtr> AllServices() const override {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<ObjectPtr> out;
    for (const auto& [k, v] : services_) out.push_back(v);
    return out;
  }
  std::vector<ObjectPtr> EndpointSlices(const std::string& ns,
                                        const std::string& service) const override {
    std::lock_guard<std::mutex> l(mu_);
    auto it = slices_.find(ns + "/" + service);
    return it == slices_.end() ? std::vector<ObjectPtr>{} : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, ObjectPtr> services_;
  std::map<std::string, std::vector<ObjectPtr>> slices_;
};

inline json Svc(const std::string& name, const std::string& ns, const std::string& cluster_ip,
                const std::string& type = "ClusterIP") {
  json spec = {{"type", type},
               {"clusterIP", cluster_ip},
               {"ports", json::array({{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}})}};
  if (!cluster_ip.empty()) spec["clusterIPs"] = json::array({cluster_ip});
  return {{"metadata", {{"name", name}, {"namespace", ns}}}, {"spec", spec}};
}

inline json Endpoint(const std::string& ip, bool ready, const std::string& hostname = "") {
  json ep = {{"addresses", json::array({ip})}, {"conditions", {{"ready", ready}}}};
  if (!hostname.empty()) ep["hostname"] = hostname;
  return ep;
}

inline json Slice(json endpoints) {
  return {{"addressType", "IPv4"}, {"endpoints", std::move(endpoints)}};
}

// A view with default/web (ClusterIP 10.96.0.50), default/db (headless, two ready endpoints,
// one not ready, one with hostname "db-0") and default/ext (ExternalName example.org).
inline std::unique_ptr<FakeClusterView> SampleView() {
  auto view = std::make_unique<FakeClusterView>();
  view->AddService(Svc("web", "default", "10.96.0.50"));
  view->AddService(Svc("db", "default", "None"));
  view->AddSlice(
      "default", "db",
      Slice(json::array({Endpoint("10.244.0.11", true, "db-0"), Endpoint("10.244.0.12", true),
                         Endpoint("10.244.0.13", false)})));
  json ext = Svc("ext", "default", "", "ExternalName");
  ext["spec"]["externalName"] = "example.org";
  view->AddService(ext);
  return view;
}

}  // namespace capstan::dns::testing
