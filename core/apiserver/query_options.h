// Typed views of the query parameters and bodies the API accepts: list/watch options,
// write options (dryRun, fieldManager, fieldValidation, force) and DeleteOptions, with errors
// worded as upstream's. Partners: api_handler.cc (callers), rest_storage.h (DeleteOptions).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/apiserver/rest_storage.h"
#include "core/common/status.h"

namespace capstan::apiserver {

// Looks up the first value of a query parameter; null when absent.
using QueryLookup = std::function<const std::string*(std::string_view name)>;

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;
  std::string continue_token;
  std::string resource_version;
  bool watch = false;
  bool allow_bookmarks = false;
  int64_t timeout_seconds = 0;  // 0: the server's default
};

struct WriteOptions {
  bool dry_run = false;
  std::string field_manager;
  std::string field_validation;  // Strict, Warn, Ignore ("" = Warn for JSON as upstream)
  bool force = false;
};

// A boolean query parameter as the upstream apiserver converts it: absent is false, "0" and
// "false" in any case are false, anything else (including an empty value and Python's "True")
// is true.
bool QueryBool(std::optional<std::string_view> value);

Result<ListOptions> ParseListOptions(const QueryLookup& query);
Result<WriteOptions> ParseWriteOptions(const QueryLookup& query);
// DeleteOptions from the body (may be empty) and the query (gracePeriodSeconds,
// propagationPolicy, dryRun). The body wins where both are given, as upstream.
Result<DeleteOptions> ParseDeleteOptions(std::string_view body, const QueryLookup& query,
                                         bool* dry_run);

// Continue tokens: opaque to clients; encode the key to resume after.
std::string EncodeContinue(std::string_view after_key, int64_t revision);
// Errors: kGone-free kBadRequest "continue key is not valid" for garbage.
Result<std::string> DecodeContinue(std::string_view token);

}  // namespace capstan::apiserver
