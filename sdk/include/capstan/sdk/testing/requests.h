// Builders that own std::strings and hand out the ABI request structs pointing into them, so
// tests can call plugin entries with realistic input: authn requests, authz attributes,
// admission requests, CNI requests, and scheduler pod/node views. `get()` returns a pointer valid
// until the builder is changed or destroyed. Partners: fake_host.h, harness.h. Header-only.
#ifndef CAPSTAN_SDK_TESTING_REQUESTS_H_
#define CAPSTAN_SDK_TESTING_REQUESTS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "capstan/abi/abi.h"
#include "capstan/sdk/text.h"

namespace capstan::sdk::testing {

class AuthnRequestBuilder {
 public:
  AuthnRequestBuilder& BearerToken(std::string t) {
    token_ = std::move(t);
    return *this;
  }
  AuthnRequestBuilder& Header(std::string lower_name, std::string value) {
    headers_.emplace_back(std::move(lower_name), std::move(value));
    return *this;
  }
  AuthnRequestBuilder& ClientCert(std::string pem, bool verified) {
    pem_ = std::move(pem);
    verified_ = verified;
    return *this;
  }
  AuthnRequestBuilder& RemoteAddr(std::string a) {
    addr_ = std::move(a);
    return *this;
  }

  const capstan_authn_request* get() {
    raw_headers_.clear();
    for (const auto& [n, v] : headers_) raw_headers_.push_back({ToHostStr(n), ToHostStr(v)});
    raw_ = capstan_authn_request{};
    raw_.struct_size = sizeof(raw_);
    raw_.header_count = static_cast<uint32_t>(raw_headers_.size());
    raw_.headers = raw_headers_.empty() ? nullptr : raw_headers_.data();
    raw_.bearer_token = Str(token_);
    raw_.client_cert_chain_pem = ToHostBuf(pem_);
    raw_.client_cert_verified = verified_ ? 1 : 0;
    raw_.remote_addr = Str(addr_);
    return &raw_;
  }

 private:
  static capstan_host_str Str(const std::string& s) {
    return s.empty() ? capstan_host_str{nullptr, 0} : ToHostStr(s);
  }
  std::string token_, pem_, addr_ = "127.0.0.1:40000";
  bool verified_ = false;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<capstan_http_header> raw_headers_;
  capstan_authn_request raw_{};
};

class AuthzAttributesBuilder {
 public:
  AuthzAttributesBuilder& User(std::string u) {
    user_ = std::move(u);
    return *this;
  }
  AuthzAttributesBuilder& Uid(std::string u) {
    uid_ = std::move(u);
    return *this;
  }
  AuthzAttributesBuilder& Group(std::string g) {
    groups_.push_back(std::move(g));
    return *this;
  }
  AuthzAttributesBuilder& Verb(std::string v) {
    verb_ = std::move(v);
    return *this;
  }
  // A resource request ("apps", "v1", "deployments", ns, name); clears `Path`.
  AuthzAttributesBuilder& Resource(std::string group, std::string version, std::string resource,
                                   std::string ns = {}, std::string name = {}) {
    resource_request_ = true;
    group_ = std::move(group);
    version_ = std::move(version);
    resource_ = std::move(resource);
    ns_ = std::move(ns);
    name_ = std::move(name);
    path_.clear();
    return *this;
  }
  AuthzAttributesBuilder& Subresource(std::string s) {
    subresource_ = std::move(s);
    return *this;
  }
  // A non-resource request ("/healthz").
  AuthzAttributesBuilder& Path(std::string p) {
    resource_request_ = false;
    path_ = std::move(p);
    return *this;
  }

  const capstan_authz_attributes* get() {
    raw_groups_.clear();
    for (const std::string& g : groups_) raw_groups_.push_back(ToHostStr(g));
    raw_ = capstan_authz_attributes{};
    raw_.struct_size = sizeof(raw_);
    raw_.is_resource_request = resource_request_ ? 1 : 0;
    raw_.user = ToHostStr(user_);
    raw_.uid = ToHostStr(uid_);
    raw_.groups = raw_groups_.empty() ? nullptr : raw_groups_.data();
    raw_.group_count = static_cast<uint32_t>(raw_groups_.size());
    raw_.verb = ToHostStr(verb_);
    raw_.api_group = ToHostStr(group_);
    raw_.api_version = ToHostStr(version_);
    raw_.resource = ToHostStr(resource_);
    raw_.subresource = ToHostStr(subresource_);
    raw_.namespace_name = ToHostStr(ns_);
    raw_.name = ToHostStr(name_);
    raw_.path = ToHostStr(path_);
    return &raw_;
  }

 private:
  bool resource_request_ = true;
  std::string user_, uid_, verb_ = "get", group_, version_ = "v1", resource_ = "pods", subresource_,
                           ns_ = "default", name_, path_;
  std::vector<std::string> groups_;
  std::vector<capstan_host_str> raw_groups_;
  capstan_authz_attributes raw_{};
};

class AdmissionRequestBuilder {
 public:
  AdmissionRequestBuilder& Operation(uint32_t op) {
    op_ = op;
    return *this;
  }
  // Group ("" for core), version and kind of the object, and its resource.
  AdmissionRequestBuilder& Kind(std::string group, std::string version, std::string kind,
                                std::string resource) {
    group_ = std::move(group);
    version_ = std::move(version);
    kind_ = std::move(kind);
    resource_ = std::move(resource);
    return *this;
  }
  AdmissionRequestBuilder& Name(std::string ns, std::string name) {
    ns_ = std::move(ns);
    name_ = std::move(name);
    return *this;
  }
  AdmissionRequestBuilder& User(std::string u) {
    user_ = std::move(u);
    return *this;
  }
  AdmissionRequestBuilder& Object(std::string json) {
    object_ = std::move(json);
    return *this;
  }
  AdmissionRequestBuilder& OldObject(std::string j) {
    old_ = std::move(j);
    return *this;
  }
  AdmissionRequestBuilder& RequestJson(std::string j) {
    request_ = std::move(j);
    return *this;
  }
  AdmissionRequestBuilder& DryRun(bool d) {
    dry_run_ = d;
    return *this;
  }

  const capstan_admission_request* get() {
    raw_ = capstan_admission_request{};
    raw_.struct_size = sizeof(raw_);
    raw_.operation = op_;
    raw_.uid = ToHostStr(uid_);
    raw_.group = ToHostStr(group_);
    raw_.version = ToHostStr(version_);
    raw_.kind = ToHostStr(kind_);
    raw_.resource = ToHostStr(resource_);
    raw_.namespace_name = ToHostStr(ns_);
    raw_.name = ToHostStr(name_);
    raw_.user = ToHostStr(user_);
    raw_.dry_run = dry_run_ ? 1 : 0;
    raw_.object_json = ToHostBuf(object_);
    raw_.old_object_json = ToHostBuf(old_);
    raw_.request_json = ToHostBuf(request_);
    return &raw_;
  }

 private:
  uint32_t op_ = CAPSTAN_ADMISSION_CREATE;
  std::string uid_ = "705ab4f5-6393-11e8-b7cc-42010a800002", group_, version_ = "v1", kind_ = "Pod",
              resource_ = "pods", ns_ = "default", name_ = "web", user_ = "alice", object_, old_,
              request_;
  bool dry_run_ = false;
  capstan_admission_request raw_{};
};

class CniRequestBuilder {
 public:
  CniRequestBuilder& ContainerId(std::string id) {
    id_ = std::move(id);
    return *this;
  }
  CniRequestBuilder& Netns(std::string n) {
    netns_ = std::move(n);
    return *this;
  }
  CniRequestBuilder& Ifname(std::string i) {
    ifname_ = std::move(i);
    return *this;
  }
  CniRequestBuilder& Args(std::string a) {
    args_ = std::move(a);
    return *this;
  }
  CniRequestBuilder& Config(std::string json) {
    config_ = std::move(json);
    return *this;
  }

  const capstan_cni_request* get() {
    raw_ = capstan_cni_request{};
    raw_.struct_size = sizeof(raw_);
    raw_.container_id = ToHostStr(id_);
    raw_.netns = ToHostStr(netns_);
    raw_.ifname = ToHostStr(ifname_);
    raw_.args = ToHostStr(args_);
    raw_.config_json = ToHostBuf(config_);
    return &raw_;
  }

 private:
  std::string id_ = "c0ffee", netns_ = "/var/run/netns/test", ifname_ = "eth0",
              args_ = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web",
              config_ = R"({"cniVersion":"1.1.0","name":"test","type":"test"})";
  capstan_cni_request raw_{};
};

// Pairs stored as strings, exposed as `capstan_sched_label`s.
class LabelStore {
 public:
  void Set(std::string k, std::string v) { pairs_.emplace_back(std::move(k), std::move(v)); }
  const capstan_sched_label* Build(uint32_t* count) {
    raw_.clear();
    for (const auto& [k, v] : pairs_) raw_.push_back({ToHostStr(k), ToHostStr(v)});
    *count = static_cast<uint32_t>(raw_.size());
    return raw_.empty() ? nullptr : raw_.data();
  }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
  std::vector<capstan_sched_label> raw_;
};

class PodBuilder {
 public:
  PodBuilder& Name(std::string ns, std::string name) {
    ns_ = std::move(ns);
    name_ = std::move(name);
    return *this;
  }
  PodBuilder& Uid(std::string u) {
    uid_ = std::move(u);
    return *this;
  }
  PodBuilder& Priority(int32_t p) {
    priority_ = p;
    return *this;
  }
  PodBuilder& Label(std::string k, std::string v) {
    labels_.Set(std::move(k), std::move(v));
    return *this;
  }
  PodBuilder& NodeSelector(std::string k, std::string v) {
    selector_.Set(std::move(k), std::move(v));
    return *this;
  }
  PodBuilder& Requests(int64_t milli_cpu, int64_t memory) {
    milli_cpu_ = milli_cpu;
    memory_ = memory;
    return *this;
  }
  PodBuilder& Object(capstan_sched_object* o) {
    object_ = o;
    return *this;
  }

  const capstan_sched_pod_view* get() {
    raw_ = capstan_sched_pod_view{};
    raw_.struct_size = sizeof(raw_);
    raw_.priority = priority_;
    raw_.uid = ToHostStr(uid_);
    raw_.namespace_name = ToHostStr(ns_);
    raw_.name = ToHostStr(name_);
    raw_.scheduler_name = ToHostStr(scheduler_);
    raw_.requests.milli_cpu = milli_cpu_;
    raw_.requests.memory = memory_;
    raw_.requests.pods = 1;
    raw_.labels = labels_.Build(&raw_.label_count);
    raw_.node_selector = selector_.Build(&raw_.node_selector_count);
    raw_.object = object_;
    return &raw_;
  }

 private:
  std::string ns_ = "default", name_ = "web", uid_ = "uid-web", scheduler_ = "default-scheduler";
  int32_t priority_ = 0;
  int64_t milli_cpu_ = 100, memory_ = 64 << 20;
  LabelStore labels_, selector_;
  capstan_sched_object* object_ = nullptr;
  capstan_sched_pod_view raw_{};
};

class NodeBuilder {
 public:
  NodeBuilder& Name(std::string n) {
    name_ = std::move(n);
    return *this;
  }
  NodeBuilder& Label(std::string k, std::string v) {
    labels_.Set(std::move(k), std::move(v));
    return *this;
  }
  NodeBuilder& Unschedulable(bool u) {
    unschedulable_ = u;
    return *this;
  }
  NodeBuilder& Allocatable(int64_t milli_cpu, int64_t memory, int64_t pods) {
    alloc_[0] = milli_cpu;
    alloc_[1] = memory;
    alloc_[2] = pods;
    return *this;
  }
  NodeBuilder& Index(uint32_t i) {
    index_ = i;
    return *this;
  }
  NodeBuilder& Object(capstan_sched_object* o) {
    object_ = o;
    return *this;
  }

  const capstan_sched_node_view* get() {
    raw_ = capstan_sched_node_view{};
    raw_.struct_size = sizeof(raw_);
    raw_.unschedulable = unschedulable_ ? 1 : 0;
    raw_.name = ToHostStr(name_);
    raw_.labels = labels_.Build(&raw_.label_count);
    raw_.allocatable.milli_cpu = alloc_[0];
    raw_.allocatable.memory = alloc_[1];
    raw_.allocatable.pods = alloc_[2];
    raw_.index = index_;
    raw_.object = object_;
    return &raw_;
  }

 private:
  std::string name_ = "node-1";
  bool unschedulable_ = false;
  int64_t alloc_[3] = {4000, int64_t{8} << 30, 110};
  uint32_t index_ = 0;
  LabelStore labels_;
  capstan_sched_object* object_ = nullptr;
  capstan_sched_node_view raw_{};
};

}  // namespace capstan::sdk::testing

#endif  // CAPSTAN_SDK_TESTING_REQUESTS_H_
