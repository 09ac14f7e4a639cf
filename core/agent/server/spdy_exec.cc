// SPDY exec sessions (spdy_exec.h). Every stream, pipe and timer operation runs on the taken
// connection's strand; only the runtime's blocking `on_exec` runs on a thread of its own,
// which posts its result back.
#include "core/agent/server/spdy_exec.h"

#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/agent/server/attach_log.h"
#include "core/agent/server/container_target.h"
#include "core/agent/server/exec_io.h"
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

struct Spec : ExecRequest {
  std::string protocol;
};

class SpdyExec : public std::enable_shared_from_this<SpdyExec> {
 public:
  // `attach_log` (attach only) was opened before the upgrade.
  SpdyExec(std::shared_ptr<SpdySession> session, asio::any_io_executor ex, ExecSessionParams params,
           Spec spec, std::shared_ptr<AttachLog> attach_log)
      : session_(std::move(session)),
        ex_(std::move(ex)),
        params_(std::move(params)),
        spec_(std::move(spec)),
        attach_log_(std::move(attach_log)),
        wait_timer_(ex_),
        drain_timer_(ex_),
        cancel_(std::make_shared<plugin::CancelToken>()) {}

  ~SpdyExec() {
    if (resize_fd_ >= 0) close(resize_fd_);
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
      if (params_.attach) {
        if (Status s = StartAttachStdin(); !s.ok()) return Finish(s);
        return PollAttach();
      }
      if (Status s = StartCommand(); !s.ok()) Finish(s);
    }
  }

  // attach: the container's log from where it ended at the upgrade, until the container ends.
  void PollAttach() {
    if (finished_ || cancel_->cancelled()) return;
    bool done = ContainerRunEnded(params_.get_pod, params_.target, attach_log_->attempt());
    bool grew =
        attach_log_->Poll([this](bool is_stderr, std::string text) { SendLog(is_stderr, text); });
    if (done && !grew) return Finish(Status::Ok());
    drain_timer_.expires_after(params_.poll);
    drain_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec) self->PollAttach();
    });
  }

  // attach: stdin (and terminal sizes) to the runtime for a container that keeps stdin open;
  // without `stdin: true` in its spec the client's input is dropped, as containerd does.
  Status StartAttachStdin() {
    if (!spec_.in || !params_.target.stdin) return Status::Ok();
    Result<StartedExec> started =
        StartAttachInput(spec_.tty && params_.target.tty, params_, cancel_, ex_,
                         [self = shared_from_this()](const Result<int32_t>& r) {
                           self->OnAttachStdinEnded(r.status());
                         });
    if (!started.ok()) return started.status();
    resize_fd_ = started->resize_fd;
    stdin_ = started->stdin;
    for (std::string& data : early_stdin_) stdin_->Push(std::move(data));
    early_stdin_.clear();
    if (stdin_eof_) EndStdin();
    return Status::Ok();
  }

  void OnAttachStdinEnded(const Status& s) {
    if (finished_ || cancel_->cancelled()) return;
    if (stdin_) stdin_->Close();
    stdin_.reset();
    if (!s.ok()) {  // e.g. a runtime without attach: the output goes on
      log::Warn(kLog, "attach stdin: " + s.message());
      return;
    }
    if (AttachOutputOutlivesStdin(params_.target, spec_.tty)) return;  // until the container ends
    // The session ends with its stdin; the log's new lines go out first.
    attach_log_->Poll([this](bool is_stderr, std::string text) { SendLog(is_stderr, text); });
    Finish(Status::Ok());
  }

  void SendLog(bool is_stderr, std::string& text) {
    uint32_t id = Id(is_stderr && Id("stderr") != 0 ? "stderr" : "stdout");
    if (id != 0) session_->Data(id, std::move(text), false);
  }

  Status StartCommand() {
    Result<StartedExec> started = StartExecCommand(
        spec_, params_, cancel_, ex_,
        [self = shared_from_this()](Result<int32_t> r) { self->OnExited(std::move(r)); });
    if (!started.ok()) return started.status();
    resize_fd_ = started->resize_fd;
    stdin_ = started->stdin;
    for (int i = 0; i < 2; ++i) {
      if (started->out_fd[i] >= 0) out_[i] = std::make_unique<Descriptor>(ex_, started->out_fd[i]);
    }
    outputs_open_ = (out_[0] ? 1 : 0) + (out_[1] ? 1 : 0);
    for (int i = 0; i < 2; ++i) {
      if (out_[i]) ReadOutput(i);
    }
    for (std::string& data : early_stdin_) stdin_->Push(std::move(data));
    early_stdin_.clear();
    if (stdin_eof_) EndStdin();
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
    if (id == Id("stdin") && id != 0 && !stdin_eof_) {
      // Stdin may arrive before the last stream opens, while the command is not started.
      if (!data.empty()) {
        if (stdin_) {
          stdin_->Push(std::move(data));
        } else if (!started_) {
          early_stdin_.push_back(std::move(data));
        }
      }
      if (fin) {
        stdin_eof_ = true;
        if (stdin_) EndStdin();
      }
    } else if (id == Id("resize") && id != 0) {
      // The client's JSON encoder ends every size with a newline.
      resize_carry_ += data;
      size_t nl;
      while ((nl = resize_carry_.find('\n')) != std::string::npos) {
        ResizeTerminal(resize_fd_, std::string_view(resize_carry_).substr(0, nl));
        resize_carry_.erase(0, nl + 1);
      }
    }
  }

  void EndStdin() {
    // EOF for the command; a terminal's user ends it with its own keys, an attach's input ends
    // the attach.
    if (!spec_.tty || params_.attach) stdin_->End();
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
    if (params_.attach) cancel_->Cancel();  // the runtime's attach, if it still runs
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
    if (stdin_) stdin_->Close();
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
  std::shared_ptr<AttachLog> attach_log_;
  asio::steady_timer wait_timer_;   // the client opening its streams
  asio::steady_timer drain_timer_;  // output after the command exited; attach polls
  std::shared_ptr<plugin::CancelToken> cancel_;
  std::map<std::string, uint32_t> ids_;  // stream id by streamtype
  std::shared_ptr<StdinWriter> stdin_;
  std::vector<std::string> early_stdin_;  // before the command started
  std::unique_ptr<Descriptor> out_[2];
  std::array<char, 32 << 10> out_buf_[2];
  int resize_fd_ = -1;
  int outputs_open_ = 0;
  std::string resize_carry_;
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
  Result<ExecRequest> parsed = ParseExecRequest(r, params.target);
  if (!parsed.ok()) return parsed.status();
  static_cast<ExecRequest&>(spec) = std::move(*parsed);
  std::shared_ptr<AttachLog> attach_log;
  if (params.attach) {
    if (spec.in && !params.attach_stdin) {
      return BadRequestError("attaching to the stdin of container \"" + params.target.container +
                             "\" is not supported by this node's runtime; attach without -i, "
                             "or use exec");
    }
    // Fixed before the 101, so everything written after the client's handshake reaches it.
    attach_log = std::make_shared<AttachLog>();
    CAPSTAN_RETURN_IF_ERROR(attach_log->Open(params.target.log_dir));
  } else {
    if (spec.cmd.empty()) {
      return BadRequestError("you must specify at least one command for the container");
    }
    if (!params.exec) return UnimplementedError("this node's runtime does not support exec");
  }
  std::string protocol = spec.protocol;
  return AcceptSpdyUpgrade(
      exchange, protocol,
      [params = std::move(params), spec = std::move(spec), attach_log = std::move(attach_log)](
          std::unique_ptr<SpdyTransport> transport, std::string initial) mutable {
        if (transport == nullptr) return;
        asio::any_io_executor ex = transport->executor();
        auto session = std::make_shared<SpdySession>(std::move(transport), std::move(initial));
        std::make_shared<SpdyExec>(std::move(session), std::move(ex), std::move(params),
                                   std::move(spec), std::move(attach_log))
            ->Start();
      });
}

}  // namespace capstan::agent::server
