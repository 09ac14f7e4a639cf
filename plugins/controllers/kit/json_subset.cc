// Partial JSON parsing by member paths (see json_subset.h).
#include "plugins/controllers/kit/json_subset.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <utility>

namespace capstan::controllers {

// One path step. `keep`: the value is kept (members below that are `drop` excepted); `drop`:
// skipped; neither: only the descendants named below are kept.
struct JsonSubset::Node {
  bool keep = false;
  bool drop = false;
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> children;

  Node* Child(std::string_view key) const {
    for (const auto& [name, node] : children) {
      if (name == key) return node.get();
    }
    return nullptr;
  }
  Node* Add(std::string_view key) {
    if (Node* n = Child(key)) return n;
    children.emplace_back(std::string(key), std::make_unique<Node>());
    return children.back().second.get();
  }
};

namespace {

using Node = JsonSubset::Node;

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// A cursor over the text; every step returns false on malformed or truncated input.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  size_t pos() const { return pos_; }
  std::string_view Slice(size_t from) const { return s_.substr(from, pos_ - from); }
  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }
  // The next non-space character (consumed when it is `c`).
  bool Eat(char c) {
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  char Peek() {
    SkipSpace();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ == s_.size();
  }

  // At an opening quote: moves past the closing one; `raw` is the text between them and
  // `escaped` says whether it holds a backslash.
  bool String(std::string_view* raw, bool* escaped) {
    if (pos_ >= s_.size() || s_[pos_] != '"') return false;
    size_t start = ++pos_;
    *escaped = false;
    for (;;) {
      const char* p = static_cast<const char*>(memchr(s_.data() + pos_, '"', s_.size() - pos_));
      if (p == nullptr) return false;
      size_t quote = static_cast<size_t>(p - s_.data());
      // The quote is escaped when an odd number of backslashes precede it.
      size_t slashes = 0;
      while (quote - slashes > start && s_[quote - slashes - 1] == '\\') ++slashes;
      if (memchr(s_.data() + pos_, '\\', quote - pos_) != nullptr) *escaped = true;
      pos_ = quote + 1;
      if (slashes % 2 == 0) {
        *raw = s_.substr(start, quote - start);
        return true;
      }
    }
  }

  // Skips one value of any type, checking only that brackets balance.
  bool SkipValue() {
    SkipSpace();
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_];
    std::string_view raw;
    bool escaped = false;
    if (c == '"') return String(&raw, &escaped);
    if (c != '{' && c != '[') {
      size_t start = pos_;
      while (pos_ < s_.size() && !IsSpace(s_[pos_]) && s_[pos_] != ',' && s_[pos_] != '}' &&
             s_[pos_] != ']') {
        ++pos_;
      }
      return pos_ > start;
    }
    // Only the bracket kinds count: a stray mix of `{` and `]` is caught by the parse of a
    // kept value, never needed for a skipped one.
    int depth = 0;
    while (pos_ < s_.size()) {
      c = s_[pos_];
      if (c == '"') {
        if (!String(&raw, &escaped)) return false;
        continue;
      }
      ++pos_;
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return true;
      }
    }
    return false;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::optional<Json> ParseWhole(std::string_view text) { return sdk::json::Parse(text); }

// The member name: `raw` itself unless it holds escapes.
std::optional<std::string> KeyText(std::string_view raw, bool escaped) {
  if (!escaped) return std::string(raw);
  std::optional<Json> key = ParseWhole("\"" + std::string(raw) + "\"");
  if (!key || !key->is_string()) return std::nullopt;
  return key->get<std::string>();
}

// At '{': hands each member's key to `member`, which consumes the value (the scanner is at it)
// and returns false on malformed input. False when the object is malformed.
template <typename Member>
bool ForEachMember(Scanner& in, Member&& member) {
  if (!in.Eat('{')) return false;
  if (in.Eat('}')) return true;
  for (;;) {
    in.SkipSpace();
    std::string_view raw;
    bool escaped = false;
    if (!in.String(&raw, &escaped) || !in.Eat(':')) return false;
    std::optional<std::string> key = KeyText(raw, escaped);
    if (!key || !member(std::move(*key))) return false;
    if (in.Eat(',')) continue;
    return in.Eat('}');
  }
}

// Builds one value from the scanner directly: nlohmann's own parser copies every character
// through its token buffer and costs several times more. Escaped strings and non-integer
// numbers (rare in API objects) go through nlohmann.
bool BuildValue(Scanner& in, Json* out, int depth = 0) {
  if (depth > 512) return false;
  char c = in.Peek();
  if (c == '{') {
    *out = Json::object();
    return ForEachMember(in, [&](std::string key) {
      Json value;
      if (!BuildValue(in, &value, depth + 1)) return false;
      (*out)[std::move(key)] = std::move(value);
      return true;
    });
  }
  if (c == '[') {
    in.Eat('[');
    *out = Json::array();
    if (in.Eat(']')) return true;
    for (;;) {
      Json value;
      if (!BuildValue(in, &value, depth + 1)) return false;
      out->push_back(std::move(value));
      if (in.Eat(',')) continue;
      return in.Eat(']');
    }
  }
  size_t start = in.pos();
  if (c == '"') {
    std::string_view raw;
    bool escaped = false;
    if (!in.String(&raw, &escaped)) return false;
    if (!escaped) {
      *out = std::string(raw);
      return true;
    }
  } else if (!in.SkipValue()) {
    return false;
  }
  std::string_view token = in.Slice(start);
  if (token == "true" || token == "false") {
    *out = token == "true";
    return true;
  }
  if (token == "null") {
    *out = nullptr;
    return true;
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), n);
    bool leading_zero = token.size() > 1 && token[token[0] == '-' ? 1 : 0] == '0';
    if (ec == std::errc() && end == token.data() + token.size() && !leading_zero) {
      *out = n;
      return true;
    }
  }
  std::optional<Json> value = ParseWhole(token);
  if (!value) return false;
  *out = std::move(*value);
  return true;
}

bool ParseValue(Scanner& in, const Node* node, bool whole, Json* out);

// At '{': the members of the object, filtered by `node` (`whole`: members not named under it
// are kept).
bool ParseMembers(Scanner& in, const Node* node, bool whole, Json* out) {
  *out = Json::object();
  return ForEachMember(in, [&](std::string key) {
    const Node* child = node != nullptr ? node->Child(key) : nullptr;
    bool keep_all = whole || (child != nullptr && child->keep);
    if (child != nullptr && child->drop) return in.SkipValue();
    if (keep_all || (child != nullptr && !child->children.empty() && in.Peek() == '{')) {
      Json value;
      if (!ParseValue(in, child, keep_all, &value)) return false;
      (*out)[std::move(key)] = std::move(value);
      return true;
    }
    return in.SkipValue();
  });
}

// One value: kept whole by nlohmann unless something below it is filtered.
bool ParseValue(Scanner& in, const Node* node, bool whole, Json* out) {
  bool filtered = node != nullptr && !node->children.empty();
  if (filtered && in.Peek() == '{') return ParseMembers(in, node, whole, out);
  return BuildValue(in, out);
}

}  // namespace

JsonSubset::JsonSubset(const std::vector<std::string>& keep, const std::vector<std::string>& drop)
    : root_(std::make_unique<Node>()) {
  auto add = [&](const std::string& path) {
    Node* n = root_.get();
    for (size_t start = 0;;) {
      size_t dot = path.find('.', start);
      n = n->Add(std::string_view(path).substr(start, dot - start));
      if (dot == std::string::npos) return n;
      start = dot + 1;
    }
  };
  for (const std::string& p : keep) add(p)->keep = true;
  for (const std::string& p : drop) add(p)->drop = true;
}

JsonSubset::~JsonSubset() = default;

std::optional<Json> JsonSubset::ParseObject(std::string_view text) const {
  Scanner in(text);
  Json out;
  if (in.Peek() != '{' || !ParseMembers(in, root_.get(), false, &out) || !in.AtEnd()) {
    return std::nullopt;
  }
  return out;
}

std::optional<Json> JsonSubset::ParseArray(std::string_view text) const {
  Scanner in(text);
  if (!in.Eat('[')) return std::nullopt;
  Json out = Json::array();
  if (!in.Eat(']')) {
    for (;;) {
      Json item;
      bool ok = in.Peek() == '{' ? ParseMembers(in, root_.get(), false, &item)
                                 : ParseValue(in, nullptr, true, &item);
      if (!ok) return std::nullopt;
      out.push_back(std::move(item));
      if (in.Eat(',')) continue;
      if (!in.Eat(']')) return std::nullopt;
      break;
    }
  }
  if (!in.AtEnd()) return std::nullopt;
  return out;
}

const JsonSubset& ObjectMetaSubset() {
  static const JsonSubset subset({"apiVersion", "kind", "metadata"}, {"metadata.managedFields"});
  return subset;
}

const JsonSubset& PodStatusSubset() {
  static const JsonSubset subset({"apiVersion", "kind", "metadata", "spec.nodeName", "status"},
                                 {"metadata.managedFields"});
  return subset;
}

std::optional<Json> ParseObjectMeta(std::string_view object_json) {
  return ObjectMetaSubset().ParseObject(object_json);
}

std::optional<Json> ParseJsonFast(std::string_view text) {
  Scanner in(text);
  Json out;
  if (!BuildValue(in, &out) || !in.AtEnd()) return std::nullopt;
  return out;
}

}  // namespace capstan::controllers
