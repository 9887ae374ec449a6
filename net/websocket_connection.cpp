#include "net/websocket_connection.hpp"

#include "actors/session.hpp"

#include <algorithm>

namespace evstream::net {

namespace {

// Reads take at most this much at a time: client messages are tiny pings, and
// nothing of a larger message is kept once it cannot be "ping".
constexpr std::size_t read_chunk_bytes = 512;
constexpr std::string_view ping_text = "ping";

std::string describe_bytes(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string describe_end(const error_code& ec, const websocket::close_reason& reason) {
  if (ec == websocket::error::closed)
    return "closed with " + std::to_string(reason.code)
           + (reason.reason.empty() ? std::string{} : " (" + std::string{reason.reason.c_str()} + ")");
  if (ec == beast::error::timeout) return "timed out";
  return ec.message();
}

} // namespace

websocket_connection::websocket_connection(beast::tcp_stream&& stream, server_context_ptr context)
    : ws_(std::move(stream)), context_(std::move(context)) {
  const auto& settings = context_->settings;
  // The session actor owns the keep-alive rule, so Beast's idle timer is off;
  // its handshake timer stays and also bounds the closing handshake.
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = settings.handshake_timeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "evstream"); }));
  // Our own limit applies per chunk read, with a reason in the close frame.
  ws_.read_message_max(0);
  ws_.text(true);
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping && session_ && !closing_)
      caf::anon_send(session_, client_ping{false});
  });
}

websocket_connection::~websocket_connection() { context_->connections.remove(this); }

void websocket_connection::start(http::request<http::string_body> upgrade_request) {
  context_->connections.add(shared_from_this(), connection_registry::kind::websocket);
  ws_.async_accept(upgrade_request,
                   beast::bind_front_handler(&websocket_connection::on_accept, shared_from_this()));
}

void websocket_connection::on_accept(error_code ec) {
  if (ec) return; // Beast answered the failed handshake; nothing was subscribed
  const auto& settings = context_->settings;
  session_ = context_->system->spawn(session, context_->dispatcher, transport_ptr{shared_from_this()},
                                     settings.keepalive_timeout);
  do_read();
}

void websocket_connection::do_read() {
  ws_.async_read_some(inbound_, read_chunk_bytes,
                      beast::bind_front_handler(&websocket_connection::on_read, shared_from_this()));
}

void websocket_connection::on_read(error_code ec, std::size_t bytes) {
  if (ec) return report_closed(describe_end(ec, ws_.reason()));
  inbound_message_bytes_ += bytes;
  const auto limit = context_->settings.max_inbound_message_bytes;
  if (inbound_message_bytes_ > limit && !closing_) {
    drop_unsent();
    begin_close(close_code::message_too_big, "message too big: over " + describe_bytes(limit));
  }
  if (ws_.is_message_done()) {
    bool is_ping = ws_.got_text() && inbound_message_bytes_ == ping_text.size()
                   && beast::buffers_to_string(inbound_.data()) == ping_text;
    if (is_ping && !closing_) caf::anon_send(session_, client_ping{true});
    inbound_.clear();
    inbound_message_bytes_ = 0;
  } else if (inbound_message_bytes_ > ping_text.size()) {
    inbound_.clear(); // other messages are ignored: keep none of it
  }
  do_read();
}

void websocket_connection::send_events(encoded_block_ptr block) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), block = std::move(block)]() mutable {
    auto bytes = block->valid_tx.total_bytes();
    if (block->valid_tx.size() > 0) self->enqueue(outgoing{std::move(block), 0, {}}, bytes);
  });
}

void websocket_connection::send_text(std::string text) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
    auto bytes = text.size();
    self->enqueue(outgoing{nullptr, 0, std::move(text)}, bytes);
  });
}

void websocket_connection::close(close_code code, std::string reason) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
    self->begin_close(code, std::move(reason));
  });
}

void websocket_connection::force_close() {
  asio::post(ws_.get_executor(), [self = shared_from_this()] {
    error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
}

void websocket_connection::enqueue(outgoing item, std::size_t bytes) {
  if (closing_) return;
  queued_bytes_ += bytes;
  queue_.push_back(std::move(item));
  const auto budget = context_->settings.send_budget_bytes;
  if (queued_bytes_ > budget) {
    // Never let one slow reader grow memory or hold up the others.
    drop_unsent();
    begin_close(close_code::policy_violation, "slow consumer: over " + describe_bytes(budget) + " unsent");
    return;
  }
  do_write();
}

void websocket_connection::do_write() {
  if (writing_) return;
  if (queue_.empty()) {
    if (close_after_queue_) {
      auto reason = std::move(*close_after_queue_);
      close_after_queue_.reset();
      ws_.async_close(reason, beast::bind_front_handler(&websocket_connection::on_close, shared_from_this()));
    }
    return;
  }
  auto& front = queue_.front();
  std::string_view payload = front.block ? front.block->valid_tx[front.next_event] : front.text;
  writing_ = true;
  ws_.async_write(asio::buffer(payload.data(), payload.size()),
                  beast::bind_front_handler(&websocket_connection::on_write, shared_from_this()));
}

void websocket_connection::on_write(error_code ec, std::size_t bytes) {
  writing_ = false;
  if (ec) {
    // The read side sees the same failure and reports the end.
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    return;
  }
  queued_bytes_ -= std::min(queued_bytes_, bytes);
  if (queue_.empty()) return; // the connection ended while this write was in flight
  auto& front = queue_.front();
  if (!front.block || ++front.next_event == front.block->valid_tx.size()) queue_.pop_front();
  do_write();
}

void websocket_connection::begin_close(close_code code, std::string reason) {
  if (closing_) return;
  closing_ = true;
  close_after_queue_ = websocket::close_reason{static_cast<websocket::close_code>(code), reason};
  do_write();
}

void websocket_connection::on_close(error_code) {
  // Nothing to do: the pending read ends too and reports the end.
}

void websocket_connection::drop_unsent() {
  // The message being written must stay: Beast is still reading its buffer.
  auto keep = writing_ ? std::min<std::size_t>(queue_.size(), 1) : 0;
  queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(keep), queue_.end());
  queued_bytes_ = 0;
}

void websocket_connection::report_closed(const std::string& reason) {
  if (session_) caf::anon_send(session_, connection_closed{reason});
  session_ = nullptr;
  closing_ = true;
  drop_unsent();
}

} // namespace evstream::net
