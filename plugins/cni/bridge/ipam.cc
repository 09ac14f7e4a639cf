// Leases in files under an flock (ipam.h).
#include "ipam.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace capstan::cni {
namespace {

namespace fs = std::filesystem;

// Holds an exclusive flock on `dir`/lock for its lifetime.
class DirLock {
 public:
  explicit DirLock(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    fd_ = open((dir + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && flock(fd_, LOCK_EX) != 0) {
      close(fd_);
      fd_ = -1;
    }
    if (fd_ < 0) error_ = "locking " + dir + ": " + std::strerror(errno);
  }
  ~DirLock() {
    if (fd_ >= 0) close(fd_);  // closing drops the flock
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string error_;
};

bool ParseIp(const std::string& text, uint32_t* out) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

}  // namespace

std::string Subnet::Format(uint32_t ip) {
  in_addr a{};
  a.s_addr = htonl(ip);
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

sdk::Status ParseSubnet(const std::string& cidr, const std::string& gateway, Subnet* out) {
  size_t slash = cidr.find('/');
  char* end = nullptr;
  long prefix = slash == std::string::npos ? -1 : std::strtol(cidr.c_str() + slash + 1, &end, 10);
  uint32_t ip = 0;
  if (slash == std::string::npos || *end != '\0' || prefix < 8 || prefix > 30 ||
      !ParseIp(cidr.substr(0, slash), &ip)) {
    return sdk::Status::Invalid("subnet must be an IPv4 CIDR with a prefix of 8..30: '" + cidr +
                                "'");
  }
  uint32_t mask = ~((1u << (32 - prefix)) - 1);
  out->base = ip & mask;
  out->prefix = static_cast<int>(prefix);
  out->gateway = out->base + 1;
  if (!gateway.empty()) {
    if (!ParseIp(gateway, &out->gateway) || (out->gateway & mask) != out->base) {
      return sdk::Status::Invalid("gateway '" + gateway + "' is not inside " + cidr);
    }
  }
  return sdk::Status::Ok();
}

std::vector<Ipam::Lease> Ipam::Leases() const {
  std::vector<Lease> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) {
    uint32_t ip = 0;
    if (!ParseIp(e.path().filename().string(), &ip)) continue;
    std::ifstream in(e.path());
    Lease l{ip, {}, {}};
    std::getline(in, l.container_id);
    std::getline(in, l.ifname);
    out.push_back(std::move(l));
  }
  return out;
}

uint32_t Ipam::Find(const std::string& container_id, const std::string& ifname) {
  DirLock lock(dir_);
  for (const Lease& l : Leases()) {
    if (l.container_id == container_id && l.ifname == ifname) return l.ip;
  }
  return 0;
}

sdk::Status Ipam::Allocate(const std::string& container_id, const std::string& ifname,
                           uint32_t* out) {
  DirLock lock(dir_);
  if (!lock.error().empty()) return sdk::Status::Error(lock.error());
  std::vector<Lease> leases = Leases();
  for (const Lease& l : leases) {
    if (l.container_id == container_id && l.ifname == ifname) {
      *out = l.ip;
      return sdk::Status::Ok();
    }
  }
  uint32_t broadcast = subnet_.base | ((1u << (32 - subnet_.prefix)) - 1);
  for (uint32_t ip = subnet_.base + 1; ip < broadcast; ++ip) {
    if (ip == subnet_.gateway) continue;
    if (std::any_of(leases.begin(), leases.end(), [ip](const Lease& l) { return l.ip == ip; })) {
      continue;
    }
    std::string path = dir_ + "/" + Subnet::Format(ip);
    std::ofstream f(path);
    f << container_id << "\n" << ifname << "\n";
    f.close();
    if (!f) return sdk::Status::Error("writing lease " + path);
    *out = ip;
    return sdk::Status::Ok();
  }
  return sdk::Status::Error("no IP addresses available in " + Subnet::Format(subnet_.base) + "/" +
                            std::to_string(subnet_.prefix));
}

sdk::Status Ipam::Release(const std::string& container_id, const std::string& ifname) {
  DirLock lock(dir_);
  if (!lock.error().empty()) return sdk::Status::Error(lock.error());
  for (const Lease& l : Leases()) {
    if (l.container_id == container_id && l.ifname == ifname) {
      std::error_code ec;
      fs::remove(dir_ + "/" + Subnet::Format(l.ip), ec);
    }
  }
  return sdk::Status::Ok();
}

sdk::Status Ipam::Collect(const std::vector<std::pair<std::string, std::string>>& keep,
                          std::vector<std::pair<std::string, std::string>>* released) {
  DirLock lock(dir_);
  if (!lock.error().empty()) return sdk::Status::Error(lock.error());
  for (const Lease& l : Leases()) {
    if (std::find(keep.begin(), keep.end(), std::make_pair(l.container_id, l.ifname)) !=
        keep.end()) {
      continue;
    }
    std::error_code ec;
    fs::remove(dir_ + "/" + Subnet::Format(l.ip), ec);
    released->emplace_back(l.container_id, l.ifname);
  }
  return sdk::Status::Ok();
}

}  // namespace capstan::cni
