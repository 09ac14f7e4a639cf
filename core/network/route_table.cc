// Owned pod routes over rtnetlink (route_table.h).
#include "core/network/route_table.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace capstan::network {
namespace {

struct ParsedCidr {
  in_addr address{};
  int prefix = 0;
};

Result<ParsedCidr> ParseIpv4Cidr(const std::string& cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos) return InvalidError("not a CIDR: '" + cidr + "'");
  ParsedCidr p;
  std::string ip = cidr.substr(0, slash);
  std::string bits = cidr.substr(slash + 1);
  if (inet_pton(AF_INET, ip.c_str(), &p.address) != 1 || bits.empty() || bits.size() > 2 ||
      bits.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidError("not an IPv4 CIDR: '" + cidr + "'");
  }
  p.prefix = std::stoi(bits);
  if (p.prefix > 32) return InvalidError("not an IPv4 CIDR: '" + cidr + "'");
  uint32_t mask = p.prefix == 0 ? 0 : ~uint32_t{0} << (32 - p.prefix);
  p.address.s_addr = htonl(ntohl(p.address.s_addr) & mask);
  return p;
}

std::string Format(in_addr a) {
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

// A route request: header, rtmsg and room for RTA_DST and RTA_GATEWAY.
struct RouteRequest {
  nlmsghdr header;
  rtmsg route;
  char attrs[64];
};

void AddAttr(RouteRequest* r, uint16_t type, const void* data, size_t len) {
  char* at = reinterpret_cast<char*>(r) + NLMSG_ALIGN(r->header.nlmsg_len);
  rtattr a{};
  a.rta_type = type;
  a.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
  std::memcpy(at, &a, sizeof(a));
  std::memcpy(at + RTA_LENGTH(0), data, len);
  r->header.nlmsg_len = NLMSG_ALIGN(r->header.nlmsg_len) + RTA_ALIGN(a.rta_len);
}

RouteRequest NewRequest(uint16_t type, uint16_t flags) {
  RouteRequest r{};
  r.header.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  r.header.nlmsg_type = type;
  r.header.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  r.route.rtm_family = AF_INET;
  r.route.rtm_table = RT_TABLE_MAIN;
  r.route.rtm_protocol = NetlinkRouteTable::kProtocol;
  r.route.rtm_scope = RT_SCOPE_UNIVERSE;
  r.route.rtm_type = RTN_UNICAST;
  return r;
}

// An owned main-table route from one RTM_NEWROUTE message of a dump (`msg`, `len` bytes), or
// nothing. Copies every header out of the buffer: nothing in it is assumed aligned.
void CollectRoute(const char* msg, size_t len, std::vector<PodRoute>* out) {
  rtmsg rt{};
  if (len < NLMSG_HDRLEN + sizeof(rt)) return;
  std::memcpy(&rt, msg + NLMSG_HDRLEN, sizeof(rt));
  if (rt.rtm_family != AF_INET || rt.rtm_protocol != NetlinkRouteTable::kProtocol) return;
  in_addr dst{}, gw{};
  uint32_t table = rt.rtm_table;
  for (size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rt)); off + sizeof(rtattr) <= len;) {
    rtattr a{};
    std::memcpy(&a, msg + off, sizeof(a));
    if (a.rta_len < sizeof(a) || off + a.rta_len > len) break;
    const char* data = msg + off + RTA_LENGTH(0);
    size_t payload = a.rta_len - RTA_LENGTH(0);
    if (a.rta_type == RTA_DST && payload == 4) std::memcpy(&dst, data, 4);
    if (a.rta_type == RTA_GATEWAY && payload == 4) std::memcpy(&gw, data, 4);
    if (a.rta_type == RTA_TABLE && payload == 4) std::memcpy(&table, data, 4);
    off += RTA_ALIGN(a.rta_len);
  }
  if (table != RT_TABLE_MAIN) return;
  out->push_back({Format(dst) + "/" + std::to_string(rt.rtm_dst_len), Format(gw)});
}

}  // namespace

Result<std::string> CanonicalIpv4Cidr(const std::string& cidr) {
  Result<ParsedCidr> p = ParseIpv4Cidr(cidr);
  if (!p.ok()) return p.status();
  return Format(p->address) + "/" + std::to_string(p->prefix);
}

Result<std::unique_ptr<NetlinkRouteTable>> NetlinkRouteTable::Open(const std::string& netns) {
  int fd = -1;
  Status opened = Status::Ok();
  // The socket belongs to the namespace of the thread that creates it: a short-lived thread
  // enters `netns`, so no thread of the caller ever changes namespace.
  auto open_socket = [&] {
    if (!netns.empty()) {
      int target = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
      if (target < 0 || setns(target, CLONE_NEWNET) != 0) {
        opened =
            UnavailableError("entering network namespace " + netns + ": " + std::strerror(errno));
        if (target >= 0) close(target);
        return;
      }
      close(target);
    }
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) opened = UnavailableError(std::string("netlink socket: ") + std::strerror(errno));
  };
  if (netns.empty()) {
    open_socket();
  } else {
    std::thread(open_socket).join();
  }
  if (!opened.ok()) return opened;
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    int saved = errno;
    close(fd);
    return UnavailableError(std::string("netlink bind: ") + std::strerror(saved));
  }
  return std::unique_ptr<NetlinkRouteTable>(new NetlinkRouteTable(fd));
}

NetlinkRouteTable::~NetlinkRouteTable() { close(fd_); }

Status NetlinkRouteTable::Transact(void* request, size_t size, std::vector<PodRoute>* on_route) {
  auto* header = static_cast<nlmsghdr*>(request);
  const unsigned seq = ++seq_;
  header->nlmsg_seq = seq;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_, request, size, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    return UnavailableError(std::string("netlink send: ") + std::strerror(errno));
  }
  char buf[32768];
  while (true) {
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return UnavailableError(std::string("netlink recv: ") + std::strerror(errno));
    size_t got = static_cast<size_t>(n);
    for (size_t off = 0; off + NLMSG_HDRLEN <= got;) {
      nlmsghdr h{};
      std::memcpy(&h, buf + off, sizeof(h));
      if (h.nlmsg_len < NLMSG_HDRLEN || off + h.nlmsg_len > got) break;
      const char* msg = buf + off;
      off += NLMSG_ALIGN(h.nlmsg_len);
      if (h.nlmsg_seq != seq) continue;  // a late answer to an earlier request
      if (h.nlmsg_type == NLMSG_DONE) return Status::Ok();
      if (h.nlmsg_type == NLMSG_ERROR) {
        nlmsgerr e{};
        if (h.nlmsg_len < NLMSG_HDRLEN + sizeof(e)) return UnavailableError("netlink: short error");
        std::memcpy(&e, msg + NLMSG_HDRLEN, sizeof(e));
        if (e.error == 0) return Status::Ok();
        return Status(e.error == -ESRCH ? StatusCode::kNotFound : StatusCode::kUnavailable,
                      std::string("netlink: ") + std::strerror(-e.error));
      }
      if (h.nlmsg_type == RTM_NEWROUTE && on_route != nullptr) {
        CollectRoute(msg, h.nlmsg_len, on_route);
      }
    }
  }
}

Status NetlinkRouteTable::Replace(const PodRoute& route) {
  Result<ParsedCidr> dst = ParseIpv4Cidr(route.destination);
  if (!dst.ok()) return dst.status();
  in_addr gw{};
  if (inet_pton(AF_INET, route.gateway.c_str(), &gw) != 1) {
    return InvalidError("not an IPv4 address: '" + route.gateway + "'");
  }
  RouteRequest r = NewRequest(RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  r.route.rtm_dst_len = static_cast<unsigned char>(dst->prefix);
  AddAttr(&r, RTA_DST, &dst->address, 4);
  AddAttr(&r, RTA_GATEWAY, &gw, 4);
  std::lock_guard<std::mutex> lock(mu_);
  Status s = Transact(&r, r.header.nlmsg_len, nullptr);
  return s.ok() ? s : s.WithContext("route " + route.destination + " via " + route.gateway);
}

Status NetlinkRouteTable::Delete(const PodRoute& route) {
  Result<ParsedCidr> dst = ParseIpv4Cidr(route.destination);
  if (!dst.ok()) return dst.status();
  RouteRequest r = NewRequest(RTM_DELROUTE, NLM_F_ACK);
  r.route.rtm_scope = RT_SCOPE_NOWHERE;  // any scope
  r.route.rtm_dst_len = static_cast<unsigned char>(dst->prefix);
  AddAttr(&r, RTA_DST, &dst->address, 4);
  std::lock_guard<std::mutex> lock(mu_);
  Status s = Transact(&r, r.header.nlmsg_len, nullptr);
  if (s.code() == StatusCode::kNotFound) return Status::Ok();
  return s.ok() ? s : s.WithContext("deleting route " + route.destination);
}

Result<std::vector<PodRoute>> NetlinkRouteTable::List() {
  RouteRequest r = NewRequest(RTM_GETROUTE, NLM_F_DUMP);
  r.route = rtmsg{};
  r.route.rtm_family = AF_INET;
  std::vector<PodRoute> routes;
  std::lock_guard<std::mutex> lock(mu_);
  Status s = Transact(&r, r.header.nlmsg_len, &routes);
  if (!s.ok()) return s.WithContext("listing routes");
  return routes;
}

}  // namespace capstan::network
