// The service proxy's informer handlers and sync thread (service_proxy.h).
#include "core/proxy/service_proxy.h"

#include <utility>

#include "core/common/log.h"
#include "core/proxy/nft_data_plane.h"
#include "core/proxy/nft_runner.h"

namespace capstan::proxy {
namespace {

constexpr char kLog[] = "proxy";

std::string Key(const std::string& ns, const std::string& name) { return ns + "/" + name; }

}  // namespace

ServiceProxy::ServiceProxy(ProxyOptions options, std::unique_ptr<DataPlane> plane)
    : options_(std::move(options)), plane_(std::move(plane)) {}

ServiceProxy::~ServiceProxy() { Stop(); }

Result<std::unique_ptr<ServiceProxy>> ServiceProxy::Start(client::ApiClient* client,
                                                          ProxyOptions options) {
  if (options.nft_path.empty() && NftRunner::FindNft().empty()) {
    return Status(StatusCode::kUnavailable, "service proxy: nft is not installed");
  }
  auto plane = std::make_unique<NftDataPlane>(
      NftPlaneOptions{options.rules, options.nft_path, options.netns, options.load_parallelism});
  return Start(client, std::move(options), std::move(plane));
}

Result<std::unique_ptr<ServiceProxy>> ServiceProxy::Start(client::ApiClient* client,
                                                          ProxyOptions options,
                                                          std::unique_ptr<DataPlane> plane) {
  std::unique_ptr<ServiceProxy> p(new ServiceProxy(std::move(options), std::move(plane)));
  client::InformerOptions services;
  services.path = "/api/v1/services";
  client::InformerOptions slices;
  slices.path = "/apis/discovery.k8s.io/v1/endpointslices";
  p->services_informer_ = std::make_unique<client::Informer>(client, services);
  p->slices_informer_ = std::make_unique<client::Informer>(client, slices);
  ServiceProxy* self = p.get();
  p->services_informer_->AddHandler(
      {[self](const client::ObjectPtr& o) { self->OnService(o, false); },
       [self](const client::ObjectPtr&, const client::ObjectPtr& o) { self->OnService(o, false); },
       [self](const client::ObjectPtr& o) { self->OnService(o, true); }});
  p->slices_informer_->AddHandler(
      {[self](const client::ObjectPtr& o) { self->OnSlice(o, false); },
       [self](const client::ObjectPtr&, const client::ObjectPtr& o) { self->OnSlice(o, false); },
       [self](const client::ObjectPtr& o) { self->OnSlice(o, true); }});
  p->services_informer_->Start();
  p->slices_informer_->Start();
  if (!p->services_informer_->WaitForSync(p->options_.sync_timeout) ||
      !p->slices_informer_->WaitForSync(p->options_.sync_timeout)) {
    return Status(StatusCode::kUnavailable,
                  "service proxy: Services and EndpointSlices did not sync in time");
  }
  if (Status s = p->FullSync(); !s.ok()) return s.WithContext("service proxy");
  {
    std::lock_guard<std::mutex> lock(p->mu_);
    p->started_ = true;
  }
  p->thread_ = std::thread([self] { self->Run(); });
  log::Info(kLog, "service proxy running", {{"mode", p->plane_->Name()}});
  return p;
}

void ServiceProxy::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (services_informer_) services_informer_->Stop();
  if (slices_informer_) slices_informer_->Stop();
  if (thread_.joinable()) thread_.join();
  if (plane_loaded_) {
    plane_->Clear();
    plane_loaded_ = false;
  }
}

uint64_t ServiceProxy::SeenEvents() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

uint64_t ServiceProxy::AppliedEvents() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_;
}

ProxyStats ServiceProxy::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void ServiceProxy::OnService(const client::ObjectPtr& object, bool deleted) {
  ServiceInfo info = ParseService(*object);
  std::string key = Key(info.ns, info.name);
  std::lock_guard<std::mutex> lock(mu_);
  if (deleted) {
    services_.erase(key);
  } else {
    services_[key] = std::move(info);
  }
  MarkDirty(key);
}

void ServiceProxy::OnSlice(const client::ObjectPtr& object, bool deleted) {
  SliceInfo info = ParseEndpointSlice(*object);
  std::string slice_key = Key(info.ns, info.name);
  std::lock_guard<std::mutex> lock(mu_);
  // A slice may have changed owner (its service-name label): the old owner loses it.
  if (auto it = slice_owner_.find(slice_key); it != slice_owner_.end()) {
    auto owner = slices_.find(it->second);
    if (owner != slices_.end()) {
      owner->second.erase(info.name);
      if (owner->second.empty()) slices_.erase(owner);
    }
    MarkDirty(it->second);
    slice_owner_.erase(it);
  }
  if (deleted || info.service.empty()) return;
  std::string key = Key(info.ns, info.service);
  slice_owner_[slice_key] = key;
  slices_[key][info.name] = std::move(info);
  MarkDirty(key);
}

void ServiceProxy::MarkDirty(const std::string& key) {
  dirty_.insert(key);
  ++seen_;
  cv_.notify_all();
}

std::vector<ServicePortState> ServiceProxy::Desired(const std::string& key) {
  auto svc = services_.find(key);
  if (svc == services_.end()) return {};
  std::vector<const SliceInfo*> slices;
  if (auto it = slices_.find(key); it != slices_.end()) {
    for (const auto& [name, slice] : it->second) slices.push_back(&slice);
  }
  return BuildPortStates(svc->second, slices, options_.node_name);
}

void ServiceProxy::AssignGroups(std::vector<ServicePortState>* ports) {
  for (ServicePortState& p : *ports) {
    auto [it, inserted] = groups_.try_emplace(p.id, 0);
    if (inserted) {
      if (!free_groups_.empty()) {
        it->second = free_groups_.back();
        free_groups_.pop_back();
      } else {
        it->second = next_group_++;
      }
    }
    p.group = it->second;
  }
}

Status ServiceProxy::FullSync() {
  std::map<std::string, std::vector<ServicePortState>> desired;
  uint64_t seen = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, svc] : services_) {
      std::vector<ServicePortState> ports = Desired(key);
      if (!ports.empty()) desired[key] = std::move(ports);
    }
    dirty_.clear();
    seen = seen_;
  }
  std::set<std::string> ids;
  std::vector<const ServicePortState*> all;
  for (auto& [key, ports] : desired) {
    AssignGroups(&ports);
    for (const ServicePortState& p : ports) {
      ids.insert(p.id);
      all.push_back(&p);
    }
  }
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (ids.count(it->first) != 0) {
      ++it;
      continue;
    }
    free_groups_.push_back(it->second);
    it = groups_.erase(it);
  }
  plane_loaded_ = true;  // a failed Full may have left parts: Stop clears them too
  if (Status s = plane_->Full(all); !s.ok()) return s;
  applied_state_ = std::move(desired);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.full_syncs;
  applied_ = seen;
  return Status::Ok();
}

Status ServiceProxy::DeltaSync(const std::set<std::string>& keys, uint64_t seen) {
  std::map<std::string, std::vector<ServicePortState>> desired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& key : keys) desired[key] = Desired(key);
  }
  std::vector<PortChange> changes;
  for (auto& [key, ports] : desired) {
    AssignGroups(&ports);
    std::map<std::string, const ServicePortState*> before, after;
    if (auto it = applied_state_.find(key); it != applied_state_.end()) {
      for (const ServicePortState& p : it->second) before[p.id] = &p;
    }
    for (const ServicePortState& p : ports) after[p.id] = &p;
    for (const auto& [id, p] : before) {
      auto a = after.find(id);
      const ServicePortState* next = a == after.end() ? nullptr : a->second;
      if (next == nullptr || !(*next == *p)) changes.push_back({p, next});
      if (a == after.end()) {  // the port is gone: its group is free again
        free_groups_.push_back(groups_[id]);
        groups_.erase(id);
      }
    }
    for (const auto& [id, p] : after) {
      if (before.count(id) == 0) changes.push_back({nullptr, p});
    }
  }
  if (!changes.empty()) {
    if (Status s = plane_->Delta(changes); !s.ok()) return s;
  }
  for (auto& [key, ports] : desired) {
    if (ports.empty()) {
      applied_state_.erase(key);
    } else {
      applied_state_[key] = std::move(ports);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!changes.empty()) ++stats_.delta_syncs;
  applied_ = seen;
  return Status::Ok();
}

void ServiceProxy::Run() {
  bool need_full = false;
  while (true) {
    std::set<std::string> keys;
    uint64_t seen = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || need_full || !dirty_.empty(); });
      if (stopping_) return;
      if (!need_full) {
        keys.swap(dirty_);
        seen = seen_;
      }
    }
    Status s = need_full ? FullSync() : DeltaSync(keys, seen);
    if (s.ok()) {
      need_full = false;
      continue;
    }
    log::Warn(kLog, need_full ? "full sync failed" : "incremental sync failed; resyncing",
              {{"error", s.ToString()}});
    std::unique_lock<std::mutex> lock(mu_);
    ++stats_.errors;
    stats_.last_error = s.ToString();
    // After a failed full sync, wait before the next one; a failed delta resyncs at once.
    if (need_full) {
      cv_.wait_for(lock, options_.retry_interval, [&] { return stopping_; });
    }
    need_full = true;
  }
}

}  // namespace capstan::proxy
