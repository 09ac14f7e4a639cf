// Command-line flags: `--name=value`, `--name value`, `--bool-flag`, `--no-bool-flag`, and `--`
// ending flags. A FlagSet registers typed destinations, parses argv, and prints help.
// Implementation in flags.cc; tests in tests/core/common/flags_test.cc. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace capstan::flags {

class FlagSet {
 public:
  // `name` is the command path shown in usage, e.g. "capstan plugin inspect".
  explicit FlagSet(std::string name);

  // Registers a flag; `*dest` holds the default and receives the parsed value. Pointers must
  // outlive Parse(). Names are given without dashes (letters, digits, '-', '_', '.').
  // Registering a name twice, or "help"/"h", is a programming error and aborts.
  // Bool values: --x, --no-x, --x=true|false|1|0|t|f (only the `=` form takes a value).
  // Int values are decimal int64.
  void String(std::string_view name, std::string* dest, std::string_view help);
  void Bool(std::string_view name, bool* dest, std::string_view help);
  void Int(std::string_view name, int64_t* dest, std::string_view help);
  // Accepts durations as config::ParseDurationNs does; stores nanoseconds.
  void Duration(std::string_view name, int64_t* dest, std::string_view help);
  // Repeatable; each occurrence appends (no comma splitting). The first occurrence replaces
  // the default contents of `*dest`.
  void StringList(std::string_view name, std::vector<std::string>* dest, std::string_view help);

  // Parses `args` (without the program/subcommand names). Flags and positional arguments may
  // be interleaved; non-flag arguments (and "-" alone, and everything after `--`) are collected
  // in positional(). A repeated scalar flag keeps the last value. In the `--name value` form a
  // value starting with "--" is taken as a forgotten value (use `--name=--x`).
  // Errors: kBadRequest for unknown flags (including single-dash ones), missing or malformed
  // values, each message naming the flag ("flag --timeout: invalid duration \"5x\": ...").
  // `--help`/`-h` sets help_requested() and returns OK at once, leaving later args unparsed.
  Status Parse(const std::vector<std::string>& args);

  const std::vector<std::string>& positional() const { return positional_; }
  bool help_requested() const { return help_requested_; }
  // "usage: <name> [flags] <positional_help>\n\nflags:\n" followed by one aligned line per
  // flag, sorted by name, with its type, help and default (bools shown as --[no-]name).
  std::string Usage(std::string_view positional_help = "") const;

 private:
  struct Flag;
  std::string name_;
  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
  bool help_requested_ = false;
  Flag* Find(std::string_view name);
  Status Set(Flag& flag, std::string_view value);

 public:
  ~FlagSet();
  FlagSet(const FlagSet&) = delete;
  FlagSet& operator=(const FlagSet&) = delete;
};

}  // namespace capstan::flags
