// JSON descriptions of loaded plugins and of the effective chains, for `capstan plugin inspect`
// and `capstan plugin chains` (core/cmd/plugin_cmd.cc) and later for debug endpoints.
// Tests in tests/core/plugin/describe_test.cc.
#pragma once

#include <nlohmann/json.hpp>

#include "core/plugin/library.h"
#include "core/plugin/registry.h"

namespace capstan::plugin {

// {"name","version","description","path","abi":"1.0","capabilities":[...],
//  "kinds":[{"kind":"authn","interface":"1.0","vtableSize":16,
//            "entries":[{"name":"on_authenticate","required":true,"implemented":true,
//                        "withinStructSize":true}]}],
//  "lifecycle":{"on_health":false}, "configSchema": <the schema as JSON> | null}
nlohmann::json DescribeLibrary(const Library& library);

// {"source": "...", "ok": bool, "chains":[{"kind":"authn","budget":"2s"|null,"entries":[
//   {"order":1,"name","library","path"|null,"plugin"|null,"version"|null,"failurePolicy",
//    "timeout":"1s","weight":1|null,"status":"ok"|"<error>"}]}]}
nlohmann::json DescribeChains(const Registry& registry, const std::string& source);

}  // namespace capstan::plugin
