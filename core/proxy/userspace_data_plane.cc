// The userspace data plane (userspace_data_plane.h): the I/O thread, the service ports' listener
// sets and the reference-counted service addresses on the link.
#include "core/proxy/userspace_data_plane.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <tuple>
#include <utility>

#include "core/common/log.h"
#include "core/proxy/userspace_forwarder.h"
#include "core/proxy/userspace_interface.h"

namespace capstan::proxy {
namespace {

namespace asio = boost::asio;

// Failed binds are retried and idle affinity entries forgotten this often.
constexpr std::chrono::seconds kMaintenanceInterval{5};

struct ListenerKey {
  uint32_t ip = 0;  // host order; 0: every address (NodePort)
  uint16_t port = 0;
  bool udp = false;
  bool external = false;
  friend bool operator==(const ListenerKey&, const ListenerKey&) = default;
  friend bool operator<(const ListenerKey& a, const ListenerKey& b) {
    return std::tie(a.ip, a.port, a.udp, a.external) < std::tie(b.ip, b.port, b.udp, b.external);
  }
  std::string ToString() const {
    in_addr a{htonl(ip)};
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &a, text, sizeof(text));
    return std::string(udp ? "udp " : "tcp ") + text + ":" + std::to_string(port);
  }
};

uint32_t ParseIp(const std::string& ip, bool* ok) {
  in_addr a{};
  *ok = inet_pton(AF_INET, ip.c_str(), &a) == 1;
  return ntohl(a.s_addr);
}

// The service addresses of a port, each once.
std::set<std::string> Addresses(const ServicePortState& s) {
  std::set<std::string> out(s.cluster_ips.begin(), s.cluster_ips.end());
  out.insert(s.external_ips.begin(), s.external_ips.end());
  return out;
}

// The sockets `s` needs: none for a kind of traffic without endpoints (the kernel refuses it).
std::vector<ListenerKey> Keys(const ServicePortState& s, const PortBackends& backends) {
  std::vector<ListenerKey> out;
  bool udp = s.protocol == "udp";
  if (!udp && s.protocol != "tcp") return out;
  auto add = [&](const std::string& ip, uint16_t port, bool external) {
    bool ok = false;
    uint32_t v = ParseIp(ip, &ok);
    if (ok) out.push_back({v, port, udp, external});
  };
  if (backends.HasEndpoints(false)) {
    for (const std::string& ip : s.cluster_ips) add(ip, s.port, false);
  }
  if (backends.HasEndpoints(true)) {
    for (const std::string& ip : s.external_ips) add(ip, s.port, true);
    if (s.node_port != 0) out.push_back({0, s.node_port, udp, true});
  }
  return out;
}

}  // namespace

struct UserspaceDataPlane::Impl {
  struct PortEntry {
    ServicePortState state;
    std::shared_ptr<PortBackends> backends = std::make_shared<PortBackends>();
    std::map<ListenerKey, std::shared_ptr<Listener>> listeners;  // null: bind failed, retried
  };

  explicit Impl(UserspacePlaneOptions o)
      : options(std::move(o)), ctx{io, &stats}, iface(options.interface), maintenance(io) {
    ctx.udp_idle_timeout = options.udp_idle_timeout;
    thread = std::thread([this] { io.run(); });
    pthread_setname_np(thread.native_handle(), "capstan-usproxy");  // for top -H, perf
  }

  // Runs `f` on the I/O thread and waits for its Status.
  template <typename F>
  Status OnIo(F f) {
    std::promise<Status> done;
    std::future<Status> result = done.get_future();
    asio::post(io, [&] { done.set_value(f()); });
    return result.get();
  }

  // Enters the namespace (once) and makes sure the link exists. I/O thread.
  Status Prepare() {
    if (!in_netns && !options.netns.empty()) {
      std::string path = options.netns.find('/') == std::string::npos
                             ? "/run/netns/" + options.netns
                             : options.netns;
      int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return UnavailableError("opening " + path + ": " + std::strerror(errno));
      int rc = setns(fd, CLONE_NEWNET);
      int err = errno;
      close(fd);
      if (rc != 0) return UnavailableError("entering " + path + ": " + std::strerror(err));
    }
    in_netns = true;
    CAPSTAN_RETURN_IF_ERROR(iface.Ensure());
    prepared = true;
    if (!maintenance_running) {
      maintenance_running = true;
      Maintain();
    }
    return Status::Ok();
  }

  // Null when the socket cannot be bound (logged unless `retry`: once per listener is enough).
  std::shared_ptr<Listener> Open(const ListenerKey& k, const PortEntry& e, bool retry = false) {
    Result<std::shared_ptr<Listener>> l =
        k.udp ? ListenUdp(&ctx, e.backends, k.ip, k.port, k.external)
              : ListenTcp(&ctx, e.backends, k.ip, k.port, k.external);
    if (!l.ok()) {
      stats.bind_failures.fetch_add(1, std::memory_order_relaxed);
      if (!retry) {
        log::Warn("proxy", "userspace listener not bound; retried every few seconds",
                  {{"service", e.state.id}, {"error", l.status().ToString()}});
      }
      return nullptr;
    }
    if (retry) log::Info("proxy", "userspace listener bound", {{"listener", k.ToString()}});
    listeners.fetch_add(1, std::memory_order_relaxed);
    return *l;
  }

  void CloseAll(PortEntry* e) {
    for (auto& [key, l] : e->listeners) {
      if (!l) continue;
      l->Close();
      listeners.fetch_sub(1, std::memory_order_relaxed);
    }
    e->listeners.clear();
  }

  // A change applies in two steps so that an address:port moving between service ports in one
  // batch is free before its new owner binds it (as nft_rules.h's RulesDelta orders removals
  // first). Addresses are the caller's business.
  // Step 1: takes `after` (null: the port goes) and closes the listeners it no longer wants.
  void Retire(const std::string& id, const ServicePortState* after) {
    auto it = ports.find(id);
    if (after == nullptr) {
      if (it == ports.end()) return;
      CloseAll(&it->second);
      ports.erase(it);
      return;
    }
    if (it == ports.end()) {
      it = ports.emplace(id, PortEntry()).first;
      if (after->protocol != "tcp" && after->protocol != "udp") {
        log::Warn("proxy", "userspace mode serves tcp and udp only", {{"service", id}});
      }
    }
    PortEntry& e = it->second;
    e.state = *after;
    e.backends->Update(*after);
    std::vector<ListenerKey> wanted = Keys(*after, *e.backends);
    std::erase_if(e.listeners, [&](auto& entry) {
      if (std::find(wanted.begin(), wanted.end(), entry.first) != wanted.end()) return false;
      if (entry.second) {
        entry.second->Close();
        listeners.fetch_sub(1, std::memory_order_relaxed);
      }
      return true;
    });
  }

  // Step 2 (after step 1 of every change): opens the listeners port `id` wants and lacks.
  void Serve(const std::string& id) {
    auto it = ports.find(id);
    if (it == ports.end()) return;
    PortEntry& e = it->second;
    for (const ListenerKey& k : Keys(e.state, *e.backends)) {
      auto l = e.listeners.find(k);
      if (l == e.listeners.end()) {
        e.listeners.emplace(k, Open(k, e));
      } else if (l->second) {
        l->second->EndpointsChanged();
      }
    }
  }

  Status Full(const std::vector<const ServicePortState*>& wanted) {
    CAPSTAN_RETURN_IF_ERROR(Prepare());
    std::map<std::string, const ServicePortState*> by_id;
    std::map<std::string, int> refs;
    for (const ServicePortState* s : wanted) {
      by_id[s->id] = s;
      for (const std::string& a : Addresses(*s)) ++refs[a];
    }
    Result<std::vector<std::string>> present = iface.List();
    if (!present.ok()) return present.status();
    std::set<std::string> have(present->begin(), present->end());
    for (const auto& [a, n] : refs) {
      if (!have.count(a)) CAPSTAN_RETURN_IF_ERROR(iface.Add(a));
    }
    std::vector<std::string> gone;
    for (const auto& [id, e] : ports) {
      if (!by_id.count(id)) gone.push_back(id);
    }
    for (const std::string& id : gone) Retire(id, nullptr);
    for (const auto& [id, s] : by_id) Retire(id, s);
    for (const auto& [id, s] : by_id) Serve(id);
    address_refs = std::move(refs);
    for (const std::string& a : have) {
      if (!address_refs.count(a)) CAPSTAN_RETURN_IF_ERROR(iface.Remove(a));
    }
    return Status::Ok();
  }

  Status Delta(const std::vector<PortChange>& changes) {
    CAPSTAN_RETURN_IF_ERROR(Prepare());
    auto id_of = [](const PortChange& c) -> const std::string& {
      return (c.after != nullptr ? c.after : c.before)->id;
    };
    // The addresses each port had, before step 1 replaces its state.
    std::vector<std::set<std::string>> before(changes.size());
    for (size_t i = 0; i < changes.size(); ++i) {
      auto it = ports.find(id_of(changes[i]));
      if (it != ports.end()) before[i] = Addresses(it->second.state);
    }
    // Addresses come before listeners (binding needs them) and go after them.
    for (const PortChange& c : changes) {
      if (c.after == nullptr) continue;
      for (const std::string& a : Addresses(*c.after)) {
        if (address_refs[a]++ == 0) CAPSTAN_RETURN_IF_ERROR(iface.Add(a));
      }
    }
    for (const PortChange& c : changes) Retire(id_of(c), c.after);
    for (const PortChange& c : changes) {
      if (c.after != nullptr) Serve(c.after->id);
    }
    std::vector<std::string> unused;
    for (const std::set<std::string>& addresses : before) {
      for (const std::string& a : addresses) {
        auto r = address_refs.find(a);
        if (r != address_refs.end() && --r->second <= 0) {
          address_refs.erase(r);
          unused.push_back(a);
        }
      }
    }
    for (const std::string& a : unused) CAPSTAN_RETURN_IF_ERROR(iface.Remove(a));
    return Status::Ok();
  }

  void Clear() {
    for (auto& [id, e] : ports) CloseAll(&e);
    ports.clear();
    address_refs.clear();
    if (!prepared) return;
    if (Status s = iface.Delete(); !s.ok()) {
      log::Warn("proxy", "deleting the service link failed", {{"error", s.ToString()}});
    }
    prepared = false;
  }

  // Retries failed binds and forgets idle affinity, every kMaintenanceInterval.
  void Maintain() {
    maintenance.expires_after(kMaintenanceInterval);
    maintenance.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      for (auto& [id, e] : ports) {
        e.backends->ExpireAffinity();
        for (auto& [key, l] : e.listeners) {
          if (!l) l = Open(key, e, /*retry=*/true);
        }
      }
      Maintain();
    });
  }

  const UserspacePlaneOptions options;
  // Outlives `io`: handlers destroyed with `io` update it.
  ForwarderStats stats;
  std::atomic<int64_t> listeners{0};
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  ForwarderContext ctx;
  // I/O thread only, from here on.
  ServiceInterface iface;
  asio::steady_timer maintenance;
  bool in_netns = false, prepared = false, maintenance_running = false;
  std::map<std::string, PortEntry> ports;
  std::map<std::string, int> address_refs;
  std::thread thread;  // last: starts once everything it uses exists
};

UserspaceDataPlane::UserspaceDataPlane(UserspacePlaneOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  // A listening socket per service address and port, two per relayed connection: the usual
  // soft limit of 1024 descriptors would cap a node at a few hundred services.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) {
      log::Warn("proxy", "cannot raise the descriptor limit", {{"error", std::strerror(errno)}});
    }
  }
}

UserspaceDataPlane::~UserspaceDataPlane() {
  (void)impl_->OnIo([this] {
    for (auto& [id, e] : impl_->ports) impl_->CloseAll(&e);
    impl_->ports.clear();
    impl_->maintenance.cancel();
    return Status::Ok();
  });
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

Status UserspaceDataPlane::Full(const std::vector<const ServicePortState*>& ports) {
  return impl_->OnIo([&] { return impl_->Full(ports); });
}

Status UserspaceDataPlane::Delta(const std::vector<PortChange>& changes) {
  return impl_->OnIo([&] { return impl_->Delta(changes); });
}

void UserspaceDataPlane::Clear() {
  (void)impl_->OnIo([this] {
    impl_->Clear();
    return Status::Ok();
  });
}

UserspacePlaneStats UserspaceDataPlane::Stats() const {
  const ForwarderStats& s = impl_->stats;
  UserspacePlaneStats out;
  out.listeners = impl_->listeners.load();
  out.bind_failures = s.bind_failures.load();
  out.tcp_accepted = s.tcp_accepted.load();
  out.tcp_active = s.tcp_active.load();
  out.tcp_connect_failures = s.tcp_connect_failures.load();
  out.udp_flows = s.udp_flows.load();
  out.udp_active = s.udp_active.load();
  return out;
}

}  // namespace capstan::proxy
