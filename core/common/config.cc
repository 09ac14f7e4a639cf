// YAML and JSON parsing into nlohmann::json, and Go-style durations (contract in config.h).
// yaml-cpp parser events are turned into JSON by `JsonBuilder`; this file is the one adapter
// that catches yaml-cpp and nlohmann exceptions. Tests in tests/core/common/config_test.cc.
#include "core/common/config.h"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace capstan::config {
namespace {

using nlohmann::json;

// Bounds how far aliases may expand a document ("billion laughs"); far above any real config.
constexpr size_t kMaxNodes = size_t{1} << 20;

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

bool IsDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                         : c >= '0' && c < static_cast<char>('0' + base);
    if (!ok) return false;
  }
  return true;
}

// YAML 1.2 core schema int: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+. Values past int64 become
// uint64, then (decimal only) double, as Go's YAML decoders do.
std::optional<json> ParseCoreInt(std::string_view s) {
  int base = 10;
  std::string_view digits = s;
  bool negative = false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    base = s[1] == 'x' ? 16 : 8;
    digits.remove_prefix(2);
  } else if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    digits.remove_prefix(1);
  }
  if (!IsDigits(digits, base)) return std::nullopt;
  if (!negative) {
    uint64_t u = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
    if (r.ec == std::errc()) {
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return json(static_cast<int64_t>(u));
      }
      return json(u);
    }
  } else {
    int64_t v = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), v, 10);
    if (r.ec == std::errc()) return json(v);
  }
  if (base != 10) return std::nullopt;
  double d = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), d);
  return json(negative ? -d : d);
}

// YAML 1.2 core schema float:
// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
std::optional<json> ParseCoreFloat(std::string_view s) {
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    return json(std::numeric_limits<double>::quiet_NaN());
  }
  bool negative = false;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    double inf = std::numeric_limits<double>::infinity();
    return json(negative ? -inf : inf);
  }
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i;
    return i - start;
  };
  size_t mantissa = digits();
  if (i < body.size() && body[i] == '.') {
    ++i;
    size_t fraction = digits();
    if (mantissa == 0 && fraction == 0) return std::nullopt;
  } else if (mantissa == 0) {
    return std::nullopt;
  }
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '-' || body[i] == '+')) ++i;
    if (digits() == 0) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  double d = 0;
  auto r = std::from_chars(body.data(), body.data() + body.size(), d);
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars leaves `d` untouched; overflow goes to infinity, underflow to zero.
    size_t e = body.find_first_of("eE");
    bool underflow = e != std::string_view::npos && e + 1 < body.size() && body[e + 1] == '-';
    d = underflow ? 0.0 : std::numeric_limits<double>::infinity();
  }
  return json(negative ? -d : d);
}

std::optional<json> ParseCoreBool(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return json(true);
  if (s == "false" || s == "False" || s == "FALSE") return json(false);
  return std::nullopt;
}

bool IsCoreNull(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// Types a plain scalar per the core schema; anything unrecognised is a string.
json ResolvePlain(const std::string& s) {
  if (IsCoreNull(s)) return nullptr;
  if (auto b = ParseCoreBool(s)) return *b;
  if (auto i = ParseCoreInt(s)) return *i;
  if (auto f = ParseCoreFloat(s)) return *f;
  return s;
}

// `tag` is "?" for plain scalars, "!" for quoted or block ones, else the resolved tag.
std::optional<json> ResolveScalar(const std::string& tag, const std::string& value,
                                  std::string* what) {
  if (tag == "?") return ResolvePlain(value);
  if (tag.size() <= kTagPrefix.size() || tag.compare(0, kTagPrefix.size(), kTagPrefix) != 0) {
    return json(value);  // "!" (non-specific) or a local tag such as !custom
  }
  std::string_view name = std::string_view(tag).substr(kTagPrefix.size());
  std::optional<json> out;
  if (name == "int") {
    out = ParseCoreInt(value);
    if (out && !out->is_number_integer()) out.reset();
  } else if (name == "float") {
    out = ParseCoreFloat(value);
    if (!out) {
      if (auto i = ParseCoreInt(value)) out = json(i->get<double>());
    }
  } else if (name == "bool") {
    out = ParseCoreBool(value);
  } else if (name == "null") {
    if (IsCoreNull(value)) out = json(nullptr);
  } else {
    return json(value);  // !!str, !!binary, !!timestamp, ...: keep the text
  }
  if (!out) *what = "cannot parse \"" + value + "\" as !!" + std::string(name);
  return out;
}

std::string Where(const std::string& source, const YAML::Mark& mark) {
  if (mark.is_null()) return source + ": ";
  return source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) +
         ": ";
}

// Builds one document's JSON from yaml-cpp events. yaml-cpp gives handlers no way to stop the
// parse, so the first error is recorded and every later event of the document is ignored.
class JsonBuilder : public YAML::EventHandler {
 public:
  explicit JsonBuilder(const std::string& source) : source_(source) {}

  bool failed() const { return !error_.ok(); }
  const Status& error() const { return error_; }
  const YAML::Mark& document_mark() const { return document_mark_; }
  json TakeRoot() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark& mark) override { document_mark_ = mark; }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (failed() || !Count(mark, 1)) return;
    if (InKeyPosition()) return Fail(mark, "mapping key must not be null");
    AddValue(mark, nullptr, anchor, 1);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (failed()) return;
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) return Fail(mark, "alias refers to a node that contains it");
    if (!Count(mark, it->second.nodes)) return;
    const json& value = it->second.value;
    if (InKeyPosition()) {
      if (value.is_string()) return AddKey(mark, value.get<std::string>(), false);
      if (value.is_structured() || value.is_null()) {
        return Fail(mark, "mapping key must be a scalar");
      }
      return AddKey(mark, value.dump(), false);
    }
    AddValue(mark, value, YAML::NullAnchor, it->second.nodes);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (failed() || !Count(mark, 1)) return;
    if (!IsValidUtf8(value)) return Fail(mark, "invalid UTF-8 in scalar");
    if (InKeyPosition()) {
      if (anchor != YAML::NullAnchor) anchors_[anchor] = {json(value), 1};
      return AddKey(mark, value, tag == "?");
    }
    std::string what;
    std::optional<json> resolved = ResolveScalar(tag, value, &what);
    if (!resolved) return Fail(mark, what);
    AddValue(mark, std::move(*resolved), anchor, 1);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    Open(mark, anchor, json::array());
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    Open(mark, anchor, json::object());
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    json value;  // array or object under construction
    YAML::Mark mark;
    YAML::anchor_t anchor = YAML::NullAnchor;
    size_t nodes = 1;
    bool has_key = false;  // objects: `key` awaits its value
    bool key_is_merge = false;
    std::string key;
    YAML::Mark key_mark;
    std::vector<json> merges;  // `<<` sources, applied at the end so explicit keys win
  };
  struct Anchored {
    json value;
    size_t nodes = 1;
  };

  void Fail(const YAML::Mark& mark, const std::string& what) {
    if (!failed()) error_ = BadRequestError(Where(source_, mark) + what);
  }

  bool Count(const YAML::Mark& mark, size_t nodes) {
    total_nodes_ += nodes;
    if (total_nodes_ <= kMaxNodes) return true;
    Fail(mark, "document expands to more than " + std::to_string(kMaxNodes) +
                   " nodes (aliases nested too deeply?)");
    return false;
  }

  bool InKeyPosition() const {
    return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().has_key;
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor, json empty) {
    if (failed() || !Count(mark, 1)) return;
    if (InKeyPosition()) return Fail(mark, "mapping key must be a scalar");
    if (stack_.size() >= static_cast<size_t>(kMaxNestingDepth)) {
      return Fail(mark, "nesting deeper than " + std::to_string(kMaxNestingDepth));
    }
    Frame frame;
    frame.value = std::move(empty);
    frame.mark = mark;
    frame.anchor = anchor;
    stack_.push_back(std::move(frame));
  }

  void Close() {
    if (failed()) return;
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    for (const json& source : frame.merges) {
      for (const auto& [k, v] : source.items()) {
        if (!frame.value.contains(k)) frame.value[k] = v;
      }
    }
    AddValue(frame.mark, std::move(frame.value), frame.anchor, frame.nodes);
  }

  void AddKey(const YAML::Mark& mark, std::string key, bool plain) {
    Frame& top = stack_.back();
    top.key_is_merge = plain && key == "<<";
    top.key = std::move(key);
    top.key_mark = mark;
    top.has_key = true;
  }

  void AddValue(const YAML::Mark& mark, json value, YAML::anchor_t anchor, size_t nodes) {
    if (anchor != YAML::NullAnchor) anchors_[anchor] = {value, nodes};
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& top = stack_.back();
    top.nodes += nodes;
    if (top.value.is_array()) {
      top.value.push_back(std::move(value));
      return;
    }
    top.has_key = false;
    if (top.key_is_merge) return AddMerge(mark, top, std::move(value));
    if (top.value.contains(top.key)) {
      return Fail(top.key_mark, "duplicate mapping key \"" + top.key + "\"");
    }
    top.value[top.key] = std::move(value);
  }

  void AddMerge(const YAML::Mark& mark, Frame& top, json value) {
    if (value.is_object()) {
      top.merges.push_back(std::move(value));
      return;
    }
    bool all_objects = value.is_array();
    for (const json& item : value) all_objects = all_objects && item.is_object();
    if (all_objects) {
      for (json& item : value) top.merges.push_back(std::move(item));
      return;
    }
    Fail(mark, "merge key \"<<\" needs a mapping or a list of mappings");
  }

  const std::string& source_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  size_t total_nodes_ = 0;
  json root_;
  YAML::Mark document_mark_;
  Status error_;
};

// Replaces bytes that are not printable ASCII, so third-party messages quoting input stay
// valid UTF-8 wherever the Status ends up.
std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return out;
}

// Returns the byte offset where bracket nesting first exceeds kMaxNestingDepth, or npos.
size_t TooDeepAt(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxNestingDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string_view::npos;
}

}  // namespace

Result<json> ParseYaml(std::string_view text, std::string_view source_name) {
  const std::string source(source_name);
  std::vector<std::unique_ptr<JsonBuilder>> documents;
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    while (true) {
      documents.push_back(std::make_unique<JsonBuilder>(source));
      if (!parser.HandleNextDocument(*documents.back())) break;
      JsonBuilder& doc = *documents.back();
      if (doc.failed()) return doc.error();
      if (documents.size() > 1 && !doc.TakeRoot().is_null()) {
        return BadRequestError(Where(source, doc.document_mark()) +
                               "a second YAML document; a config file holds exactly one");
      }
    }
  } catch (const YAML::Exception& e) {
    // An error our builder recorded earlier in the same document comes first.
    if (!documents.empty() && documents.back()->failed()) return documents.back()->error();
    return BadRequestError(Where(source, e.mark) + e.msg);
  } catch (const std::exception& e) {
    return InternalError(source + ": parsing YAML: " + e.what());
  }
  if (documents.size() < 2) return json::object();  // no document at all
  json root = documents.front()->TakeRoot();
  if (root.is_null()) return json::object();
  return root;
}

Result<json> LoadYamlFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string message = "reading " + path + ": " + std::generic_category().message(err);
    if (err == ENOENT) return NotFoundError(std::move(message));
    return BadRequestError(std::move(message));
  }
  std::string content;
  char buffer[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return BadRequestError("reading " + path + ": " + std::generic_category().message(err));
    }
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return ParseYaml(content, path);
}

Result<json> ParseJson(std::string_view text, std::string_view source_name) {
  if (size_t at = TooDeepAt(text); at != std::string_view::npos) {
    return BadRequestError(std::string(source_name) + ": nesting deeper than " +
                           std::to_string(kMaxNestingDepth) + " at byte " + std::to_string(at + 1));
  }
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // what() is "[json.exception.parse_error.N] parse error at line L, column C: <what>".
    std::string_view what = e.what();
    if (size_t p = what.find("parse error"); p != std::string_view::npos) {
      if (size_t colon = what.find(": ", p); colon != std::string_view::npos) {
        what.remove_prefix(colon + 2);
      }
    }
    // `byte` counts the bytes read including the offending one, one past the end at EOF.
    return BadRequestError(std::string(source_name) + ": " + Printable(what) + " at byte " +
                           std::to_string(std::min(e.byte, text.size())));
  } catch (const std::exception& e) {
    return BadRequestError(std::string(source_name) + ": " + Printable(e.what()));
  }
}

namespace {

// Nanoseconds per unit, as Go's time.ParseDuration accepts them.
std::optional<uint64_t> UnitNs(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60 * uint64_t{1'000'000'000};
  if (unit == "h") return 3600 * uint64_t{1'000'000'000};
  return std::nullopt;
}

// Escapes text for a message: quotes, backslashes and bytes outside printable ASCII.
std::string Quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<int64_t> ParseDurationNs(std::string_view text) {
  auto invalid = [&](const std::string& why) {
    return InvalidError("invalid duration " + Quote(text) + ": " + why);
  };
  constexpr uint64_t kLimit = uint64_t{1} << 63;  // |int64 min|
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  if (s.empty()) return invalid("empty");
  uint64_t total = 0;
  while (!s.empty()) {
    size_t i = 0;
    uint64_t whole = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (whole > kLimit / 10) return invalid("out of range");
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
      if (whole > kLimit) return invalid("out of range");
    }
    bool has_whole = i > 0;
    // Fraction digits beyond uint64 precision are dropped, as Go does.
    uint64_t fraction = 0;
    double scale = 1;
    bool has_fraction = false;
    if (i < s.size() && s[i] == '.') {
      for (++i; i < s.size() && IsDigit(s[i]); ++i) {
        has_fraction = true;
        if (fraction > (kLimit - 9) / 10) continue;
        fraction = fraction * 10 + static_cast<uint64_t>(s[i] - '0');
        scale *= 10;
      }
    }
    if (!has_whole && !has_fraction) return invalid("expected a number");
    size_t unit_end = i;
    while (unit_end < s.size() && s[unit_end] != '.' && !IsDigit(s[unit_end])) ++unit_end;
    std::string_view unit = s.substr(i, unit_end - i);
    if (unit.empty()) return invalid("missing unit");
    std::optional<uint64_t> unit_ns = UnitNs(unit);
    if (!unit_ns) return invalid("unknown unit " + Quote(unit));
    if (whole > kLimit / *unit_ns) return invalid("out of range");
    uint64_t value = whole * *unit_ns;
    if (fraction > 0) {
      value += static_cast<uint64_t>(static_cast<double>(fraction) *
                                     (static_cast<double>(*unit_ns) / scale));
      if (value > kLimit) return invalid("out of range");
    }
    total += value;
    if (total > kLimit) return invalid("out of range");
    s.remove_prefix(unit_end);
  }
  if (negative) return static_cast<int64_t>(0 - total);
  if (total > kLimit - 1) return invalid("out of range");
  return static_cast<int64_t>(total);
}

}  // namespace capstan::config
