// Registry requests, authentication and blob downloads (registry_client.h); manifest parsing is
// in registry_manifest.cc.
#include "core/image/registry_client.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/image/digest.h"

namespace capstan::image {
namespace {

constexpr int kMaxRedirects = 5;
constexpr std::chrono::seconds kDefaultTokenLifetime{60};

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

// Maps a final (post-auth) error status to our codes.
Status HttpError(int status, const std::string& what, const std::string& body) {
  std::string msg = what + ": HTTP " + std::to_string(status);
  if (!body.empty()) msg += ": " + body.substr(0, 200);
  switch (status) {
    case 401:
      return Status(StatusCode::kUnauthenticated, msg);
    case 403:
      return ForbiddenError(msg);
    case 404:
      return NotFoundError(msg);
    case 429:
      return Status(StatusCode::kTooManyRequests, msg);
    default:
      return UnavailableError(msg);
  }
}

bool IsRedirect(int s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

std::string AcceptManifests() {
  return std::string(kMediaOciIndex) + ", " + std::string(kMediaDockerList) + ", " +
         std::string(kMediaOciManifest) + ", " + std::string(kMediaDockerManifest);
}

// Errors worth trying the next endpoint for (a mirror that is down or lacks the image).
bool TryNext(const Status& s) {
  return s.code() == StatusCode::kNotFound || s.code() == StatusCode::kUnavailable ||
         s.code() == StatusCode::kTimeout || s.code() == StatusCode::kTooManyRequests ||
         s.code() == StatusCode::kUnauthenticated || s.code() == StatusCode::kForbidden;
}

}  // namespace

RegistryClient::RegistryClient(RegistriesConfig config, HttpOptions http)
    : config_(std::move(config)), http_(std::move(http)) {}

Credentials RegistryClient::CredentialsFor(const Endpoint& ep, const Reference& ref,
                                           const CredentialMap& auth) const {
  // A mirror gets only credentials meant for the mirror's own host: the upstream registry's
  // secret must not leak to a third party.
  std::string key = ep.is_mirror ? ep.credential_key : ref.domain;
  if (auto it = auth.find(key); it != auth.end()) return it->second;
  if (auto it = config_.hosts.find(key); it != config_.hosts.end()) return it->second.credentials;
  return {};
}

Result<std::string> RegistryClient::FetchToken(const Endpoint& ep,
                                               const std::map<std::string, std::string>& params,
                                               const Reference& ref, const Credentials& creds) {
  auto realm_it = params.find("realm");
  if (realm_it == params.end()) return UnavailableError("bearer challenge without realm");
  auto realm = ParseUrl(realm_it->second);
  if (!realm.ok()) return realm.status().WithContext("token realm");
  std::string query;
  auto add = [&](const std::string& k, const std::string& v) {
    query += (query.empty() ? "" : "&") + k + "=" + UrlEncode(v);
  };
  if (auto it = params.find("service"); it != params.end()) add("service", it->second);
  auto scope = params.find("scope");
  add("scope", scope != params.end() ? scope->second : "repository:" + ref.path + ":pull");
  HttpRequest req;
  req.url = *realm;
  req.url.target += (req.url.target.find('?') == std::string::npos ? "?" : "&") + query;
  if (!creds.username.empty()) {
    req.headers.emplace_back("Authorization",
                             "Basic " + Base64Encode(creds.username + ":" + creds.password));
  }
  HttpOptions opts = http_;
  opts.tls = ep.tls;
  auto resp = HttpDo(req, opts);
  if (!resp.ok()) return resp.status().WithContext("fetching token");
  if (resp->status != 200) return HttpError(resp->status, "token " + req.url.String(), resp->body);
  nlohmann::json j = nlohmann::json::parse(resp->body, nullptr, false);
  std::string token;
  if (j.is_object()) {
    token = j.value("token", "");
    if (token.empty()) token = j.value("access_token", "");
  }
  if (token.empty()) return UnavailableError("token endpoint returned no token");
  return token;
}

Result<std::string> RegistryClient::Authorize(const Endpoint& ep, const Reference& ref,
                                              const std::string& challenge,
                                              const Credentials& creds) {
  Challenge c = ParseChallenge(challenge);
  std::string key = ep.base.HostHeader() + "|" + ref.path;
  if (c.scheme == "basic") {
    if (creds.username.empty()) {
      return Status(StatusCode::kUnauthenticated,
                    ep.base.HostHeader() + " requires credentials (Basic) and none were given");
    }
    return "Basic " + Base64Encode(creds.username + ":" + creds.password);
  }
  if (c.scheme != "bearer") {
    return Status(StatusCode::kUnauthenticated, "unsupported authentication scheme \"" + c.scheme +
                                                    "\" from " + ep.base.HostHeader());
  }
  std::string header;
  if (!creds.registry_token.empty()) {
    header = "Bearer " + creds.registry_token;
  } else {
    auto token = FetchToken(ep, c.params, ref, creds);
    if (!token.ok()) return token.status();
    header = "Bearer " + *token;
  }
  std::lock_guard<std::mutex> lock(mu_);
  tokens_[key] = Token{header, std::chrono::steady_clock::now() + kDefaultTokenLifetime};
  return header;
}

Result<HttpResponse> RegistryClient::Get(
    const Endpoint& ep, const Reference& ref, const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& headers, const Credentials& creds,
    const BodySink* sink) {
  std::string key = ep.base.HostHeader() + "|" + ref.path;
  std::string authorization;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && it->second.expiry > std::chrono::steady_clock::now()) {
      authorization = it->second.header;
    }
  }
  HttpOptions opts = http_;
  opts.tls = ep.tls;
  HttpRequest req;
  req.url = ep.base;
  req.url.target = path;
  bool answered_challenge = false;
  for (int hop = 0; hop <= kMaxRedirects;) {
    req.headers = headers;
    // Credentials go only to the endpoint itself, never to a redirect target elsewhere.
    bool same_host = req.url.HostHeader() == ep.base.HostHeader();
    if (!authorization.empty() && same_host)
      req.headers.emplace_back("Authorization", authorization);
    auto resp = HttpDo(req, opts, sink);
    if (!resp.ok()) return resp.status();
    if (resp->status == 401 && same_host && !answered_challenge) {
      answered_challenge = true;
      auto a = Authorize(ep, ref, resp->Header("www-authenticate"), creds);
      if (!a.ok()) return a.status();
      authorization = *a;
      continue;
    }
    if (IsRedirect(resp->status)) {
      auto next = ResolveUrl(req.url, resp->Header("location"));
      if (!next.ok()) return next.status().WithContext("redirect from " + req.url.String());
      req.url = *next;
      ++hop;
      continue;
    }
    return resp;
  }
  return UnavailableError("too many redirects fetching " + ep.base.String() + path);
}

Result<HttpResponse> RegistryClient::GetManifest(const Endpoint& ep, const Reference& ref,
                                                 const std::string& key, const Credentials& creds) {
  std::string path = "/v2/" + ref.path + "/manifests/" + key;
  auto resp = Get(ep, ref, path, {{"Accept", AcceptManifests()}}, creds, nullptr);
  if (!resp.ok()) return resp.status();
  if (resp->status != 200) {
    return HttpError(resp->status, "manifest " + ep.base.String() + path, resp->body);
  }
  // By digest the bytes must hash to it; by tag the registry's digest header (when sent)
  // must match what we received.
  std::string want = IsValidDigest(key) ? key : resp->Header("docker-content-digest");
  if (!want.empty() && want.substr(0, 7) == "sha256:") {
    CAPSTAN_RETURN_IF_ERROR(
        VerifyDigest(resp->body, want).WithContext("manifest " + ep.base.String() + path));
  }
  return resp;
}

Result<ResolvedManifest> RegistryClient::ResolveManifest(const Reference& ref,
                                                         const CredentialMap& auth,
                                                         const Platform& platform) {
  auto endpoints = EndpointsFor(ref.domain, config_);
  if (!endpoints.ok()) return endpoints.status();
  Status last = NotFoundError("no endpoint for " + ref.domain);
  for (const Endpoint& ep : *endpoints) {
    Credentials creds = CredentialsFor(ep, ref, auth);
    auto resp = GetManifest(ep, ref, ref.ManifestKey(), creds);
    if (!resp.ok()) {
      last = resp.status();
      if (TryNext(last)) continue;
      return last;
    }
    std::string media = ManifestMediaType(resp->body, resp->Header("content-type"));
    std::string index_digest;
    if (media == kMediaOciIndex || media == kMediaDockerList) {
      index_digest = Sha256Digest(resp->body);
      auto chosen = SelectPlatform(resp->body, platform);
      if (!chosen.ok()) return chosen.status().WithContext(ref.String());
      resp = GetManifest(ep, ref, chosen->digest, creds);
      if (!resp.ok()) return resp.status();
    }
    auto m = ParseImageManifest(resp->body, resp->Header("content-type"));
    if (!m.ok()) return m.status().WithContext(ref.String());
    m->digest = Sha256Digest(resp->body);
    m->index_digest = index_digest;
    return m;
  }
  return last;
}

Status RegistryClient::FetchBlob(const Reference& ref, const Descriptor& desc,
                                 const CredentialMap& auth, const std::string& dest_path,
                                 const ByteProgress& progress) {
  if (!IsValidDigest(desc.digest) || desc.digest.substr(0, 7) != "sha256:") {
    return UnimplementedError("unsupported blob digest \"" + desc.digest + "\"");
  }
  auto endpoints = EndpointsFor(ref.domain, config_);
  if (!endpoints.ok()) return endpoints.status();
  Status last = NotFoundError("no endpoint for " + ref.domain);
  std::string path = "/v2/" + ref.path + "/blobs/" + desc.digest;
  for (const Endpoint& ep : *endpoints) {
    std::FILE* f = std::fopen(dest_path.c_str(), "wb");
    if (f == nullptr) return InternalError("cannot create " + dest_path);
    Sha256 hash;
    int64_t received = 0;
    BodySink sink = [&](std::string_view chunk) -> Status {
      received += static_cast<int64_t>(chunk.size());
      if (desc.size > 0 && received > desc.size) {
        return InvalidError("size mismatch: blob " + desc.digest + " is longer than " +
                            std::to_string(desc.size) + " bytes");
      }
      hash.Update(chunk);
      if (std::fwrite(chunk.data(), 1, chunk.size(), f) != chunk.size()) {
        return InternalError("writing " + dest_path + " failed");
      }
      if (progress) progress(received);
      return Status::Ok();
    };
    auto resp = Get(ep, ref, path, {}, CredentialsFor(ep, ref, auth), &sink);
    bool write_ok = std::fclose(f) == 0;
    Status st;
    if (!resp.ok()) {
      st = resp.status();
    } else if (resp->status != 200) {
      st = HttpError(resp->status, "blob " + ep.base.String() + path, resp->body);
    } else if (!write_ok) {
      st = InternalError("writing " + dest_path + " failed");
    } else if (received != desc.size) {
      st = InvalidError("size mismatch: blob " + desc.digest + " has " + std::to_string(received) +
                        " bytes, manifest says " + std::to_string(desc.size));
    } else if (std::string got = hash.Digest(); got != desc.digest) {
      st = InvalidError("digest mismatch: want " + desc.digest + ", got " + got);
    }
    if (st.ok()) return st;
    std::error_code ec;
    std::filesystem::remove(dest_path, ec);
    last = st.WithContext(ref.Name());
    if (!TryNext(st)) return last;
  }
  return last;
}

Result<std::string> RegistryClient::FetchBlobBytes(const Reference& ref, const Descriptor& desc,
                                                   const CredentialMap& auth) {
  if (desc.size > static_cast<int64_t>(http_.max_memory_body)) {
    return Status(StatusCode::kRequestEntityTooLarge, "blob " + desc.digest + " too large");
  }
  auto endpoints = EndpointsFor(ref.domain, config_);
  if (!endpoints.ok()) return endpoints.status();
  Status last = NotFoundError("no endpoint for " + ref.domain);
  std::string path = "/v2/" + ref.path + "/blobs/" + desc.digest;
  for (const Endpoint& ep : *endpoints) {
    auto resp = Get(ep, ref, path, {}, CredentialsFor(ep, ref, auth), nullptr);
    Status st;
    if (!resp.ok()) {
      st = resp.status();
    } else if (resp->status != 200) {
      st = HttpError(resp->status, "blob " + ep.base.String() + path, resp->body);
    } else {
      st = VerifyDigest(resp->body, desc.digest);
    }
    if (st.ok()) return std::move(resp->body);
    last = st.WithContext(ref.Name());
    if (!TryNext(st)) return last;
  }
  return last;
}

}  // namespace capstan::image
