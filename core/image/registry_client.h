// A client of the OCI Distribution / Docker Registry HTTP API v2: resolves a reference to the
// linux/amd64 image manifest (through OCI indexes and Docker manifest lists), downloads blobs
// with digest verification, and authenticates anonymously, with Basic, or with Bearer tokens
// fetched from the realm a 401 challenge names. Mirrors and per-registry settings come from
// registry_config.h. Implementation in registry_client.cc (requests, auth) and
// registry_manifest.cc (manifest parsing). Used by image_service.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/image/http_client.h"
#include "core/image/reference.h"
#include "core/image/registry_config.h"

namespace capstan::image {

inline constexpr std::string_view kMediaOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaDockerList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kMediaDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";

struct Platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;  // "" matches any
};

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
};

struct ResolvedManifest {
  std::string digest;        // of the platform image manifest
  std::string index_digest;  // of the index/list the reference named, "" when none
  std::string media_type;    // of the image manifest
  std::string raw;           // the image manifest's bytes (verified against `digest`)
  Descriptor config;
  std::vector<Descriptor> layers;
};

// Called with the number of bytes received so far for the blob being fetched.
using ByteProgress = std::function<void(int64_t bytes_so_far)>;

// Thread-safety: all methods are thread-safe; the bearer-token cache is behind `mu_`.
class RegistryClient {
 public:
  explicit RegistryClient(RegistriesConfig config, HttpOptions http = {});

  // Resolves `ref` (tag or digest) to the manifest for `platform`. `auth` holds credentials by
  // registry domain (from imagePullSecrets); configured credentials are the fallback. Mirrors
  // are tried first, in order; a mirror that fails or lacks the image is skipped.
  // Errors: kNotFound (no endpoint has the manifest, or no manifest for the platform),
  // kUnauthenticated / kForbidden (credentials missing or refused), kInvalid (digest mismatch,
  // malformed manifest), kUnimplemented (schema 1 or unknown media type), kUnavailable /
  // kTimeout (network).
  Result<ResolvedManifest> ResolveManifest(const Reference& ref, const CredentialMap& auth,
                                           const Platform& platform = {});

  // Downloads blob `desc` of `ref`'s repository into `dest_path` (created or truncated),
  // following redirects (credentials are not sent to another host), and checks its size and
  // sha256. On any error `dest_path` is removed. Errors as `ResolveManifest`; kInvalid
  // "digest mismatch" / "size mismatch" when the bytes are wrong.
  Status FetchBlob(const Reference& ref, const Descriptor& desc, const CredentialMap& auth,
                   const std::string& dest_path, const ByteProgress& progress = nullptr);

  // Like `FetchBlob` into memory, for configs (capped by `HttpOptions::max_memory_body`).
  Result<std::string> FetchBlobBytes(const Reference& ref, const Descriptor& desc,
                                     const CredentialMap& auth);

 private:
  struct Token {
    std::string header;  // full Authorization value
    std::chrono::steady_clock::time_point expiry;
  };

  // Sends GET `path` on `ep`, answering one 401 challenge and following up to 5 redirects.
  Result<HttpResponse> Get(const Endpoint& ep, const Reference& ref, const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           const Credentials& creds, const BodySink* sink);
  Result<std::string> Authorize(const Endpoint& ep, const Reference& ref,
                                const std::string& challenge, const Credentials& creds);
  Result<std::string> FetchToken(const Endpoint& ep,
                                 const std::map<std::string, std::string>& params,
                                 const Reference& ref, const Credentials& creds);
  Credentials CredentialsFor(const Endpoint& ep, const Reference& ref,
                             const CredentialMap& auth) const;
  Result<HttpResponse> GetManifest(const Endpoint& ep, const Reference& ref, const std::string& key,
                                   const Credentials& creds);

  const RegistriesConfig config_;
  const HttpOptions http_;
  std::mutex mu_;
  std::map<std::string, Token> tokens_;  // by "endpoint|repository"
};

// Parses an image manifest (OCI or Docker v2 schema 2). kInvalid / kUnimplemented as above.
Result<ResolvedManifest> ParseImageManifest(std::string_view raw, std::string_view content_type);

// Picks the digest for `platform` out of an OCI index / Docker manifest list. kNotFound when
// none matches (message lists the platforms present).
Result<Descriptor> SelectPlatform(std::string_view raw_index, const Platform& platform);

// Media type of a manifest body: `content_type` unless empty or generic, else its "mediaType"
// field, else inferred from "manifests" (index) or "layers" (OCI manifest).
std::string ManifestMediaType(std::string_view raw, std::string_view content_type);

// Splits a WWW-Authenticate value into its scheme (lower case) and parameters.
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
};
Challenge ParseChallenge(std::string_view header);

}  // namespace capstan::image
