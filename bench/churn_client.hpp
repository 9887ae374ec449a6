// W7's clients: connections to the valid_tx stream opened and ended in
// rounds, a bounded number at a time, on one thread of their own. Connection
// k ends the k % 5-th way below, so every round ends each way alike; each is
// bounded in time, so a server that never answers costs a failure, not a hang.
// Also the one scrape W7 needs: GET /metrics, bounded, and a sample's value.
#pragma once

#include "bench/bench_clock.hpp"

#include <boost/asio.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

namespace evstream::bench {

enum class churn_end : std::uint8_t {
  close_frame,    // a masked close 1000, then the server's close and EOF
  reset,          // SO_LINGER 0, then close: a TCP RST
  eof,            // close right after the 101
  half_close,     // shutdown(SHUT_WR) after the 101, close once the server closes or after a bound
  partial_request // half the upgrade's headers, a short wait, close
};
constexpr std::size_t churn_ends = 5;
const char* churn_end_name(churn_end way);

struct churn_settings {
  boost::asio::ip::tcp::endpoint server;
  std::size_t in_flight = 200; // far below the descriptor and ephemeral port limits
  std::chrono::milliseconds partial_wait{50};
  std::chrono::milliseconds half_close_wait{1000};
  // Any one step (connect, upgrade, closing handshake): past the server's 5 s
  // handshake timeout, so that one it enforces is seen as its answer.
  std::chrono::milliseconds step_timeout{8000};
};

struct churn_round_result {
  std::array<std::size_t, churn_ends> ended{};  // ended the way they were meant to
  std::array<std::size_t, churn_ends> failed{}; // anything else: refused, timed out, a wrong answer
  std::size_t half_closed_by_server = 0;        // half-closed ones the server closed within the bound
  std::string first_failure;
  std::int64_t started_ns = 0;
  std::int64_t finished_ns = 0;

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

// The value of one series in Prometheus text, e.g.
// `evstream_connections{kind="websocket"}`; NaN when it is not there.
double metric_sample(const std::string& text, const std::string& series);

} // namespace evstream::bench
