// `FieldSet`: a set of field paths as server-side apply tracks ownership, with the `fieldsV1`
// encoding of `metadata.managedFields` (`f:name`, `k:{"name":"x"}`, `v:"value"`, `i:0`, and
// "." marking a member that also has children). Implementation in field_set.cc; tests in
// tests/core/patch/field_set_test.cc. Built from objects by typed_ops.h; used by field_manager.h.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace capstan::patch {

// A path element in its canonical fieldsV1 spelling: "f:spec", `k:{"name":"a"}` (key fields
// sorted by name, compact JSON), `v:"x"` (compact JSON), "i:3".
using PathElement = std::string;
using FieldPath = std::vector<PathElement>;

PathElement FieldElement(std::string_view name);
// `keys` must be an object of the key fields' values.
PathElement KeyElement(const nlohmann::json& keys);
PathElement ValueElement(const nlohmann::json& value);
PathElement IndexElement(size_t index);

// Upstream's human form of a path, used in conflict messages:
// `.spec.containers[name="nginx"].image`, `.metadata.finalizers[="x"]`, `.spec.args[0]`.
std::string PathString(std::span<const PathElement> path);

// A set of paths stored as a tree. A node is a "member" when its own path is in the set; a
// member may also have members below it. Value type; not thread-safe for concurrent mutation.
class FieldSet {
 public:
  FieldSet() = default;

  // A set of field-only paths given in dotted form, e.g. {"status", "metadata.labels"}; for
  // endpoint reset/ignored fields.
  static FieldSet OfFields(std::initializer_list<std::string_view> dotted);

  // Decodes a `fieldsV1` object, canonicalising element spellings. Errors: kBadRequest naming
  // the bad key or value.
  static Result<FieldSet> FromFieldsV1(const nlohmann::json& fields_v1);
  // Encodes as `fieldsV1` (children in sorted order; "." first when a member has children).
  nlohmann::json ToFieldsV1() const;

  void Insert(std::span<const PathElement> path);
  // The subtree for one child element, created empty when absent; for builders that walk an
  // object and insert relative to where they are (cheaper than `Insert` from the root).
  FieldSet& MutableChild(std::string_view element) { return ChildFor(element); }
  // Makes this node's own path a member (see `member`).
  void MarkMember() { member_ = true; }
  bool Has(std::span<const PathElement> path) const;
  bool Empty() const { return !member_ && children_.empty(); }

  FieldSet Union(const FieldSet& other) const;
  FieldSet Intersection(const FieldSet& other) const;
  // Paths in this set that are not in `other` (exact paths; children are kept).
  FieldSet Difference(const FieldSet& other) const;
  // Paths in this set that are neither in `other` nor below a path of `other`.
  FieldSet RecursiveDifference(const FieldSet& other) const;

  // Subtree for one child element, or nullptr.
  const FieldSet* Child(std::string_view element) const;
  // Whether this node's own path is in the set (meaningful for subtrees from `Child`).
  bool member() const { return member_; }
  const std::map<std::string, FieldSet, std::less<>>& children() const { return children_; }

  // Calls `fn` with every member path, in sorted order.
  void Iterate(const std::function<void(const FieldPath&)>& fn) const;
  std::vector<FieldPath> Paths() const;

  friend bool operator==(const FieldSet&, const FieldSet&) = default;

 private:
  FieldSet& ChildFor(std::string_view element);
  void IterateFrom(FieldPath& prefix, const std::function<void(const FieldPath&)>& fn) const;

  bool member_ = false;
  std::map<std::string, FieldSet, std::less<>> children_;
};

}  // namespace capstan::patch
