// Atomic projection of a set of files into a directory, as the kubelet's AtomicWriter does for
// configMap, secret, downwardAPI and projected volumes: files land in a fresh hidden
// `..<timestamp>` directory, the `..data` symlink is swapped to it with rename(2), and each
// top-level name is a symlink through `..data`, so readers never see a half-written update.
// Implementation in atomic_writer.cc; used by volumes.cc. Thread-safety: one writer per dir.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/common/status.h"

namespace capstan::agent {

struct ProjectedFile {
  std::string path;  // relative, no ".." element, not starting with ".."
  std::string data;
  mode_t mode = 0644;
};

// Makes `dir` hold exactly `files`. Returns OK without touching anything when the current
// payload is identical (contents and modes), so unchanged objects cause no churn; `*changed`
// (optional) says whether a swap happened. Errors: kInvalid for a bad path (the message names
// it), kInternal with errno text on filesystem errors (the previous payload stays in place).
Status WriteAtomic(const std::string& dir, const std::vector<ProjectedFile>& files,
                   bool* changed = nullptr);

}  // namespace capstan::agent
