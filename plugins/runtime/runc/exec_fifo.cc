// Runtime plugin `runc`: start through the exec FIFO (see exec_fifo.h).
#include "exec_fifo.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "process.h"

namespace capstan::plugins::runc_runtime {
namespace {

// Re-checks init between waits this often (runc start does the same every 100 ms).
constexpr int kSliceMs = 100;

bool Alive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace

sdk::Status StartThroughExecFifo(const std::string& fifo_path, pid_t init_pid,
                                 int64_t deadline_mono_ns) {
  struct stat st {};
  // Without init's pid a dead init could not be told from a slow one.
  if (init_pid <= 0 || lstat(fifo_path.c_str(), &st) != 0 || !S_ISFIFO(st.st_mode)) {
    return sdk::Status::Unavailable("no exec FIFO at " + fifo_path);
  }
  // Non-blocking: init may already be gone, and then a blocking open would never return. Init's
  // own open for writing completes as soon as this read end exists.
  int fd = open(fifo_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return sdk::Status::Error("open " + fifo_path + ": " + std::strerror(errno));
  bool got_byte = false;
  sdk::Status result = sdk::Status::Ok();
  while (true) {
    int64_t left_ms = (deadline_mono_ns - MonotonicNs()) / 1'000'000;
    if (left_ms <= 0) {
      result = sdk::Status::DeadlineExceeded("container did not start in time");
      break;
    }
    // Until init has opened its end, a FIFO reports neither data nor hang-up, only a read of 0.
    struct pollfd pfd {
      fd, POLLIN, 0
    };
    int ready = poll(&pfd, 1, static_cast<int>(left_ms < kSliceMs ? left_ms : kSliceMs));
    if (ready < 0 && errno != EINTR) {
      result = sdk::Status::Error(std::string("poll: ") + std::strerror(errno));
      break;
    }
    if (ready > 0) {
      char buf[16];
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n > 0) {
        got_byte = true;
        continue;
      }
      if (n == 0 && got_byte) break;  // init exec'd the program: its end closed on exec
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        result = sdk::Status::Error("read " + fifo_path + ": " + std::strerror(errno));
        break;
      }
      if (n == 0) {
        // Hang-up without a byte: a writer came and went (init died while handing over).
        if (!Alive(init_pid)) {
          result = sdk::Status::Invalid("container process is already dead");
          break;
        }
        struct timespec ts {
          0, 1'000'000
        };
        nanosleep(&ts, nullptr);  // a hang-up stays reported: do not spin
      }
      continue;
    }
    if (!got_byte && !Alive(init_pid)) {
      result = sdk::Status::Invalid("container process is already dead");
      break;
    }
  }
  close(fd);
  if (result.ok() && unlink(fifo_path.c_str()) != 0 && errno != ENOENT) {
    return sdk::Status::Error("remove " + fifo_path + ": " + std::strerror(errno));
  }
  return result;
}

}  // namespace capstan::plugins::runc_runtime
