// SpdySession (spdy_session.h). kubectl's spdystream does no flow control of its own, so
// WINDOW_UPDATE and SETTINGS from it are accepted and ignored and none are sent.
#include "core/agent/server/spdy_session.h"

#include <utility>

#include "core/common/log.h"

namespace capstan::agent::server {
namespace {
constexpr char kLog[] = "agent-spdy";
}  // namespace

SpdySession::SpdySession(std::unique_ptr<SpdyTransport> transport, std::string initial)
    : transport_(std::move(transport)), initial_(std::move(initial)) {}

SpdySession::~SpdySession() = default;

void SpdySession::Start(Callbacks callbacks) {
  callbacks_ = std::move(callbacks);
  std::string initial = std::move(initial_);
  if (!initial.empty()) OnBytes(initial);
  ReadMore();
}

void SpdySession::ReadMore() {
  if (ended_) return;
  transport_->Read([self = shared_from_this()](bool ok, const std::string& bytes) {
    if (!ok) return self->End();
    self->OnBytes(bytes);
    self->ReadMore();
  });
}

void SpdySession::OnBytes(const std::string& bytes) {
  decoder_.Append(bytes);
  while (!ended_) {
    Result<std::optional<SpdyFrame>> frame = decoder_.Next();
    if (!frame.ok()) {
      log::Warn(kLog, "closing a SPDY connection: " + frame.status().message());
      Send(SpdyGoAwayFrame(last_client_stream_, kSpdyGoAwayProtocolError), nullptr);
      closing_ = true;
      Flush();
      return End();
    }
    if (!frame->has_value()) return;
    OnFrame(std::move(**frame));
  }
}

void SpdySession::OnFrame(SpdyFrame f) {
  switch (f.type) {
    case SpdyFrameType::kSynStream:
      last_client_stream_ = f.stream_id;
      if (callbacks_.on_stream) callbacks_.on_stream(f.stream_id, f.headers, f.fin());
      break;
    case SpdyFrameType::kData:
      if (callbacks_.on_data) callbacks_.on_data(f.stream_id, std::move(f.data), f.fin());
      break;
    case SpdyFrameType::kRstStream:
      if (callbacks_.on_reset) callbacks_.on_reset(f.stream_id);
      break;
    case SpdyFrameType::kPing:
      // Odd ids are the client's pings (ours would be even): echo them.
      if ((f.value & 1) != 0) Send(SpdyPingFrame(f.value), nullptr);
      break;
    case SpdyFrameType::kGoAway:
      End();
      break;
    default:  // SYN_REPLY (we open no streams), HEADERS, SETTINGS, WINDOW_UPDATE, unknown
      break;
  }
}

void SpdySession::Reply(uint32_t id) { Send(SpdySynReplyFrame(id), nullptr); }

void SpdySession::Data(uint32_t id, std::string data, bool fin, std::function<void()> written) {
  Send(SpdyDataFrame(id, std::move(data), fin), std::move(written));
}

void SpdySession::Reset(uint32_t id, uint32_t status) {
  Send(SpdyRstStreamFrame(id, status), nullptr);
}

void SpdySession::GoAway() {
  if (ended_ || closing_) return;
  Send(SpdyGoAwayFrame(last_client_stream_, kSpdyGoAwayOk), nullptr);
  closing_ = true;
  Flush();
}

void SpdySession::Close() {
  transport_->Close();
  End();
}

void SpdySession::Send(const SpdyFrame& frame, std::function<void()> written) {
  if (ended_ || closing_) {
    if (written) written();
    return;
  }
  Result<std::string> bytes = encoder_.Encode(frame);
  if (!bytes.ok()) {
    log::Warn(kLog, "dropping a frame: " + bytes.status().message());
    if (written) written();
    return;
  }
  queue_.push_back({std::move(*bytes), std::move(written)});
  Flush();
}

void SpdySession::Flush() {
  if (writing_) return;
  if (queue_.empty()) {
    if (closing_) Close();
    return;
  }
  writing_ = true;
  std::string bytes = std::move(queue_.front().bytes);
  transport_->Write(std::move(bytes), [self = shared_from_this()](bool ok) {
    self->writing_ = false;
    std::function<void()> written = std::move(self->queue_.front().written);
    self->queue_.pop_front();
    if (written) written();
    if (!ok) return self->Close();
    self->Flush();
  });
}

void SpdySession::End() {
  if (ended_) return;
  if (!closing_ || queue_.empty()) transport_->Close();
  ended_ = true;
  Callbacks callbacks = std::move(callbacks_);
  callbacks_ = {};
  for (Pending& p : queue_) {
    if (p.written) {
      std::function<void()> w = std::move(p.written);
      p.written = nullptr;
      w();
    }
  }
  if (callbacks.on_end) callbacks.on_end();
}

}  // namespace capstan::agent::server
