// Encoding of LevelDB rows for `LevelDbStore`; see record.h for the layout contract.
//   key row:   0x01 varint(create) varint(mod)
//   event row: 0x02 type varint(len) key varint(create) varint(prev_mod)
#include "core/store/record.h"

#include <limits>

namespace capstan::store::record {
namespace {

constexpr char kKeyRowTag = 0x01;
constexpr char kEventRowTag = 0x02;

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
    auto b = static_cast<uint8_t>(data_[0]);
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
  return InternalError("corrupt store row " + std::string(what) + ": " + std::string(detail));
}

std::string RevisionKey(std::string_view prefix, int64_t revision) {
  std::string k(prefix);
  auto v = static_cast<uint64_t>(revision);
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((v >> (i * 8)) & 0xff));
  return k;
}

}  // namespace

std::string KeyRowKey(std::string_view key) {
  std::string k;
  k.reserve(kKeyPrefix.size() + key.size());
  k.append(kKeyPrefix);
  k.append(key);
  return k;
}

std::string EventRowKey(int64_t revision) { return RevisionKey(kEventPrefix, revision); }
std::string ValueRowKey(int64_t revision) { return RevisionKey(kValuePrefix, revision); }

Result<int64_t> ParseRevisionKey(std::string_view prefix, std::string_view row_key) {
  if (row_key.size() != prefix.size() + 8 || !row_key.starts_with(prefix)) {
    return Corrupt("key", "not a revision key under \"" + std::string(prefix) + "\"");
  }
  uint64_t v = 0;
  for (size_t i = prefix.size(); i < row_key.size(); ++i) {
    v = (v << 8) | static_cast<uint8_t>(row_key[i]);
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Corrupt("key", "revision out of range");
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

void EncodeKeyRow(const KeyRow& row, std::string* out) {
  out->push_back(kKeyRowTag);
  PutVarint(static_cast<uint64_t>(row.create_revision), out);
  PutVarint(static_cast<uint64_t>(row.mod_revision), out);
}

Result<KeyRow> DecodeKeyRow(std::string_view key, std::string_view data) {
  const std::string where = "of key \"" + std::string(key) + "\"";
  Reader r(data);
  if (r.Byte() != kKeyRowTag) return Corrupt(where, "bad tag");
  KeyRow row;
  row.create_revision = r.Varint();
  row.mod_revision = r.Varint();
  if (!r.ok() || !r.empty()) return Corrupt(where, "truncated or trailing bytes");
  if (row.create_revision <= 0 || row.mod_revision < row.create_revision) {
    return Corrupt(where, "bad revisions");
  }
  return row;
}

void EncodeEventRow(const EventRow& row, std::string* out) {
  out->push_back(kEventRowTag);
  out->push_back(static_cast<char>(row.type));
  PutVarint(row.key.size(), out);
  out->append(row.key);
  PutVarint(static_cast<uint64_t>(row.create_revision), out);
  PutVarint(static_cast<uint64_t>(row.prev_mod_revision), out);
}

Result<EventRow> DecodeEventRow(int64_t revision, std::string_view data) {
  const std::string where = "at revision " + std::to_string(revision);
  Reader r(data);
  if (r.Byte() != kEventRowTag) return Corrupt(where, "bad tag");
  EventRow row;
  const uint8_t type = r.Byte();
  if (type > static_cast<uint8_t>(EventType::kDelete)) return Corrupt(where, "bad event type");
  row.type = static_cast<EventType>(type);
  row.key = std::string(r.Bytes(r.Varint()));
  row.create_revision = r.Varint();
  row.prev_mod_revision = r.Varint();
  if (!r.ok() || !r.empty()) return Corrupt(where, "truncated or trailing bytes");
  const int64_t create = row.create_revision;
  const int64_t prev = row.prev_mod_revision;
  // A create starts a life at its own revision; updates and deletes follow a value of that
  // life written earlier.
  const bool valid = prev == 0 ? (row.type == EventType::kPut && create == revision)
                               : (create >= 1 && prev >= create && prev < revision);
  if (!valid) return Corrupt(where, "bad revisions");
  return row;
}

}  // namespace capstan::store::record
