// W7's clients: connections to the valid_tx stream opened and ended in
// rounds, a bounded number at a time, on one thread of their own. Every 20th
// connection holds half an upgrade until the server's request timeout closes
// it; the others end the first five ways below in turn, so every round ends
// each way alike. With a TLS ClientHello in the settings they speak TLS
// instead (see churn_way). Each is bounded in time, so a server that never
// answers costs a failure, not a hang. Also what W7's other phases need: GET
// /metrics and /healthz, bounded; a sample's value; connections held open.
#pragma once

#include "bench/bench_clock.hpp"

#include <boost/asio.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace evstream::bench {

enum class churn_end : std::uint8_t {
  close_frame,     // a masked close 1000, then the server's close and EOF
  reset,           // SO_LINGER 0, then close: a TCP RST
  eof,             // close right after the 101
  half_close,      // shutdown(SHUT_WR) after the 101, close once the server closes or after a bound
  partial_request, // half the upgrade's headers, a short wait, close
  request_timeout, // half the upgrade's headers, held until the server closes or a bound
  hello_reset      // TLS only: a whole ClientHello, RST once the server answers
};
constexpr std::size_t churn_ends = 7;
const char* churn_end_name(churn_end way);
// The way connection `index` ends. Plain: 1 in churn_timeout_every
// request_timeout, the rest close_frame … partial_request in turn. TLS: the
// same share request_timeout, the rest partial_request and hello_reset in
// turn, half a ClientHello standing for half the upgrade.
churn_end churn_way(std::size_t index, bool tls);
// Each request_timeout connection holds an in-flight slot for the server's
// whole timeout (a server without one: for the client's bound of timeout +
// 2 s), so a small share keeps the rounds short: 1 in 20 costs a round of
// 3 000 with 200 in flight about 0.75 s at a 1 s timeout, 2.25 s without one.
constexpr std::size_t churn_timeout_every = 20;

struct churn_settings {
  boost::asio::ip::tcp::endpoint server;
  std::size_t in_flight = 200; // far below the descriptor and ephemeral port limits
  std::chrono::milliseconds partial_wait{50};
  std::chrono::milliseconds half_close_wait{1000};
  // The server's request timeout plus 2 s: request_timeout connections the
  // server has not closed by then are closed by the client and not counted.
  std::chrono::milliseconds request_timeout_wait{7000};
  // Non-empty: the connections send this TLS ClientHello, not the upgrade.
  std::string tls_client_hello;
  // Any one step (connect, upgrade, closing handshake): past the server's 5 s
  // handshake timeout, so that one it enforces is seen as its answer.
  std::chrono::milliseconds step_timeout{8000};
};

struct churn_round_result {
  std::array<std::size_t, churn_ends> ended{};  // ended the way they were meant to
  std::array<std::size_t, churn_ends> failed{}; // anything else: refused, timed out, a wrong answer
  std::size_t half_closed_by_server = 0;        // half-closed ones the server closed within the bound
  std::size_t timed_out_by_server = 0;          // request_timeout ones the server closed within the bound
  double timeout_close_min_ms = 0;              // … from the half request to the server's close
  double timeout_close_max_ms = 0;
  std::string first_failure;
  std::int64_t started_ns = 0;
  std::int64_t finished_ns = 0;
  // When the last connection other than the request_timeout ones ended: their
  // rate is the churn rate, the held ones only wait out a timeout.
  std::int64_t others_finished_ns = 0;
  std::size_t others = 0;

  std::size_t total_ended() const;
  std::size_t total_failed() const;
};

class churn_connection;

class churn_client {
public:
  explicit churn_client(churn_settings settings);
  ~churn_client();
  churn_client(const churn_client&) = delete;
  churn_client& operator=(const churn_client&) = delete;

  // Opens and ends `count` connections numbered from `first` (the number
  // picks the way to end and the source address), on its own thread.
  void start_round(std::size_t first, std::size_t count);
  bool finished() const { return finished_; }
  // Joins the thread, abandoning what is unfinished; result() is valid after.
  void stop();
  const churn_round_result& result() const { return result_; }

private:
  friend class churn_connection;
  void start_next();
  void ended(std::size_t index, bool as_meant, const std::string& failure);
  void timed_out(double after_ms);

  churn_settings settings_;
  std::string upgrade_;
  boost::asio::io_context io_{1};
  std::size_t next_ = 0;
  std::size_t end_ = 0;
  std::size_t count_ = 0;
  std::size_t done_ = 0;
  churn_round_result result_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

// GET `target` from 127.0.0.1:`port` on a connection of its own, all within
// `timeout`. The body of a 200; otherwise empty, and `error` says why.
std::string http_get(std::uint16_t port, const std::string& target, std::chrono::milliseconds timeout,
                     std::string& error);

// Connections opened at once to `server`, each sent `request` whole (a
// server with descriptors left upgrades them), then held without reading
// until release(). For the descriptor-exhaustion phase.
class held_connections {
public:
  // Returns how many connected and sent within `timeout`; the rest are dropped.
  std::size_t open(const boost::asio::ip::tcp::endpoint& server, std::size_t count,
                   const std::string& request, std::chrono::milliseconds timeout);
  // Closes them all (FIN); the server sees EOF on those it accepted.
  void release();
  ~held_connections() { release(); }

private:
  boost::asio::io_context io_{1};
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> sockets_;
};

// The value of one series in Prometheus text, e.g.
// `evstream_connections{kind="websocket"}`; NaN when it is not there.
double metric_sample(const std::string& text, const std::string& series);

} // namespace evstream::bench
