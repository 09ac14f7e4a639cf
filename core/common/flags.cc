// FlagSet from flags.h: registration, argv parsing and the usage text.
// Durations go through config::ParseDurationNs (config.h). Tests in
// tests/core/common/flags_test.cc.
#include "core/common/flags.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "core/common/config.h"

namespace capstan::flags {
namespace {

enum class Kind { kString, kBool, kInt, kDuration, kStringList };

// Registration mistakes are programming errors found at startup, so they abort.
void CheckName(bool ok, std::string_view name, const char* why) {
  if (ok) return;
  std::fprintf(stderr, "flags: cannot register --%.*s: %s\n", static_cast<int>(name.size()),
               name.data(), why);
  std::abort();
}

bool ValidName(std::string_view name) {
  if (name.empty() || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// Accepts what Go's strconv.ParseBool does.
bool ParseBool(std::string_view text, bool* out) {
  for (std::string_view t : {"1", "t", "T", "true", "TRUE", "True"}) {
    if (text == t) return *out = true, true;
  }
  for (std::string_view f : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (text == f) return *out = false, true;
  }
  return false;
}

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// `value / unit` with up to the unit's precision, trailing zeros trimmed ("1.5", "2").
std::string Fraction(uint64_t value, uint64_t unit) {
  std::string out = std::to_string(value / unit);
  uint64_t rest = value % unit;
  if (rest == 0) return out;
  std::string digits = std::to_string(rest);
  std::string padded = std::string(std::to_string(unit).size() - 1 - digits.size(), '0') + digits;
  padded.erase(padded.find_last_not_of('0') + 1);
  return out + "." + padded;
}

// Go's time.Duration.String() layout ("1h0m0s", "1.5s", "500ms"), with "us" for microseconds.
std::string FormatDuration(int64_t ns) {
  if (ns == 0) return "0s";
  uint64_t u = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  std::string out = ns < 0 ? "-" : "";
  constexpr uint64_t kSecond = 1'000'000'000;
  if (u < 1'000) return out + std::to_string(u) + "ns";
  if (u < 1'000'000) return out + Fraction(u, 1'000) + "us";
  if (u < kSecond) return out + Fraction(u, 1'000'000) + "ms";
  uint64_t hours = u / (3600 * kSecond);
  u %= 3600 * kSecond;
  uint64_t minutes = u / (60 * kSecond);
  u %= 60 * kSecond;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  return out + Fraction(u, kSecond) + "s";
}

}  // namespace

struct FlagSet::Flag {
  std::string name;
  Kind kind = Kind::kString;
  std::string* string_dest = nullptr;
  bool* bool_dest = nullptr;
  int64_t* int_dest = nullptr;  // kInt and kDuration
  std::vector<std::string>* list_dest = nullptr;
  std::string help;
  std::string default_text;  // captured at registration, for Usage()
  bool seen = false;         // kStringList: the first occurrence replaces the default
};

FlagSet::FlagSet(std::string name) : name_(std::move(name)) {}
FlagSet::~FlagSet() = default;

FlagSet::Flag* FlagSet::Find(std::string_view name) {
  for (Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

namespace {
// Shared by the typed registration methods: validates the name and fills the common fields.
template <typename Flag>
Flag MakeFlag(std::string_view name, Kind kind, std::string_view help,
              std::string_view default_text) {
  CheckName(ValidName(name), name, "names use letters, digits, '-', '_' and '.'");
  CheckName(name != "help" && name != "h", name, "--help and -h are built in");
  Flag flag;
  flag.name = std::string(name);
  flag.kind = kind;
  flag.help = std::string(help);
  flag.default_text = std::string(default_text);
  return flag;
}
}  // namespace

void FlagSet::String(std::string_view name, std::string* dest, std::string_view help) {
  CheckName(Find(name) == nullptr, name, "registered twice");
  Flag flag = MakeFlag<Flag>(name, Kind::kString, help, Quoted(*dest));
  flag.string_dest = dest;
  flags_.push_back(std::move(flag));
}

void FlagSet::Bool(std::string_view name, bool* dest, std::string_view help) {
  CheckName(Find(name) == nullptr, name, "registered twice");
  Flag flag = MakeFlag<Flag>(name, Kind::kBool, help, *dest ? "true" : "false");
  flag.bool_dest = dest;
  flags_.push_back(std::move(flag));
}

void FlagSet::Int(std::string_view name, int64_t* dest, std::string_view help) {
  CheckName(Find(name) == nullptr, name, "registered twice");
  Flag flag = MakeFlag<Flag>(name, Kind::kInt, help, std::to_string(*dest));
  flag.int_dest = dest;
  flags_.push_back(std::move(flag));
}

void FlagSet::Duration(std::string_view name, int64_t* dest, std::string_view help) {
  CheckName(Find(name) == nullptr, name, "registered twice");
  Flag flag = MakeFlag<Flag>(name, Kind::kDuration, help, FormatDuration(*dest));
  flag.int_dest = dest;
  flags_.push_back(std::move(flag));
}

void FlagSet::StringList(std::string_view name, std::vector<std::string>* dest,
                         std::string_view help) {
  CheckName(Find(name) == nullptr, name, "registered twice");
  std::string text = "[";
  for (size_t i = 0; i < dest->size(); ++i) text += (i > 0 ? ", " : "") + Quoted((*dest)[i]);
  Flag flag = MakeFlag<Flag>(name, Kind::kStringList, help, text + "]");
  flag.list_dest = dest;
  flags_.push_back(std::move(flag));
}

namespace {

Status FlagError(std::string_view name, const std::string& what) {
  return BadRequestError("flag --" + std::string(name) + ": " + what);
}

}  // namespace

Status FlagSet::Parse(const std::vector<std::string>& args) {
  positional_.clear();
  help_requested_ = false;
  for (Flag& flag : flags_) flag.seen = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--") {
      positional_.insert(positional_.end(), args.begin() + static_cast<ptrdiff_t>(i) + 1,
                         args.end());
      break;
    }
    if (arg == "-h") {
      help_requested_ = true;
      return Status::Ok();
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional_.push_back(args[i]);  // "-" alone names stdin by convention
      continue;
    }
    if (arg[1] != '-') {
      return BadRequestError("unknown flag " + std::string(arg) + " (flags start with --)");
    }
    std::string_view body = arg.substr(2);
    size_t eq = body.find('=');
    std::string_view name = body.substr(0, eq);
    bool has_value = eq != std::string_view::npos;
    std::string_view value = has_value ? body.substr(eq + 1) : std::string_view();
    if (name == "help") {
      help_requested_ = true;
      return Status::Ok();
    }
    Flag* flag = Find(name);
    if (flag == nullptr && name.substr(0, 3) == "no-") {
      Flag* negated = Find(name.substr(3));
      if (negated != nullptr && negated->kind == Kind::kBool) {
        if (has_value) return FlagError(name, "takes no value");
        *negated->bool_dest = false;
        continue;
      }
    }
    if (flag == nullptr) return BadRequestError("unknown flag --" + std::string(name));
    if (flag->kind == Kind::kBool) {
      if (!has_value) {
        *flag->bool_dest = true;
      } else if (!ParseBool(value, flag->bool_dest)) {
        return FlagError(name, "invalid boolean " + Quoted(value));
      }
      continue;
    }
    if (!has_value) {
      // A following "--x" is far more likely a forgotten value than a value; --name=--x works.
      if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0) {
        return FlagError(name, "missing value");
      }
      value = args[++i];
    }
    CAPSTAN_RETURN_IF_ERROR(Set(*flag, value));
  }
  return Status::Ok();
}

Status FlagSet::Set(Flag& flag, std::string_view value) {
  switch (flag.kind) {
    case Kind::kString:
      *flag.string_dest = std::string(value);
      return Status::Ok();
    case Kind::kInt: {
      std::string_view digits = value;
      if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
      int64_t parsed = 0;
      auto r = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
      if (r.ec == std::errc::result_out_of_range) {
        return FlagError(flag.name, "integer out of range " + Quoted(value));
      }
      if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() || digits.empty()) {
        return FlagError(flag.name, "invalid integer " + Quoted(value));
      }
      *flag.int_dest = parsed;
      return Status::Ok();
    }
    case Kind::kDuration: {
      Result<int64_t> ns = config::ParseDurationNs(value);
      if (!ns.ok()) return FlagError(flag.name, ns.status().message());
      *flag.int_dest = *ns;
      return Status::Ok();
    }
    case Kind::kStringList:
      if (!flag.seen) flag.list_dest->clear();
      flag.seen = true;
      flag.list_dest->push_back(std::string(value));
      return Status::Ok();
    case Kind::kBool:
      break;
  }
  return InternalError("flag --" + flag.name + ": unexpected kind");
}

std::string FlagSet::Usage(std::string_view positional_help) const {
  struct Row {
    std::string left;
    std::string right;
  };
  std::vector<std::pair<std::string, Row>> rows;  // sorted by flag name
  for (const Flag& flag : flags_) {
    static constexpr const char* kTypes[] = {" string", "", " int", " duration", " string"};
    std::string left = flag.kind == Kind::kBool ? "--[no-]" + flag.name : "--" + flag.name;
    left += kTypes[static_cast<int>(flag.kind)];
    std::string right = flag.help;
    if (flag.kind == Kind::kStringList)
      right += (right.empty() ? "" : " ") + std::string("(repeatable)");
    right += (right.empty() ? "(default " : " (default ") + flag.default_text + ")";
    rows.push_back({flag.name, {std::move(left), std::move(right)}});
  }
  rows.push_back({"help", {"-h, --help", "show this help"}});
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.second.left.size());
  std::string out = "usage: " + name_ + " [flags]";
  if (!positional_help.empty()) out += " " + std::string(positional_help);
  out += "\n\nflags:\n";
  for (const auto& [name, row] : rows) {
    out += "  " + row.left + std::string(width - row.left.size() + 3, ' ') + row.right + "\n";
  }
  return out;
}

}  // namespace capstan::flags
