// Runtime plugin `runc`: ConnectAttachSocket and CopyToAttachSocket (attach_client.h).
#include "attach_client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "attach_frame.h"
#include "tty_exec.h"

namespace capstan::plugins::runc_runtime {
namespace {

// Stdin is not read while this much is still waiting for the shim: back-pressure.
constexpr size_t kMaxQueued = 4 * kAttachMaxPayload;

bool Ready(const pollfd& p) { return p.fd >= 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0; }

void AppendFrame(std::string* out, uint8_t type, const char* data, size_t len) {
  uint8_t header[kAttachHeaderSize];
  PutAttachHeader(type, static_cast<uint32_t>(len), header);
  out->append(reinterpret_cast<const char*>(header), sizeof(header));
  out->append(data, len);
}

}  // namespace

sdk::Status UnixSocketAddress(const std::string& path, std::string* address, int* dir_fd) {
  *dir_fd = -1;
  sockaddr_un addr{};
  if (path.size() < sizeof(addr.sun_path)) {
    *address = path;
    return sdk::Status::Ok();
  }
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  *dir_fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*dir_fd < 0) return sdk::Status::Error("open " + dir + ": " + std::strerror(errno));
  *address = "/proc/self/fd/" + std::to_string(*dir_fd) + "/" + path.substr(slash + 1);
  if (address->size() >= sizeof(addr.sun_path)) {
    close(*dir_fd);
    *dir_fd = -1;
    return sdk::Status::Error("socket name too long: " + path);
  }
  return sdk::Status::Ok();
}

sdk::Status ConnectAttachSocket(const std::string& path, int* fd) {
  *fd = -1;
  std::string address;
  int dir_fd = -1;
  CAPSTAN_SDK_RETURN_IF_ERROR(UnixSocketAddress(path, &address, &dir_fd));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address.c_str(), address.size() + 1);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int rc = s < 0 ? -1 : connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int e = errno;
  if (dir_fd >= 0) close(dir_fd);
  if (s < 0) return sdk::Status::Error(std::string("socket: ") + std::strerror(e));
  if (rc != 0) {
    close(s);
    if (e == ENOENT || e == ECONNREFUSED) {
      return sdk::Status::Invalid(
          "the container does not take stdin (not created with stdin, "
          "or it has exited)");
    }
    return sdk::Status::Error("connect " + path + ": " + std::strerror(e));
  }
  fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
  *fd = s;
  return sdk::Status::Ok();
}

sdk::Status CopyToAttachSocket(int conn, int stdin_fd, int resize_fd,
                               const std::function<bool()>& cancelled) {
  std::string out;  // frames the shim has not taken yet
  std::string size_carry;
  bool stdin_done = false;
  char buf[kAttachMaxPayload];
  while (true) {
    if (cancelled && cancelled()) return sdk::Status::DeadlineExceeded("attach cancelled");
    if (stdin_done && out.empty()) return sdk::Status::Ok();
    enum { kConn, kStdin, kResize, kSlots };
    pollfd p[kSlots] = {{conn, static_cast<short>(POLLIN | (out.empty() ? 0 : POLLOUT)), 0},
                        {-1, POLLIN, 0},
                        {resize_fd, POLLIN, 0}};
    if (!stdin_done && stdin_fd >= 0 && out.size() < kMaxQueued) p[kStdin].fd = stdin_fd;
    if (poll(p, kSlots, 100) <= 0) continue;
    if (Ready(p[kConn])) {
      ssize_t n = read(conn, buf, sizeof(buf));
      // The shim never writes: EOF (or an error) means it stopped taking stdin.
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return sdk::Status::Ok();
    }
    if ((p[kConn].revents & POLLOUT) != 0 && !out.empty()) {
      ssize_t n = send(conn, out.data(), out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        out.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return sdk::Status::Ok();
      }
    }
    // Sizes first: a size the host wrote before some input applies before the command reads it.
    if (Ready(p[kResize])) {
      ssize_t n = read(resize_fd, buf, sizeof(buf));
      if (n > 0) {
        size_carry.append(buf, static_cast<size_t>(n));
        uint16_t columns = 0, rows = 0;
        if (TakeLastTerminalSize(&size_carry, &columns, &rows)) {
          uint8_t frame[kAttachResizeFrameSize];
          PutAttachResize(columns, rows, frame);
          out.append(reinterpret_cast<const char*>(frame), sizeof(frame));
        }
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        resize_fd = -1;
      }
    }
    if (Ready(p[kStdin])) {
      ssize_t n = read(stdin_fd, buf, sizeof(buf));
      if (n > 0) {
        AppendFrame(&out, kAttachStdin, buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        stdin_done = true;
      }
    }
  }
}

}  // namespace capstan::plugins::runc_runtime
