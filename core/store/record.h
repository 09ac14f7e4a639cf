// Binary layout of everything `LevelDbStore` keeps in LevelDB. Each value is stored once:
//   k/<key>      -> key row: create and mod revision of the live key (absent when deleted)
//   r/<rev:8 BE> -> event row: type, key, create revision, revision of the previous value
//   v/<rev:8 BE> -> the raw value written at <rev> (puts only)
//   m/...        -> meta: format, current and compacted revision
// A value row lives while its value is current or is some retained event's previous value.
// Decoding validates every length, so a damaged row becomes kInternal, never a crash.
// Used by leveldb_store*.cc; tests in tests/core/store/record_test.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/status.h"
#include "core/store/store.h"

namespace capstan::store::record {

inline constexpr std::string_view kKeyPrefix = "k/";
inline constexpr std::string_view kEventPrefix = "r/";
inline constexpr std::string_view kValuePrefix = "v/";
inline constexpr std::string_view kMetaFormat = "m/format";
inline constexpr std::string_view kMetaCurrent = "m/current";
inline constexpr std::string_view kMetaCompacted = "m/compacted";
inline constexpr std::string_view kFormatVersion = "capstan-store-2";

struct KeyRow {
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
};

// One write. Its own revision is the row key. `prev_mod_revision` names the value row the key
// had before (0 for a create); a put's new value is the value row at its own revision.
struct EventRow {
  EventType type = EventType::kPut;
  std::string key;
  int64_t create_revision = 0;  // of the key's life this event belongs to
  int64_t prev_mod_revision = 0;
};

std::string KeyRowKey(std::string_view key);
// Big-endian revisions, so byte order is revision order. `revision` must be >= 0.
std::string EventRowKey(int64_t revision);
std::string ValueRowKey(int64_t revision);
// Inverse of EventRowKey / ValueRowKey for `prefix`; kInternal when malformed.
Result<int64_t> ParseRevisionKey(std::string_view prefix, std::string_view row_key);

// A revision counter stored as a meta value.
std::string EncodeRevision(int64_t revision);
Result<int64_t> DecodeRevision(std::string_view data);

void EncodeKeyRow(const KeyRow& row, std::string* out);
// kInternal naming `key` when `data` is not a key row.
Result<KeyRow> DecodeKeyRow(std::string_view key, std::string_view data);

void EncodeEventRow(const EventRow& row, std::string* out);
// kInternal naming `revision` when `data` is not an event row that can exist at `revision`.
Result<EventRow> DecodeEventRow(int64_t revision, std::string_view data);

}  // namespace capstan::store::record
