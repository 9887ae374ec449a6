// evstream tail's connection loop: dial the stream (through the node's
// discovery when given a base URL), print every event as a line, ping, and
// redial with exponential backoff whenever the connection fails or ends —
// resuming after the last block it received whole (?since=), so a reconnect
// neither loses nor repeats an event while the node still retains the blocks.
//
// It runs on one io_context and one thread with plain Asio/Beast handlers:
// there is one connection at a time and every step waits on the network or a
// timer, so there is no concurrency for actors to organise.
#pragma once

#include "client/stream_position.hpp"
#include "client/stream_url.hpp"
#include "net/beast.hpp"
#include "net/tcp_or_tls_stream.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

namespace evstream::client {

struct tail_options {
  tail_url url;
  std::chrono::milliseconds ping_interval{std::chrono::seconds(30)};
  std::chrono::milliseconds first_retry_delay{500};                    // doubles after each failure...
  std::chrono::milliseconds max_retry_delay{std::chrono::seconds(30)}; // ...up to this
  std::string ca_file;                                                 // trusted besides the system's CAs
};

class tail {
public:
  // Events go to `events`, one per line; connects and disconnects to `log`.
  // Throws if the CA file cannot be read.
  tail(net::asio::io_context& io, tail_options options, std::ostream& events, std::ostream& log);

  void start();
  // 0, or 1 once the node refused for good (a 4xx other than a cursor it
  // lacks); the io_context then runs out of work.
  int exit_code() const { return exit_code_; }
  // Closes a live stream with 1000 and abandons any other step; the
  // io_context then runs out of work.
  void stop();

private:
  using websocket_stream = net::websocket::stream<net::tcp_or_tls_stream>;
  using done_handler = std::function<void(net::error_code)>;

  void attempt();
  void dial(net::tcp_or_tls_stream& stream, const endpoint& to, done_handler done);
  void discover();
  void on_discovered(net::error_code ec);
  void open_stream(const tail_url& url);
  void on_open(net::error_code ec);
  void on_declined();
  void do_read();
  void on_read(net::error_code ec, std::size_t bytes);
  void send_ping();
  void schedule_ping();
  void expect_message_soon();
  void end_attempt(const std::string& what);
  void give_up(const std::string& what);
  void close_stream();
  net::tcp_or_tls_stream fresh_stream(const endpoint& to);

  net::asio::io_context& io_;
  tail_options options_;
  std::ostream& events_;
  std::ostream& log_;
  net::asio::ssl::context tls_{net::asio::ssl::context::tls_client};
  net::tcp::resolver resolver_;
  net::asio::steady_timer retry_timer_;
  net::asio::steady_timer ping_timer_;
  // Every ping is answered, so a stream silent for two ping intervals is
  // taken for dead (a peer gone without a FIN) and dialled again.
  net::asio::steady_timer silence_timer_;
  std::chrono::milliseconds retry_delay_;

  // The current attempt: handlers of an earlier one see a different number.
  unsigned attempt_ = 0;
  bool stopping_ = false;
  int exit_code_ = 0;
  std::optional<net::tcp_or_tls_stream> discovery_;
  net::http::response<net::http::string_body> discovery_response_;
  std::optional<websocket_stream> ws_;
  net::websocket::response_type handshake_response_;
  stream_position position_;
  bool open_ = false;
  bool subscribed_ = false; // the server answered our first ping
  bool writing_ = false;
  std::string stream_url_;
  net::beast::flat_buffer buffer_;
};

} // namespace evstream::client
