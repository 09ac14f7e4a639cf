// Object bookkeeping the API server owns (upstream's ObjectMeta rules): uid, creationTimestamp,
// generateName, generation, name validation, RFC 3339 times. Pure functions over nlohmann::json;
// used by rest_storage.cc. Clock and randomness are injectable for tests.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/apiserver/status_json.h"

namespace capstan::apiserver {

// Wall clock in Unix milliseconds; tests pass a fixed one.
using Clock = std::function<int64_t()>;
int64_t SystemClockMs();

// "2026-11-22T06:55:01Z" (seconds precision, as metav1.Time).
std::string FormatRfc3339(int64_t unix_ms);
// Parses RFC 3339 with optional fraction and offset. Returns false on malformed input.
bool ParseRfc3339(std::string_view text, int64_t* unix_ms);

// A random RFC 4122 version-4 UUID.
std::string NewUid();
// `n` characters from upstream's generateName alphabet (no vowels, no look-alikes).
std::string RandomSuffix(size_t n);

// Name rules. Each returns the problems found (empty when valid), worded as upstream.
std::vector<std::string> ValidateDnsSubdomain(std::string_view name);  // RFC 1123 subdomain
std::vector<std::string> ValidateDnsLabel(std::string_view name);      // RFC 1123 label
// Label keys ("prefix/name") and values as upstream validates metadata.labels.
std::vector<std::string> ValidateLabelKey(std::string_view key);
std::vector<std::string> ValidateLabelValue(std::string_view value);

enum class NameRule : uint8_t { kDnsSubdomain, kDnsLabel, kPathSegment };

// Validates metadata of an object about to be written: name (per `rule`), generateName,
// labels, annotations (total size ≤ 256 KiB), namespace presence for namespaced kinds.
// Appends causes with field paths ("metadata.name").
void ValidateObjectMeta(const nlohmann::json& meta, bool namespaced, NameRule rule,
                        std::vector<StatusCause>* causes);

// True when two objects differ outside metadata and status (then metadata.generation bumps).
bool SpecChanged(const nlohmann::json& before, const nlohmann::json& after);
// True when the objects are equal ignoring metadata.resourceVersion and managedFields.
bool SameContent(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace capstan::apiserver
