// Example CSI plugin `example-tmpdir`: volumes are directories under a root from the config;
// CreateVolume/DeleteVolume make and remove them, NodePublishVolume exposes one at the target
// path as a symlink (no mount, so no privileges needed). Exported by plugin.cc; tested in
// tests/sdk/examples/example_tmpdir_test.cc.
#ifndef CAPSTAN_EXAMPLES_TMPDIR_CSI_H_
#define CAPSTAN_EXAMPLES_TMPDIR_CSI_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "capstan/sdk/csi.h"
#include "capstan/sdk/host.h"
#include "capstan/sdk/status.h"

namespace capstan::examples {

inline constexpr char kTmpDirCsiName[] = "example-tmpdir";
inline constexpr char kTmpDirCsiVersion[] = "0.1.0";
inline constexpr char kTmpDirCsiDescription[] = "Directory-backed volumes under a root directory";
inline constexpr char kTmpDirCsiSchema[] = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "root": {"type": "string", "minLength": 1},
    "nodeId": {"type": "string", "minLength": 1},
    "driverName": {"type": "string", "minLength": 1}
  }
})";

// Identity, Controller (create/delete) and Node (publish/unpublish) services. Capacities are
// remembered in memory only, to answer repeated CreateVolume calls. Thread-safe: `mu_` guards
// the capacity map; file operations on distinct volumes do not interfere, and the host never
// runs two calls for one volume at once.
class TmpDirCsi final : public sdk::CsiPlugin {
 public:
  static constexpr char kDefaultRoot[] = "/tmp/capstan-example-tmpdir";

  // Creates `root`. INVALID for a bad config; UNAVAILABLE when `root` cannot be created.
  sdk::Status Init(const sdk::Host& host, std::string_view config_json);

  sdk::Status GetPluginInfo(sdk::Call& call, std::string_view request_json,
                            std::string* response_json) override;
  sdk::Status GetPluginCapabilities(sdk::Call& call, std::string_view request_json,
                                    std::string* response_json) override;
  // {"ready": true} while `root` is a directory.
  sdk::Status Probe(sdk::Call& call, std::string_view request_json,
                    std::string* response_json) override;
  // INVALID for a bad name; ALREADY_EXISTS when the name exists with another capacity.
  sdk::Status CreateVolume(sdk::Call& call, std::string_view request_json,
                           std::string* response_json) override;
  // OK also when the volume is already gone.
  sdk::Status DeleteVolume(sdk::Call& call, std::string_view request_json,
                           std::string* response_json) override;
  sdk::Status ControllerGetCapabilities(sdk::Call& call, std::string_view request_json,
                                        std::string* response_json) override;
  // NOT_FOUND for an unknown volume; ALREADY_EXISTS when `targetPath` holds something else.
  sdk::Status NodePublishVolume(sdk::Call& call, std::string_view request_json,
                                std::string* response_json) override;
  // OK also when nothing is published at `targetPath`.
  sdk::Status NodeUnpublishVolume(sdk::Call& call, std::string_view request_json,
                                  std::string* response_json) override;
  sdk::Status NodeGetCapabilities(sdk::Call& call, std::string_view request_json,
                                  std::string* response_json) override;
  sdk::Status NodeGetInfo(sdk::Call& call, std::string_view request_json,
                          std::string* response_json) override;

 private:
  // The directory of volume `id`, or INVALID when `id` could escape `root_`.
  sdk::Status VolumePath(std::string_view id, std::filesystem::path* out) const;

  std::filesystem::path root_ = kDefaultRoot;
  std::string node_id_ = "node-1";
  std::string driver_name_ = "example-tmpdir.csi.capstan.io";
  std::mutex mu_;
  std::map<std::string, int64_t> capacity_;  // by volume ID
};

}  // namespace capstan::examples

#endif  // CAPSTAN_EXAMPLES_TMPDIR_CSI_H_
