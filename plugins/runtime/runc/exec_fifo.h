// Runtime plugin `runc`: starting a created container through runc's exec FIFO, without
// exec'ing the runc binary again. Used by runc_runtime.cc (StartContainer); tested by
// runc_runtime_test.cc with real runc.
#ifndef CAPSTAN_PLUGINS_RUNTIME_RUNC_EXEC_FIFO_H_
#define CAPSTAN_PLUGINS_RUNTIME_RUNC_EXEC_FIFO_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "capstan/sdk/status.h"

namespace capstan::plugins::runc_runtime {

// `runc create` leaves the container's init blocked opening `<runc root>/<id>/exec.fifo` for
// writing; `runc start` of a container without poststart hooks (our specs have none) does only
// this: open the FIFO, read init's byte until init execs the program (which closes its end),
// remove the FIFO (runc then reports the container running). Doing it here saves a fork+exec of
// the 9 MB Go binary (10-20 ms) per container start.
//
// Returns UNAVAILABLE, having done nothing, when `fifo_path` is not a FIFO (another runc layout)
// or `init_pid` is unknown: the caller falls back to `runc start`; INVALID when init (`init_pid`)
// is gone before handing over ("container process is already dead", as runc says);
// DEADLINE_EXCEEDED at `deadline_mono_ns`. Thread-safe: touches only its own descriptor and the
// FIFO's path.
sdk::Status StartThroughExecFifo(const std::string& fifo_path, pid_t init_pid,
                                 int64_t deadline_mono_ns);

}  // namespace capstan::plugins::runc_runtime

#endif  // CAPSTAN_PLUGINS_RUNTIME_RUNC_EXEC_FIFO_H_
