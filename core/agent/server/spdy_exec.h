// Exec and attach over plain SPDY/3.1 (`X-Stream-Protocol-Version` v4.channel.k8s.io, v3, v2,
// channel.k8s.io), as kubectl before 1.30 and every SPDY fallback use them: the client opens
// one stream per `streamtype` (error, stdin, stdout, stderr, resize); once all expected ones
// are open the command runs (ExecFunction, exec_session.h) with pipes (a terminal is the
// runtime's, sized through the resize stream), or attach follows the container's log
// (attach_log.h) and passes stdin to the runtime's attach (exec_io.h StartAttachInput); the
// end is a metav1.Status on the error stream (v4) or its message (v1-v3).
// Routed from agent_server.cc; tests in tests/core/agent/server/spdy_exec_test.cc.
#pragma once

#include <memory>

#include "core/agent/server/exec_session.h"
#include "core/apiserver/http_exchange.h"
#include "core/common/status.h"

namespace capstan::agent::server {

// Checks the request (a SPDY/3.1 upgrade offering a supported protocol, for exec at least one
// `command`, a stream requested, a running container) and takes the socket over. Errors, for
// the caller to answer as HTTP (nothing was sent then): kBadRequest as StartExecSession's
// (also stdin with attach without `params.attach_stdin`, and a container without a log);
// kUnimplemented without an exec function.
Status StartSpdyExecSession(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                            ExecSessionParams params);

}  // namespace capstan::agent::server
