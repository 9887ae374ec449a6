// Posts blocks to POST /api/v1/blocks on one keep-alive HTTP connection, on
// its own thread so that the subscribers' work never delays a post: each
// block as soon as the previous one's answer arrived, or on a fixed schedule.
// It records when each request started out, the latency origin of that block.
#pragma once

#include "bench/bench_clock.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace evstream::bench {

using block_request = boost::beast::http::request<boost::beast::http::string_body>;

// The requests, built once before timing so that posting copies nothing.
std::vector<block_request> block_requests(const std::vector<std::string>& bodies, std::uint16_t port);

class block_poster {
public:
  block_poster(std::vector<block_request>& requests, std::uint16_t port);
  ~block_poster();
  block_poster(const block_poster&) = delete;
  block_poster& operator=(const block_poster&) = delete;

  // `interval` zero: back to back; else block k leaves at start + k × interval.
  void start(std::chrono::microseconds interval);
  bool finished() const { return finished_; }
  void stop();

  // Valid once finished (or stopped).
  const std::vector<std::int64_t>& sent_ns() const { return sent_ns_; }
  const std::vector<std::int64_t>& answered_ns() const { return answered_ns_; }
  std::size_t accepted() const; // answered 202
  const std::string& problem() const { return problem_; }

private:
  void on_connect(boost::system::error_code ec);
  void send(std::size_t index);
  void write(std::size_t index);
  void on_written(std::size_t index, boost::system::error_code ec);
  void on_answer(std::size_t index, boost::system::error_code ec);
  void finish(std::string problem = {});

  std::vector<block_request>& requests_;
  std::uint16_t port_;
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::socket socket_{io_};
  boost::asio::steady_timer timer_{io_};
  boost::beast::flat_buffer buffer_;
  boost::beast::http::response<boost::beast::http::string_body> answer_;
  std::chrono::microseconds interval_{};
  std::int64_t started_ns_ = 0;
  std::vector<std::int64_t> sent_ns_;
  std::vector<std::int64_t> answered_ns_;
  std::vector<int> status_;
  std::string problem_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

} // namespace evstream::bench
