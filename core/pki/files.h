// Small-file I/O for PKI material and kubeconfigs: whole-file reads and atomic, permission-
// setting writes. Used by server_pki.cc and kubeconfig.cc. Implementation in files.cc.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/common/status.h"

namespace capstan::pki {

// Reads the whole file (up to 16 MiB). Errors: kNotFound when it does not exist, kInternal for
// other I/O errors, kBadRequest when it is larger than the limit. Messages name the path.
Result<std::string> ReadFile(const std::string& path);

// True when `path` exists (any type). Errors: kInternal when stat fails for another reason.
Result<bool> FileExists(const std::string& path);

// Writes `data` to a temporary file beside `path` created with `mode` (e.g. 0600 for keys),
// fsyncs it and renames it over `path`, so readers see the old or the new file, never a torn
// one. Errors: kInternal naming the path and errno text.
Status WriteFileAtomically(const std::string& path, std::string_view data, mode_t mode);

// Creates `dir` (and missing parents) with `mode`; an existing directory is fine.
Status MakeDirs(const std::string& dir, mode_t mode);

}  // namespace capstan::pki
