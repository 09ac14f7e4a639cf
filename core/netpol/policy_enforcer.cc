// The NetworkPolicy enforcer's informer handlers and sync thread (policy_enforcer.h).
#include "core/netpol/policy_enforcer.h"

#include <utility>

#include "core/common/log.h"

namespace capstan::netpol {
namespace {

constexpr char kLog[] = "netpol";

}  // namespace

PolicyEnforcer::PolicyEnforcer(EnforcerOptions options)
    : options_(std::move(options)), runner_(options_.nft_path, options_.netns) {}

PolicyEnforcer::~PolicyEnforcer() { Stop(); }

Result<std::unique_ptr<PolicyEnforcer>> PolicyEnforcer::Start(client::ApiClient* client,
                                                              EnforcerOptions options) {
  if (options.nft_path.empty() && proxy::NftRunner::FindNft().empty()) {
    return UnavailableError("network policy: nft is not installed");
  }
  std::unique_ptr<PolicyEnforcer> e(new PolicyEnforcer(std::move(options)));
  PolicyEnforcer* self = e.get();
  auto make = [&](const char* path, auto on_event) {
    client::InformerOptions o;
    o.path = path;
    auto informer = std::make_unique<client::Informer>(client, o);
    informer->AddHandler({[on_event](const client::ObjectPtr& obj) { on_event(*obj, false); },
                          [on_event](const client::ObjectPtr&, const client::ObjectPtr& obj) {
                            on_event(*obj, false);
                          },
                          [on_event](const client::ObjectPtr& obj) { on_event(*obj, true); }});
    return informer;
  };
  e->policies_ = make("/apis/networking.k8s.io/v1/networkpolicies",
                      [self](const nlohmann::json& o, bool deleted) {
                        PolicyInfo p = ParsePolicy(o);
                        self->Record(&self->view_.policies, p, p.ns + "/" + p.name, deleted);
                      });
  e->pods_ = make("/api/v1/pods", [self](const nlohmann::json& o, bool deleted) {
    PodInfo p = ParsePod(o);
    self->Record(&self->view_.pods, p, p.ns + "/" + p.name, deleted);
  });
  e->namespaces_ = make("/api/v1/namespaces", [self](const nlohmann::json& o, bool deleted) {
    NamespaceInfo n = ParseNamespace(o);
    self->Record(&self->view_.namespaces, n, n.name, deleted);
  });
  for (client::Informer* i : {e->policies_.get(), e->pods_.get(), e->namespaces_.get()}) {
    i->Start();
  }
  for (client::Informer* i : {e->policies_.get(), e->pods_.get(), e->namespaces_.get()}) {
    if (!i->WaitForSync(e->options_.sync_timeout)) {
      return UnavailableError("network policy: " + i->options().path + " did not sync in time");
    }
  }
  if (Status s = e->Sync(true); !s.ok()) return s.WithContext("network policy");
  e->thread_ = std::thread([self] { self->Run(); });
  log::Info(kLog, "NetworkPolicy enforcement running",
            {{"table", e->options_.table}, {"node", e->options_.node_name}});
  return e;
}

void PolicyEnforcer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto* i : {policies_.get(), pods_.get(), namespaces_.get()}) {
    if (i != nullptr) i->Stop();
  }
  if (thread_.joinable()) thread_.join();
  if (table_loaded_) {
    Status s = runner_.Apply(DeleteTableScript(options_.table));
    if (!s.ok()) log::Warn(kLog, "deleting the table failed", {{"error", s.ToString()}});
    table_loaded_ = false;
  }
}

uint64_t PolicyEnforcer::SeenEvents() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

uint64_t PolicyEnforcer::AppliedEvents() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_;
}

EnforcerStats PolicyEnforcer::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

template <typename Info>
void PolicyEnforcer::Record(std::map<std::string, Info>* into, const Info& info,
                            const std::string& key, bool deleted) {
  std::lock_guard<std::mutex> lock(mu_);
  if (deleted) {
    into->erase(key);
  } else {
    (*into)[key] = info;
  }
  ++seen_;
  cv_.notify_all();
}

std::map<std::string, PodChains> PolicyEnforcer::Desired(uint64_t* seen) {
  std::map<std::string, PodPolicy> policies;
  {
    // Evaluated under the lock: handlers wait for at most one evaluation, never for nft.
    std::lock_guard<std::mutex> lock(mu_);
    *seen = seen_;
    policies = EvaluateNode(view_, options_.node_name);
  }
  std::map<std::string, PodChains> out;
  for (const auto& [ip, p] : policies) {
    PodChains c = RenderPod(p);
    if (c.ingress_isolated || c.egress_isolated) out[ip] = std::move(c);
  }
  return out;
}

Status PolicyEnforcer::Sync(bool full) {
  uint64_t seen = 0;
  std::map<std::string, PodChains> desired = Desired(&seen);
  std::string script = full ? FullTableScript(options_.table, desired)
                            : DeltaScript(options_.table, applied_state_, desired);
  if (!script.empty()) {
    if (Status s = runner_.Apply(script); !s.ok()) return s;
  }
  if (full) table_loaded_ = true;
  applied_state_ = std::move(desired);
  std::lock_guard<std::mutex> lock(mu_);
  if (full) {
    ++stats_.full_syncs;
  } else if (!script.empty()) {
    ++stats_.delta_syncs;
  }
  applied_ = seen;
  return Status::Ok();
}

void PolicyEnforcer::Run() {
  bool need_full = false;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || need_full || seen_ != applied_; });
      if (stopping_) return;
    }
    Status s = Sync(need_full);
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
    if (need_full) cv_.wait_for(lock, options_.retry_interval, [&] { return stopping_; });
    need_full = true;
  }
}

}  // namespace capstan::netpol
