// What the node knows about a pulled image: names, digests, layer chain, sizes and the parts of
// the OCI image config the runtime needs (entrypoint, cmd, env, working dir, user). JSON
// (de)serialization for the content store's index. Implementation in image_record.cc.
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/status.h"

namespace capstan::image {

// The runtime-relevant part of an OCI image config (`config` object of the config blob).
struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string working_dir;
  std::string user;
  std::string stop_signal;
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::string> diff_ids;       // rootfs.diff_ids, bottom layer first
  std::string os;
  std::string architecture;
};

// Parses a config blob. kInvalid when it is not a JSON object or `rootfs.diff_ids` is missing.
Result<ImageConfig> ParseImageConfig(std::string_view raw);

struct LayerRecord {
  std::string digest;   // compressed blob digest (the layer's key in the store)
  std::string diff_id;  // uncompressed digest, verified at unpack time
  std::string media_type;
  int64_t size = 0;           // compressed bytes, from the manifest
  int64_t unpacked_size = 0;  // regular-file bytes written when unpacked
};

struct ImageRecord {
  std::string id;  // config digest: the image ID the CRI and `docker images` report
  std::vector<std::string> repo_tags;     // "docker.io/library/busybox:latest"
  std::vector<std::string> repo_digests;  // "docker.io/library/busybox@sha256:..."
  std::string manifest_digest;            // platform manifest
  std::string config_digest;
  std::vector<LayerRecord> layers;  // bottom first
  int64_t size = 0;                 // config + compressed layers, as node status reports
  ImageConfig config;
  int64_t pulled_at = 0;  // unix seconds
  int64_t last_used = 0;  // unix seconds; GC evicts least recently used first
};

// Serialized form of the store index: {"images": [...]}; the config is kept as its raw blob
// in the store, so only names, digests and sizes are written here.
std::string EncodeRecords(const std::vector<ImageRecord>& records);
// kInvalid on malformed input (the message names the field).
Result<std::vector<ImageRecord>> DecodeRecords(std::string_view json);

}  // namespace capstan::image
