// Cross-node pod routes from Node objects (node_routes.h).
#include "core/network/node_routes.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/common/log.h"

namespace capstan::network {
namespace {

using nlohmann::json;

// The node's pod CIDRs as canonical IPv4 CIDRs (others dropped).
std::vector<std::string> PodCidrs(const json& node) {
  std::vector<std::string> raw;
  const json* spec = node.contains("spec") ? &node["spec"] : nullptr;
  if (spec != nullptr && spec->is_object()) {
    if (auto it = spec->find("podCIDRs"); it != spec->end() && it->is_array()) {
      for (const json& c : *it) {
        if (c.is_string()) raw.push_back(c.get<std::string>());
      }
    }
    if (raw.empty()) {
      if (auto it = spec->find("podCIDR"); it != spec->end() && it->is_string()) {
        raw.push_back(it->get<std::string>());
      }
    }
  }
  std::vector<std::string> out;
  for (const std::string& c : raw) {
    if (Result<std::string> canonical = CanonicalIpv4Cidr(c); canonical.ok()) {
      out.push_back(*canonical);
    }
  }
  return out;
}

std::string InternalIpv4(const json& node) {
  const json* status = node.contains("status") ? &node["status"] : nullptr;
  if (status == nullptr || !status->is_object()) return {};
  auto addresses = status->find("addresses");
  if (addresses == status->end() || !addresses->is_array()) return {};
  for (const json& a : *addresses) {
    if (!a.is_object() || a.value("type", "") != "InternalIP") continue;
    std::string ip = a.value("address", "");
    in_addr parsed{};
    if (inet_pton(AF_INET, ip.c_str(), &parsed) == 1) return ip;
  }
  return {};
}

// [first, last] addresses of a canonical IPv4 CIDR, host order.
std::pair<uint32_t, uint32_t> Range(const std::string& cidr) {
  size_t slash = cidr.find('/');
  in_addr a{};
  inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &a);
  int prefix = std::stoi(cidr.substr(slash + 1));
  uint32_t first = ntohl(a.s_addr);
  uint32_t size_minus_one = prefix == 0 ? ~uint32_t{0} : (uint32_t{1} << (32 - prefix)) - 1;
  return {first, first + size_minus_one};
}

bool Overlap(const std::string& a, const std::string& b) {
  auto [a0, a1] = Range(a);
  auto [b0, b1] = Range(b);
  return a0 <= b1 && b0 <= a1;
}

}  // namespace

std::vector<PodRoute> DesiredPodRoutes(const std::vector<client::ObjectPtr>& nodes,
                                       std::string_view self_node) {
  std::map<std::string, const json*> by_name;  // ordered: earlier names win a contested CIDR
  for (const client::ObjectPtr& n : nodes) {
    if (n == nullptr || !n->is_object()) continue;
    std::string name = n->contains("metadata") ? (*n)["metadata"].value("name", "") : "";
    if (!name.empty()) by_name[name] = n.get();
  }
  std::vector<std::string> claimed;
  if (auto self = by_name.find(std::string(self_node)); self != by_name.end()) {
    claimed = PodCidrs(*self->second);
  }
  std::vector<PodRoute> routes;
  for (const auto& [name, node] : by_name) {
    if (name == self_node) continue;
    std::string gateway = InternalIpv4(*node);
    if (gateway.empty()) continue;
    for (const std::string& cidr : PodCidrs(*node)) {
      bool taken = std::any_of(claimed.begin(), claimed.end(),
                               [&](const std::string& c) { return Overlap(c, cidr); });
      if (taken) continue;
      claimed.push_back(cidr);
      routes.push_back({cidr, gateway});
    }
  }
  std::sort(routes.begin(), routes.end());
  return routes;
}

NodeRoutes::NodeRoutes(client::ApiClient* client, RouteTable* table, NodeRoutesOptions options)
    : table_(table), options_(std::move(options)) {
  client::InformerOptions io;
  io.path = "/api/v1/nodes";
  informer_ = std::make_unique<client::Informer>(client, io);
}

Result<std::unique_ptr<NodeRoutes>> NodeRoutes::Start(client::ApiClient* client, RouteTable* table,
                                                      NodeRoutesOptions options) {
  std::unique_ptr<NodeRoutes> routes(new NodeRoutes(client, table, std::move(options)));
  NodeRoutes* self = routes.get();
  client::EventHandler h;
  h.on_add = [self](const client::ObjectPtr&) { self->MarkDirty(); };
  h.on_update = [self](const client::ObjectPtr&, const client::ObjectPtr&) { self->MarkDirty(); };
  h.on_delete = [self](const client::ObjectPtr&) { self->MarkDirty(); };
  routes->informer_->AddHandler(std::move(h));
  routes->informer_->Start();
  if (!routes->informer_->WaitForSync(routes->options_.sync_timeout)) {
    routes->Stop();
    return UnavailableError("node routes: the Node informer did not sync");
  }
  routes->MarkDirty();  // also with no Node at all: prune what an earlier run left
  routes->thread_ = std::thread([self] { self->Run(); });
  return routes;
}

NodeRoutes::~NodeRoutes() { Stop(); }

void NodeRoutes::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (informer_) informer_->Stop();
  if (thread_.joinable()) thread_.join();
}

uint64_t NodeRoutes::Seen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

uint64_t NodeRoutes::Applied() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_;
}

void NodeRoutes::MarkDirty() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++seen_;
  }
  cv_.notify_all();
}

void NodeRoutes::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (applied_ >= seen_) {
      cv_.wait(lock, [this] { return stopping_ || applied_ < seen_; });
      continue;
    }
    uint64_t target = seen_;
    lock.unlock();
    Status s = Sync();
    lock.lock();
    if (s.ok()) {
      applied_ = target;
      continue;
    }
    log::Warn("network", "node routes not in place", {{"error", s.ToString()}});
    cv_.wait_for(lock, options_.retry_interval, [this] { return stopping_; });
  }
}

Status NodeRoutes::Sync() {
  if (!listed_) {
    Result<std::vector<PodRoute>> current = table_->List();
    if (!current.ok()) return current.status();
    routes_ = std::move(*current);
    listed_ = true;
  }
  std::vector<PodRoute> desired = DesiredPodRoutes(informer_->List(), options_.node_name);
  std::set<std::string> wanted;
  for (const PodRoute& r : desired) wanted.insert(r.destination);
  Status first = Status::Ok();
  std::vector<PodRoute> now;
  for (const PodRoute& r : routes_) {
    if (wanted.count(r.destination) != 0) continue;
    Status s = table_->Delete(r);
    if (s.ok()) {
      log::Info("network", "pod route removed", {{"destination", r.destination}});
    } else {
      now.push_back(r);
      if (first.ok()) first = s;
    }
  }
  for (const PodRoute& r : desired) {
    if (std::find(routes_.begin(), routes_.end(), r) != routes_.end()) {
      now.push_back(r);
      continue;
    }
    Status s = table_->Replace(r);
    if (s.ok()) {
      now.push_back(r);
      log::Info("network", "pod route set", {{"destination", r.destination}, {"via", r.gateway}});
    } else if (first.ok()) {
      first = s;
    }
  }
  routes_ = std::move(now);
  return first;
}

Result<std::unique_ptr<AgentNodeRoutes>> StartAgentNodeRoutes(const client::ClientConfig& client,
                                                              const std::string& node_name) {
  std::unique_ptr<AgentNodeRoutes> running(new AgentNodeRoutes());
  Result<std::unique_ptr<client::ApiClient>> c = client::ApiClient::Create(client);
  if (!c.ok()) return c.status().WithContext("node routes");
  running->client_ = std::move(*c);
  Result<std::unique_ptr<NetlinkRouteTable>> table = NetlinkRouteTable::Open();
  if (!table.ok()) return table.status().WithContext("node routes");
  running->table_ = std::move(*table);
  NodeRoutesOptions o;
  o.node_name = node_name;
  Result<std::unique_ptr<NodeRoutes>> routes =
      NodeRoutes::Start(running->client_.get(), running->table_.get(), o);
  if (!routes.ok()) return routes.status();
  running->routes_ = std::move(*routes);
  return running;
}

}  // namespace capstan::network
