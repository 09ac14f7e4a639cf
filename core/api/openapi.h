// Serves the upstream OpenAPI documents kept in data/k8s-openapi (`/openapi/v2`, `/openapi/v3`
// and `/openapi/v3/<group-version>`), with content hashes, ETags and immutable caching, and
// derives strategic-merge-patch metadata per kind (patch_meta.h). Only the raw bytes are ever
// served; they are read from disk on demand and not kept once no response holds them.
// Tests: tests/core/api/openapi_test.cc.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/patch_meta.h"
#include "core/api/resource.h"
#include "core/api/served_document.h"
#include "core/common/status.h"

namespace capstan::api {

// Finds the directory holding `swagger.json` and `v3/`. Candidates, first match wins:
//   1. `explicit_dir` when non-empty (a flag); then no other candidate is tried;
//   2. `$CAPSTAN_DATA_DIR/k8s-openapi`;
//   3. `<dir of /proc/self/exe>/../share/capstan/k8s-openapi` (installed layout);
//   4. `<source tree>/data/k8s-openapi`, compiled in (builds and tests).
// Errors: kNotFound naming every candidate tried.
Result<std::filesystem::path> FindOpenApiDir(std::string_view explicit_dir = {});

// Thread-safety: all methods are thread-safe.
class OpenApi {
 public:
  // Indexes `dir` (`swagger.json` and `v3/<path with / as __>_openapi.json`) and hashes every
  // document by streaming it; nothing is kept in memory. With a `registry` (borrowed; must
  // outlive this object) `/openapi/v3` lists only the group-versions it serves; without one,
  // every document found. Errors: kNotFound when `dir/swagger.json` is missing; kUnavailable
  // when a file cannot be read.
  static Result<std::unique_ptr<OpenApi>> Load(const std::filesystem::path& dir,
                                               const Registry* registry);

  // True for `/openapi/v2`, `/openapi/v3` and `/openapi/v3/<path>`.
  static bool IsOpenApiPath(std::string_view path);

  // Routes an OpenAPI path. `hash` is the `hash` query parameter (may be empty); `accept` the
  // Accept header. Errors as the methods below, kNotFound for other paths.
  Result<ServedDocument> Serve(std::string_view path, std::string_view hash,
                               std::string_view accept) const;

  // `/openapi/v2` as JSON, with an ETag: the upstream document plus the definitions set with
  // `SetV2Definitions`. kubectl 1.20 asks only for the gnostic protobuf form, which
  // openapi_v2_proto.h serves from this; for other types this returns kNotAcceptable.
  // Errors: kUnavailable when the file cannot be read, kInvalid when it does not parse (only
  // parsed when there are definitions to add).
  Result<ServedDocument> ServeV2(std::string_view accept) const;

  // Adds (replaces) the `/openapi/v2` definitions published under `key` (e.g. a CRD
  // group-version's kinds: {"com.example.v1.Widget": {...}, ...}); an empty or non-object
  // `definitions` removes them. The merged document is built on its next request.
  void SetV2Definitions(const std::string& key, nlohmann::json definitions);

  // `/openapi/v3`: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=<HEX>"},...}}
  // with keys sorted, hashes upper-case hex SHA-512 of each document.
  ServedDocument ServeV3Root() const;

  // `/openapi/v3/<path>` (`path` like "apis/apps/v1"). With the current `hash`: the document
  // with `Cache-Control: public, immutable`; with no hash: `no-cache, private`; with a stale
  // hash: a 301 to the current URL. Always an ETag. Errors: kNotFound when not served;
  // kUnavailable when the file cannot be read.
  Result<ServedDocument> ServeV3(std::string_view path, std::string_view hash) const;

  // The v3 paths `/openapi/v3` lists, sorted.
  std::vector<std::string> ServedV3Paths() const;
  // The hash of a v3 document, if known (served or not).
  std::optional<std::string> V3Hash(std::string_view path) const;

  // Adds or replaces an in-memory v3 document, e.g. one generated for a CRD group-version.
  // Cached patch metadata of that path is dropped.
  void SetV3Document(const std::string& path, std::string body);
  // Errors: kNotFound when no in-memory document has that path (file documents stay).
  Status RemoveV3Document(std::string_view path);

  // Strategic-merge-patch metadata for `gvk`, from its group-version's v3 document, built on
  // first use per group-version (tens of milliseconds for api/v1) and cached.
  // Errors: kNotFound when there is no document or no schema for the kind; kInvalid when the
  // document does not parse; kUnavailable when it cannot be read.
  Result<PatchMeta> PatchMetaFor(const GroupVersionKind& gvk) const;

 private:
  struct Entry {
    std::filesystem::path file;                     // empty for in-memory documents
    std::shared_ptr<const std::string> pinned;      // in-memory documents
    mutable std::weak_ptr<const std::string> live;  // file bytes while some response holds them
    std::string hash;
  };
  struct Root {
    uint64_t registry_generation = 0;
    uint64_t documents_generation = 0;
    std::shared_ptr<const std::string> body;
  };

  OpenApi(Entry v2, std::map<std::string, Entry, std::less<>> v3, const Registry* registry);
  Result<std::shared_ptr<const std::string>> Bytes(const Entry& entry) const;

  const Registry* registry_;
  mutable std::mutex mu_;  // guards everything below
  Entry v2_;
  std::map<std::string, nlohmann::json, std::less<>> v2_definitions_;  // by SetV2Definitions key
  mutable Entry v2_merged_;  // v2_ plus v2_definitions_; no bytes while stale or unused
  std::map<std::string, Entry, std::less<>> v3_;
  uint64_t documents_generation_ = 1;
  mutable Root root_;
  mutable std::map<std::string, std::shared_ptr<const PatchIndex>, std::less<>> patch_indexes_;
};

}  // namespace capstan::api
