// A small synchronous Beast client for tests over real sockets on 127.0.0.1.
// Every read has a deadline (SO_RCVTIMEO), so a missing answer fails the test
// instead of hanging it.
#pragma once

#include "net/beast.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <string>

namespace evstream::testing {

namespace net = evstream::net;

inline void set_read_deadline(net::tcp::socket& socket, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// A receive buffer size of 0 leaves the kernel's default.
inline net::tcp::socket connect_to(net::asio::io_context& io, std::uint16_t port, int receive_buffer = 0) {
  net::tcp::socket socket{io};
  socket.open(net::tcp::v4());
  if (receive_buffer > 0) socket.set_option(net::asio::socket_base::receive_buffer_size(receive_buffer));
  socket.connect({net::asio::ip::make_address("127.0.0.1"), port});
  set_read_deadline(socket, std::chrono::seconds(10));
  return socket;
}

using http_response = net::http::response<net::http::string_body>;

inline http_response http_request(std::uint16_t port, net::http::verb method, const std::string& target,
                                  std::string body = {}, std::string authorization = {}) {
  net::asio::io_context io;
  auto socket = connect_to(io, port);
  net::http::request<net::http::string_body> req{method, target, 11};
  req.set(net::http::field::host, "127.0.0.1:" + std::to_string(port));
  if (!authorization.empty()) req.set(net::http::field::authorization, authorization);
  req.body() = std::move(body);
  req.prepare_payload();
  // A refused body may be cut off by the server; its answer still counts.
  net::error_code write_error;
  net::http::write(socket, req, write_error);
  net::beast::flat_buffer buffer;
  http_response res;
  if (method == net::http::verb::head) {
    net::http::response_parser<net::http::string_body> parser;
    parser.skip(true);
    net::http::read(socket, buffer, parser);
    return parser.release();
  }
  net::http::read(socket, buffer, res);
  return res;
}

// A subscriber to one stream.
class ws_client {
public:
  ws_client(std::uint16_t port, const std::string& target = "/api/v1/streams/valid_tx",
            int receive_buffer = 0)
      : ws_(connect_to(io_, port, receive_buffer)) {
    ws_.handshake("127.0.0.1:" + std::to_string(port), target);
  }

  void send(const std::string& text) { ws_.write(net::asio::buffer(text)); }

  // The next message, or throws (timeout, close) — the close reason is then in reason().
  std::string receive() {
    buffer_.clear();
    ws_.read(buffer_);
    return net::beast::buffers_to_string(buffer_.data());
  }

  // Pings with "ping" and waits for "pong": once it arrives, the session is
  // subscribed, and every later block reaches this client.
  void ping_and_wait_for_pong() {
    send("ping");
    if (receive() != "pong") throw std::runtime_error("expected pong");
  }

  // Reads until the server closes; returns the code of the server's close
  // frame (0 if none came). Answering the close may fail when the server has
  // already cut the socket; the server's frame was still received.
  int wait_for_close() {
    try {
      for (;;)
        receive();
    } catch (const boost::system::system_error& error) {
      last_error_ = error.code().message();
    }
    return ws_.reason().code;
  }

  // How the last wait_for_close ended.
  const std::string& last_error() const { return last_error_; }
  std::string close_reason() const { return std::string{ws_.reason().reason.c_str()}; }
  net::websocket::stream<net::tcp::socket>& stream() { return ws_; }

private:
  net::asio::io_context io_;
  net::websocket::stream<net::tcp::socket> ws_;
  net::beast::flat_buffer buffer_;
  std::string last_error_;
};

} // namespace evstream::testing
