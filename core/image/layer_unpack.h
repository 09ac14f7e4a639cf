// Unpacking one layer blob (gzip or plain tar) into its own directory in overlayfs form:
// `.wh.<name>` becomes a 0/0 character device `<name>` and `.wh..wh..opq` the xattr
// `trusted.overlay.opaque=y` on its directory, so stacked layer directories are directly an
// overlay mount's lowerdirs (rootfs.h mounts them, or merges them by copying). Entries are
// confined to the destination: `..` components, paths through symlinks and hard links outside
// the layer are rejected. Implementation in layer_unpack.cc over tar_reader.h.
#pragma once

#include <cstdint>
#include <string>

#include "core/common/status.h"

namespace capstan::image {

inline constexpr char kWhiteoutPrefix[] = ".wh.";
inline constexpr char kOpaqueWhiteout[] = ".wh..wh..opq";
inline constexpr char kOverlayOpaqueXattr[] = "trusted.overlay.opaque";

struct UnpackResult {
  std::string diff_id;  // "sha256:..." of the uncompressed tar stream
  int64_t entries = 0;
  int64_t bytes = 0;  // regular-file bytes written
};

// Unpacks the layer at `blob_path` into `dest` (an existing, empty directory), preserving
// modes (incl. setuid/setgid/sticky), ownership (uid/gid as stored; needs root), mtimes,
// symlinks, hard links, device nodes, FIFOs and PAX xattrs (failures to set xattrs other than
// the overlay marker are ignored). Errors: kInvalid for corrupt data or an entry that would
// escape `dest` (message names the entry); kUnimplemented for unsupported compression or entry
// types; kInternal for filesystem failures. On error `dest` holds a partial tree the caller
// must delete. Thread-safety: reentrant; callers must not share `dest`.
Result<UnpackResult> UnpackLayer(const std::string& blob_path, const std::string& dest);

}  // namespace capstan::image
