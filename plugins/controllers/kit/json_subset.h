// `JsonSubset`: parses only chosen members of JSON objects, skipping the rest with a scanner that
// builds nothing. Controllers receive every pod event and cache read as JSON text; most need a
// pod's metadata and a field or two, and a full parse of each object (values, map nodes,
// strings) cost more than the rest of their work. Used by the plugins under plugins/controllers/;
// tests in tests/plugins/controllers/kit/json_subset_test.cc.
#ifndef CAPSTAN_PLUGINS_CONTROLLERS_KIT_JSON_SUBSET_H_
#define CAPSTAN_PLUGINS_CONTROLLERS_KIT_JSON_SUBSET_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capstan/sdk/json.h"

namespace capstan::controllers {

using sdk::json::Json;

// Immutable after construction; thread-safe.
class JsonSubset {
 public:
  // `keep`: dotted member paths whose values are kept ("metadata", "spec.nodeName");
  // `drop`: paths skipped even inside a kept value ("metadata.managedFields"). Keys containing
  // '.' cannot be named.
  explicit JsonSubset(const std::vector<std::string>& keep,
                      const std::vector<std::string>& drop = {});
  ~JsonSubset();
  JsonSubset(const JsonSubset&) = delete;
  JsonSubset& operator=(const JsonSubset&) = delete;

  // The object `text` reduced to the kept members (an object on the way to a kept path is kept
  // with just those members). nullopt when `text` is not an object, a kept value is not JSON,
  // or the skipped parts are unbalanced; skipped values are checked only for their extent.
  std::optional<Json> ParseObject(std::string_view text) const;
  // `text` is an array of objects: each reduced as ParseObject; elements that are not objects
  // are kept whole. nullopt as ParseObject.
  std::optional<Json> ParseArray(std::string_view text) const;

  struct Node;

 private:
  std::unique_ptr<Node> root_;
};

// apiVersion, kind and metadata without managedFields: what maps events to keys.
const JsonSubset& ObjectMetaSubset();
// Pods: apiVersion, kind, metadata without managedFields, spec.nodeName and status (what
// claiming, expectations, replica status, ranking and pod GC read).
const JsonSubset& PodStatusSubset();
// ObjectMetaSubset().ParseObject(object_json).
std::optional<Json> ParseObjectMeta(std::string_view object_json);
// The whole document, as `sdk::json::Parse` returns it but built without nlohmann's lexer
// (several times faster on API objects). nullopt when `text` is not JSON; unescaped control
// characters inside strings are accepted.
std::optional<Json> ParseJsonFast(std::string_view text);

}  // namespace capstan::controllers

#endif  // CAPSTAN_PLUGINS_CONTROLLERS_KIT_JSON_SUBSET_H_
