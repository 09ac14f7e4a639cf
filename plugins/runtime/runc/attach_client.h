// Runtime plugin `runc`: the plugin's side of attach — copies the host's stdin and terminal
// sizes (abi/runtime.h `on_attach`) as frames (attach_frame.h) onto a connection to the shim's
// attach socket (shim_attach.h). Used by runc_attach.cc; tests in attach_frame_test.cc.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_ATTACH_CLIENT_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_ATTACH_CLIENT_H_

#include <functional>
#include <string>

#include "capstan/sdk/status.h"

namespace capstan::plugins::runc_runtime {

// A unix socket address for `path` even when it is longer than sun_path holds: then the
// directory is opened (O_PATH; `*dir_fd`, which the caller closes after bind/connect) and the
// address is "/proc/self/fd/<dir_fd>/<name>". ERROR when the directory cannot be opened.
sdk::Status UnixSocketAddress(const std::string& path, std::string* address, int* dir_fd);

// Connects to the unix socket at `path`. Returns the connected descriptor (close-on-exec,
// non-blocking; the caller closes it) in `*fd`. INVALID when nobody listens there (no such
// file, or the shim is gone); ERROR for other failures.
sdk::Status ConnectAttachSocket(const std::string& path, int* fd);

// Copies `stdin_fd` (stdin frames) and `resize_fd` (lines "<columns> <rows>\n" -> resize
// frames; -1: none) to `conn` until stdin reaches EOF (after the frames are written), `conn`
// is closed by the shim, or `cancelled()` returns true (checked at least every 100 ms:
// DEADLINE_EXCEEDED). Borrows every descriptor. Blocking; thread-compatible.
sdk::Status CopyToAttachSocket(int conn, int stdin_fd, int resize_fd,
                               const std::function<bool()>& cancelled);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_ATTACH_CLIENT_H_
