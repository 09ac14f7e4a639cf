// A container's root filesystem from unpacked layer directories (layer_unpack.h): an overlayfs
// mount (lowerdirs = layers, a per-container upperdir/workdir), or, where overlayfs is
// unavailable, a full copy that applies the layers' whiteouts. Implementation in rootfs.cc;
// image_service.h wraps these per container. Thread-safety: reentrant (distinct targets).
#pragma once

#include <string>
#include <vector>

#include "core/common/status.h"

namespace capstan::image {

// True when the kernel lists `overlay` in /proc/filesystems.
bool OverlaySupported();

// Mounts overlayfs at `target` with `layer_dirs` (bottom layer first) as lowerdirs and the
// given upper/work directories (created if missing; must be on the same filesystem).
// Requires CAP_SYS_ADMIN. Errors: kInvalid when a path holds ',' or ':' (overlay's option
// separators) or the option string exceeds a page; kInternal with errno text when mount(2)
// fails; kInvalid for an empty layer list.
Status MountOverlay(const std::vector<std::string>& layer_dirs, const std::string& upper,
                    const std::string& work, const std::string& target);

// Unmounts `target` (lazily when busy). OK when nothing is mounted there.
Status UnmountRootfs(const std::string& target);

// True when `path` is a mount point (listed in /proc/self/mountinfo).
bool IsMountPoint(const std::string& path);

// The copy fallback: copies `layer_dirs` (bottom first) into `target`, honouring overlay-form
// whiteouts (0/0 character devices delete, `trusted.overlay.opaque=y` hides lower contents)
// and preserving modes, ownership, symlinks and mtimes; hard links become separate copies.
// kInternal on filesystem errors.
Status CopyLayers(const std::vector<std::string>& layer_dirs, const std::string& target);

}  // namespace capstan::image
