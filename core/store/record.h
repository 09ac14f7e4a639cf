// Binary layout of everything `LevelDbStore` keeps in LevelDB: row keys (values, history, meta)
// and the compact varint encoding of value records and history events. Decoding validates every
// length, so a damaged row becomes a kInternal Status, never a crash. Used by leveldb_store.cc;
// tests in tests/core/store/record_test.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/status.h"
#include "core/store/store.h"

namespace capstan::store::record {

// Row key prefixes. They sort history < values < meta, so each kind is one contiguous range.
inline constexpr std::string_view kHistoryPrefix = "h/";  // + 8-byte big-endian revision
inline constexpr std::string_view kValuePrefix = "k/";    // + user key
inline constexpr std::string_view kMetaFormat = "m/format";
inline constexpr std::string_view kMetaCurrent = "m/current";
inline constexpr std::string_view kMetaCompacted = "m/compacted";
inline constexpr std::string_view kFormatVersion = "capstan-store-1";

std::string ValueKey(std::string_view key);
// Big-endian, so byte order equals revision order. `revision` must be >= 0.
std::string HistoryKey(int64_t revision);
// Inverse of HistoryKey; kInternal when `row_key` is not a well-formed history key.
Result<int64_t> ParseHistoryKey(std::string_view row_key);

// A revision counter stored as a meta value.
std::string EncodeRevision(int64_t revision);
Result<int64_t> DecodeRevision(std::string_view data);

// The current value of `kv.key` (the key itself is the row key, not repeated).
void EncodeValue(const KeyValue& kv, std::string* out);
// kInternal naming `key` when `data` is not a value record.
Result<KeyValue> DecodeValue(std::string_view key, std::string_view data);

// One history event; its revision is the row key, so `event.kv.mod_revision` is not stored.
void EncodeEvent(const Event& event, std::string* out);
// kInternal naming `revision` when `data` is not an event record.
Result<Event> DecodeEvent(int64_t revision, std::string_view data);

}  // namespace capstan::store::record
