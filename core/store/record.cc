// Encoding of LevelDB rows for `LevelDbStore`; see record.h for the layout contract.
//   value record: 0x01 varint(create) varint(mod) value-bytes...
//   event record: 0x02 type varint(len) key [put: varint(create) varint(len) value]
//                 flags [prev: varint(create) varint(mod) prev-value-bytes...]
#include "core/store/record.h"

#include <limits>

namespace capstan::store::record {
namespace {

constexpr char kValueTag = 0x01;
constexpr char kEventTag = 0x02;
constexpr uint8_t kHasPrev = 0x01;

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads from the front of a byte string, remembering the first failure.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return ok_; }
  bool empty() const { return data_.empty(); }

  uint8_t Byte() {
    if (data_.empty()) return Fail();
    uint8_t b = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return b;
  }
  // A non-negative int64 revision or length.
  int64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (data_.empty()) return Fail();
      uint64_t b = static_cast<uint8_t>(data_[0]);
      data_.remove_prefix(1);
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return Fail();
        return static_cast<int64_t>(v);
      }
    }
    return Fail();
  }
  std::string_view Bytes(int64_t n) {
    if (n < 0 || static_cast<uint64_t>(n) > data_.size()) {
      Fail();
      return {};
    }
    std::string_view s = data_.substr(0, static_cast<size_t>(n));
    data_.remove_prefix(static_cast<size_t>(n));
    return s;
  }
  std::string_view Rest() {
    std::string_view s = data_;
    data_ = {};
    return s;
  }

 private:
  uint8_t Fail() {
    ok_ = false;
    data_ = {};
    return 0;
  }

  std::string_view data_;
  bool ok_ = true;
};

Status Corrupt(std::string_view what, std::string_view detail) {
  return InternalError("corrupt store record " + std::string(what) + ": " + std::string(detail));
}

std::string HistoryName(int64_t revision) { return "at revision " + std::to_string(revision); }

}  // namespace

std::string ValueKey(std::string_view key) {
  std::string k;
  k.reserve(kValuePrefix.size() + key.size());
  k.append(kValuePrefix);
  k.append(key);
  return k;
}

std::string HistoryKey(int64_t revision) {
  std::string k(kHistoryPrefix);
  auto v = static_cast<uint64_t>(revision);
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
  return k;
}

Result<int64_t> ParseHistoryKey(std::string_view row_key) {
  if (row_key.size() != kHistoryPrefix.size() + 8 || !row_key.starts_with(kHistoryPrefix)) {
    return Corrupt("history key", "bad length or prefix");
  }
  uint64_t v = 0;
  for (size_t i = kHistoryPrefix.size(); i < row_key.size(); ++i) {
    v = (v << 8) | static_cast<uint8_t>(row_key[i]);
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Corrupt("history key", "revision out of range");
  }
  return static_cast<int64_t>(v);
}

std::string EncodeRevision(int64_t revision) {
  std::string out;
  PutVarint(static_cast<uint64_t>(revision), &out);
  return out;
}

Result<int64_t> DecodeRevision(std::string_view data) {
  Reader r(data);
  int64_t v = r.Varint();
  if (!r.ok() || !r.empty()) return Corrupt("revision counter", "not a varint");
  return v;
}

void EncodeValue(const KeyValue& kv, std::string* out) {
  out->push_back(kValueTag);
  PutVarint(static_cast<uint64_t>(kv.create_revision), out);
  PutVarint(static_cast<uint64_t>(kv.mod_revision), out);
  out->append(kv.value);
}

Result<KeyValue> DecodeValue(std::string_view key, std::string_view data) {
  Reader r(data);
  if (r.Byte() != kValueTag) return Corrupt("for key \"" + std::string(key) + "\"", "bad tag");
  KeyValue kv;
  kv.key = std::string(key);
  kv.create_revision = r.Varint();
  kv.mod_revision = r.Varint();
  if (!r.ok() || kv.create_revision <= 0 || kv.mod_revision < kv.create_revision) {
    return Corrupt("for key \"" + std::string(key) + "\"", "bad revisions");
  }
  kv.value = std::string(r.Rest());
  return kv;
}

void EncodeEvent(const Event& event, std::string* out) {
  out->push_back(kEventTag);
  out->push_back(static_cast<char>(event.type));
  PutVarint(event.kv.key.size(), out);
  out->append(event.kv.key);
  if (event.type == EventType::kPut) {
    PutVarint(static_cast<uint64_t>(event.kv.create_revision), out);
    PutVarint(event.kv.value.size(), out);
    out->append(event.kv.value);
  }
  out->push_back(static_cast<char>(event.prev ? kHasPrev : 0));
  if (event.prev) {
    PutVarint(static_cast<uint64_t>(event.prev->create_revision), out);
    PutVarint(static_cast<uint64_t>(event.prev->mod_revision), out);
    out->append(event.prev->value);
  }
}

Result<Event> DecodeEvent(int64_t revision, std::string_view data) {
  const std::string where = HistoryName(revision);
  Reader r(data);
  if (r.Byte() != kEventTag) return Corrupt(where, "bad tag");
  Event e;
  uint8_t type = r.Byte();
  if (type > static_cast<uint8_t>(EventType::kDelete)) return Corrupt(where, "bad event type");
  e.type = static_cast<EventType>(type);
  e.kv.key = std::string(r.Bytes(r.Varint()));
  e.kv.mod_revision = revision;
  if (e.type == EventType::kPut) {
    e.kv.create_revision = r.Varint();
    e.kv.value = std::string(r.Bytes(r.Varint()));
    if (r.ok() && (e.kv.create_revision <= 0 || e.kv.create_revision > revision)) {
      return Corrupt(where, "bad create revision");
    }
  }
  uint8_t flags = r.Byte();
  if (!r.ok() || (flags & ~kHasPrev) != 0) return Corrupt(where, "truncated or bad flags");
  if (flags & kHasPrev) {
    KeyValue prev;
    prev.key = e.kv.key;
    prev.create_revision = r.Varint();
    prev.mod_revision = r.Varint();
    if (!r.ok() || prev.create_revision <= 0 || prev.mod_revision < prev.create_revision ||
        prev.mod_revision >= revision) {
      return Corrupt(where, "bad previous value");
    }
    prev.value = std::string(r.Rest());
    e.prev = std::move(prev);
  } else if (!r.empty()) {
    return Corrupt(where, "trailing bytes");
  }
  if (e.type == EventType::kDelete && !e.prev) return Corrupt(where, "delete without value");
  return e;
}

}  // namespace capstan::store::record
