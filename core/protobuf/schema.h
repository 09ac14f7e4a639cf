// The protobuf schema the request decoder walks: Kubernetes messages with their field numbers,
// JSON names and wire types. The data is generated from upstream generated.proto and types.go
// by tools/protobuf_schema/generate_schema.py into schema_data.cc. Decoder: decoder.h.
// Tests: tests/core/protobuf/schema_test.cc.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/status.h"

namespace capstan::protobuf {

// The text form, one declaration per line (blank lines and lines starting with '#' ignored):
//   kind <apiVersion> <Kind> <message>       a top-level object, e.g. `kind apps/v1 Deployment
//                                            apps.v1.Deployment`
//   message <name> !<special>                a message with a hand-written JSON form: time,
//                                            microtime, duration, rawjson, quantity,
//                                            intorstring, list (`{repeated string items = 1}`
//                                            shown as a JSON array)
//   message <name> <field> <field> ...       an ordinary message; each field is
//                                            <number>=<jsonName>:<flags><shape><type>
// flags: `*` the Go field is a pointer (a present zero value is meaningful and kept), `^` the
// Go field is embedded inline (its fields merge into the enclosing JSON object), `+` the Go
// JSON tag has no `omitempty`, so Go's JSON shows the field even at its zero value.
// shape: nothing (singular), `[]` repeated, `{}` map<string, type>.
// type: string int32 int64 uint32 uint64 bool double float bytes, or a message name.
// Message names drop the Go import prefix: core.v1.Pod, meta.v1.ObjectMeta, resource.Quantity.
extern const std::string_view kSchemaText;

enum class FieldType : uint8_t {
  kString,
  kInt32,
  kInt64,
  kUint32,
  kUint64,
  kBool,
  kDouble,
  kFloat,
  kBytes,
  kMessage,
};

// How a message appears in JSON.
enum class MessageKind : uint8_t {
  kObject,       // a JSON object of its fields
  kTime,         // meta.v1.Time {1 seconds, 2 nanos} -> "2006-01-02T15:04:05Z"
  kMicroTime,    // meta.v1.MicroTime -> "2006-01-02T15:04:05.000000Z"
  kDuration,     // meta.v1.Duration {1 nanoseconds} -> "1h2m3s"
  kRawJson,      // runtime.RawExtension / meta.v1.FieldsV1 {1 bytes of JSON} -> that JSON
  kQuantity,     // resource.Quantity {1 string} -> "100m"
  kIntOrString,  // intstr.IntOrString {1 type, 2 intVal, 3 strVal} -> 80 or "http"
  kList,         // a named []string, {1 repeated items} -> ["a", "b"]
};

struct MessageSchema;

struct FieldSchema {
  uint32_t number = 0;
  std::string json_name;
  FieldType type = FieldType::kString;     // for maps, the value type
  const MessageSchema* message = nullptr;  // set when type is kMessage
  bool repeated = false;
  bool map = false;  // map<string, type>: repeated {1 key, 2 value} entries
  bool pointer = false;
  bool inline_fields = false;
  bool no_omitempty = false;
};

struct MessageSchema {
  std::string name;
  MessageKind kind = MessageKind::kObject;
  std::vector<FieldSchema> fields;  // sorted by number

  // The field with this number, or nullptr (unknown fields are skipped by the decoder).
  const FieldSchema* Find(uint32_t number) const;
};

// An immutable set of messages and kinds; pointers it hands out live as long as it does.
// Thread-safe for concurrent reads.
class Schema {
 public:
  // Parses the text form above. Every message a field names must be declared, and field
  // numbers must be unique per message. Errors: kInvalid with "schema line N: <what>".
  static Result<Schema> Parse(std::string_view text);
  // The schema parsed from `kSchemaText` on first use. A malformed generated table is a build
  // defect, so it aborts with a message rather than returning an error.
  static const Schema& Builtin();

  Schema(Schema&&) = default;
  Schema& operator=(Schema&&) = default;

  const MessageSchema* FindMessage(std::string_view name) const;
  // The message for a top-level object, e.g. ("apps/v1", "Deployment"); nullptr if unknown.
  const MessageSchema* FindKind(std::string_view api_version, std::string_view kind) const;
  size_t message_count() const { return messages_.size(); }
  // (apiVersion, kind) pairs, sorted.
  std::vector<std::pair<std::string, std::string>> Kinds() const;

 private:
  Schema() = default;

  std::map<std::string, std::unique_ptr<MessageSchema>, std::less<>> messages_;
  // Keyed by "<apiVersion> <kind>".
  std::map<std::string, const MessageSchema*, std::less<>> kinds_;
};

}  // namespace capstan::protobuf
