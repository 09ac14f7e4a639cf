// Helpers for the registry strategy tests: run a strategy's create or update path (prepare then
// validate) the way `RestStorage` does, and look up causes by field.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/apiserver/rest_storage.h"

namespace capstan::registry::testing {

using Json = nlohmann::json;

struct Outcome {
  Status prepared;
  std::vector<apiserver::StatusCause> causes;
  Json object;
};

// Sets the bookkeeping RestStorage would (uid, name, namespace), then prepares and validates.
inline Outcome RunCreate(apiserver::ResourceStrategy& s, Json obj,
                         const std::string& uid = "uid-1") {
  Json& meta = obj["metadata"];
  if (!meta.contains("uid")) meta["uid"] = uid;
  if (!meta.contains("namespace")) meta["namespace"] = "default";
  Outcome out;
  out.prepared = s.PrepareForCreate(obj);
  if (out.prepared.ok()) s.Validate(obj, &out.causes);
  out.object = std::move(obj);
  return out;
}

inline Outcome RunUpdate(apiserver::ResourceStrategy& s, Json obj, const Json& old) {
  for (const char* field : {"uid", "name", "namespace"}) {
    if (old["metadata"].contains(field)) obj["metadata"][field] = old["metadata"][field];
  }
  Outcome out;
  out.prepared = s.PrepareForUpdate(obj, old);
  if (out.prepared.ok()) s.ValidateUpdate(obj, old, &out.causes);
  out.object = std::move(obj);
  return out;
}

// The cause for `field`, or nullptr.
inline const apiserver::StatusCause* CauseFor(const Outcome& o, const std::string& field) {
  for (const apiserver::StatusCause& c : o.causes) {
    if (c.field == field) return &c;
  }
  return nullptr;
}

inline std::string Describe(const Outcome& o) {
  std::string out = o.prepared.ToString();
  for (const apiserver::StatusCause& c : o.causes) {
    out += "\n  " + c.reason + " " + c.field + ": " + c.message;
  }
  return out;
}

}  // namespace capstan::registry::testing
