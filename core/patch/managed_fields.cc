// managedFields codec and manager identity. Header: managed_fields.h.
#include "core/patch/managed_fields.h"

#include <algorithm>
#include <tuple>

namespace capstan::patch {
namespace {

using Json = nlohmann::json;

std::string Quote(std::string_view s) {
  return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<std::string> StringMember(const Json& entry, const char* name) {
  auto it = entry.find(name);
  if (it == entry.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return BadRequestError(std::string("managedFields.") + name + " must be a string");
  return it->get<std::string>();
}

}  // namespace

bool ManagedFieldsEntry::SameManager(std::string_view manager_name, std::string_view op,
                                     std::string_view version,
                                     std::string_view subresource_name) const {
  if (manager != manager_name || operation != op || subresource != subresource_name) return false;
  return op == kOperationApply || api_version == version;
}

Result<ManagedFields> DecodeManagedFields(const nlohmann::json& managed_fields) {
  ManagedFields out;
  if (managed_fields.is_null()) return out;
  if (!managed_fields.is_array()) return BadRequestError("metadata.managedFields must be a list");
  for (const Json& e : managed_fields) {
    if (!e.is_object()) return BadRequestError("metadata.managedFields entries must be objects");
    ManagedFieldsEntry entry;
    Result<std::string> manager = StringMember(e, "manager");
    Result<std::string> operation = StringMember(e, "operation");
    Result<std::string> version = StringMember(e, "apiVersion");
    Result<std::string> time = StringMember(e, "time");
    Result<std::string> subresource = StringMember(e, "subresource");
    Result<std::string> type = StringMember(e, "fieldsType");
    for (const auto* r : {&manager, &operation, &version, &time, &subresource, &type}) {
      if (!r->ok()) return r->status();
    }
    entry.manager = *manager;
    entry.operation = *operation;
    entry.api_version = *version;
    entry.time = *time;
    entry.subresource = *subresource;
    if (!entry.operation.empty() && entry.operation != kOperationApply &&
        entry.operation != kOperationUpdate) {
      return BadRequestError("metadata.managedFields: unknown operation " + Quote(entry.operation));
    }
    if (!type->empty() && *type != "FieldsV1") {
      return BadRequestError("metadata.managedFields: unsupported fieldsType " + Quote(*type));
    }
    auto fields = e.find("fieldsV1");
    if (fields != e.end()) {
      Result<FieldSet> set = FieldSet::FromFieldsV1(*fields);
      if (!set.ok()) return set.status().WithContext("metadata.managedFields");
      entry.fields = std::move(set).value();
    }
    auto same = std::find_if(out.begin(), out.end(), [&](const ManagedFieldsEntry& o) {
      return o.SameManager(entry.manager, entry.operation, entry.api_version, entry.subresource);
    });
    if (same != out.end()) {
      same->fields = same->fields.Union(entry.fields);
      same->time = std::max(same->time, entry.time);
    } else {
      out.push_back(std::move(entry));
    }
  }
  return out;
}

nlohmann::json EncodeManagedFields(const ManagedFields& entries) {
  std::vector<const ManagedFieldsEntry*> sorted;
  for (const ManagedFieldsEntry& e : entries) {
    if (!e.fields.Empty()) sorted.push_back(&e);
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return std::tie(a->operation, a->time, a->manager, a->api_version, a->subresource) <
           std::tie(b->operation, b->time, b->manager, b->api_version, b->subresource);
  });
  Json out = Json::array();
  for (const ManagedFieldsEntry* e : sorted) {
    Json j = {{"manager", e->manager},
              {"operation", e->operation},
              {"apiVersion", e->api_version},
              {"fieldsType", "FieldsV1"},
              {"fieldsV1", e->fields.ToFieldsV1()}};
    if (!e->time.empty()) j["time"] = e->time;
    if (!e->subresource.empty()) j["subresource"] = e->subresource;
    out.push_back(std::move(j));
  }
  return out;
}

std::string DescribeManager(const ManagedFieldsEntry& entry) {
  std::string out = Quote(entry.manager);
  if (!entry.subresource.empty()) out += " with subresource " + Quote(entry.subresource);
  if (entry.operation == kOperationUpdate) out += " using " + entry.api_version;
  return out;
}

}  // namespace capstan::patch
