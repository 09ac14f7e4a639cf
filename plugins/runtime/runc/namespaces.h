// Runtime plugin `runc`: persistent pod namespaces — a short-lived thread unshares the network,
// IPC and UTS namespaces, sets the hostname, brings up `lo`, and bind-mounts its
// /proc/self/task/<tid>/ns/* onto files that keep the namespaces alive after it exits (no fork of
// the host). Used by runc_runtime.cc.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_NAMESPACES_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_NAMESPACES_H_

#include <string>

#include "capstan/sdk/status.h"

namespace capstan::plugins::runc_runtime {

// Which namespaces to create and where their files go. An empty path skips that namespace
// (it is shared with the host).
struct PodNamespacePaths {
  std::string net;
  std::string ipc;
  std::string uts;
  std::string hostname;  // applied in the new UTS namespace
};

// Creates the files (and their directory) and the namespaces. On error, undoes what it did.
// Thread-safe; the calling thread's own namespaces are untouched, and no child process is made.
sdk::Status CreatePodNamespaces(const PodNamespacePaths& paths);

// Unmounts and deletes the files; absent files are fine (idempotent).
sdk::Status ReleasePodNamespaces(const PodNamespacePaths& paths);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_NAMESPACES_H_
