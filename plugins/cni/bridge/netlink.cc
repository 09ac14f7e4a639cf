// rtnetlink requests for the bridge plugin (netlink.h).
#include "netlink.h"

// <net/if.h> must precede the <linux/*> headers (libc-compat guards the shared names).
#include <net/if.h>
// clang-format off
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
// clang-format on
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace capstan::cni {
namespace {

// A netlink message under construction: header, family header, attributes (nestable).
class Message {
 public:
  Message(uint16_t type, uint16_t flags, const void* family_header, size_t len) {
    buf_.resize(NLMSG_HDRLEN);
    auto* h = reinterpret_cast<nlmsghdr*>(buf_.data());
    h->nlmsg_type = type;
    h->nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST | NLM_F_ACK);
    Append(family_header, len);
  }
  void Attr(uint16_t type, const void* data, size_t len) {
    size_t start = Align();
    buf_.resize(start + RTA_LENGTH(len));
    auto* a = reinterpret_cast<rtattr*>(buf_.data() + start);
    a->rta_type = type;
    a->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    if (len > 0) std::memcpy(RTA_DATA(a), data, len);
  }
  void Str(uint16_t type, const std::string& s) { Attr(type, s.c_str(), s.size() + 1); }
  void U32(uint16_t type, uint32_t v) { Attr(type, &v, sizeof(v)); }
  size_t Begin(uint16_t type) {
    size_t start = Align();
    Attr(type, nullptr, 0);
    return start;
  }
  void End(size_t start) {
    reinterpret_cast<rtattr*>(buf_.data() + start)->rta_len =
        static_cast<uint16_t>(buf_.size() - start);
  }
  void Append(const void* data, size_t len) {
    size_t start = Align();
    buf_.resize(start + len);
    std::memcpy(buf_.data() + start, data, len);
  }
  nlmsghdr* Finish(uint32_t seq) {
    auto* h = reinterpret_cast<nlmsghdr*>(buf_.data());
    h->nlmsg_len = static_cast<uint32_t>(buf_.size());
    h->nlmsg_seq = seq;
    return h;
  }

 private:
  size_t Align() {
    buf_.resize(NLMSG_ALIGN(buf_.size()));
    return buf_.size();
  }
  std::vector<char> buf_;
};

sdk::Status FromErrno(int err, const std::string& what) {
  if (err == 0) return sdk::Status::Ok();
  std::string text = what + ": " + std::strerror(err);
  if (err == EEXIST) return sdk::Status::AlreadyExists(text);
  if (err == ENODEV || err == ENOENT) return sdk::Status::NotFound(text);
  return sdk::Status::Error(text);
}

ifinfomsg LinkHeader(int index = 0) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  return ifi;
}

int IndexOf(const std::string& name) { return static_cast<int>(if_nametoindex(name.c_str())); }

}  // namespace

Netlink::Netlink() {
  fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) return;
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

Netlink::~Netlink() {
  if (fd_ >= 0) close(fd_);
}

int Netlink::Request(void* msg, size_t len) {
  if (fd_ < 0) return EBADF;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_, msg, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    return errno;
  }
  uint32_t seq = static_cast<nlmsghdr*>(msg)->nlmsg_seq;
  alignas(nlmsghdr) char buf[8192];
  for (;;) {
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    // Walk the replies by copying headers out: the buffer gives no alignment guarantee.
    size_t off = 0;
    auto got = static_cast<size_t>(n);
    while (off + sizeof(nlmsghdr) <= got) {
      nlmsghdr h{};
      std::memcpy(&h, buf + off, sizeof(h));
      if (h.nlmsg_len < sizeof(nlmsghdr) || off + h.nlmsg_len > got) break;
      if (h.nlmsg_seq == seq && h.nlmsg_type == NLMSG_ERROR &&
          h.nlmsg_len >= NLMSG_HDRLEN + sizeof(nlmsgerr)) {
        nlmsgerr e{};
        std::memcpy(&e, buf + off + NLMSG_HDRLEN, sizeof(e));
        return -e.error;
      }
      off += NLMSG_ALIGN(h.nlmsg_len);
    }
  }
}

sdk::Status Netlink::AddBridge(const std::string& name) {
  ifinfomsg ifi = LinkHeader();
  Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
  m.Str(IFLA_IFNAME, name);
  size_t info = m.Begin(IFLA_LINKINFO);
  m.Str(IFLA_INFO_KIND, "bridge");
  m.End(info);
  nlmsghdr* h = m.Finish(seq_++);
  int err = Request(h, h->nlmsg_len);
  return FromErrno(err == EEXIST ? 0 : err, "creating bridge " + name);
}

sdk::Status Netlink::AddVethPair(const std::string& host, const std::string& peer, int netns_fd) {
  ifinfomsg ifi = LinkHeader();
  Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
  m.Str(IFLA_IFNAME, host);
  size_t info = m.Begin(IFLA_LINKINFO);
  m.Str(IFLA_INFO_KIND, "veth");
  size_t data = m.Begin(IFLA_INFO_DATA);
  size_t peer_info = m.Begin(VETH_INFO_PEER);
  ifinfomsg peer_ifi = LinkHeader();
  m.Append(&peer_ifi, sizeof(peer_ifi));
  m.Str(IFLA_IFNAME, peer);
  m.U32(IFLA_NET_NS_FD, static_cast<uint32_t>(netns_fd));
  m.End(peer_info);
  m.End(data);
  m.End(info);
  nlmsghdr* h = m.Finish(seq_++);
  return FromErrno(Request(h, h->nlmsg_len), "creating veth " + host + "/" + peer);
}

sdk::Status Netlink::DelLink(const std::string& name) {
  int index = IndexOf(name);
  if (index == 0) return sdk::Status::NotFound("link " + name + " does not exist");
  ifinfomsg ifi = LinkHeader(index);
  Message m(RTM_DELLINK, 0, &ifi, sizeof(ifi));
  nlmsghdr* h = m.Finish(seq_++);
  return FromErrno(Request(h, h->nlmsg_len), "deleting " + name);
}

sdk::Status Netlink::SetUp(const std::string& name) {
  int index = IndexOf(name);
  if (index == 0) return sdk::Status::NotFound("link " + name + " does not exist");
  ifinfomsg ifi = LinkHeader(index);
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  Message m(RTM_NEWLINK, 0, &ifi, sizeof(ifi));
  nlmsghdr* h = m.Finish(seq_++);
  return FromErrno(Request(h, h->nlmsg_len), "setting " + name + " up");
}

sdk::Status Netlink::SetMaster(const std::string& name, const std::string& master) {
  int index = IndexOf(name);
  int master_index = IndexOf(master);
  if (index == 0 || master_index == 0) {
    return sdk::Status::NotFound("link " + name + " or " + master + " does not exist");
  }
  ifinfomsg ifi = LinkHeader(index);
  Message m(RTM_NEWLINK, 0, &ifi, sizeof(ifi));
  m.U32(IFLA_MASTER, static_cast<uint32_t>(master_index));
  nlmsghdr* h = m.Finish(seq_++);
  return FromErrno(Request(h, h->nlmsg_len), "attaching " + name + " to " + master);
}

sdk::Status Netlink::AddAddress(const std::string& name, in_addr addr, int prefix) {
  int index = IndexOf(name);
  if (index == 0) return sdk::Status::NotFound("link " + name + " does not exist");
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = static_cast<unsigned char>(prefix);
  ifa.ifa_index = static_cast<uint32_t>(index);
  Message m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
  m.Attr(IFA_LOCAL, &addr, sizeof(addr));
  m.Attr(IFA_ADDRESS, &addr, sizeof(addr));
  nlmsghdr* h = m.Finish(seq_++);
  int err = Request(h, h->nlmsg_len);
  return FromErrno(err == EEXIST ? 0 : err, "adding an address to " + name);
}

sdk::Status Netlink::AddRoute(const std::string& name, in_addr dst, int prefix, in_addr gw) {
  int index = IndexOf(name);
  if (index == 0) return sdk::Status::NotFound("link " + name + " does not exist");
  rtmsg rt{};
  rt.rtm_family = AF_INET;
  rt.rtm_dst_len = static_cast<unsigned char>(prefix);
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_BOOT;
  rt.rtm_scope = RT_SCOPE_UNIVERSE;
  rt.rtm_type = RTN_UNICAST;
  Message m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
  if (prefix > 0) m.Attr(RTA_DST, &dst, sizeof(dst));
  m.Attr(RTA_GATEWAY, &gw, sizeof(gw));
  m.U32(RTA_OIF, static_cast<uint32_t>(index));
  nlmsghdr* h = m.Finish(seq_++);
  int err = Request(h, h->nlmsg_len);
  return FromErrno(err == EEXIST ? 0 : err, "adding a route on " + name);
}

sdk::Status InNetns(const std::string& netns_path, const std::function<sdk::Status()>& fn) {
  int fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FromErrno(errno, "opening netns " + netns_path);
  sdk::Status result;
  std::thread worker([&] {
    if (setns(fd, CLONE_NEWNET) != 0) {
      result = FromErrno(errno, "entering netns " + netns_path);
      return;
    }
    result = fn();
  });
  worker.join();
  close(fd);
  return result;
}

}  // namespace capstan::cni
