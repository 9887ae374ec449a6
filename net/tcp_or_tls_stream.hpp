// A connection's byte stream: plain TCP, or TLS over TCP when the
// server has a certificate. One type for both, so the HTTP and WebSocket code
// is written once; next_layer() is always the TCP stream (timeouts, socket).
// `evstream tail` dials servers with the same type, as the TLS client.
#pragma once

#include "net/beast.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include <variant>

namespace evstream::net {

class tcp_or_tls_stream {
public:
  using executor_type = beast::tcp_stream::executor_type;
  using tls_stream = beast::ssl_stream<beast::tcp_stream>;

  // With `tls` null the stream is plain TCP.
  tcp_or_tls_stream(beast::tcp_stream&& connection, asio::ssl::context* tls)
      : stream_(tls ? variant{std::in_place_type<tls_stream>, std::move(connection), *tls}
                    : variant{std::in_place_type<beast::tcp_stream>, std::move(connection)}) {}

  bool is_tls() const { return std::holds_alternative<tls_stream>(stream_); }
  // The TLS layer, null for plain TCP: a client sets SNI and the name to verify on it.
  tls_stream* tls() { return std::get_if<tls_stream>(&stream_); }
  executor_type get_executor() { return next_layer().get_executor(); }
  beast::tcp_stream& next_layer() {
    if (auto* tls = std::get_if<tls_stream>(&stream_)) return tls->next_layer();
    return std::get<beast::tcp_stream>(stream_);
  }

  // The TLS handshake, as the server unless told otherwise; for plain TCP the
  // handler runs at once (posted).
  template <class Handler>
  void async_handshake(Handler&& handler,
                       asio::ssl::stream_base::handshake_type side = asio::ssl::stream_base::server) {
    if (auto* tls = std::get_if<tls_stream>(&stream_))
      return tls->async_handshake(side, std::forward<Handler>(handler));
    asio::post(get_executor(), beast::bind_handler(std::forward<Handler>(handler), error_code{}));
  }

  template <class MutableBufferSequence, class ReadHandler>
  void async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
    if (auto* tls = std::get_if<tls_stream>(&stream_))
      return tls->async_read_some(buffers, std::forward<ReadHandler>(handler));
    std::get<beast::tcp_stream>(stream_).async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

  template <class ConstBufferSequence, class WriteHandler>
  void async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    if (auto* tls = std::get_if<tls_stream>(&stream_))
      return tls->async_write_some(buffers, std::forward<WriteHandler>(handler));
    std::get<beast::tcp_stream>(stream_).async_write_some(buffers, std::forward<WriteHandler>(handler));
  }

  // The WebSocket closing handshake ends with this: TLS close_notify when
  // TLS is on, then the TCP shutdown.
  template <class TeardownHandler>
  friend void async_teardown(beast::role_type role, tcp_or_tls_stream& stream, TeardownHandler&& handler) {
    using beast::async_teardown;
    if (auto* tls = std::get_if<tls_stream>(&stream.stream_))
      return async_teardown(role, *tls, std::forward<TeardownHandler>(handler));
    async_teardown(role, std::get<beast::tcp_stream>(stream.stream_), std::forward<TeardownHandler>(handler));
  }

  friend void teardown(beast::role_type role, tcp_or_tls_stream& stream, error_code& ec) {
    using beast::teardown;
    if (auto* tls = std::get_if<tls_stream>(&stream.stream_)) return teardown(role, *tls, ec);
    teardown(role, std::get<beast::tcp_stream>(stream.stream_), ec);
  }

private:
  using variant = std::variant<beast::tcp_stream, tls_stream>;
  variant stream_;
};

} // namespace evstream::net
