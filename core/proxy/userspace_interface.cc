// The userspace proxy's service address link over rtnetlink (userspace_interface.h).
#include "core/proxy/userspace_interface.h"

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <optional>

namespace capstan::proxy {

// A netlink request under construction: header, fixed body, then attributes. Built with
// memcpy rather than struct casts over the byte buffer (which would be misaligned casts).
class Message {
 public:
  Message(uint16_t type, uint16_t flags, const void* body, size_t body_len)
      : buf_(NLMSG_HDRLEN, 0) {
    header_.nlmsg_type = type;
    header_.nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST);
    Append(body, body_len);
  }
  // Appends an attribute; returns its offset (for `EndNest`).
  size_t Attr(uint16_t type, const void* data, size_t len) {
    size_t offset = buf_.size();
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    Append(&a, sizeof(a));
    Append(data, len);
    return offset;
  }
  // Makes the attribute at `offset` span everything appended since.
  void EndNest(size_t offset) {
    auto len = static_cast<uint16_t>(buf_.size() - offset);
    std::memcpy(buf_.data() + offset + offsetof(rtattr, rta_len), &len, sizeof(len));
  }
  // The bytes to send, as request `seq` with `flags` added.
  const std::vector<char>& Finish(uint32_t seq, uint16_t flags) {
    header_.nlmsg_len = static_cast<uint32_t>(buf_.size());
    header_.nlmsg_seq = seq;
    header_.nlmsg_flags = static_cast<uint16_t>(header_.nlmsg_flags | flags);
    std::memcpy(buf_.data(), &header_, sizeof(header_));
    return buf_;
  }

 private:
  // Appends `len` bytes padded to netlink's 4-byte alignment.
  void Append(const void* data, size_t len) {
    size_t at = buf_.size();
    buf_.resize(at + NLMSG_ALIGN(len), 0);
    if (len > 0) std::memcpy(buf_.data() + at, data, len);
  }

  nlmsghdr header_{};
  std::vector<char> buf_;
};

namespace {

// Calls `f(header, payload, payload_len)` for each whole message in `buf`[0, n).
template <typename F>
void ForEachMessage(const char* buf, size_t n, F f) {
  size_t offset = 0;
  while (offset + NLMSG_HDRLEN <= n) {
    nlmsghdr h{};
    std::memcpy(&h, buf + offset, sizeof(h));
    if (h.nlmsg_len < NLMSG_HDRLEN || offset + h.nlmsg_len > n) return;
    f(h, buf + offset + NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN);
    offset += NLMSG_ALIGN(h.nlmsg_len);
  }
}

// The error code of an NLMSG_ERROR payload (0: an ack), as a positive errno.
int AckError(const char* payload, size_t len) {
  int error = 0;
  if (len >= sizeof(error)) std::memcpy(&error, payload, sizeof(error));
  return -error;
}

// Appends the IFA_LOCAL address of an RTM_NEWADDR payload when it is an IPv4 address of link
// `index`.
void AddressOf(const char* payload, size_t len, int index, std::vector<std::string>* out) {
  ifaddrmsg ifa{};
  if (len < sizeof(ifa)) return;
  std::memcpy(&ifa, payload, sizeof(ifa));
  if (static_cast<int>(ifa.ifa_index) != index || ifa.ifa_family != AF_INET) return;
  size_t offset = NLMSG_ALIGN(sizeof(ifa));
  while (offset + sizeof(rtattr) <= len) {
    rtattr a{};
    std::memcpy(&a, payload + offset, sizeof(a));
    if (a.rta_len < sizeof(a) || offset + a.rta_len > len) return;
    if (a.rta_type == IFA_LOCAL && a.rta_len >= RTA_LENGTH(sizeof(in_addr))) {
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, payload + offset + RTA_LENGTH(0), text, sizeof(text));
      out->emplace_back(text);
    }
    offset += RTA_ALIGN(a.rta_len);
  }
}

Status Errno(const std::string& what, int err) {
  return InternalError(what + ": " + std::strerror(err));
}

}  // namespace

ServiceInterface::~ServiceInterface() {
  if (fd_ >= 0) close(fd_);
}

Status ServiceInterface::Open() {
  if (fd_ >= 0) return Status::Ok();
  fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd_ < 0) return UnavailableError(std::string("netlink socket: ") + std::strerror(errno));
  // The kernel answers at once; the timeout only guards against a lost reply.
  timeval tv{5, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    int err = errno;
    close(fd_);
    fd_ = -1;
    return UnavailableError(std::string("netlink bind: ") + std::strerror(err));
  }
  return Status::Ok();
}

Result<int> ServiceInterface::Transact(Message* message) {
  CAPSTAN_RETURN_IF_ERROR(Open());
  const std::vector<char>& request = message->Finish(++seq_, NLM_F_ACK);
  if (send(fd_, request.data(), request.size(), 0) < 0) return Errno("netlink send", errno);
  std::vector<char> reply(16384);
  for (;;) {
    ssize_t n = recv(fd_, reply.data(), reply.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("netlink recv", errno);
    }
    std::optional<int> result;
    ForEachMessage(reply.data(), static_cast<size_t>(n),
                   [&](const nlmsghdr& h, const char* payload, size_t len) {
                     if (h.nlmsg_seq == seq_ && h.nlmsg_type == NLMSG_ERROR) {
                       result = AckError(payload, len);
                     }
                   });
    if (result) return *result;
  }
}

Result<int> ServiceInterface::Index() {
  unsigned index = if_nametoindex(name_.c_str());
  if (index == 0) return Errno("link " + name_, errno);
  return static_cast<int>(index);
}

Status ServiceInterface::Ensure() {
  if (if_nametoindex(name_.c_str()) != 0) return Status::Ok();
  for (const char* kind : {"dummy", "bridge"}) {
    ifinfomsg info{};
    info.ifi_family = AF_UNSPEC;
    Message m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &info, sizeof(info));
    m.Attr(IFLA_IFNAME, name_.c_str(), name_.size() + 1);
    size_t nest = m.Attr(IFLA_LINKINFO, nullptr, 0);
    m.Attr(IFLA_INFO_KIND, kind, std::strlen(kind));
    m.EndNest(nest);
    Result<int> err = Transact(&m);
    if (!err.ok()) return err.status();
    if (*err == 0 || *err == EEXIST) {
      if (*err == 0) kind_ = kind;
      return Status::Ok();
    }
    // EOPNOTSUPP: this kernel has no such link kind (no dummy module); try the next.
    if (*err != EOPNOTSUPP) return Errno("creating link " + name_, *err);
  }
  return Errno("creating link " + name_ + " (dummy or bridge)", EOPNOTSUPP);
}

Status ServiceInterface::Address(bool add, const std::string& ipv4) {
  in_addr a{};
  if (inet_pton(AF_INET, ipv4.c_str(), &a) != 1) return InvalidError("bad IPv4 address " + ipv4);
  Result<int> index = Index();
  if (!index.ok()) return index.status();
  ifaddrmsg body{};
  body.ifa_family = AF_INET;
  body.ifa_prefixlen = 32;
  body.ifa_scope = RT_SCOPE_UNIVERSE;
  body.ifa_index = static_cast<uint32_t>(*index);
  Message m(add ? RTM_NEWADDR : RTM_DELADDR,
            static_cast<uint16_t>(add ? NLM_F_CREATE | NLM_F_REPLACE : 0), &body, sizeof(body));
  m.Attr(IFA_LOCAL, &a, sizeof(a));
  m.Attr(IFA_ADDRESS, &a, sizeof(a));
  Result<int> err = Transact(&m);
  if (!err.ok()) return err.status();
  if (*err == 0 || (!add && *err == EADDRNOTAVAIL)) return Status::Ok();
  return Errno(std::string(add ? "adding " : "removing ") + ipv4 + " on " + name_, *err);
}

Status ServiceInterface::Add(const std::string& ipv4) { return Address(true, ipv4); }
Status ServiceInterface::Remove(const std::string& ipv4) { return Address(false, ipv4); }

Result<std::vector<std::string>> ServiceInterface::List() {
  Result<int> index = Index();
  if (!index.ok()) return index.status();
  CAPSTAN_RETURN_IF_ERROR(Open());
  ifaddrmsg body{};
  body.ifa_family = AF_INET;
  Message m(RTM_GETADDR, 0, &body, sizeof(body));
  const std::vector<char>& request = m.Finish(++seq_, NLM_F_DUMP);
  if (send(fd_, request.data(), request.size(), 0) < 0) return Errno("netlink send", errno);
  std::vector<std::string> out;
  std::vector<char> reply(65536);
  int error = 0;
  bool done = false;
  while (!done) {
    ssize_t n = recv(fd_, reply.data(), reply.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("netlink recv", errno);
    }
    ForEachMessage(reply.data(), static_cast<size_t>(n),
                   [&](const nlmsghdr& h, const char* payload, size_t len) {
                     if (h.nlmsg_seq != seq_ || done) return;
                     if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) {
                       if (h.nlmsg_type == NLMSG_ERROR) error = AckError(payload, len);
                       done = true;
                       return;
                     }
                     if (h.nlmsg_type == RTM_NEWADDR) AddressOf(payload, len, *index, &out);
                   });
  }
  if (error != 0) return Errno("listing addresses", error);
  return out;
}

Status ServiceInterface::Delete() {
  unsigned index = if_nametoindex(name_.c_str());
  if (index == 0) return Status::Ok();
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = static_cast<int>(index);
  Message m(RTM_DELLINK, 0, &info, sizeof(info));
  Result<int> err = Transact(&m);
  if (!err.ok()) return err.status();
  if (*err == 0 || *err == ENODEV) return Status::Ok();
  return Errno("deleting link " + name_, *err);
}

}  // namespace capstan::proxy
