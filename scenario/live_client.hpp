// A scenario client over a real WebSocket (Beast), driven by the live stage's
// io_context on the runner's thread. It reads continuously into its record,
// and stops issuing reads while the scenario has it stop reading, so that
// the server sees a slow consumer.
#pragma once

#include "net/beast.hpp"
#include "scenario/client_record.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace evstream::scenario {

class live_client {
public:
  explicit live_client(net::asio::io_context& io);

  // Starts connecting and the upgrade; handshake_result() is set once done.
  // Then it pings once: the pong proves that its session has subscribed
  // (the session subscribes before it handles any ping), so that every block
  // posted from then on reaches it. That pong is not recorded.
  void start(const net::tcp::endpoint& server, const std::string& host, const std::string& target);
  const std::optional<net::error_code>& handshake_result() const { return handshake_result_; }
  bool subscribed() const { return handshake_result_ && !*handshake_result_ && !awaiting_subscription_pong_; }
  // The HTTP status of a declined upgrade (e.g. 404 for an unknown stream).
  unsigned declined_status() const { return handshake_response_.result_int(); }

  void send(const std::string& text);
  void stop_reading() { reading_ = false; }
  void resume_reading();
  // Closes the socket without a closing handshake.
  void cut();

  const client_record& record() const { return record_; }
  // When the connection's end was seen.
  std::optional<std::chrono::steady_clock::time_point> ended_at() const { return ended_at_; }

private:
  void on_handshake(net::error_code ec);
  void do_read();
  void on_read(net::error_code ec, std::size_t bytes);

  net::websocket::stream<net::beast::tcp_stream> ws_;
  net::websocket::response_type handshake_response_;
  std::optional<net::error_code> handshake_result_;
  net::beast::flat_buffer inbound_;
  bool reading_ = true;
  bool read_pending_ = false;
  bool cut_ = false;
  bool awaiting_subscription_pong_ = false;
  // Read while stopped (the one read already in flight): seen on resume.
  std::vector<std::string> held_;
  client_record record_;
  std::optional<std::chrono::steady_clock::time_point> ended_at_;
};

} // namespace evstream::scenario
