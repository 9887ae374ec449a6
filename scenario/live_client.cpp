#include "scenario/live_client.hpp"

namespace evstream::scenario {

namespace {

// A small receive buffer, so that a client that stops reading holds little in
// its kernel and the server's send budget is reached after a predictable
// amount of data.
constexpr int receive_buffer_bytes = 64 * 1024;
constexpr auto handshake_timeout = std::chrono::seconds(10);

} // namespace

live_client::live_client(net::asio::io_context& io) : ws_(io) {}

void live_client::start(const net::tcp::endpoint& server, const std::string& host,
                        const std::string& target) {
  auto& tcp = ws_.next_layer();
  tcp.socket().open(server.protocol());
  tcp.socket().set_option(net::asio::socket_base::receive_buffer_size(receive_buffer_bytes));
  tcp.expires_after(handshake_timeout);
  tcp.async_connect(server, [this, host, target](net::error_code ec) {
    if (ec) return on_handshake(ec);
    // The scenario alone decides when this client pings: no idle pings from Beast.
    net::websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = handshake_timeout;
    timeouts.idle_timeout = net::websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_.next_layer().expires_never();
    ws_.set_option(timeouts);
    ws_.async_handshake(handshake_response_, host, target, [this](net::error_code e) { on_handshake(e); });
  });
}

void live_client::on_handshake(net::error_code ec) {
  handshake_result_ = ec;
  if (ec) return;
  awaiting_subscription_pong_ = true;
  send("ping");
  do_read();
}

void live_client::send(const std::string& text) {
  if (record_.ended) return;
  // A write the server no longer takes (it closed) shows in the record as the end.
  net::error_code ignored;
  ws_.text(true);
  ws_.write(net::asio::buffer(text), ignored);
}

void live_client::resume_reading() {
  reading_ = true;
  for (auto& message : held_)
    record_.add_message(std::move(message));
  held_.clear();
  if (!read_pending_ && !record_.ended) do_read();
}

void live_client::cut() {
  cut_ = true;
  net::error_code ignored;
  ws_.next_layer().socket().close(ignored);
  if (!record_.ended) {
    record_.ended = client_end{0, "disconnected by the client"};
    ended_at_ = std::chrono::steady_clock::now();
  }
}

void live_client::do_read() {
  read_pending_ = true;
  ws_.async_read(inbound_, [this](net::error_code ec, std::size_t bytes) { on_read(ec, bytes); });
}

void live_client::on_read(net::error_code ec, std::size_t) {
  read_pending_ = false;
  if (cut_) return;
  if (ec) {
    if (ec == net::websocket::error::closed)
      record_.ended = client_end{ws_.reason().code, std::string{ws_.reason().reason.c_str()}};
    else
      record_.ended = client_end{0, ec.message()};
    ended_at_ = std::chrono::steady_clock::now();
    return;
  }
  auto message = net::beast::buffers_to_string(inbound_.data());
  inbound_.consume(inbound_.size());
  if (awaiting_subscription_pong_ && message == "pong") {
    awaiting_subscription_pong_ = false;
    return do_read();
  }
  if (!reading_) return held_.push_back(std::move(message));
  record_.add_message(std::move(message));
  do_read();
}

} // namespace evstream::scenario
