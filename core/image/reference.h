// Image references parsed and normalized as docker/distribution's `reference` package does
// (`busybox` -> `docker.io/library/busybox:latest`). Implementation in reference.cc; the
// registry client (registry_client.h) and the image service (image_service.h) consume it.
// Thread-safety: values.
#pragma once

#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::image {

// The default registry domain and the repository prefix applied to single-component names.
inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kOfficialRepoPrefix = "library/";
inline constexpr std::string_view kDefaultTag = "latest";

struct Reference {
  std::string domain;  // "docker.io", "localhost", "registry:5000"
  std::string path;    // "library/busybox", "a/b"
  std::string tag;     // "" when absent; "latest" is filled in only when digest is also absent
  std::string digest;  // "" or "sha256:<64 hex>"

  // "docker.io/library/busybox".
  std::string Name() const;
  // Normalized full form: "docker.io/library/busybox:latest", "r:5000/a/b@sha256:..",
  // "name:tag@digest" when both are present.
  std::string String() const;
  // What to ask the registry's manifests endpoint for: the digest when present, else the tag.
  const std::string& ManifestKey() const { return digest.empty() ? tag : digest; }

  friend bool operator==(const Reference&, const Reference&) = default;
};

// Parses `text` and normalizes it: a first component without '.' or ':' that is not
// "localhost" (and has no upper case) is not a domain, so "docker.io" is prepended;
// "docker.io/x" becomes "docker.io/library/x"; "index.docker.io" becomes "docker.io"; and
// ":latest" is added when neither tag nor digest is given.
// Errors (kInvalid, message starts with `invalid reference "<text>": `): empty text, bad
// characters or separators in a path component, upper case in the repository path, a bad tag,
// a malformed digest (algorithm:hex, sha256 with 64 lower-case hex digits), a name longer than
// 255 characters, or a 64-hex repository name (ambiguous with an image ID).
Result<Reference> ParseReference(std::string_view text);

// True when `digest` is "<algorithm>:<encoded>" and, for sha256/sha512, the hex is exact.
bool IsValidDigest(std::string_view digest);

}  // namespace capstan::image
