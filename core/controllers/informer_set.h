// `InformerSet`: the informers the controller host shares across its controllers, one per
// watched resource ("apps/v1/replicasets", "/v1/pods" as in capstan/abi/common.h), plus the cache
// reads the host services serve from them (JSON text, label-selector filtering). Partners:
// core/client/informer.h, host_services.h, controller_host.h. Tests in
// tests/core/controllers/controller_runner_test.cc (paths) and controller_host_test.cc.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/client/api_client.h"
#include "core/client/informer.h"
#include "core/common/status.h"
#include "core/controllers/object_text_cache.h"

namespace capstan::controllers {

// "apps/v1/replicasets" -> "/apis/apps/v1/replicasets"; "/v1/pods" -> "/api/v1/pods".
// Errors: kInvalid for anything not "<group>/<version>/<plural>" or "/<version>/<plural>".
Result<std::string> ResourcePath(std::string_view resource);

// Thread-safe: Ensure/Find under one mutex; informers themselves are thread-safe. Informers are
// created before Start and never removed until the set is destroyed. Each informer's first
// handler keeps an `ObjectTextCache` of its objects, so cache reads and event maps serialize
// each object version once.
class InformerSet {
 public:
  // `client` is borrowed and must outlive the set.
  explicit InformerSet(client::ApiClient* client) : client_(client) {}
  ~InformerSet();  // stops every informer
  InformerSet(const InformerSet&) = delete;
  InformerSet& operator=(const InformerSet&) = delete;

  // The informer of `resource`, created (not started) on first use. Errors as ResourcePath.
  Result<client::Informer*> Ensure(const std::string& resource);
  // NULL when no controller watches `resource`.
  client::Informer* Find(std::string_view resource) const;
  // The text cache of `resource`'s informer; NULL when not watched. Lives as long as the set.
  const ObjectTextCache* Texts(std::string_view resource) const;

  void StartAll();
  // True when every informer synced within `timeout`.
  bool WaitForSync(std::chrono::milliseconds timeout) const;
  void StopAll();

  // Cache reads for the host services. kUnavailable when the resource is not watched or not
  // synced yet; kNotFound for a missing key; kBadRequest for a malformed selector.
  Result<std::string> GetJson(std::string_view resource, const std::string& key) const;
  // A JSON array of the objects in `ns` (empty: all) matching `label_selector` (empty: all).
  Result<std::string> ListJson(std::string_view resource, const std::string& ns,
                               std::string_view label_selector) const;

 private:
  client::ApiClient* client_;
  mutable std::mutex mu_;
  struct Watched {
    std::unique_ptr<ObjectTextCache> texts;  // declared first: handlers of the informer use it
    std::unique_ptr<client::Informer> informer;
  };
  const Watched* FindWatched(std::string_view resource) const;

  std::map<std::string, Watched, std::less<>> informers_;
};

}  // namespace capstan::controllers
