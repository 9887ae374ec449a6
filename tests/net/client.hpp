// Small synchronous-looking clients for tests over real sockets on 127.0.0.1:
// a Beast WebSocket subscriber, one-shot HTTP requests, and a raw TCP client
// for bytes no well-behaved client sends. Every wait has a deadline, so a
// missing answer fails the test instead of hanging it.
//
// Waits run Asio's asynchronous operations under io_context::run_for rather
// than relying on SO_RCVTIMEO: Asio's synchronous reads treat the timeout's
// EAGAIN as "not ready yet" and poll again without a limit.
#pragma once

#include "net/beast.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace evstream::testing {

namespace net = evstream::net;
using namespace std::chrono_literals;

// How long any single wait of a test client may take.
inline constexpr std::chrono::milliseconds default_deadline = 10s;

// Starts one asynchronous operation with `start(handler)` and runs `io` until
// it completes or `timeout` passes; then `cancel()` (closing the socket) ends
// it. Returns the operation's error, or timed_out.
template <class Start, class Cancel>
net::error_code run_with_deadline(net::asio::io_context& io, std::chrono::milliseconds timeout, Start start,
                                  Cancel cancel) {
  std::optional<net::error_code> result;
  start([&result](net::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run_for(timeout);
  if (result) return *result;
  cancel();
  io.restart();
  io.run();
  return net::asio::error::timed_out;
}

// A receive buffer size of 0 leaves the kernel's default.
inline net::tcp::socket connect_to(net::asio::io_context& io, std::uint16_t port, int receive_buffer = 0) {
  net::tcp::socket socket{io};
  socket.open(net::tcp::v4());
  if (receive_buffer > 0) socket.set_option(net::asio::socket_base::receive_buffer_size(receive_buffer));
  socket.connect({net::asio::ip::make_address("127.0.0.1"), port});
  return socket;
}

using http_response = net::http::response<net::http::string_body>;

// Header fields a request carries besides the usual ones; an empty value
// removes a field.
using header_fields = std::vector<std::pair<std::string, std::string>>;

// A POST carries Content-Type: application/json, as a feeder's does.
inline http_response http_request(std::uint16_t port, net::http::verb method, const std::string& target,
                                  std::string body = {}, std::string authorization = {},
                                  const header_fields& headers = {}) {
  net::asio::io_context io;
  auto socket = connect_to(io, port);
  net::http::request<net::http::string_body> req{method, target, 11};
  req.set(net::http::field::host, "127.0.0.1:" + std::to_string(port));
  if (method == net::http::verb::post) req.set(net::http::field::content_type, "application/json");
  if (!authorization.empty()) req.set(net::http::field::authorization, authorization);
  for (const auto& [name, value] : headers) {
    if (value.empty())
      req.erase(name);
    else
      req.set(name, value);
  }
  req.body() = std::move(body);
  req.prepare_payload();
  auto cut = [&socket] {
    net::error_code ignored;
    socket.close(ignored);
  };
  // A refused body may be cut off by the server; its answer still counts.
  run_with_deadline(
      io, default_deadline, [&](auto done) { net::http::async_write(socket, req, done); }, cut);
  net::beast::flat_buffer buffer;
  net::http::response_parser<net::http::string_body> parser;
  parser.body_limit(64u << 20);
  parser.skip(method == net::http::verb::head);
  auto ec = run_with_deadline(
      io, default_deadline, [&](auto done) { net::http::async_read(socket, buffer, parser, done); }, cut);
  if (ec) throw boost::system::system_error(ec, "reading the HTTP response");
  return parser.release();
}

// A subscriber to one stream.
class ws_client {
public:
  ws_client(std::uint16_t port, const std::string& target = "/api/v1/streams/valid_tx",
            int receive_buffer = 0)
      : ws_(connect_to(io_, port, receive_buffer)) {
    const std::string host = "127.0.0.1:" + std::to_string(port);
    auto ec = run_with_deadline(
        io_, default_deadline,
        [&](auto done) { ws_.async_handshake(handshake_response_, host, target, done); }, [this] { cut(); });
    if (ec) throw boost::system::system_error(ec, "WebSocket handshake");
  }

  void send(const std::string& text) { ws_.write(net::asio::buffer(text)); }

  // The next message, or throws (timeout, close) — the close reason is then in reason().
  std::string receive(std::chrono::milliseconds within = default_deadline) {
    buffer_.clear();
    auto ec = run_with_deadline(
        io_, within, [&](auto done) { ws_.async_read(buffer_, done); }, [this] { cut(); });
    if (ec) throw boost::system::system_error(ec);
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
  int wait_for_close(std::chrono::milliseconds within = default_deadline) {
    auto deadline = std::chrono::steady_clock::now() + within;
    try {
      for (;;)
        receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline
                                                                      - std::chrono::steady_clock::now()));
    } catch (const boost::system::system_error& error) {
      last_error_ = error.code().message();
    }
    return ws_.reason().code;
  }

  // How the last wait_for_close ended.
  const std::string& last_error() const { return last_error_; }
  std::string close_reason() const { return std::string{ws_.reason().reason.c_str()}; }
  net::websocket::stream<net::tcp::socket>& stream() { return ws_; }
  const net::websocket::response_type& handshake_response() const { return handshake_response_; }

private:
  void cut() {
    net::error_code ignored;
    ws_.next_layer().close(ignored);
  }

  net::asio::io_context io_;
  net::websocket::stream<net::tcp::socket> ws_;
  net::websocket::response_type handshake_response_;
  net::beast::flat_buffer buffer_;
  std::string last_error_;
};

// Parses the HTTP response at the front of `bytes` and drops it from there;
// nothing when no whole response is there. `at_eof`: the server closed after
// these bytes, which ends a response without a length.
inline std::optional<http_response> take_http_response(std::string_view& bytes, bool head = false,
                                                       bool at_eof = true) {
  net::http::response_parser<net::http::string_body> parser;
  parser.eager(true);
  parser.skip(head);
  parser.body_limit(64u << 20);
  std::size_t used = 0;
  net::error_code ec;
  while (!parser.is_done()) {
    auto n = parser.put(net::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == net::http::error::need_more && used < bytes.size() && n > 0) continue;
    if (ec == net::http::error::need_more && at_eof) parser.put_eof(ec);
    if (ec || n == 0) break;
  }
  if (ec || !parser.is_done()) return std::nullopt;
  bytes.remove_prefix(used);
  return parser.release();
}

// The one HTTP response in `bytes`, or throws.
inline http_response parse_http_response(std::string_view bytes, bool head = false) {
  auto response = take_http_response(bytes, head);
  if (!response) throw std::runtime_error("not a whole HTTP response: " + std::string{bytes.substr(0, 200)});
  return std::move(*response);
}

// Every whole HTTP response in `bytes`, in order.
inline std::vector<http_response> parse_http_responses(std::string_view bytes) {
  std::vector<http_response> responses;
  while (auto response = take_http_response(bytes, false, false))
    responses.push_back(std::move(*response));
  return responses;
}

// A plain TCP connection that sends whatever bytes a test gives it and
// collects what the server answers.
class raw_client {
public:
  enum class end { open, closed, reset };

  explicit raw_client(std::uint16_t port) : socket_(connect_to(io_, port)) {}

  // False once the server no longer takes bytes (it closed or reset).
  bool send(std::string_view bytes) {
    net::error_code ec;
    net::asio::write(socket_, net::asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }

  // Reads until `enough(received())` holds, the server closes, or `within`
  // passes; returns everything received so far.
  template <class Predicate>
  const std::string& read_until(Predicate enough, std::chrono::milliseconds within = default_deadline) {
    auto deadline = std::chrono::steady_clock::now() + within;
    while (end_ == end::open && !enough(received_)) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= 0ms || !wait_readable(left)) break;
      char chunk[16 * 1024];
      auto got = ::recv(socket_.native_handle(), chunk, sizeof chunk, 0);
      if (got > 0)
        received_.append(chunk, static_cast<std::size_t>(got));
      else if (got == 0)
        end_ = end::closed;
      else if (errno != EINTR && errno != EAGAIN)
        end_ = end::reset;
    }
    return received_;
  }

  const std::string& read_until_closed(std::chrono::milliseconds within = default_deadline) {
    return read_until([](const std::string&) { return false; }, within);
  }

  // Reads until a blank line ends an HTTP head.
  const std::string& read_http_head(std::chrono::milliseconds within = default_deadline) {
    return read_until([](const std::string& bytes) { return bytes.find("\r\n\r\n") != std::string::npos; },
                      within);
  }

  // Waits up to `within` for the server to close; true if it did.
  bool closed_within(std::chrono::milliseconds within) {
    read_until_closed(within);
    return end_ != end::open;
  }

  end how_it_ended() const { return end_; }
  const std::string& received() const { return received_; }
  // Drops what was received so far, e.g. the handshake before the frames.
  void consume(std::size_t bytes) { received_.erase(0, bytes); }
  net::tcp::socket& socket() { return socket_; }

  // Reads until a whole HTTP response (a HEAD answer when `head`) has
  // arrived and takes it from what was received; throws if none came in time.
  http_response read_response(bool head = false, std::chrono::milliseconds within = default_deadline) {
    read_until(
        [head](const std::string& bytes) {
          std::string_view view{bytes};
          return take_http_response(view, head, false).has_value();
        },
        within);
    std::string_view view{received_};
    auto response = take_http_response(view, head, end_ != end::open);
    if (!response) throw std::runtime_error("no whole HTTP response; got: " + received_.substr(0, 200));
    received_.erase(0, received_.size() - view.size());
    return std::move(*response);
  }

private:
  bool wait_readable(std::chrono::milliseconds timeout) {
    pollfd descriptor{socket_.native_handle(), POLLIN, 0};
    return ::poll(&descriptor, 1, static_cast<int>(timeout.count())) > 0;
  }

  net::asio::io_context io_;
  net::tcp::socket socket_;
  std::string received_;
  end end_ = end::open;
};

// The head of an RFC 6455 upgrade request for `target`.
inline std::string upgrade_request(std::string_view target = "/api/v1/streams/valid_tx",
                                   std::string_view version = "13") {
  return "GET " + std::string{target}
         + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: "
         + std::string{version} + "\r\n\r\n";
}

// One frame as a client writes it: masked unless a test wants otherwise.
struct frame_options {
  bool fin = true;
  bool masked = true;
  std::uint8_t rsv = 0; // the three reserved bits, 0 to 7
  // Claims a payload length other than the payload's (for frames that lie).
  std::optional<std::uint64_t> claimed_length;
};

inline frame_options not_final() {
  frame_options options;
  options.fin = false;
  return options;
}
inline frame_options unmasked() {
  frame_options options;
  options.masked = false;
  return options;
}
inline frame_options reserved_bits(std::uint8_t rsv) {
  frame_options options;
  options.rsv = rsv;
  return options;
}
inline frame_options claiming(std::uint64_t length) {
  frame_options options;
  options.claimed_length = length;
  return options;
}

namespace opcode {
inline constexpr std::uint8_t continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9,
                              pong = 0xa;
}

inline std::string client_frame(std::uint8_t op, std::string_view payload, frame_options options = {}) {
  std::string frame;
  frame += static_cast<char>((options.fin ? 0x80 : 0) | ((options.rsv & 7) << 4) | (op & 0x0f));
  const std::uint64_t length = options.claimed_length.value_or(payload.size());
  const char mask_bit = options.masked ? static_cast<char>(0x80) : 0;
  if (length < 126) {
    frame += static_cast<char>(mask_bit | static_cast<char>(length));
  } else if (length <= 0xffff) {
    frame += static_cast<char>(mask_bit | 126);
    frame += static_cast<char>(length >> 8);
    frame += static_cast<char>(length & 0xff);
  } else {
    frame += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      frame += static_cast<char>((length >> shift) & 0xff);
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (options.masked) frame.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    frame += options.masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i];
  return frame;
}

// A close frame's payload: the code, then the reason.
inline std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  payload += reason;
  return payload;
}

// A frame the server sent (servers never mask).
struct server_frame {
  bool fin = false;
  std::uint8_t opcode = 0;
  std::string payload;
  // For close frames: the code, 0 when the frame has none.
  int close_code() const {
    if (payload.size() < 2) return 0;
    return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
  }
};

// The whole frames in `bytes`, in order; a cut-off last frame is left out.
inline std::vector<server_frame> parse_server_frames(std::string_view bytes) {
  std::vector<server_frame> frames;
  std::size_t at = 0;
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[at + i]); };
  while (bytes.size() - at >= 2) {
    std::uint64_t length = byte(1) & 0x7f;
    std::size_t header = 2;
    if (length >= 126) {
      std::size_t extra = length == 126 ? 2 : 8;
      if (bytes.size() - at < 2 + extra) break;
      length = 0;
      for (std::size_t i = 0; i < extra; ++i)
        length = (length << 8) | byte(2 + i);
      header += extra;
    }
    if (bytes.size() - at - header < length) break;
    frames.push_back({(byte(0) & 0x80) != 0, static_cast<std::uint8_t>(byte(0) & 0x0f),
                      std::string{bytes.substr(at + header, static_cast<std::size_t>(length))}});
    at += header + static_cast<std::size_t>(length);
  }
  return frames;
}

} // namespace evstream::testing
