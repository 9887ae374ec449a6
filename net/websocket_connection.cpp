#include "net/websocket_connection.hpp"

#include "actors/client_limits.hpp"
#include "actors/session.hpp"
#include "net/http_responses.hpp"
#include "net/stream_request.hpp"
#include "ops/log.hpp"
#include "schema/stream_events.hpp"

#include <algorithm>

namespace evstream::net {

namespace {

constexpr std::string_view ping_text = "ping";

std::string describe_end(const error_code& ec, const websocket::close_reason& reason) {
  if (ec == websocket::error::closed)
    return "closed with " + std::to_string(reason.code)
           + (reason.reason.empty() ? std::string{} : " (" + std::string{reason.reason.c_str()} + ")");
  if (ec == beast::error::timeout) return "timed out";
  return ec.message();
}

} // namespace

websocket_connection::websocket_connection(tcp_or_tls_stream&& stream, credentials_ptr credentials,
                                           server_context_ptr context, asio::ip::address client)
    : context_(std::move(context)), credentials_(std::move(credentials)), client_(std::move(client)),
      ws_(std::move(stream)) {
  const auto& settings = context_->settings;
  // The session actor owns the keep-alive rule, so Beast's idle timer is off;
  // its handshake timer stays and also bounds the closing handshake.
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = settings.handshake_timeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, server_name()); }));
  // Our own limit applies per chunk read, with a reason in the close frame.
  ws_.read_message_max(0);
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping && !closing_) note_ping();
    if (kind == websocket::frame_type::close) {
      // Beast answers and then waits for the client to drop TCP: the
      // subscriber is gone now, and the socket goes at the deadline.
      report_closed(close_cause::client, "closed by the client");
      arm_close_deadline();
    }
  });
}

websocket_connection::~websocket_connection() = default;

void websocket_connection::start(http::request<http::string_body> upgrade_request, subscription wanted) {
  wanted_ = std::move(wanted);
  ws_.next_layer().set_owner(weak_from_this());
  registration_ =
      context_->connections.add(shared_from_this(), connection_registry::kind::websocket, client_);
  ws_.async_accept(upgrade_request,
                   beast::bind_front_handler(&websocket_connection::on_accept, shared_from_this()));
}

void websocket_connection::on_accept(error_code ec) {
  if (ec) return; // Beast answered the failed handshake; nothing was subscribed
  open_ = context_->metrics->connection_opened(ops::connection_kind::websocket);
  context_->metrics->http_requests("stream", 101).increment();
  accepted_ = true;
  opened_at_ = std::chrono::steady_clock::now();
  ws_.next_layer().count_written(context_->metrics->sent_bytes);
  error_code ignored;
  remote_ = endpoint_text(beast::get_lowest_layer(ws_).socket().remote_endpoint(ignored));
  stream_ = wanted_.stream;
  // No query string: what a client put there is not ours to log.
  ops::log(ops::log_level::info, "ws_open",
           {{"remote", remote_},
            {"stream", name_of(stream_)},
            {"filtered", !wanted_.filter.empty()},
            {"resume", wanted_.resume_after.has_value()}});
  auto settings = session_settings_for(context_->settings, std::move(wanted_));
  // A resuming client may reach back past the window, into the stream (--jetstream).
  if (settings.wanted.resume_after) settings.history = context_->stream_history;
  session_ = context_->system->spawn(evstream::session, context_->dispatcher,
                                     transport_ptr{shared_from_this()}, std::move(settings));
  do_read();
}

void websocket_connection::do_read() {
  ws_.async_read_some(asio::buffer(read_chunk_),
                      beast::bind_front_handler(&websocket_connection::on_read, shared_from_this()));
}

void websocket_connection::on_read(error_code ec, std::size_t bytes) {
  if (ec)
    return report_closed(ec == websocket::error::closed ? close_cause::client : close_cause::connection_lost,
                         describe_end(ec, ws_.reason()));
  // Only a message's first bytes matter: whether it is "ping".
  if (inbound_message_bytes_ < message_start_.size())
    std::copy_n(read_chunk_.begin(), std::min(bytes, message_start_.size() - inbound_message_bytes_),
                message_start_.begin() + static_cast<std::ptrdiff_t>(inbound_message_bytes_));
  inbound_message_bytes_ += bytes;
  auto too_big = check_message_size(inbound_message_bytes_, context_->settings.max_inbound_message_bytes);
  if (too_big && !closing_) {
    ws_.next_layer().drop_unsent_shared();
    begin_close(too_big->code, std::move(too_big->reason), too_big->cause);
  }
  if (ws_.is_message_done()) {
    bool is_ping = ws_.got_text() && inbound_message_bytes_ == ping_text.size()
                   && std::string_view{message_start_.data(), message_start_.size()} == ping_text;
    if (is_ping && !closing_) {
      note_ping();
      if (answering_pings_)
        send_pong();
      else
        ++pongs_owed_;
    }
    inbound_message_bytes_ = 0;
  }
  do_read();
}

void websocket_connection::send_events(event_batch batch) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), batch = std::move(batch)]() mutable {
    auto frames = batch.frames();
    auto owner = batch.chosen_frames ? std::shared_ptr<const void>{std::move(batch.chosen_frames)}
                                     : std::shared_ptr<const void>{std::move(batch.block)};
    if (self->enqueue(std::move(owner), frames))
      self->context_->metrics->events_queued.increment(static_cast<double>(batch.size()));
  });
}

void websocket_connection::subscribed() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    self->answering_pings_ = true;
    for (; self->pongs_owed_ > 0 && !self->closing_; --self->pongs_owed_)
      self->send_pong();
  });
}

void websocket_connection::send_pong() {
  // One frame for every pong: nothing is allocated per ping.
  static const auto pong = [] {
    auto framed = std::make_shared<schema::encoded_events>();
    framed->append("pong");
    return framed;
  }();
  enqueue(pong, pong->frames());
}

void websocket_connection::note_ping() {
  last_ping_ticks_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                         std::memory_order_relaxed);
}

std::optional<caf::actor_clock::time_point> websocket_connection::last_ping() const {
  auto ticks = last_ping_ticks_.load(std::memory_order_relaxed);
  if (ticks == 0) return std::nullopt;
  return caf::actor_clock::time_point{caf::actor_clock::time_point::duration{ticks}};
}

void websocket_connection::close(close_code code, std::string reason, close_cause cause) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason),
                                  cause]() mutable { self->begin_close(code, std::move(reason), cause); });
}

void websocket_connection::notify_when_drained() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    self->ws_.next_layer().when_drained([weak = self->weak_from_this()] {
      if (auto me = weak.lock(); me && me->session_) caf::anon_send(me->session_, transport_drained{});
    });
  });
}

void websocket_connection::force_close() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    self->record_end({close_cause::shutdown, {}, "cut at shutdown"});
    error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
}

// Returns whether `frames` were queued: not once the connection is closing.
bool websocket_connection::enqueue(std::shared_ptr<const void> owner, std::string_view frames) {
  auto& output = ws_.next_layer();
  if (closing_ || !output.enqueue_shared(std::move(owner), asio::buffer(frames.data(), frames.size())))
    return false;
  if (auto slow = check_send_budget(output.shared_bytes_queued(), context_->settings.send_budget_bytes)) {
    // Never let one slow reader grow memory or hold up the others.
    close_as_slow(std::move(*slow));
    return false;
  }
  watch_send_progress();
  return true;
}

void websocket_connection::close_as_slow(client_close slow) {
  ws_.next_layer().drop_unsent_shared();
  ++context_->slow_consumers_closed;
  begin_close(slow.code, std::move(slow.reason), slow.cause);
}

void websocket_connection::watch_send_progress() {
  if (send_deadline_armed_ || closing_) return; // on every enqueue: the cheap checks first
  auto since = ws_.next_layer().stalled_since();
  if (!since) return;
  if (!send_deadline_) send_deadline_ = std::make_unique<asio::steady_timer>(ws_.get_executor());
  send_deadline_->expires_at(*since + context_->settings.send_timeout);
  send_deadline_armed_ = true;
  send_deadline_->async_wait([weak = weak_from_this()](error_code ec) {
    if (auto self = weak.lock()) self->on_send_deadline(ec);
  });
}

void websocket_connection::on_send_deadline(error_code ec) {
  send_deadline_armed_ = false;
  auto since = ws_.next_layer().stalled_since();
  if (ec || closing_ || !since) return;
  auto stalled =
      check_send_progress(std::chrono::steady_clock::now() - *since, context_->settings.send_timeout);
  if (!stalled) return watch_send_progress(); // it took bytes meanwhile: wait from then
  // A reader that pings but never reads stays under any byte budget.
  close_as_slow(std::move(*stalled));
}

void websocket_connection::begin_close(close_code code, std::string reason, close_cause cause) {
  if (closing_) return;
  closing_ = true;
  record_end({cause, static_cast<std::uint16_t>(code), reason});
  // The close frame queues behind what is already queued; the pending read
  // then ends and reports the end of the connection.
  ws_.async_close(websocket::close_reason{static_cast<websocket::close_code>(code), reason},
                  [self = shared_from_this()](error_code) {});
  arm_close_deadline();
}

void websocket_connection::arm_close_deadline() {
  if (close_deadline_) return;
  // Beast bounds the closing handshake but not the wait for the client's TCP
  // close that follows it; a client that never closes is cut here.
  close_deadline_ = std::make_unique<asio::steady_timer>(ws_.get_executor());
  close_deadline_->expires_after(context_->settings.handshake_timeout);
  close_deadline_->async_wait([weak = weak_from_this()](error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
}

void websocket_connection::record_end(ending end) {
  if (!accepted_ || end_) return;
  context_->metrics->websocket_closes(name_of(end.cause)).increment();
  end_ = std::move(end);
}

void websocket_connection::report_closed(close_cause cause, const std::string& reason) {
  ending seen{cause, {}, reason};
  if (auto& frame = ws_.reason(); cause == close_cause::client && frame.code != websocket::close_code::none) {
    seen.code = static_cast<std::uint16_t>(frame.code);
    if (!frame.reason.empty()) seen.detail = frame.reason.c_str();
  }
  record_end(std::move(seen)); // unless the server closed first
  if (!session_) return;       // reported already
  log_end();
  caf::anon_send(session_, connection_closed{reason});
  session_ = nullptr;
  closing_ = true;
  ws_.next_layer().drop_unsent_shared();
}

void websocket_connection::log_end() {
  boost::json::object fields{
      {"remote", remote_}, {"stream", name_of(stream_)}, {"reason", name_of(end_->cause)}};
  if (end_->code) fields.emplace("code", *end_->code);
  fields.emplace("detail", end_->detail);
  auto open_for = std::chrono::steady_clock::now() - opened_at_;
  fields.emplace("open_ms", std::chrono::duration_cast<std::chrono::milliseconds>(open_for).count());
  ops::log(ops::log_level::info, "ws_close", std::move(fields));
}

} // namespace evstream::net
