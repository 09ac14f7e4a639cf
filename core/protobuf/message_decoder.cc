// Implementation of core/protobuf/message_decoder.h. One `MessageDecoder` walks one request
// body; it keeps the JSON path of the field being read so that errors can name it.
#include "core/protobuf/message_decoder.h"

#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/common/config.h"
#include "core/protobuf/well_known.h"
#include "core/protobuf/wire_reader.h"

namespace capstan::protobuf {

namespace {

using nlohmann::json;

// A decoded value and whether it is its type's zero value (see `KeepsZero`).
struct Value {
  json value;
  bool zero = false;
};

WireType NativeWireType(FieldType type) {
  switch (type) {
    case FieldType::kInt32:
    case FieldType::kInt64:
    case FieldType::kUint32:
    case FieldType::kUint64:
    case FieldType::kBool:
      return WireType::kVarint;
    case FieldType::kDouble:
      return WireType::kFixed64;
    case FieldType::kFloat:
      return WireType::kFixed32;
    case FieldType::kString:
    case FieldType::kBytes:
    case FieldType::kMessage:
      break;
  }
  return WireType::kLengthDelimited;
}

Value ZeroOf(FieldType type) {
  switch (type) {
    case FieldType::kString:
    case FieldType::kBytes:
      return {json(""), true};
    case FieldType::kBool:
      return {json(false), true};
    case FieldType::kDouble:
    case FieldType::kFloat:
      return {json(0.0), true};
    case FieldType::kUint32:
    case FieldType::kUint64:
      return {json(uint64_t{0}), true};
    case FieldType::kInt32:
    case FieldType::kInt64:
    case FieldType::kMessage:
      break;
  }
  return {json(int64_t{0}), true};
}

// The fields of a special message, which all have numbers 1-3.
struct SpecialFields {
  bool present[4] = {};
  uint64_t varint[4] = {};
  std::string_view bytes[4];
  std::vector<std::string_view> items;  // every occurrence of field 1, for kList
};

// The wire type of field `number` of a special message, or nullopt for an unknown field.
std::optional<WireType> SpecialWireType(MessageKind kind, uint32_t number) {
  switch (kind) {
    case MessageKind::kTime:
    case MessageKind::kMicroTime:
      if (number <= 2) return WireType::kVarint;
      break;
    case MessageKind::kDuration:
      if (number == 1) return WireType::kVarint;
      break;
    case MessageKind::kRawJson:
    case MessageKind::kQuantity:
    case MessageKind::kList:
      if (number == 1) return WireType::kLengthDelimited;
      break;
    case MessageKind::kIntOrString:
      if (number <= 2) return WireType::kVarint;
      if (number == 3) return WireType::kLengthDelimited;
      break;
    case MessageKind::kObject:
      break;
  }
  return std::nullopt;
}

// Whether a zero scalar or special value stays in the JSON: Go set the pointer on purpose, or
// Go's JSON would show the field anyway (no omitempty; `"value": 0` of a PriorityClass).
bool KeepsZero(const FieldSchema& field) { return field.pointer || field.no_omitempty; }

class MessageDecoder {
 public:
  Status DecodeInto(const MessageSchema& message, std::string_view bytes, json& out, int depth);
  Result<Value> DecodeMessageValue(const MessageSchema& message, std::string_view bytes, int depth);

 private:
  Status DecodeField(const FieldSchema& field, WireType wire_type, WireReader& reader, json& out,
                     int depth);
  Status DecodeMapEntry(const FieldSchema& field, std::string_view bytes, json& map, int depth);
  // One value of `field`'s type (one element, for repeated fields).
  Result<Value> DecodeSingle(const FieldSchema& field, WireType wire_type, WireReader& reader,
                             int depth);
  Result<Value> DecodeScalar(FieldType type, WireType wire_type, WireReader& reader);
  Result<Value> DecodeSpecial(const MessageSchema& message, std::string_view bytes);

  // `status` with the current JSON path in front; every error leaving this class passes here
  // exactly once, where it arises.
  Status Fail(const Status& status) const;
  Status WrongWireType(WireType got, WireType want) const;

  std::vector<std::string> path_;
};

// Pushes a path segment for the lifetime of a scope.
class PathScope {
 public:
  PathScope(std::vector<std::string>& path, std::string segment) : path_(path) {
    path_.push_back(std::move(segment));
  }
  ~PathScope() { path_.pop_back(); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

 private:
  std::vector<std::string>& path_;
};

Status MessageDecoder::Fail(const Status& status) const {
  std::string path;
  for (const std::string& segment : path_) {
    if (segment.empty()) continue;
    if (!path.empty() && segment.front() != '[') path += '.';
    path += segment;
  }
  if (path.empty()) return BadRequestError(status.message());
  return BadRequestError("at " + path + ": " + status.message());
}

Status MessageDecoder::WrongWireType(WireType got, WireType want) const {
  return Fail(BadRequestError("wrong wire type " + std::string(WireTypeName(got)) + ", want " +
                              std::string(WireTypeName(want))));
}

Status MessageDecoder::DecodeInto(const MessageSchema& message, std::string_view bytes, json& out,
                                  int depth) {
  if (depth > kMaxMessageDepth) return Fail(BadRequestError("messages nested too deeply"));
  WireReader reader(bytes);
  while (!reader.done()) {
    Result<Tag> tag = reader.ReadTag();
    if (!tag.ok()) return Fail(tag.status());
    const FieldSchema* field = message.Find(tag->field_number);
    if (field == nullptr) {
      Status skipped = reader.SkipField(tag->wire_type);
      if (!skipped.ok()) return Fail(skipped);
      continue;
    }
    PathScope scope(path_, field->inline_fields ? std::string() : field->json_name);
    CAPSTAN_RETURN_IF_ERROR(DecodeField(*field, tag->wire_type, reader, out, depth));
  }
  return Status::Ok();
}

Status MessageDecoder::DecodeField(const FieldSchema& field, WireType wire_type, WireReader& reader,
                                   json& out, int depth) {
  const std::string& name = field.json_name;
  if (field.map || (field.type == FieldType::kMessage && !field.repeated)) {
    if (wire_type != WireType::kLengthDelimited) {
      return WrongWireType(wire_type, WireType::kLengthDelimited);
    }
    Result<std::string_view> bytes = reader.ReadLengthDelimited();
    if (!bytes.ok()) return Fail(bytes.status());
    if (field.map) {
      json& map = out[name];
      if (!map.is_object()) map = json::object();
      return DecodeMapEntry(field, *bytes, map, depth);
    }
    if (field.inline_fields) return DecodeInto(*field.message, *bytes, out, depth + 1);
    if (field.message->kind == MessageKind::kObject) {
      // Decoding into the existing object merges a repeated occurrence, as protobuf does.
      json& slot = out[name];
      if (!slot.is_object()) slot = json::object();
      CAPSTAN_RETURN_IF_ERROR(DecodeInto(*field.message, *bytes, slot, depth + 1));
      if (slot.empty() && !field.pointer) out.erase(name);
      return Status::Ok();
    }
    Result<Value> special = DecodeSpecial(*field.message, *bytes);
    if (!special.ok()) return special.status();
    if (special->value.is_null() || (special->zero && !KeepsZero(field))) {
      out.erase(name);
    } else {
      out[name] = std::move(special->value);
    }
    return Status::Ok();
  }
  if (field.repeated) {
    json& array = out[name];
    if (!array.is_array()) array = json::array();
    const WireType native = NativeWireType(field.type);
    if (wire_type == WireType::kLengthDelimited && native != WireType::kLengthDelimited) {
      Result<std::string_view> packed = reader.ReadLengthDelimited();
      if (!packed.ok()) return Fail(packed.status());
      WireReader elements(*packed);
      while (!elements.done()) {
        PathScope index(path_, "[" + std::to_string(array.size()) + "]");
        Result<Value> element = DecodeScalar(field.type, native, elements);
        if (!element.ok()) return element.status();
        array.push_back(std::move(element->value));
      }
      return Status::Ok();
    }
    PathScope index(path_, "[" + std::to_string(array.size()) + "]");
    Result<Value> element = DecodeSingle(field, wire_type, reader, depth);
    if (!element.ok()) return element.status();
    array.push_back(std::move(element->value));
    return Status::Ok();
  }
  Result<Value> scalar = DecodeScalar(field.type, wire_type, reader);
  if (!scalar.ok()) return scalar.status();
  if (scalar->zero && !KeepsZero(field)) {
    out.erase(name);
  } else {
    out[name] = std::move(scalar->value);
  }
  return Status::Ok();
}

Status MessageDecoder::DecodeMapEntry(const FieldSchema& field, std::string_view bytes, json& map,
                                      int depth) {
  WireReader reader(bytes);
  std::string key;
  std::optional<Value> value;
  while (!reader.done()) {
    Result<Tag> tag = reader.ReadTag();
    if (!tag.ok()) return Fail(tag.status());
    if (tag->field_number == 1) {
      if (tag->wire_type != WireType::kLengthDelimited) {
        return WrongWireType(tag->wire_type, WireType::kLengthDelimited);
      }
      Result<std::string_view> raw = reader.ReadLengthDelimited();
      if (!raw.ok()) return Fail(raw.status());
      key = ToValidUtf8(*raw);
    } else if (tag->field_number == 2) {
      PathScope scope(path_, "[" + key + "]");
      Result<Value> decoded = DecodeSingle(field, tag->wire_type, reader, depth);
      if (!decoded.ok()) return decoded.status();
      value = std::move(*decoded);
    } else {
      Status skipped = reader.SkipField(tag->wire_type);
      if (!skipped.ok()) return Fail(skipped);
    }
  }
  if (!value.has_value()) {
    if (field.type == FieldType::kMessage) {
      PathScope scope(path_, "[" + key + "]");
      Result<Value> empty = DecodeMessageValue(*field.message, {}, depth + 1);
      if (!empty.ok()) return empty.status();
      value = std::move(*empty);
    } else {
      value = ZeroOf(field.type);
    }
  }
  map[key] = std::move(value->value);
  return Status::Ok();
}

Result<Value> MessageDecoder::DecodeSingle(const FieldSchema& field, WireType wire_type,
                                           WireReader& reader, int depth) {
  if (field.type != FieldType::kMessage) return DecodeScalar(field.type, wire_type, reader);
  if (wire_type != WireType::kLengthDelimited) {
    return WrongWireType(wire_type, WireType::kLengthDelimited);
  }
  Result<std::string_view> bytes = reader.ReadLengthDelimited();
  if (!bytes.ok()) return Fail(bytes.status());
  return DecodeMessageValue(*field.message, *bytes, depth + 1);
}

Result<Value> MessageDecoder::DecodeMessageValue(const MessageSchema& message,
                                                 std::string_view bytes, int depth) {
  if (message.kind != MessageKind::kObject) return DecodeSpecial(message, bytes);
  Value out{json::object(), false};
  CAPSTAN_RETURN_IF_ERROR(DecodeInto(message, bytes, out.value, depth));
  out.zero = out.value.empty();
  return out;
}

Result<Value> MessageDecoder::DecodeScalar(FieldType type, WireType wire_type, WireReader& reader) {
  const WireType native = NativeWireType(type);
  if (wire_type != native) return WrongWireType(wire_type, native);
  switch (type) {
    case FieldType::kString:
    case FieldType::kBytes: {
      Result<std::string_view> bytes = reader.ReadLengthDelimited();
      if (!bytes.ok()) return Fail(bytes.status());
      std::string text = type == FieldType::kString ? ToValidUtf8(*bytes) : Base64Encode(*bytes);
      const bool zero = text.empty();
      return Value{json(std::move(text)), zero};
    }
    case FieldType::kDouble:
    case FieldType::kFloat: {
      double number = 0;
      if (type == FieldType::kDouble) {
        Result<uint64_t> bits = reader.ReadFixed64();
        if (!bits.ok()) return Fail(bits.status());
        std::memcpy(&number, &*bits, sizeof number);
      } else {
        Result<uint32_t> bits = reader.ReadFixed32();
        if (!bits.ok()) return Fail(bits.status());
        float narrow = 0;
        std::memcpy(&narrow, &*bits, sizeof narrow);
        number = narrow;
      }
      if (!std::isfinite(number)) return Fail(BadRequestError("non-finite number"));
      return Value{json(number), number == 0};
    }
    case FieldType::kMessage:
      return Fail(InternalError("message field decoded as a scalar"));
    default:
      break;
  }
  Result<uint64_t> raw = reader.ReadVarint();
  if (!raw.ok()) return Fail(raw.status());
  switch (type) {
    case FieldType::kBool:
      return Value{json(*raw != 0), *raw == 0};
    case FieldType::kInt32: {
      const auto v = static_cast<int32_t>(static_cast<uint32_t>(*raw));  // Go's int32(wire)
      return Value{json(v), v == 0};
    }
    case FieldType::kUint32: {
      const auto v = static_cast<uint32_t>(*raw);
      return Value{json(v), v == 0};
    }
    case FieldType::kUint64:
      return Value{json(*raw), *raw == 0};
    default:
      break;
  }
  const auto v = static_cast<int64_t>(*raw);
  return Value{json(v), v == 0};
}

Result<Value> MessageDecoder::DecodeSpecial(const MessageSchema& message, std::string_view bytes) {
  SpecialFields f;
  WireReader reader(bytes);
  while (!reader.done()) {
    Result<Tag> tag = reader.ReadTag();
    if (!tag.ok()) return Fail(tag.status());
    const std::optional<WireType> want = SpecialWireType(message.kind, tag->field_number);
    if (!want.has_value()) {
      Status skipped = reader.SkipField(tag->wire_type);
      if (!skipped.ok()) return Fail(skipped);
      continue;
    }
    if (tag->wire_type != *want) return WrongWireType(tag->wire_type, *want);
    const uint32_t n = tag->field_number;
    f.present[n] = true;
    if (*want == WireType::kVarint) {
      Result<uint64_t> v = reader.ReadVarint();
      if (!v.ok()) return Fail(v.status());
      f.varint[n] = *v;
    } else {
      Result<std::string_view> b = reader.ReadLengthDelimited();
      if (!b.ok()) return Fail(b.status());
      f.bytes[n] = *b;
      if (message.kind == MessageKind::kList) f.items.push_back(*b);
    }
  }
  switch (message.kind) {
    case MessageKind::kTime:
    case MessageKind::kMicroTime: {
      // Go encodes the zero time as an empty message and reads one back as the zero time.
      if (!f.present[1] && !f.present[2]) return Value{json(), true};
      const bool micro = message.kind == MessageKind::kMicroTime;
      Result<std::string> text =
          FormatRfc3339(static_cast<int64_t>(f.varint[1]),
                        static_cast<int32_t>(static_cast<uint32_t>(f.varint[2])), micro);
      if (!text.ok()) return Fail(text.status());
      return Value{json(std::move(*text)), false};
    }
    case MessageKind::kDuration: {
      const auto ns = static_cast<int64_t>(f.varint[1]);
      return Value{json(FormatGoDuration(ns)), ns == 0};
    }
    case MessageKind::kRawJson: {
      if (f.bytes[1].empty()) return Value{json(), true};
      Result<json> parsed = config::ParseJson(f.bytes[1], "embedded JSON");
      if (!parsed.ok()) return Fail(parsed.status());
      return Value{std::move(*parsed), false};
    }
    case MessageKind::kQuantity: {
      // Go writes the zero Quantity as "0", never as an empty string, and rejects one.
      if (!f.present[1]) return Value{json("0"), false};
      if (f.bytes[1].empty()) return Fail(BadRequestError("quantity is an empty string"));
      return Value{json(ToValidUtf8(f.bytes[1])), false};
    }
    case MessageKind::kIntOrString: {
      const auto type = static_cast<int64_t>(f.varint[1]);
      if (type == 0) {
        const auto v = static_cast<int32_t>(static_cast<uint32_t>(f.varint[2]));
        return Value{json(v), v == 0};
      }
      if (type == 1) {
        std::string text = ToValidUtf8(f.bytes[3]);
        const bool zero = text.empty();
        return Value{json(std::move(text)), zero};
      }
      return Fail(BadRequestError("IntOrString has impossible type " + std::to_string(type)));
    }
    case MessageKind::kList: {
      json array = json::array();
      for (std::string_view item : f.items) array.push_back(ToValidUtf8(item));
      return Value{std::move(array), f.items.empty()};
    }
    case MessageKind::kObject:
      break;
  }
  return Fail(InternalError("object message decoded as a special type"));
}

}  // namespace

Result<nlohmann::json> DecodeMessage(const MessageSchema& message, std::string_view bytes) {
  MessageDecoder decoder;
  Result<Value> value = decoder.DecodeMessageValue(message, bytes, 0);
  if (!value.ok()) return value.status();
  return std::move(value->value);
}

}  // namespace capstan::protobuf
