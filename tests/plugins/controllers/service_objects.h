// Builders of Services and pods for the endpoints and endpointslice controller tests (plugins
// under plugins/controllers/endpoints and plugins/controllers/endpointslice).
#ifndef CAPSTAN_TESTS_PLUGINS_CONTROLLERS_SERVICE_OBJECTS_H_
#define CAPSTAN_TESTS_PLUGINS_CONTROLLERS_SERVICE_OBJECTS_H_

#include <string>

#include "capstan/sdk/json.h"

namespace capstan::controllers::testing {

using Json = sdk::json::Json;

// Service `name` in "default" selecting app=<app>, port 80 -> `target` (number or name).
inline Json Service(const std::string& name, const std::string& app, Json target = 8080) {
  return Json{
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"uid", "svc-uid-" + name},
        {"labels", {{"team", "a"}}}}},
      {"spec",
       {{"selector", {{"app", app}}},
        {"clusterIP", "10.96.0.10"},
        {"ports",
         Json::array(
             {{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}, {"targetPort", target}}})}}}};
}

// A pod in "default" labelled app=<app> with `ip` (may be ""), Ready as given, a container port
// named "web" = `web_port`.
inline Json ServedPod(const std::string& name, const std::string& app, const std::string& ip,
                      bool ready, int web_port = 8080) {
  Json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"uid", "uid-" + name},
        {"labels", {{"app", app}}}}},
      {"spec",
       {{"nodeName", "node-1"},
        {"containers", Json::array({{{"name", "c"},
                                     {"ports", Json::array({{{"name", "web"},
                                                             {"containerPort", web_port},
                                                             {"protocol", "TCP"}}})}}})}}},
      {"status",
       {{"phase", "Running"},
        {"conditions", Json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}}};
  if (!ip.empty()) pod["status"]["podIP"] = ip;
  return pod;
}

}  // namespace capstan::controllers::testing

#endif  // CAPSTAN_TESTS_PLUGINS_CONTROLLERS_SERVICE_OBJECTS_H_
