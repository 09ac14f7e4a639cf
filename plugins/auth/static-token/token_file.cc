// Static token file parsing (token_file.h).
#include "token_file.h"

namespace capstan::plugins {
namespace {

// Splits one CSV record; fields may be double-quoted with "" as an escaped quote.
bool SplitCsv(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (quoted) return false;
  fields->push_back(std::move(cur));
  return true;
}

}  // namespace

bool ParseTokenFile(std::string_view text, std::vector<TokenEntry>* out, std::string* error) {
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() + 1 : end + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> f;
    if (!SplitCsv(line, &f)) {
      *error = "line " + std::to_string(line_no) + ": unterminated quote";
      return false;
    }
    if (f.size() < 3 || f[0].empty() || f[1].empty()) {
      *error = "line " + std::to_string(line_no) + ": want token,user,uid[,\"groups\"]";
      return false;
    }
    TokenEntry e{f[0], f[1], f[2], {}};
    if (f.size() > 3) {
      std::string_view groups = f[3];
      size_t g = 0;
      while (g <= groups.size()) {
        size_t comma = groups.find(',', g);
        std::string_view name =
            groups.substr(g, comma == std::string_view::npos ? std::string_view::npos : comma - g);
        if (!name.empty()) e.groups.emplace_back(name);
        if (comma == std::string_view::npos) break;
        g = comma + 1;
      }
    }
    out->push_back(std::move(e));
  }
  return true;
}

}  // namespace capstan::plugins
