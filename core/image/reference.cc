// Reference parsing (reference.h): hand-written matchers for the grammar of
// docker/distribution's reference package, then the normalization `ParseNormalizedNamed` does.
#include "core/image/reference.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace capstan::image {
namespace {

constexpr size_t kNameTotalLengthMax = 255;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// path-component := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool IsPathComponent(std::string_view s) {
  size_t i = 0;
  auto alnum_run = [&]() {
    size_t start = i;
    while (i < s.size() && IsLowerAlnum(s[i])) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < s.size()) {
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]; domain :=
// component ('.' component)* (':' [0-9]+)?, or a bracketed IPv6 literal with optional port.
bool IsDomain(std::string_view s) {
  std::string_view host = s;
  size_t colon = s.rfind(':');
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : s.substr(1, close - 1)) {
      if (!IsHex(static_cast<char>(std::tolower(static_cast<unsigned char>(c)))) && c != ':')
        return false;
    }
    std::string_view rest = s.substr(close + 1);
    if (rest.empty()) return true;
    if (rest[0] != ':' || rest.size() == 1) return false;
    for (char c : rest.substr(1)) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  }
  if (colon != std::string_view::npos) {
    std::string_view port = s.substr(colon + 1);
    if (port.empty()) return false;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    host = s.substr(0, colon);
  }
  if (host.empty()) return false;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    std::string_view comp = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (comp.empty() || !IsAlnum(comp.front()) || !IsAlnum(comp.back())) return false;
    for (char c : comp) {
      if (!IsAlnum(c) && c != '-') return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// tag := [\w][\w.-]{0,127}
bool IsTag(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  auto word = [](char c) { return IsAlnum(c) || c == '_'; };
  if (!word(s[0])) return false;
  for (char c : s) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

bool IsAllHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!IsHex(c)) return false;
  }
  return true;
}

Status Bad(std::string_view text, std::string_view why) {
  return InvalidError("invalid reference \"" + std::string(text) + "\": " + std::string(why));
}

}  // namespace

bool IsValidDigest(std::string_view digest) {
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view algo = digest.substr(0, colon);
  std::string_view enc = digest.substr(colon + 1);
  if (enc.empty()) return false;
  // algorithm := component ([+._-] component)*; component := [a-z0-9]+
  bool need_alnum = true;
  for (char c : algo) {
    if (IsLowerAlnum(c)) {
      need_alnum = false;
    } else if ((c == '+' || c == '.' || c == '_' || c == '-') && !need_alnum) {
      need_alnum = true;
    } else {
      return false;
    }
  }
  if (need_alnum) return false;
  size_t want = algo == "sha256" ? 64 : algo == "sha512" ? 128 : 0;
  if (want != 0) {
    if (enc.size() != want) return false;
    for (char c : enc) {
      if (!IsHex(c)) return false;
    }
    return true;
  }
  for (char c : enc) {
    if (!IsAlnum(c) && c != '=' && c != '_' && c != '-') return false;
  }
  return true;
}

std::string Reference::Name() const { return domain + "/" + path; }

std::string Reference::String() const {
  std::string s = Name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Result<Reference> ParseReference(std::string_view text) {
  if (text.empty()) return Bad(text, "empty reference");
  Reference ref;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!IsValidDigest(ref.digest)) {
      return Bad(text, "invalid digest \"" + ref.digest + "\" (want sha256:<64 hex digits>)");
    }
  }
  // A ':' after the last '/' separates the tag (a ':' before it belongs to a port).
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!IsTag(ref.tag)) {
      return Bad(text, "invalid tag \"" + ref.tag + "\" (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
    }
  }
  if (rest.empty()) return Bad(text, "missing repository name");
  std::string_view remote = rest;
  size_t slash = rest.find('/');
  std::string_view first = rest.substr(0, slash);
  bool first_is_domain =
      slash != std::string_view::npos &&
      (first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
       std::any_of(first.begin(), first.end(),
                   [](char c) { return std::isupper(static_cast<unsigned char>(c)); }));
  if (first_is_domain) {
    if (!IsDomain(first))
      return Bad(text, "invalid registry domain \"" + std::string(first) + "\"");
    ref.domain = std::string(first);
    remote = rest.substr(slash + 1);
  } else {
    ref.domain = std::string(kDefaultDomain);
  }
  if (ref.domain == "index.docker.io") ref.domain = std::string(kDefaultDomain);
  if (ref.domain == kDefaultDomain && remote.find('/') == std::string_view::npos) {
    ref.path = std::string(kOfficialRepoPrefix) + std::string(remote);
  } else {
    ref.path = std::string(remote);
  }
  if (remote.empty()) return Bad(text, "missing repository name");
  for (char c : ref.path) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      return Bad(text, "repository name must be lowercase");
    }
  }
  size_t start = 0;
  while (true) {
    size_t next = ref.path.find('/', start);
    std::string_view comp = std::string_view(ref.path).substr(
        start, next == std::string::npos ? std::string::npos : next - start);
    if (!IsPathComponent(comp)) {
      return Bad(text, "invalid repository path component \"" + std::string(comp) +
                           "\" (want [a-z0-9]+ joined by '.', '_', '__' or '-')");
    }
    if (next == std::string::npos) break;
    start = next + 1;
  }
  if (!first_is_domain && IsAllHex64(remote)) {
    return Bad(text, "cannot specify 64-byte hexadecimal strings as a repository name");
  }
  if (ref.Name().size() > kNameTotalLengthMax) {
    return Bad(text, "repository name must not be more than 255 characters");
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = std::string(kDefaultTag);
  return ref;
}

}  // namespace capstan::image
