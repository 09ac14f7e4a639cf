// URL decoding and request-target parsing for `HttpRequest` (http_request.h).
#include "core/apiserver/http_request.h"

namespace capstan::apiserver {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string_view> FieldList::Get(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.first == name) return std::string_view(e.second);
  }
  return std::nullopt;
}

std::vector<std::string_view> FieldList::GetAll(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const Entry& e : entries_) {
    if (e.first == name) values.emplace_back(e.second);
  }
  return values;
}

bool HttpRequest::IsUpgrade() const {
  std::optional<std::string_view> connection = headers.Get("connection");
  return connection && HeaderHasToken(*connection, "upgrade") && headers.Has("upgrade");
}

Result<std::string> PercentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      bool complete = i + 2 < text.size();
      int hi = complete ? HexValue(text[i + 1]) : -1;
      int lo = complete ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return BadRequestError("malformed percent-escape in \"" + std::string(text) + "\"");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void ParseQuery(std::string_view raw_query, FieldList* out) {
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    Result<std::string> dn = PercentDecode(name, true);
    Result<std::string> dv = PercentDecode(value, true);
    if (!dn.ok() || !dv.ok()) continue;
    out->Add(std::move(*dn), std::move(*dv));
  }
}

Status ParseTarget(std::string_view target, HttpRequest* request) {
  request->target = std::string(target);
  std::string_view rest = target;
  if (rest == "*") {
    request->path = "*";
    return Status::Ok();
  }
  if (rest.empty() || rest.front() != '/') {
    // Absolute form: scheme "://" authority path.
    size_t scheme_end = rest.find("://");
    if (scheme_end == std::string_view::npos) {
      return BadRequestError("malformed request target \"" + std::string(target) + "\"");
    }
    rest.remove_prefix(scheme_end + 3);
    size_t path_start = rest.find_first_of("/?");
    rest = path_start == std::string_view::npos ? std::string_view("/") : rest.substr(path_start);
    if (rest.front() == '?') request->path = "/";
  }
  size_t q = rest.find('?');
  std::string_view raw_path = rest.substr(0, q);
  if (q != std::string_view::npos) request->raw_query = std::string(rest.substr(q + 1));
  if (!raw_path.empty()) {
    Result<std::string> path = PercentDecode(raw_path, false);
    if (!path.ok()) return path.status();
    request->path = std::move(*path);
  }
  ParseQuery(request->raw_query, &request->query);
  return Status::Ok();
}

bool HeaderHasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (EqualsIgnoreCase(Trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace capstan::apiserver
