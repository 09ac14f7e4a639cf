// LeaderElector (leader_elector.h): the acquire/renew loop on a coordination.k8s.io/v1 Lease.
// Expiry is judged on the local monotonic clock from when the Lease record was last seen to
// change (as client-go does), so clock skew between candidates does not matter.
#include "core/client/leader_elector.h"

#include <ctime>

#include "core/client/paths.h"
#include "core/common/log.h"

namespace capstan::client {
namespace {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// metav1.MicroTime: RFC 3339 with microseconds, UTC.
std::string NowMicroTime() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(us % 1'000'000));
  return buf;
}

std::string StringOr(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<std::unique_ptr<LeaderElector>> LeaderElector::Start(ApiClient* client,
                                                            LeaderElectorOptions options) {
  if (client == nullptr) return InvalidError("leader election: no client");
  if (options.lease_name.empty()) return InvalidError("leader election: lease_name is empty");
  if (options.lease_namespace.empty()) {
    return InvalidError("leader election: lease_namespace is empty");
  }
  if (options.identity.empty()) return InvalidError("leader election: identity is empty");
  if (options.lease_duration.count() <= 0 || options.renew_deadline.count() <= 0 ||
      options.retry_period.count() <= 0) {
    return InvalidError("leader election: durations must be positive");
  }
  if (options.renew_deadline >= options.lease_duration) {
    return InvalidError("leader election: renew_deadline must be less than lease_duration");
  }
  if (options.retry_period >= options.renew_deadline) {
    return InvalidError("leader election: retry_period must be less than renew_deadline");
  }
  std::unique_ptr<LeaderElector> e(new LeaderElector(client, std::move(options)));
  e->thread_ = std::thread([raw = e.get()] { raw->Run(); });
  return e;
}

LeaderElector::LeaderElector(ApiClient* client, LeaderElectorOptions options)
    : client_(client), options_(std::move(options)) {}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

bool LeaderElector::IsLeader() const {
  std::lock_guard l(mu_);
  return leading_;
}

std::string LeaderElector::Leader() const {
  std::lock_guard l(mu_);
  return observed_holder_;
}

bool LeaderElector::SleepFor(std::chrono::milliseconds d) {
  std::unique_lock l(mu_);
  return !cv_.wait_for(l, d, [&] { return stopping_; });
}

std::string LeaderElector::LeasePath() const {
  return ResourcePath("coordination.k8s.io", "v1", "leases", options_.lease_namespace,
                      options_.lease_name);
}

Json LeaderElector::LeaseSpec(const Json* old_spec) const {
  auto secs = std::chrono::ceil<std::chrono::seconds>(options_.lease_duration).count();
  std::string now = NowMicroTime();
  Json spec = {{"holderIdentity", options_.identity},
               {"leaseDurationSeconds", std::max<int64_t>(1, secs)},
               {"renewTime", now}};
  std::string old_holder = old_spec ? StringOr(*old_spec, "holderIdentity") : "";
  int64_t transitions = 0;
  if (old_spec != nullptr) {
    auto t = old_spec->find("leaseTransitions");
    if (t != old_spec->end() && t->is_number_integer()) transitions = t->get<int64_t>();
  }
  if (old_spec != nullptr && old_holder == options_.identity) {
    spec["acquireTime"] = old_spec->value("acquireTime", now);
    spec["leaseTransitions"] = transitions;
  } else {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = old_spec != nullptr ? transitions + 1 : 0;
  }
  return spec;
}

void LeaderElector::ObserveHolder(const std::string& holder) {
  bool changed;
  {
    std::lock_guard l(mu_);
    changed = holder != observed_holder_;
    observed_holder_ = holder;
  }
  if (changed && options_.on_new_leader && !holder.empty()) options_.on_new_leader(holder);
}

bool LeaderElector::TryAcquireOrRenew() {
  Result<Json> lease = client_->Get(LeasePath(), options_.renew_deadline);
  if (!lease.ok() && lease.status().code() == StatusCode::kNotFound) {
    Json obj = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", options_.lease_name}, {"namespace", options_.lease_namespace}}},
        {"spec", LeaseSpec(nullptr)}};
    Result<Json> created = client_->Create(
        ResourcePath("coordination.k8s.io", "v1", "leases", options_.lease_namespace), obj,
        options_.renew_deadline);
    if (!created.ok()) return false;  // kAlreadyExists: another candidate was faster
    {
      std::lock_guard l(mu_);
      observed_record_ = created->dump();
      observed_time_ = SteadyClock::now();
    }
    ObserveHolder(options_.identity);
    return true;
  }
  if (!lease.ok()) {
    log::Warn("leader", "cannot read lease",
              {{"lease", LeasePath()}, {"error", lease.status().ToString()}});
    return false;
  }
  Json spec = lease->value("spec", Json::object());
  if (!spec.is_object()) spec = Json::object();
  std::string holder = StringOr(spec, "holderIdentity");
  std::string record = spec.dump();
  auto now = SteadyClock::now();
  bool expired;
  {
    std::lock_guard l(mu_);
    if (record != observed_record_) {
      observed_record_ = record;
      observed_time_ = now;
    }
    int64_t duration_s = 0;
    if (auto d = spec.find("leaseDurationSeconds"); d != spec.end() && d->is_number_integer()) {
      duration_s = d->get<int64_t>();
    }
    expired = now >= observed_time_ + std::chrono::seconds(duration_s);
  }
  ObserveHolder(holder);
  if (!holder.empty() && holder != options_.identity && !expired) return false;
  (*lease)["spec"] = LeaseSpec(&spec);
  // metadata.resourceVersion (kept from the GET) makes this a compare-and-swap: 409 if anyone
  // wrote the Lease since.
  Result<Json> updated = client_->Update(LeasePath(), *lease, options_.renew_deadline);
  if (!updated.ok()) return false;
  {
    std::lock_guard l(mu_);
    observed_record_ = updated->value("spec", Json::object()).dump();
    observed_time_ = SteadyClock::now();
  }
  ObserveHolder(options_.identity);
  return true;
}

Status LeaderElector::Release() {
  Result<Json> lease = client_->Get(LeasePath(), options_.renew_deadline);
  if (!lease.ok()) return lease.status();
  Json& spec = (*lease)["spec"];
  if (!spec.is_object() || StringOr(spec, "holderIdentity") != options_.identity) {
    return Status::Ok();  // no longer ours
  }
  spec["holderIdentity"] = "";
  spec["leaseDurationSeconds"] = 1;
  spec["renewTime"] = NowMicroTime();
  Result<Json> updated = client_->Update(LeasePath(), *lease, options_.renew_deadline);
  return updated.status();
}

void LeaderElector::Run() {
  bool held = false;  // this identity holds the Lease as far as we know
  while (true) {
    // Candidate: try until this identity holds the Lease.
    while (!TryAcquireOrRenew()) {
      if (!SleepFor(options_.retry_period)) return;
    }
    held = true;
    {
      std::lock_guard l(mu_);
      if (stopping_) break;  // acquired while stopping: release below without leading
      leading_ = true;
    }
    log::Info("leader", "started leading",
              {{"lease", LeasePath()}, {"identity", options_.identity}});
    if (options_.on_started_leading) options_.on_started_leading();
    // Leader: renew every retry_period; give up after renew_deadline without a success.
    auto last_renew = SteadyClock::now();
    bool stopping = false;
    while (true) {
      if (!SleepFor(options_.retry_period)) {
        stopping = true;
        break;
      }
      if (TryAcquireOrRenew()) {
        last_renew = SteadyClock::now();
      } else if (SteadyClock::now() - last_renew >= options_.renew_deadline) {
        held = false;
        break;
      }
    }
    {
      std::lock_guard l(mu_);
      leading_ = false;
    }
    log::Info("leader", "stopped leading",
              {{"lease", LeasePath()}, {"identity", options_.identity}});
    if (options_.on_stopped_leading) options_.on_stopped_leading();
    if (stopping) break;
  }
  if (held && options_.release_on_stop) {
    Status s = Release();
    if (!s.ok())
      log::Warn("leader", "release failed", {{"lease", LeasePath()}, {"error", s.ToString()}});
  }
}

}  // namespace capstan::client
