// The built-in ingress controller (ingress_controller.h): informers -> RouteTable + TLS
// contexts -> ProxyServer, and Ingress status.
#include "core/ingress/ingress_controller.h"

#include "core/common/log.h"

namespace capstan::ingress {
namespace {

using nlohmann::json;

std::string Meta(const json& o, const char* field) {
  auto meta = o.find("metadata");
  if (meta == o.end() || !meta->is_object()) return "";
  auto it = meta->find(field);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Result<std::unique_ptr<IngressController>> IngressController::Start(const IngressOptions& options,
                                                                    client::ApiClient* client) {
  std::unique_ptr<IngressController> c(new IngressController());
  c->options_ = options;
  c->client_ = client;
  Result<std::unique_ptr<TlsStore>> tls = TlsStore::Create();
  if (!tls.ok()) return tls.status().WithContext("ingress default certificate");
  c->tls_ = std::move(*tls);
  Result<std::unique_ptr<ProxyServer>> proxy = ProxyServer::Start(options.proxy, c->tls_.get());
  if (!proxy.ok()) return proxy.status();
  c->proxy_ = std::move(*proxy);

  auto informer = [client](const char* path) {
    client::InformerOptions o;
    o.path = path;
    return std::make_unique<client::Informer>(client, o);
  };
  c->ingresses_ = informer("/apis/networking.k8s.io/v1/ingresses");
  c->classes_ = informer("/apis/networking.k8s.io/v1/ingressclasses");
  c->services_ = informer("/api/v1/services");
  c->slices_ = informer("/apis/discovery.k8s.io/v1/endpointslices");
  c->secrets_ = informer("/api/v1/secrets");
  IngressController* raw = c.get();
  client::EventHandler dirty;
  dirty.on_add = [raw](const client::ObjectPtr&) { raw->MarkDirty(); };
  dirty.on_update = [raw](const client::ObjectPtr& a, const client::ObjectPtr& b) {
    if (a != b) raw->MarkDirty();
  };
  dirty.on_delete = [raw](const client::ObjectPtr&) { raw->MarkDirty(); };
  for (client::Informer* i : {c->ingresses_.get(), c->classes_.get(), c->services_.get(),
                              c->slices_.get(), c->secrets_.get()}) {
    i->AddHandler(dirty);
    i->Start();
  }
  for (client::Informer* i : {c->ingresses_.get(), c->classes_.get(), c->services_.get(),
                              c->slices_.get(), c->secrets_.get()}) {
    if (!i->WaitForSync(options.sync_timeout)) {
      return UnavailableError("ingress: " + i->options().path + " did not sync");
    }
  }
  if (options.create_default_class) c->EnsureDefaultClass();
  c->Rebuild();
  c->rebuilder_ = std::thread([raw] { raw->RebuildLoop(); });
  return c;
}

IngressController::~IngressController() { Stop(); }

void IngressController::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (rebuilder_.joinable()) rebuilder_.join();
  for (auto* i : {&ingresses_, &classes_, &services_, &slices_, &secrets_}) {
    if (*i) (*i)->Stop();
  }
  if (proxy_) proxy_->Stop();
}

uint64_t IngressController::rebuilds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rebuilds_;
}

void IngressController::MarkDirty() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

void IngressController::RebuildLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return dirty_ || stopping_; });
    if (stopping_) return;
    dirty_ = false;
    lock.unlock();
    Rebuild();
    lock.lock();
  }
}

void IngressController::Rebuild() {
  std::vector<ObjectPtr> classes = classes_->List();
  ClusterObjects objects;
  for (const ObjectPtr& i : ingresses_->List()) {
    if (IsOurIngress(*i, classes)) objects.ingresses.push_back(i);
  }
  objects.services = services_->List();
  objects.endpoint_slices = slices_->List();
  std::shared_ptr<const RouteTable> table = RouteTable::Build(objects);
  tls_->Update(table, BuildContexts(*table));
  proxy_->SetRoutes(table);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++rebuilds_;
  }
  log::Debug("ingress", "routes rebuilt",
             {{"ingresses", std::to_string(objects.ingresses.size())},
              {"routes", std::to_string(table->route_count())}});
  if (options_.status_address.empty()) return;
  for (const ObjectPtr& i : objects.ingresses) UpdateStatus(*i);
}

TlsStore::ContextMap IngressController::BuildContexts(const RouteTable& table) {
  TlsStore::ContextMap out;
  std::map<std::string, CachedContext> kept;
  for (const std::string& key : table.TlsSecrets()) {
    client::ObjectPtr secret = secrets_->Get(key);
    if (!secret) continue;  // the default certificate until the Secret appears
    std::string rv = Meta(*secret, "resourceVersion");
    auto cached = contexts_.find(key);
    if (cached == contexts_.end() || cached->second.resource_version != rv) {
      Result<std::shared_ptr<SSL_CTX>> ctx = ContextFromSecret(*secret);
      if (!ctx.ok()) {
        log::Warn("ingress", "TLS Secret not usable; serving the default certificate",
                  {{"secret", key}, {"error", ctx.status().ToString()}});
      }
      cached = contexts_.insert_or_assign(key, CachedContext{rv, ctx.ok() ? *ctx : nullptr}).first;
    }
    if (cached->second.context) out.emplace(key, cached->second.context);
    kept.insert(*cached);
  }
  contexts_ = std::move(kept);
  return out;
}

void IngressController::UpdateStatus(const json& ingress) {
  json want = json::array({json{{"ip", options_.status_address}}});
  auto status = ingress.find("status");
  if (status != ingress.end() && status->is_object()) {
    auto lb = status->find("loadBalancer");
    if (lb != status->end() && lb->is_object() && lb->contains("ingress") &&
        (*lb)["ingress"] == want) {
      return;
    }
  }
  std::string ns = Meta(ingress, "namespace");
  std::string name = Meta(ingress, "name");
  std::string rv = Meta(ingress, "resourceVersion");
  std::string key = ns + "/" + name;
  auto done = status_patched_.find(key);
  if (done != status_patched_.end() && done->second == rv) return;  // the informer lags
  json patch = {{"status", {{"loadBalancer", {{"ingress", want}}}}}};
  Result<json> r = client_->Patch(
      "/apis/networking.k8s.io/v1/namespaces/" + ns + "/ingresses/" + name + "/status",
      "application/merge-patch+json", patch);
  if (!r.ok()) {
    log::Warn("ingress", "cannot update Ingress status",
              {{"ingress", key}, {"error", r.status().ToString()}});
    return;
  }
  status_patched_[key] = rv;
}

void IngressController::EnsureDefaultClass() {
  if (classes_->Size() > 0) return;
  json cls = {{"apiVersion", "networking.k8s.io/v1"},
              {"kind", "IngressClass"},
              {"metadata",
               {{"name", kDefaultClassName}, {"annotations", {{kDefaultClassAnnotation, "true"}}}}},
              {"spec", {{"controller", kControllerName}}}};
  Result<json> r = client_->Create("/apis/networking.k8s.io/v1/ingressclasses", cls);
  if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) {
    log::Warn("ingress", "cannot create the default IngressClass",
              {{"error", r.status().ToString()}});
    return;
  }
  log::Info("ingress", "created the default IngressClass", {{"name", kDefaultClassName}});
}

}  // namespace capstan::ingress
