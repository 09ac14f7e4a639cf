// OpenExecFds, LaunchExec, ResizeTerminal and StdinWriter (exec_io.h).
#include "core/agent/server/exec_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

namespace capstan::agent::server {
namespace {

bool QueryBool(const apiserver::HttpRequest& r, const char* name) {
  std::optional<std::string_view> v = r.query.Get(name);
  return v && (*v == "true" || *v == "1" || *v == "True" || *v == "TRUE" || *v == "t");
}

}  // namespace

Result<ExecRequest> ParseExecRequest(const apiserver::HttpRequest& r, const ContainerTarget& t) {
  ExecRequest e;
  for (std::string_view c : r.query.GetAll("command")) e.cmd.emplace_back(c);
  e.in = QueryBool(r, "stdin");
  e.out = QueryBool(r, "stdout");
  e.err = QueryBool(r, "stderr");
  e.tty = QueryBool(r, "tty");
  if (e.tty) e.err = false;  // a terminal carries both streams on stdout
  if (!e.in && !e.out && !e.err) {
    return BadRequestError("you must specify at least 1 of stdin, stdout, stderr");
  }
  if (!t.running || t.container_id.empty()) {
    return BadRequestError("container \"" + t.container + "\" in pod \"" + t.pod +
                           "\" is not running");
  }
  return e;
}

Result<ExecFds> OpenExecFds(bool in, bool out, bool err, bool tty) {
  ExecFds f;
  f.call.tty = tty;
  auto fail = [&f](const char* what) {
    for (int fd : f.child) {
      if (fd >= 0) close(fd);
    }
    for (int fd : {f.resize_fd, f.stdin_fd, f.out_fd[0], f.out_fd[1]}) {
      if (fd >= 0) close(fd);
    }
    return InternalError(what);
  };
  int fds[2];
  if (tty) {
    err = false;  // the terminal carries both streams on stdout
    // Non-blocking on the session's side: a resize must never stall the session's strand.
    if (pipe2(fds, O_CLOEXEC) != 0) return fail("creating a pipe failed");
    f.child[3] = f.call.resize_fd = fds[0];
    f.resize_fd = fds[1];
    fcntl(f.resize_fd, F_SETFL, fcntl(f.resize_fd, F_GETFL) | O_NONBLOCK);
  }
  if (in) {
    if (pipe2(fds, O_CLOEXEC) != 0) return fail("creating a pipe failed");
    f.child[0] = f.call.stdin_fd = fds[0];
    f.stdin_fd = fds[1];
  }
  bool wanted[2] = {out, err};
  for (int i = 0; i < 2; ++i) {
    if (!wanted[i]) continue;
    if (pipe2(fds, O_CLOEXEC) != 0) return fail("creating a pipe failed");
    f.child[1 + i] = fds[1];
    (i == 0 ? f.call.stdout_fd : f.call.stderr_fd) = fds[1];
    f.out_fd[i] = fds[0];
  }
  return f;
}

Status LaunchExec(const ExecFunction& exec, ExecCall call, std::array<int, 4> child,
                  const std::shared_ptr<ExecRegistry>& registry,
                  const std::shared_ptr<plugin::CancelToken>& token,
                  std::function<void(Result<int32_t>)> done) {
  if (!registry->Add(token)) return UnavailableError("the node agent is stopping");
  call.cancel = token.get();
  std::thread([exec, call = std::move(call), child, registry, token, done = std::move(done)] {
    Result<int32_t> result = exec(call);
    for (int fd : child) {
      if (fd >= 0) close(fd);
    }
    done(std::move(result));
    registry->Remove(token);
  }).detach();
  return Status::Ok();
}

namespace {

// Pipes for `request`'s streams, then `fn` on its own thread (LaunchExec).
Result<StartedExec> StartCall(const ExecFunction& fn, const ExecRequest& request,
                              const ExecSessionParams& params,
                              const std::shared_ptr<plugin::CancelToken>& token,
                              const boost::asio::any_io_executor& ex,
                              std::function<void(Result<int32_t>)> on_exit) {
  Result<ExecFds> fds = OpenExecFds(request.in, request.out, request.err, request.tty);
  if (!fds.ok()) return fds.status();
  ExecCall call = fds->call;
  call.container_id = params.target.container_id;
  call.cmd = request.cmd;
  Status launched = LaunchExec(
      fn, std::move(call), fds->child, params.registry, token,
      [ex, on_exit = std::move(on_exit)](Result<int32_t> r) {
        boost::asio::post(ex, [on_exit, r = std::move(r)]() mutable { on_exit(std::move(r)); });
      });
  if (!launched.ok()) {
    for (int fd : fds->child) {
      if (fd >= 0) close(fd);
    }
    for (int fd : {fds->resize_fd, fds->stdin_fd, fds->out_fd[0], fds->out_fd[1]}) {
      if (fd >= 0) close(fd);
    }
    return launched;
  }
  StartedExec s;
  if (fds->stdin_fd >= 0) s.stdin = std::make_shared<StdinWriter>(ex, fds->stdin_fd);
  s.out_fd = fds->out_fd;
  s.resize_fd = fds->resize_fd;
  return s;
}

}  // namespace

Result<StartedExec> StartExecCommand(const ExecRequest& request, const ExecSessionParams& params,
                                     const std::shared_ptr<plugin::CancelToken>& token,
                                     const boost::asio::any_io_executor& ex,
                                     std::function<void(Result<int32_t>)> on_exit) {
  return StartCall(params.exec, request, params, token, ex, std::move(on_exit));
}

Result<StartedExec> StartAttachInput(bool tty, const ExecSessionParams& params,
                                     const std::shared_ptr<plugin::CancelToken>& token,
                                     const boost::asio::any_io_executor& ex,
                                     std::function<void(Result<int32_t>)> on_end) {
  ExecRequest input;
  input.in = true;
  input.tty = tty;
  return StartCall(params.attach_stdin, input, params, token, ex, std::move(on_end));
}

bool AttachOutputOutlivesStdin(const ContainerTarget& target, bool tty) {
  return target.stdin_once && !tty;
}

void ResizeTerminal(int resize_fd, std::string_view size_json) {
  nlohmann::json size = nlohmann::json::parse(size_json, nullptr, false);
  if (resize_fd < 0 || !size.is_object() || !size["Width"].is_number_unsigned() ||
      !size["Height"].is_number_unsigned() || size["Width"].get<uint64_t>() > 0xffff ||
      size["Height"].get<uint64_t>() > 0xffff) {
    return;
  }
  std::string line = std::to_string(size["Width"].get<uint64_t>()) + " " +
                     std::to_string(size["Height"].get<uint64_t>()) + "\n";
  // One short write is atomic on a pipe (PIPE_BUF): the runtime never sees half a line.
  ssize_t n = write(resize_fd, line.data(), line.size());
  (void)n;
}

void StdinWriter::Push(std::string data) {
  if (!fd_.is_open() || ending_) return;
  queue_.push_back(std::move(data));
  Pump();
}

void StdinWriter::End() {
  ending_ = true;
  Pump();
}

void StdinWriter::Close() {
  queue_.clear();
  boost::system::error_code ec;
  fd_.close(ec);
}

void StdinWriter::Pump() {
  if (writing_ || !fd_.is_open()) return;
  if (queue_.empty()) {
    if (ending_) Close();
    return;
  }
  writing_ = true;
  boost::asio::async_write(fd_, boost::asio::buffer(queue_.front()),
                           [self = shared_from_this()](boost::system::error_code ec, size_t) {
                             self->writing_ = false;
                             if (!self->queue_.empty()) self->queue_.pop_front();
                             if (ec) return self->Close();  // the command closed its stdin
                             self->Pump();
                           });
}

}  // namespace capstan::agent::server
