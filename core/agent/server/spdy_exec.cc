// SPDY exec sessions (spdy_exec.h). Every stream, pipe and timer operation runs on the taken
// connection's strand; only the runtime's blocking `on_exec` runs on a thread of its own,
// which posts its result back.
#include "core/agent/server/spdy_exec.h"

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "core/agent/server/spdy_session.h"
#include "core/common/log.h"

namespace capstan::agent::server {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using Descriptor = asio::posix::stream_descriptor;
using nlohmann::json;

constexpr char kLog[] = "agent-exec";
// Output may keep flowing this long after the command exited (a background child can hold
// the pipe open forever).
constexpr std::chrono::milliseconds kDrainAfterExit{2000};
// How long the client gets to open every stream it announced (the kubelet waits as long).
constexpr std::chrono::seconds kStreamWait{30};

bool QueryBool(const apiserver::HttpRequest& r, const char* name) {
  std::optional<std::string_view> v = r.query.Get(name);
  return v && (*v == "true" || *v == "1" || *v == "True" || *v == "TRUE" || *v == "t");
}

struct Spec {
  std::vector<std::string> cmd;
  bool in = false, out = false, err = false, tty = false;
  std::string protocol;
};

class SpdyExec : public std::enable_shared_from_this<SpdyExec> {
 public:
  SpdyExec(std::shared_ptr<SpdySession> session, asio::any_io_executor ex, ExecSessionParams params,
           Spec spec)
      : session_(std::move(session)),
        ex_(std::move(ex)),
        params_(std::move(params)),
        spec_(std::move(spec)),
        wait_timer_(ex_),
        drain_timer_(ex_),
        cancel_(std::make_shared<plugin::CancelToken>()) {}

  ~SpdyExec() {
    for (int fd : child_fds_) {
      if (fd >= 0) close(fd);
    }
    if (pty_master_ >= 0) close(pty_master_);
  }

  void Start() {
    auto self = shared_from_this();
    SpdySession::Callbacks cb;
    cb.on_stream = [self](uint32_t id, const SpdyHeaders& h, bool) { self->OnStream(id, h); };
    cb.on_data = [self](uint32_t id, std::string d, bool fin) {
      self->OnData(id, std::move(d), fin);
    };
    cb.on_reset = [self](uint32_t id) {
      if (id == self->Id("stdin")) self->OnData(id, "", true);
    };
    cb.on_end = [self] { self->OnClientGone(); };
    session_->Start(std::move(cb));
    wait_timer_.expires_after(kStreamWait);
    wait_timer_.async_wait([self](const error_code& ec) {
      if (!ec && !self->started_) {
        self->Finish(UnavailableError("timed out waiting for the client to open its streams"));
      }
    });
  }

 private:
  bool V4() const { return spec_.protocol == "v4.channel.k8s.io"; }

  // The id of the client's stream of `type`; 0 when it has not been opened.
  uint32_t Id(const std::string& type) const {
    auto it = ids_.find(type);
    return it == ids_.end() ? 0 : it->second;
  }

  void OnStream(uint32_t id, const SpdyHeaders& headers) {
    session_->Reply(id);
    std::string type = SpdyHeader(headers, "streamtype");
    if (type == "error" || type == "stdin" || type == "stdout" || type == "stderr" ||
        type == "resize") {
      ids_[type] = id;
    }
    bool resize_wanted =
        spec_.tty && spec_.protocol != "v2.channel.k8s.io" && spec_.protocol != "channel.k8s.io";
    bool all = ids_.count("error") != 0 && (!spec_.in || ids_.count("stdin") != 0) &&
               (!spec_.out || ids_.count("stdout") != 0) &&
               (!spec_.err || ids_.count("stderr") != 0) &&
               (!resize_wanted || ids_.count("resize") != 0);
    if (all && !started_) {
      started_ = true;
      wait_timer_.cancel();
      if (Status s = StartCommand(); !s.ok()) Finish(s);
    }
  }

  Status StartCommand() {
    ExecCall call;
    call.container_id = params_.target.container_id;
    call.cmd = spec_.cmd;
    call.tty = spec_.tty;
    call.cancel = cancel_.get();
    int fds[2];
    if (spec_.tty) {
      int master = -1, slave = -1;
      if (openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
        return InternalError("allocating a terminal failed");
      }
      fcntl(master, F_SETFD, FD_CLOEXEC);
      fcntl(slave, F_SETFD, FD_CLOEXEC);
      pty_master_ = master;
      child_fds_[0] = slave;
      call.stdout_fd = call.stderr_fd = slave;
      if (spec_.in) call.stdin_fd = slave;
      out_[0] = std::make_unique<Descriptor>(ex_, fcntl(master, F_DUPFD_CLOEXEC, 0));
      if (spec_.in) stdin_ = std::make_unique<Descriptor>(ex_, fcntl(master, F_DUPFD_CLOEXEC, 0));
    } else {
      if (spec_.in) {
        if (pipe2(fds, O_CLOEXEC) != 0) return InternalError("creating a pipe failed");
        child_fds_[0] = call.stdin_fd = fds[0];
        stdin_ = std::make_unique<Descriptor>(ex_, fds[1]);
      }
      bool wanted[2] = {spec_.out, spec_.err};
      for (int i = 0; i < 2; ++i) {
        if (!wanted[i]) continue;
        if (pipe2(fds, O_CLOEXEC) != 0) return InternalError("creating a pipe failed");
        child_fds_[1 + i] = fds[1];
        (i == 0 ? call.stdout_fd : call.stderr_fd) = fds[1];
        out_[i] = std::make_unique<Descriptor>(ex_, fds[0]);
      }
    }
    outputs_open_ = (out_[0] ? 1 : 0) + (out_[1] ? 1 : 0);
    if (!params_.registry->Add(cancel_)) return UnavailableError("the node agent is stopping");
    std::array<int, 3> child = child_fds_;  // the thread closes them after the call
    child_fds_ = {-1, -1, -1};
    std::thread([self = shared_from_this(), call, child]() mutable {
      Result<int32_t> result = self->params_.exec(call);
      for (int fd : child) {
        if (fd >= 0) close(fd);
      }
      std::shared_ptr<ExecRegistry> registry = self->params_.registry;
      std::shared_ptr<plugin::CancelToken> token = self->cancel_;
      asio::any_io_executor ex = self->ex_;
      asio::post(ex, [s = std::move(self), result = std::move(result)]() mutable {
        s->OnExited(std::move(result));
      });
      registry->Remove(token);
    }).detach();
    for (int i = 0; i < 2; ++i) {
      if (out_[i]) ReadOutput(i);
    }
    WriteStdin();
    return Status::Ok();
  }

  void ReadOutput(int i) {
    out_[i]->async_read_some(
        asio::buffer(out_buf_[i]), [self = shared_from_this(), i](error_code ec, size_t n) {
          if (ec || self->finished_) {  // EOF, or EIO on a pty whose other side closed
            if (self->out_[i]) {
              self->out_[i].reset();
              --self->outputs_open_;
            }
            return self->MaybeFinish();
          }
          uint32_t id = self->Id(i == 0 ? "stdout" : "stderr");
          self->session_->Data(id, std::string(self->out_buf_[i].data(), n), false, [self, i] {
            if (self->out_[i]) self->ReadOutput(i);
          });
        });
  }

  void OnData(uint32_t id, std::string data, bool fin) {
    if (id == Id("stdin") && id != 0) {
      if (!data.empty()) stdin_queue_.push_back(std::move(data));
      if (fin) stdin_eof_ = true;
      WriteStdin();
    } else if (id == Id("resize") && id != 0 && pty_master_ >= 0) {
      resize_carry_ += data;
      size_t nl;
      while ((nl = resize_carry_.find('\n')) != std::string::npos) {
        json size = json::parse(resize_carry_.substr(0, nl), nullptr, false);
        resize_carry_.erase(0, nl + 1);
        if (size.is_object() && size["Width"].is_number_unsigned() &&
            size["Height"].is_number_unsigned()) {
          winsize ws{};
          ws.ws_col = static_cast<unsigned short>(size.value("Width", 0));
          ws.ws_row = static_cast<unsigned short>(size.value("Height", 0));
          ioctl(pty_master_, TIOCSWINSZ, &ws);
        }
      }
    }
  }

  void WriteStdin() {
    if (stdin_writing_ || !stdin_) return;
    if (stdin_queue_.empty()) {
      if (stdin_eof_ && !spec_.tty) stdin_.reset();  // EOF for the command
      return;
    }
    stdin_writing_ = true;
    asio::async_write(*stdin_, asio::buffer(stdin_queue_.front()),
                      [self = shared_from_this()](error_code ec, size_t) {
                        self->stdin_writing_ = false;
                        self->stdin_queue_.pop_front();
                        if (ec) {  // the command closed its stdin
                          self->stdin_.reset();
                          self->stdin_queue_.clear();
                          return;
                        }
                        self->WriteStdin();
                      });
  }

  void OnExited(Result<int32_t> result) {
    exited_ = true;
    exit_ = std::move(result);
    if (!exit_.ok()) log::Warn(kLog, exit_.status().message());
    if (outputs_open_ > 0) {
      drain_timer_.expires_after(kDrainAfterExit);
      drain_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (ec) return;
        for (auto& o : self->out_) o.reset();
        self->outputs_open_ = 0;
        self->MaybeFinish();
      });
    }
    MaybeFinish();
  }

  void MaybeFinish() {
    if (!exited_ || outputs_open_ > 0) return;
    if (!exit_.ok()) return Finish(exit_.status());
    if (*exit_ == 0) return Finish(Status::Ok());
    Finish(Status::Ok(), *exit_);
  }

  // FIN on the output streams, the status on the error stream, then GOAWAY.
  void Finish(const Status& s, int32_t exit_code = 0) {
    if (finished_) return;
    finished_ = true;
    wait_timer_.cancel();
    drain_timer_.cancel();
    for (const char* name : {"stdout", "stderr"}) {
      if (Id(name) != 0) session_->Data(Id(name), "", true);
    }
    std::string text;
    if (exit_code != 0) {
      text = V4() ? ExitStatusJson(exit_code)
                  : "command terminated with non-zero exit code: exit status " +
                        std::to_string(exit_code);
    } else if (!s.ok()) {
      text = V4() ? json{{"metadata", json::object()},
                         {"status", "Failure"},
                         {"message", s.message()},
                         {"reason", StatusCodeReason(s.code())},
                         {"code", HttpStatus(s.code())}}
                        .dump(-1, ' ', false, json::error_handler_t::replace)
                  : s.message();
    } else if (V4()) {
      text = ExitStatusJson(0);
    }
    if (Id("error") != 0) session_->Data(Id("error"), text, true);
    session_->GoAway();
  }

  void OnClientGone() {
    cancel_->Cancel();
    stdin_.reset();
    for (auto& o : out_) o.reset();
    outputs_open_ = 0;
    wait_timer_.cancel();
    drain_timer_.cancel();
  }

  std::shared_ptr<SpdySession> session_;
  asio::any_io_executor ex_;
  ExecSessionParams params_;
  Spec spec_;
  asio::steady_timer wait_timer_;   // the client opening its streams
  asio::steady_timer drain_timer_;  // output after the command exited
  std::shared_ptr<plugin::CancelToken> cancel_;
  std::map<std::string, uint32_t> ids_;  // stream id by streamtype
  std::unique_ptr<Descriptor> stdin_;
  std::unique_ptr<Descriptor> out_[2];
  std::array<char, 32 << 10> out_buf_[2];
  std::array<int, 3> child_fds_ = {-1, -1, -1};
  int pty_master_ = -1;
  int outputs_open_ = 0;
  std::deque<std::string> stdin_queue_;
  std::string resize_carry_;
  bool stdin_writing_ = false;
  bool stdin_eof_ = false;
  bool started_ = false;
  bool exited_ = false;
  bool finished_ = false;
  Result<int32_t> exit_ = 0;
};

}  // namespace

Status StartSpdyExecSession(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                            ExecSessionParams params) {
  const apiserver::HttpRequest& r = exchange->request();
  Spec spec;
  spec.protocol = ChooseStreamProtocol(
      r, {"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"});
  if (spec.protocol.empty()) {
    return BadRequestError(
        "no supported X-Stream-Protocol-Version offered; use v4.channel.k8s.io, "
        "v3.channel.k8s.io, v2.channel.k8s.io or channel.k8s.io");
  }
  if (params.attach) {
    return BadRequestError(
        "attach over SPDY is not supported by this node (use kubectl 1.30 or newer, which "
        "attaches over WebSocket)");
  }
  for (std::string_view c : r.query.GetAll("command")) spec.cmd.emplace_back(c);
  spec.in = QueryBool(r, "stdin");
  spec.out = QueryBool(r, "stdout");
  spec.err = QueryBool(r, "stderr");
  spec.tty = QueryBool(r, "tty");
  if (spec.tty) spec.err = false;  // a terminal carries both streams on stdout
  if (!spec.in && !spec.out && !spec.err) {
    return BadRequestError("you must specify at least 1 of stdin, stdout, stderr");
  }
  if (spec.cmd.empty()) {
    return BadRequestError("you must specify at least one command for the container");
  }
  const ContainerTarget& t = params.target;
  if (!t.running || t.container_id.empty()) {
    return BadRequestError("container \"" + t.container + "\" in pod \"" + t.pod +
                           "\" is not running");
  }
  if (!params.exec) return UnimplementedError("this node's runtime does not support exec");
  std::string protocol = spec.protocol;
  return AcceptSpdyUpgrade(
      exchange, protocol,
      [params = std::move(params), spec = std::move(spec)](std::unique_ptr<SpdyTransport> transport,
                                                           std::string initial) mutable {
        if (transport == nullptr) return;
        asio::any_io_executor ex = transport->executor();
        auto session = std::make_shared<SpdySession>(std::move(transport), std::move(initial));
        std::make_shared<SpdyExec>(std::move(session), std::move(ex), std::move(params),
                                   std::move(spec))
            ->Start();
      });
}

}  // namespace capstan::agent::server
