// Runtime plugin `runc`: RuncRuntime::Attach (runc_runtime.h) — the container's shim serves its
// stdin on `attach.sock` in the bundle (shim_attach.h); this side copies the host's streams
// onto it (attach_client.h).
#include <unistd.h>

#include "attach_client.h"
#include "attach_frame.h"
#include "runc_runtime.h"

namespace capstan::plugins::runc_runtime {

sdk::Status RuncRuntime::Attach(sdk::Call& call, std::string_view request_json,
                                const sdk::ExecStreams& streams) {
  sdk::json::Json req;
  CAPSTAN_SDK_RETURN_IF_ERROR(ParseRequest(request_json, &req));
  ContainerRecord c;
  CAPSTAN_SDK_RETURN_IF_ERROR(RequestedContainer(req, &c));
  if (Observe(c).state != "CONTAINER_RUNNING") {
    return sdk::Status::Invalid("container " + c.id + " is not running");
  }
  int conn = -1;
  CAPSTAN_SDK_RETURN_IF_ERROR(
      ConnectAttachSocket(BundleDir(c.id) + "/" + kAttachSocketFile, &conn));
  sdk::Status st = CopyToAttachSocket(conn, streams.stdin_fd, streams.resize_fd,
                                      [&call] { return call.Cancelled(); });
  close(conn);  // the end of this session for the shim (stdinOnce closes the container's stdin)
  return st;
}

}  // namespace capstan::plugins::runc_runtime
