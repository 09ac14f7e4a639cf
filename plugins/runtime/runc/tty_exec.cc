// Runtime plugin `runc`: ConsoleSocket and TtyRelay (tty_exec.h).
#include "tty_exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "process.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX global

namespace capstan::plugins::runc_runtime {
namespace {

// Writes all of `data` to a blocking descriptor; false when the reader is gone.
bool WriteAll(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

bool Ready(const pollfd& p) { return (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0; }

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

// The helper's body after fork: only async-signal-safe calls (the host has other threads).
[[noreturn]] void DetachedExecHelper(char* const argv[], char* const envp[], const char* pid_file,
                                     int out_fd) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGCHLD, &dfl, nullptr);  // an ignored SIGCHLD would make waitpid fail
  sigaction(SIGPIPE, &dfl, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // the plugin's host died: nobody waits for us any more
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) _exit(255);
  // The helper never execs: it must not hold the host's other descriptors (sockets and pipes
  // of other sessions would not see their peer close while it lives).
  int devnull = open("/dev/null", O_RDWR);
  if (devnull < 0) _exit(255);
  dup2(devnull, 0);
  dup2(out_fd >= 0 ? out_fd : devnull, 1);
  dup2(1, 2);
  if (close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 65536; ++fd) close(fd);
  }
  pid_t runc = fork();
  if (runc < 0) _exit(255);
  if (runc == 0) {
    execve(argv[0], argv, envp);
    _exit(127);
  }
  int status = 0;
  while (waitpid(runc, &status, 0) < 0) {
    if (errno != EINTR) _exit(255);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) _exit(DecodeWaitStatus(status));
  pid_t target = ReadPidFile(pid_file);
  if (target < 0) _exit(255);
  // Orphans of the process reparent here too; reap them until the process itself is done.
  for (;;) {
    pid_t w = waitpid(-1, &status, 0);
    if (w == target) _exit(DecodeWaitStatus(status));
    if (w < 0 && errno != EINTR) _exit(255);
  }
}

}  // namespace

sdk::Status ConsoleSocket::Open(const std::string& parent, std::unique_ptr<ConsoleSocket>* out) {
  std::string templ = parent + "/tty-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    return sdk::Status::Error("console socket directory: " + std::string(std::strerror(errno)));
  }
  std::unique_ptr<ConsoleSocket> s(new ConsoleSocket());
  s->dir_ = buf.data();
  s->path_ = s->dir_ + "/console.sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (s->path_.size() >= sizeof(addr.sun_path)) {
    return sdk::Status::Error("console socket path too long: " + s->path_);
  }
  std::memcpy(addr.sun_path, s->path_.c_str(), s->path_.size() + 1);
  s->fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s->fd_ < 0 || bind(s->fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(s->fd_, 1) != 0) {
    return sdk::Status::Error("console socket " + s->path_ + ": " + std::strerror(errno));
  }
  *out = std::move(s);
  return sdk::Status::Ok();
}

ConsoleSocket::~ConsoleSocket() {
  if (fd_ >= 0) close(fd_);
  if (!path_.empty()) unlink(path_.c_str());
  if (!dir_.empty()) rmdir(dir_.c_str());
}

bool TakeLastTerminalSize(std::string* carry, uint16_t* columns, uint16_t* rows) {
  bool found = false;
  size_t nl;
  while ((nl = carry->find('\n')) != std::string::npos) {
    std::string line = carry->substr(0, nl);
    carry->erase(0, nl + 1);
    unsigned c = 0, r = 0;
    char extra = 0;
    if (std::sscanf(line.c_str(), "%u %u %c", &c, &r, &extra) == 2 && c <= 0xffff && r <= 0xffff) {
      *columns = static_cast<uint16_t>(c);
      *rows = static_cast<uint16_t>(r);
      found = true;
    }
  }
  if (carry->size() > 64) carry->clear();  // no size line is that long: drop garbage
  return found;
}

TtyRelay::~TtyRelay() {
  if (conn_ >= 0) close(conn_);
  if (master_ >= 0) close(master_);
}

void TtyRelay::Pump(int timeout_ms) {
  enum Slot { kListen, kConn, kMaster, kStdin, kResize, kSlots };
  pollfd p[kSlots];
  for (pollfd& e : p) e = {-1, 0, 0};
  bool waiting_for_master = master_ < 0 && !master_closed_;
  if (waiting_for_master && conn_ < 0) p[kListen] = {listen_fd_, POLLIN, 0};
  if (conn_ >= 0) p[kConn] = {conn_, POLLIN, 0};
  if (master_ >= 0) {
    short events = master_closed_ ? 0 : POLLIN;
    if (!to_master_.empty()) events |= POLLOUT;
    p[kMaster] = {master_, events, 0};
  }
  // Stdin stays in its pipe until the terminal exists and took the previous bytes.
  if (master_ >= 0 && to_master_.empty() && stdin_fd_ >= 0) p[kStdin] = {stdin_fd_, POLLIN, 0};
  if (resize_fd_ >= 0) p[kResize] = {resize_fd_, POLLIN, 0};
  if (poll(p, kSlots, timeout_ms) <= 0) return;
  if (Ready(p[kListen])) Accept();
  if (Ready(p[kConn])) ReceiveMaster();
  if (p[kMaster].fd >= 0 && (p[kMaster].revents & POLLOUT) != 0) WriteMaster();
  if (p[kMaster].fd >= 0 && Ready(p[kMaster])) ReadMaster();
  if (Ready(p[kStdin])) ReadStdin();
  if (Ready(p[kResize])) ReadSizes();
}

void TtyRelay::Drain(int quiet_ms, int max_ms) {
  int64_t end = MonotonicNs() + static_cast<int64_t>(max_ms) * 1'000'000;
  // A short command may have ended before the terminal was taken from the socket's backlog.
  for (int i = 0; i < 3 && master_ < 0; ++i) Pump(0);
  while (master_ >= 0 && !master_closed_ && MonotonicNs() < end) {
    pollfd p{master_, POLLIN, 0};
    if (poll(&p, 1, quiet_ms) <= 0) return;
    ReadMaster();
  }
}

void TtyRelay::Accept() {
  conn_ = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
}

void TtyRelay::ReceiveMaster() {
  // runc sends the terminal's name as the payload and the master as SCM_RIGHTS.
  char name[4096];
  iovec iov{name, sizeof(name)};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = recvmsg(conn_, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
      if (master_ < 0) {
        master_ = fd;
        fcntl(master_, F_SETFL, fcntl(master_, F_GETFL) | O_NONBLOCK);
        if (have_size_) ApplySize();
      } else {
        close(fd);
      }
    }
  }
  close(conn_);  // one terminal per exec: the connection is done either way
  conn_ = -1;
}

void TtyRelay::ReadMaster() {
  char buf[16384];
  ssize_t n = read(master_, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {  // EIO: every process holding the other side has closed it
    master_closed_ = true;
    return;
  }
  if (stdout_fd_ >= 0 && !WriteAll(stdout_fd_, buf, static_cast<size_t>(n))) stdout_fd_ = -1;
}

void TtyRelay::WriteMaster() {
  ssize_t n = write(master_, to_master_.data(), to_master_.size());
  if (n > 0) {
    to_master_.erase(0, static_cast<size_t>(n));
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    to_master_.clear();  // the terminal is gone; what the user typed has nowhere to go
  }
}

void TtyRelay::ReadStdin() {
  char buf[16384];
  ssize_t n = read(stdin_fd_, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {  // the client closed stdin; a terminal keeps the command's side open
    stdin_fd_ = -1;
    return;
  }
  to_master_.append(buf, static_cast<size_t>(n));
  WriteMaster();
}

void TtyRelay::ReadSizes() {
  char buf[512];
  ssize_t n = read(resize_fd_, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    resize_fd_ = -1;
    return;
  }
  size_carry_.append(buf, static_cast<size_t>(n));
  if (TakeLastTerminalSize(&size_carry_, &columns_, &rows_)) {
    have_size_ = true;
    if (master_ >= 0) ApplySize();
  }
}

void TtyRelay::ApplySize() {
  winsize ws{};
  ws.ws_col = columns_;
  ws.ws_row = rows_;
  ioctl(master_, TIOCSWINSZ, &ws);
}

sdk::Status RunDetachedExec(const std::vector<std::string>& argv, const std::string& pid_file,
                            int out_fd, const std::function<void(int timeout_ms)>& pump,
                            const std::function<bool()>& stop, const std::function<void()>& on_kill,
                            int* exit_code) {
  *exit_code = -1;
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t helper = fork();
  if (helper < 0) return sdk::Status::Error(std::string("fork: ") + std::strerror(errno));
  if (helper == 0) DetachedExecHelper(cargv.data(), environ, pid_file.c_str(), out_fd);
  bool killed = false;
  int status = 0;
  for (;;) {
    if (!killed && stop && stop()) {
      killed = true;
      if (on_kill) on_kill();
      kill(helper, SIGKILL);
    }
    if (pump) pump(5);
    pid_t w = waitpid(helper, &status, WNOHANG);
    if (w == helper) break;
    if (w < 0 && errno != EINTR) {
      return sdk::Status::Error(std::string("waitpid: ") + std::strerror(errno));
    }
    if (w == 0 && !pump) {
      struct timespec ts {
        0, 5'000'000
      };
      nanosleep(&ts, nullptr);
    }
  }
  *exit_code = DecodeWaitStatus(status);
  if (killed) return sdk::Status::DeadlineExceeded("exec cancelled");
  return sdk::Status::Ok();
}

}  // namespace capstan::plugins::runc_runtime
