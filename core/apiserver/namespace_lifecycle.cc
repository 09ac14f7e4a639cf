// Namespace deletion lifecycle helpers (namespace_lifecycle.h).
#include "core/apiserver/namespace_lifecycle.h"

namespace capstan::apiserver {

bool IsNamespaceResource(const ResourceInfo& info) {
  return info.group.empty() && info.plural == "namespaces";
}

bool AwaitsSpecFinalizers(const ResourceInfo& info, const nlohmann::json& obj) {
  if (!IsNamespaceResource(info)) return false;
  auto spec = obj.find("spec");
  if (spec == obj.end() || !spec->is_object()) return false;
  auto f = spec->find("finalizers");
  return f != spec->end() && f->is_array() && !f->empty();
}

void MarkTerminating(const ResourceInfo& info, nlohmann::json& obj) {
  if (!IsNamespaceResource(info)) return;
  nlohmann::json& status = obj["status"];
  if (!status.is_object()) status = nlohmann::json::object();
  status["phase"] = "Terminating";
}

nlohmann::json ApplyFinalize(const nlohmann::json& old, const nlohmann::json& requested) {
  nlohmann::json out = old;
  nlohmann::json finalizers = nlohmann::json::array();
  if (auto spec = requested.find("spec"); spec != requested.end() && spec->is_object()) {
    if (auto f = spec->find("finalizers"); f != spec->end() && f->is_array()) finalizers = *f;
  }
  nlohmann::json& spec = out["spec"];
  if (!spec.is_object()) spec = nlohmann::json::object();
  if (finalizers.empty()) {
    spec.erase("finalizers");
  } else {
    spec["finalizers"] = std::move(finalizers);
  }
  return out;
}

}  // namespace capstan::apiserver
