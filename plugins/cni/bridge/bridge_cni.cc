// The `bridge` CNI plugin's operations (bridge_cni.h).
#include "bridge_cni.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "capstan/sdk/json.h"
#include "masquerade.h"
#include "netlink.h"

namespace capstan::cni {
namespace {

// Lets the host route what pods send through their gateway (to Service addresses after DNAT,
// and out of the node) for this bridge only, instead of the reference plugin's host-wide
// ip_forward.
sdk::Status EnableForwarding(const std::string& bridge) {
  std::string path = "/proc/sys/net/ipv4/conf/" + bridge + "/forwarding";
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return sdk::Status::Error("opening " + path + " failed");
  bool ok = write(fd, "1", 1) == 1;
  close(fd);
  return ok ? sdk::Status::Ok()
            : sdk::Status::Error("enabling forwarding on " + bridge + " failed");
}

namespace json = sdk::json;
using json::Json;

in_addr Addr(uint32_t host_order) {
  in_addr a{};
  a.s_addr = htonl(host_order);
  return a;
}

// The request's cniVersion if this plugin speaks it.
std::optional<std::string> Version(const sdk::CniRequest& request) {
  std::optional<Json> conf = json::Parse(request.config_json());
  std::string v = conf ? json::GetString(*conf, "cniVersion").value_or("1.1.0") : "1.1.0";
  if (v == "0.4.0" || v == "1.0.0" || v == "1.1.0") return v;
  return std::nullopt;
}

bool ValidIfname(std::string_view name) {
  return !name.empty() && name.size() < IFNAMSIZ && name.find('/') == std::string_view::npos;
}

}  // namespace

std::string BridgeCni::HostVethName(std::string_view container_id, std::string_view ifname) {
  uint32_t h = 2166136261u;  // FNV-1a: stable across processes and releases
  for (std::string_view part : {container_id, std::string_view("/"), ifname}) {
    for (char c : part) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  }
  char buf[16];
  std::snprintf(buf, sizeof(buf), "cap%08x", h);
  return buf;
}

sdk::Status BridgeCni::Init(const sdk::Host& host, std::string_view config_json) {
  (void)host;
  std::optional<Json> config = json::Parse(config_json);
  if (!config || !config->is_object()) return sdk::Status::Invalid("config is not a JSON object");
  bridge_ = json::GetString(*config, "bridge").value_or("capstan0");
  if (!ValidIfname(bridge_)) return sdk::Status::Invalid("bad bridge name '" + bridge_ + "'");
  default_gateway_ = json::GetBool(*config, "isDefaultGateway").value_or(true);
  sdk::Status s = ParseSubnet(json::GetString(*config, "subnet").value_or(""),
                              json::GetString(*config, "gateway").value_or(""), &subnet_);
  if (!s.ok()) return s;
  ip_masq_ = json::GetBool(*config, "ipMasq").value_or(false);
  masq_table_ = json::GetString(*config, "ipMasqTable").value_or("capstan_cni");
  if (std::optional<std::string> cluster = json::GetString(*config, "clusterCIDR")) {
    Subnet parsed;
    s = ParseSubnet(*cluster, "", &parsed);
    if (!s.ok()) return sdk::Status::Invalid("clusterCIDR: " + s.message());
    cluster_cidr_ = Subnet::Format(parsed.base) + "/" + std::to_string(parsed.prefix);
  }
  subnet_cidr_ = Subnet::Format(subnet_.base) + "/" + std::to_string(subnet_.prefix);
  network_ = json::GetString(*config, "network").value_or(bridge_);
  std::string dir = json::GetString(*config, "stateDir").value_or("/var/lib/capstan/cni");
  ipam_ = std::make_unique<Ipam>(dir + "/" + network_, subnet_);
  return sdk::Status::Ok();
}

sdk::Status BridgeCni::CniAdd(sdk::Call& call, const sdk::CniRequest& request,
                              std::string* result_json) {
  std::optional<std::string> version = Version(request);
  if (!version) return sdk::Status::Invalid("incompatible cniVersion (speaks 0.4.0-1.1.0)");
  std::string id(request.container_id());
  std::string ifname(request.ifname());
  std::string netns(request.netns());
  if (id.empty() || netns.empty() || !ValidIfname(ifname)) {
    return sdk::Status::Invalid("CNI_CONTAINERID, CNI_NETNS and a valid CNI_IFNAME are required");
  }
  uint32_t ip = 0;
  sdk::Status s = ipam_->Allocate(id, ifname, &ip);
  if (!s.ok()) return s;
  std::string veth = HostVethName(id, ifname);
  Netlink host;
  if (!host.ok()) return sdk::Status::Error("opening a netlink socket failed");
  s = host.AddBridge(bridge_);
  if (s.ok()) s = host.AddAddress(bridge_, Addr(subnet_.gateway), subnet_.prefix);
  if (s.ok()) s = host.SetUp(bridge_);
  if (s.ok()) s = EnableForwarding(bridge_);
  if (s.ok() && ip_masq_) {
    s = EnsureMasquerade(masq_table_, subnet_cidr_, cluster_cidr_, network_,
                         call.deadline_mono_ns());
  }
  if (s.ok()) {
    int nsfd = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) {
      s = sdk::Status::Error("opening netns " + netns + " failed");
    } else {
      s = host.AddVethPair(veth, ifname, nsfd);
      if (s.code() == CAPSTAN_RC_ALREADY_EXISTS) {  // a repeated ADD: start over
        (void)host.DelLink(veth);
        s = host.AddVethPair(veth, ifname, nsfd);
      }
      close(nsfd);
    }
  }
  if (s.ok()) s = host.SetMaster(veth, bridge_);
  if (s.ok()) s = host.SetUp(veth);
  if (s.ok()) {
    s = InNetns(netns, [&]() -> sdk::Status {
      Netlink pod;
      sdk::Status r = pod.SetUp("lo");
      if (r.ok()) r = pod.AddAddress(ifname, Addr(ip), subnet_.prefix);
      if (r.ok()) r = pod.SetUp(ifname);
      if (r.ok() && default_gateway_) {
        r = pod.AddRoute(ifname, Addr(0), 0, Addr(subnet_.gateway));
      }
      return r;
    });
  }
  if (!s.ok()) {
    (void)host.DelLink(veth);
    (void)ipam_->Release(id, ifname);
    return sdk::Status::Error("bridge ADD for " + id + ": " + s.message());
  }
  std::string gw = Subnet::Format(subnet_.gateway);
  Json result = {
      {"cniVersion", *version},
      {"interfaces", Json::array({Json{{"name", bridge_}}, Json{{"name", veth}},
                                  Json{{"name", ifname}, {"sandbox", netns}}})},
      {"ips",
       Json::array({Json{{"address", Subnet::Format(ip) + "/" + std::to_string(subnet_.prefix)},
                         {"gateway", gw},
                         {"interface", 2}}})},
      {"routes",
       default_gateway_ ? Json::array({Json{{"dst", "0.0.0.0/0"}, {"gw", gw}}}) : Json::array()},
      {"dns", Json::object()}};
  if (*version == "0.4.0") result["ips"][0]["version"] = "4";
  *result_json = json::Dump(result);
  return sdk::Status::Ok();
}

sdk::Status BridgeCni::CniDel(sdk::Call& call, const sdk::CniRequest& request) {
  (void)call;
  std::string id(request.container_id());
  std::string ifname(request.ifname());
  Netlink host;
  sdk::Status s = host.DelLink(HostVethName(id, ifname));
  if (!s.ok() && s.code() != CAPSTAN_RC_NOT_FOUND) return s;
  return ipam_->Release(id, ifname);
}

sdk::Status BridgeCni::CniCheck(sdk::Call& call, const sdk::CniRequest& request) {
  (void)call;
  std::string id(request.container_id());
  std::string ifname(request.ifname());
  if (ipam_->Find(id, ifname) == 0) return sdk::Status::Error(id + " holds no address");
  if (if_nametoindex(HostVethName(id, ifname).c_str()) == 0) {
    return sdk::Status::Error("host veth of " + id + " is missing");
  }
  return InNetns(std::string(request.netns()), [&]() -> sdk::Status {
    if (if_nametoindex(ifname.c_str()) == 0) {
      return sdk::Status::Error(ifname + " is missing in " + std::string(request.netns()));
    }
    return sdk::Status::Ok();
  });
}

sdk::Status BridgeCni::CniStatus(sdk::Call& call, const sdk::CniRequest& request) {
  (void)call, (void)request;
  return sdk::Status::Ok();
}

sdk::Status BridgeCni::CniGc(sdk::Call& call, const sdk::CniRequest& request) {
  (void)call;
  std::optional<Json> conf = json::Parse(request.config_json());
  std::vector<std::pair<std::string, std::string>> keep;
  if (const Json* valid = conf ? json::GetArray(*conf, "cni.dev/valid-attachments") : nullptr) {
    for (const Json& a : *valid) {
      keep.emplace_back(json::GetString(a, "containerID").value_or(""),
                        json::GetString(a, "ifname").value_or(""));
    }
  }
  std::vector<std::pair<std::string, std::string>> released;
  sdk::Status s = ipam_->Collect(keep, &released);
  Netlink host;
  for (const auto& [id, ifname] : released) (void)host.DelLink(HostVethName(id, ifname));
  return s;
}

}  // namespace capstan::cni
