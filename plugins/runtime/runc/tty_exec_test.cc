// Tests of tty_exec.h without runc: a socket client plays runc and hands over the master of a
// pty it opened, as `runc exec --console-socket` does; the test holds the pty's other side.
#include "tty_exec.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace capstan::plugins::runc_runtime {
namespace {

// Connects to `path` and sends `fd` with the payload "/dev/pts/N", as runc does.
void SendTerminal(const std::string& path, int fd) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  char name[] = "/dev/pts/99";
  iovec iov{name, sizeof(name) - 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  ASSERT_EQ(sendmsg(s, &msg, 0), static_cast<ssize_t>(iov.iov_len));
  close(s);
}

class TtyRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ConsoleSocket::Open(::testing::TempDir(), &console_).ok());
    ASSERT_EQ(openpty(&master_, &slave_, nullptr, nullptr, nullptr), 0);
    termios t{};
    tcgetattr(slave_, &t);
    cfmakeraw(&t);  // the test reads exactly what crosses the terminal
    tcsetattr(slave_, TCSANOW, &t);
    ASSERT_EQ(pipe2(stdin_, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(stdout_, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(resize_, O_CLOEXEC), 0);
    relay_ = std::make_unique<TtyRelay>(console_->fd(), stdin_[0], stdout_[1], resize_[0]);
  }
  void TearDown() override {
    relay_.reset();
    for (int fd : {slave_, stdin_[0], stdin_[1], stdout_[0], stdout_[1], resize_[0], resize_[1]}) {
      if (fd >= 0) close(fd);
    }
  }
  void HandOver() {
    SendTerminal(console_->path(), master_);
    close(master_);  // the relay holds its own copy now
    master_ = -1;
    PumpUntil([this] { return relay_->has_terminal(); });
    ASSERT_TRUE(relay_->has_terminal());
  }
  // Pumps until `done` or a deadline.
  template <typename F>
  void PumpUntil(F done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) relay_->Pump(10);
  }
  // Reads what is available on `fd` within a short poll.
  static std::string ReadSome(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10) <= 0) return "";
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf));
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

  std::unique_ptr<ConsoleSocket> console_;
  std::unique_ptr<TtyRelay> relay_;
  int master_ = -1, slave_ = -1;
  int stdin_[2] = {-1, -1}, stdout_[2] = {-1, -1}, resize_[2] = {-1, -1};
};

TEST_F(TtyRelayTest, StdinReachesTheTerminalAndItsOutputReachesStdout) {
  HandOver();
  ASSERT_EQ(write(stdin_[1], "typed", 5), 5);
  std::string at_command;
  PumpUntil([&] { return (at_command += ReadSome(slave_)).size() >= 5; });
  EXPECT_EQ(at_command, "typed");
  ASSERT_EQ(write(slave_, "printed", 7), 7);
  std::string at_client;
  PumpUntil([&] { return (at_client += ReadSome(stdout_[0])).size() >= 7; });
  EXPECT_EQ(at_client, "printed");
}

TEST_F(TtyRelayTest, SizesSentBeforeTheTerminalArrivedAreAppliedOnArrival) {
  ASSERT_EQ(write(resize_[1], "80 24\n120 40\n", 13), 13);
  relay_->Pump(10);
  HandOver();
  winsize ws{};
  ASSERT_EQ(ioctl(slave_, TIOCGWINSZ, &ws), 0);
  EXPECT_EQ(ws.ws_col, 120);
  EXPECT_EQ(ws.ws_row, 40);
  ASSERT_EQ(write(resize_[1], "100 30\n", 7), 7);
  PumpUntil([&] { return ioctl(slave_, TIOCGWINSZ, &ws) == 0 && ws.ws_col == 100; });
  EXPECT_EQ(ws.ws_col, 100);
  EXPECT_EQ(ws.ws_row, 30);
}

TEST_F(TtyRelayTest, DrainCopiesWhatTheCommandLeftBehindAfterItClosedTheTerminal) {
  HandOver();
  ASSERT_EQ(write(slave_, "last words", 10), 10);
  close(slave_);
  slave_ = -1;
  relay_->Drain(100, 5000);
  std::string at_client = ReadSome(stdout_[0]);
  EXPECT_EQ(at_client, "last words");
}

TEST(TakeLastTerminalSizeTest, KeepsTheLastCompleteLineAndCarriesAPartialOne) {
  struct Case {
    const char* in;
    bool found;
    uint16_t columns, rows;
    const char* carry;
  };
  const Case cases[] = {
      {"80 24\n", true, 80, 24, ""},     {"80 24\n132 50\n", true, 132, 50, ""},
      {"80 24\n13", true, 80, 24, "13"}, {"13", false, 0, 0, "13"},
      {"junk\n", false, 0, 0, ""},       {"70000 24\n", false, 0, 0, ""},
      {"1 2 3\n", false, 0, 0, ""},
  };
  for (const Case& c : cases) {
    std::string carry = c.in;
    uint16_t columns = 0, rows = 0;
    EXPECT_EQ(TakeLastTerminalSize(&carry, &columns, &rows), c.found) << c.in;
    EXPECT_EQ(columns, c.columns) << c.in;
    EXPECT_EQ(rows, c.rows) << c.in;
    EXPECT_EQ(carry, c.carry) << c.in;
  }
}

}  // namespace
}  // namespace capstan::plugins::runc_runtime
