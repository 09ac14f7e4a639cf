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
  // outlive Parse(). Names are given without dashes.
  void String(std::string_view name, std::string* dest, std::string_view help);
  void Bool(std::string_view name, bool* dest, std::string_view help);
  void Int(std::string_view name, int64_t* dest, std::string_view help);
  // Accepts durations as config::ParseDurationNs does; stores nanoseconds.
  void Duration(std::string_view name, int64_t* dest, std::string_view help);
  // Repeatable; each occurrence appends.
  void StringList(std::string_view name, std::vector<std::string>* dest, std::string_view help);

  // Parses `args` (without the program/subcommand names). Non-flag arguments are collected in
  // positional(). Errors: kBadRequest for unknown flags, missing or malformed values.
  // `--help`/`-h` sets help_requested() and returns OK.
  Status Parse(const std::vector<std::string>& args);

  const std::vector<std::string>& positional() const { return positional_; }
  bool help_requested() const { return help_requested_; }
  // "usage: <name> [flags] ...\n" followed by one line per flag with its default and help.
  std::string Usage(std::string_view positional_help = "") const;

 private:
  struct Flag;
  std::string name_;
  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
  bool help_requested_ = false;
  Flag* Find(std::string_view name);

 public:
  ~FlagSet();
  FlagSet(const FlagSet&) = delete;
  FlagSet& operator=(const FlagSet&) = delete;
};

}  // namespace capstan::flags
