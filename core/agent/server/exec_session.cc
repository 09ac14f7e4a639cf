// Exec and attach WebSocket sessions (exec_session.h). Every WebSocket, pipe and timer
// operation runs on the taken connection's strand; only the runtime's blocking `on_exec` runs
// on a thread of its own, which hands its result back to the strand.
#include "core/agent/server/exec_session.h"

#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/agent/server/attach_log.h"
#include "core/agent/server/exec_io.h"
#include "core/apiserver/http_upgrade.h"
#include "core/common/log.h"

namespace capstan::agent::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using nlohmann::json;
using Descriptor = asio::posix::stream_descriptor;

constexpr char kLog[] = "agent-exec";
constexpr uint8_t kStdin = 0, kStdout = 1, kStderr = 2, kError = 3, kResize = 4, kClose = 255;
// How long output may keep flowing after the command exited (a background child can hold the
// pipe open forever).
constexpr std::chrono::milliseconds kDrainAfterExit{2000};

// The subprotocol to answer with, or "" when none we speak was offered.
std::string ChooseProtocol(const apiserver::HttpRequest& r) {
  bool v5 = false, v4 = false;
  for (std::string_view h : r.headers.GetAll("sec-websocket-protocol")) {
    v5 |= apiserver::HeaderHasToken(h, "v5.channel.k8s.io");
    v4 |= apiserver::HeaderHasToken(h, "v4.channel.k8s.io");
  }
  return v5 ? "v5.channel.k8s.io" : v4 ? "v4.channel.k8s.io" : "";
}

std::string ErrorStatusJsonFor(const Status& s) {
  return json{{"metadata", json::object()},
              {"status", "Failure"},
              {"message", s.message()},
              {"reason", StatusCodeReason(s.code())},
              {"code", HttpStatus(s.code())}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

struct Spec : ExecRequest {
  std::string protocol;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::unique_ptr<apiserver::TlsStream> stream, ExecSessionParams params, Spec spec)
      : ws_(std::move(*stream)),
        params_(std::move(params)),
        spec_(std::move(spec)),
        start_timer_(ws_.get_executor()),
        timer_(ws_.get_executor()),
        cancel_(std::make_shared<plugin::CancelToken>()) {}

  ~Session() {
    if (resize_fd_ >= 0) close(resize_fd_);
  }

  void Run(const apiserver::HttpRequest& request) {
    ws_.set_option(websocket::stream_base::decorator(
        [protocol = spec_.protocol](websocket::response_type& res) {
          res.set(beast::http::field::sec_websocket_protocol, protocol);
        }));
    ws_.set_option(websocket::stream_base::timeout{std::chrono::seconds(10),
                                                   websocket::stream_base::none(), true});
    ws_.binary(true);
    // Attach starts at the log's current end, fixed before the 101 so the client knows that
    // everything written after its handshake reaches it.
    if (params_.attach) attach_status_ = attach_log_.Open(params_.target.log_dir);
    ws_.async_accept(apiserver::UpgradeRequest(request),
                     [self = shared_from_this()](beast::error_code ec) {
                       if (ec) return;
                       self->OnAccepted();
                     });
  }

 private:
  void OnAccepted() {
    if (params_.attach) {
      if (!attach_status_.ok()) return Finish(ErrorStatusJsonFor(attach_status_));
      if (Status s = StartAttachStdin(); !s.ok()) return Finish(ErrorStatusJsonFor(s));
    } else if (Status s = StartCommand(); !s.ok()) {
      return Finish(ErrorStatusJsonFor(s));
    }
    ReadClient();
    start_timer_.expires_after(params_.first_frame_delay);
    start_timer_.async_wait([self = shared_from_this()](const beast::error_code& ec) {
      if (ec || self->finishing_) return;
      if (self->params_.attach) return self->PollAttach();
      for (int i = 0; i < 2; ++i) {
        if (self->out_[i]) self->ReadOutput(i);
      }
    });
  }

  // Pipes for the command (and its terminal sizes), then the runtime call on its own thread.
  Status StartCommand() {
    auto ex = ws_.get_executor();
    Result<StartedExec> started = StartExecCommand(
        spec_, params_, cancel_, ex,
        [self = shared_from_this()](Result<int32_t> r) { self->OnExited(std::move(r)); });
    if (!started.ok()) return started.status();
    resize_fd_ = started->resize_fd;
    stdin_ = started->stdin;
    for (int i = 0; i < 2; ++i) {
      if (started->out_fd[i] >= 0) out_[i] = std::make_unique<Descriptor>(ex, started->out_fd[i]);
    }
    outputs_open_ = (out_[0] ? 1 : 0) + (out_[1] ? 1 : 0);
    return Status::Ok();
  }

  // attach: stdin (and terminal sizes) to the runtime, for a container that keeps stdin open;
  // without `stdin: true` in its spec the client's input is dropped, as containerd does.
  Status StartAttachStdin() {
    if (!spec_.in || !params_.target.stdin) return Status::Ok();
    Result<StartedExec> started =
        StartAttachInput(spec_.tty && params_.target.tty, params_, cancel_, ws_.get_executor(),
                         [self = shared_from_this()](const Result<int32_t>& r) {
                           self->OnAttachStdinEnded(r.status());
                         });
    if (!started.ok()) return started.status();
    resize_fd_ = started->resize_fd;
    stdin_ = started->stdin;
    return Status::Ok();
  }

  void OnAttachStdinEnded(const Status& s) {
    if (finishing_ || client_gone_) return;
    CloseStdin();
    if (!s.ok()) {  // e.g. a runtime without attach: the output goes on
      log::Warn(kLog, "attach stdin: " + s.message());
      return;
    }
    if (AttachOutputOutlivesStdin(params_.target, spec_.tty)) return;  // until the container ends
    // The session ends with its stdin; the log's new lines go out first.
    attach_log_.Poll([this](bool is_stderr, std::string text) { SendLog(is_stderr, text); });
    Finish(ExitStatusJson(0));
  }

  void SendLog(bool is_stderr, std::string& text) {
    Send(is_stderr && !spec_.tty ? kStderr : kStdout, std::move(text));
  }

  void ReadOutput(int i) {
    out_[i]->async_read_some(
        asio::buffer(out_buf_[i]), [self = shared_from_this(), i](beast::error_code ec, size_t n) {
          if (n > 0)
            self->Send(i == 0 ? kStdout : kStderr, std::string(self->out_buf_[i].data(), n));
          if (ec) {  // EOF, or EIO on a pty whose other side closed
            if (self->out_[i]) {
              self->out_[i].reset();
              --self->outputs_open_;
            }
            return self->MaybeFinish();
          }
          self->ReadOutput(i);
        });
  }

  void ReadClient() {
    ws_.async_read(in_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->OnClientGone();
      std::string msg = beast::buffers_to_string(self->in_.data());
      self->in_.consume(self->in_.size());
      self->OnClientMessage(std::move(msg));
      self->ReadClient();
    });
  }

  void OnClientMessage(std::string msg) {
    if (msg.empty()) return;
    auto channel = static_cast<uint8_t>(msg[0]);
    msg.erase(0, 1);
    if (channel == kStdin && stdin_ && !stdin_eof_) {
      stdin_->Push(std::move(msg));
    } else if (channel == kResize) {
      ResizeTerminal(resize_fd_, msg);
    } else if (channel == kClose && spec_.protocol[1] == '5' && !msg.empty() &&
               static_cast<uint8_t>(msg[0]) == kStdin) {
      stdin_eof_ = true;
      // EOF for the command; a terminal's user ends it with its own keys, an attach's input ends
      // the attach.
      if (stdin_ && (!spec_.tty || params_.attach)) stdin_->End();
    }
  }

  void Send(uint8_t channel, std::string data) {
    if (client_gone_) return;
    data.insert(data.begin(), static_cast<char>(channel));
    send_queue_.push_back(std::move(data));
    Flush();
  }

  void Flush() {
    if (sending_ || client_gone_) return;
    if (send_queue_.empty()) {
      if (finishing_ && !closing_) {
        closing_ = true;
        ws_.async_close(websocket::close_code::normal,
                        [self = shared_from_this()](beast::error_code) { self->Shutdown(); });
      }
      return;
    }
    sending_ = true;
    ws_.async_write(asio::buffer(send_queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->sending_ = false;
                      self->send_queue_.pop_front();
                      if (ec) return self->OnClientGone();
                      self->Flush();
                    });
  }

  void OnExited(Result<int32_t> result) {
    exited_ = true;
    exit_status_ = result.ok() ? ExitStatusJson(*result) : ErrorStatusJsonFor(result.status());
    if (!result.ok()) log::Warn(kLog, result.status().message());
    if (outputs_open_ > 0) {
      timer_.expires_after(kDrainAfterExit);
      timer_.async_wait([self = shared_from_this()](const beast::error_code& ec) {
        if (ec) return;
        for (auto& o : self->out_) o.reset();
        self->outputs_open_ = 0;
        self->MaybeFinish();
      });
    }
    MaybeFinish();
  }

  void MaybeFinish() {
    if (exited_ && outputs_open_ == 0) Finish(exit_status_);
  }

  // Sends the final status on channel 3, then closes with 1000 once everything is written.
  void Finish(std::string status_json) {
    if (finishing_) return;
    finishing_ = true;
    start_timer_.cancel();
    timer_.cancel();
    if (client_gone_) return Shutdown();
    Send(kError, std::move(status_json));
    Flush();
  }

  void OnClientGone() {
    if (client_gone_) return;
    client_gone_ = true;
    cancel_->Cancel();
    CloseStdin();  // EOF for a command reading stdin
    if (!exited_) {
      for (auto& o : out_) o.reset();
      outputs_open_ = 0;
    }
    if (finishing_ || params_.attach) Shutdown();
  }

  void Shutdown() {
    if (params_.attach) cancel_->Cancel();  // the runtime's attach, if it still runs
    start_timer_.cancel();
    timer_.cancel();
    for (auto& o : out_) o.reset();
    CloseStdin();
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

  void CloseStdin() {
    if (stdin_) stdin_->Close();
    stdin_.reset();
  }

  // attach: follows the current log from its end, on channels 1 and 2.
  void PollAttach() {
    if (finishing_ || client_gone_) return;
    bool done = ContainerRunEnded(params_.get_pod, params_.target, attach_log_.attempt());
    bool grew =
        attach_log_.Poll([this](bool is_stderr, std::string text) { SendLog(is_stderr, text); });
    if (done && !grew) return Finish(ExitStatusJson(0));
    timer_.expires_after(params_.poll);
    timer_.async_wait([self = shared_from_this()](const beast::error_code& ec) {
      if (!ec) self->PollAttach();
    });
  }

  websocket::stream<apiserver::TlsStream> ws_;
  ExecSessionParams params_;
  Spec spec_;
  asio::steady_timer start_timer_;  // the pause before the first output frame
  asio::steady_timer timer_;        // output drain after exit; attach polls
  std::shared_ptr<plugin::CancelToken> cancel_;
  beast::flat_buffer in_;
  std::shared_ptr<StdinWriter> stdin_;
  std::unique_ptr<Descriptor> out_[2];
  std::array<char, 32 << 10> out_buf_[2];
  int resize_fd_ = -1;  // writes terminal sizes to the runtime
  int outputs_open_ = 0;
  bool stdin_eof_ = false;
  std::deque<std::string> send_queue_;
  bool sending_ = false;
  bool exited_ = false;
  std::string exit_status_;
  bool finishing_ = false;
  bool closing_ = false;
  bool client_gone_ = false;
  Status attach_status_ = Status::Ok();
  AttachLog attach_log_;
};

}  // namespace

std::string ExitStatusJson(int32_t exit_code) {
  if (exit_code == 0) return R"({"metadata":{},"status":"Success"})";
  std::string code = std::to_string(exit_code);
  return json{{"metadata", json::object()},
              {"status", "Failure"},
              {"message",
               "command terminated with non-zero exit code: error executing command "
               "in container: exit status " +
                   code},
              {"reason", "NonZeroExitCode"},
              {"details", {{"causes", json::array({{{"reason", "ExitCode"}, {"message", code}}})}}}}
      .dump();
}

bool ExecRegistry::Add(const std::shared_ptr<plugin::CancelToken>& token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return false;
  active_.insert(token);
  return true;
}

void ExecRegistry::Remove(const std::shared_ptr<plugin::CancelToken>& token) {
  std::lock_guard<std::mutex> lock(mu_);
  active_.erase(token);
  cv_.notify_all();
}

void ExecRegistry::CancelAllAndWait(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  stopping_ = true;
  for (const auto& t : active_) t->Cancel();
  cv_.wait_for(lock, timeout, [this] { return active_.empty(); });
}

Status StartExecSession(const std::shared_ptr<apiserver::HttpExchange>& exchange,
                        ExecSessionParams params) {
  const apiserver::HttpRequest& r = exchange->request();
  if (!websocket::is_upgrade(apiserver::UpgradeRequest(r))) {
    return BadRequestError("exec and attach need a WebSocket upgrade (v5.channel.k8s.io)");
  }
  Spec spec;
  spec.protocol = ChooseProtocol(r);
  if (spec.protocol.empty()) {
    return BadRequestError(
        "no supported subprotocol offered; use v5.channel.k8s.io or "
        "v4.channel.k8s.io");
  }
  Result<ExecRequest> parsed = ParseExecRequest(r, params.target);
  if (!parsed.ok()) return parsed.status();
  static_cast<ExecRequest&>(spec) = std::move(*parsed);
  const ContainerTarget& t = params.target;
  if (params.attach) {
    if (spec.in && !params.attach_stdin) {
      return BadRequestError("attaching to the stdin of container \"" + t.container +
                             "\" is not supported by this node's runtime; attach without -i, "
                             "or use exec");
    }
  } else {
    if (spec.cmd.empty()) {
      return BadRequestError("you must specify at least one command for the container");
    }
    if (!params.exec) return UnimplementedError("this node's runtime does not support exec");
  }
  apiserver::HttpRequest request = r;
  bool taken =
      exchange->TakeOverSocket([request = std::move(request), params = std::move(params),
                                spec = std::move(spec)](apiserver::TakenSocket socket) mutable {
        if (!socket.stream) return;
        auto session =
            std::make_shared<Session>(std::move(socket.stream), std::move(params), std::move(spec));
        session->Run(request);
      });
  if (!taken) return InternalError("the response was already started");
  return Status::Ok();
}

}  // namespace capstan::agent::server
