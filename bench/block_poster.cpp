#include "bench/block_poster.hpp"

namespace evstream::bench {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using error_code = boost::system::error_code;

std::vector<block_request> block_requests(const std::vector<std::string>& bodies, std::uint16_t port) {
  std::vector<block_request> requests;
  for (const auto& body : bodies) {
    block_request request{http::verb::post, "/api/v1/blocks", 11};
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    request.set(http::field::content_type, "application/json");
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();
    requests.push_back(std::move(request));
  }
  return requests;
}

block_poster::block_poster(std::vector<block_request>& requests, std::uint16_t port)
    : requests_(requests), port_(port), sent_ns_(requests.size(), 0), answered_ns_(requests.size(), 0),
      status_(requests.size(), 0) {}

block_poster::~block_poster() { stop(); }

void block_poster::start(std::chrono::microseconds interval) {
  interval_ = interval;
  for (auto& request : requests_)
    request.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
  socket_.async_connect({asio::ip::make_address_v4("127.0.0.1"), port_},
                        [this](error_code ec) { on_connect(ec); });
  thread_ = std::thread{[this] { io_.run(); }};
}

void block_poster::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void block_poster::on_connect(error_code ec) {
  if (ec) return finish("connecting to post blocks: " + ec.message());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  started_ns_ = now_ns();
  send(0);
}

void block_poster::send(std::size_t index) {
  if (index == requests_.size()) return finish();
  const std::int64_t due = started_ns_ + static_cast<std::int64_t>(index) * interval_.count() * 1000;
  if (interval_.count() > 0 && now_ns() < due) {
    timer_.expires_after(std::chrono::nanoseconds(due - now_ns()));
    return timer_.async_wait([this, index](error_code ec) {
      if (!ec) write(index);
    });
  }
  write(index);
}

void block_poster::write(std::size_t index) {
  sent_ns_[index] = now_ns();
  http::async_write(socket_, requests_[index],
                    [this, index](error_code ec, std::size_t) { on_written(index, ec); });
}

void block_poster::on_written(std::size_t index, error_code ec) {
  if (ec) return finish("posting block " + std::to_string(index) + ": " + ec.message());
  answer_ = {};
  http::async_read(socket_, buffer_, answer_,
                   [this, index](error_code e, std::size_t) { on_answer(index, e); });
}

void block_poster::on_answer(std::size_t index, error_code ec) {
  if (ec) return finish("reading the answer to block " + std::to_string(index) + ": " + ec.message());
  answered_ns_[index] = now_ns();
  status_[index] = answer_.result_int();
  if (answer_.result() != http::status::accepted && problem_.empty())
    problem_ = "block " + std::to_string(index) + " answered " + std::to_string(answer_.result_int()) + ": "
               + answer_.body().substr(0, 200);
  send(index + 1);
}

void block_poster::finish(std::string problem) {
  if (problem_.empty()) problem_ = std::move(problem);
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  finished_ = true;
}

std::size_t block_poster::accepted() const {
  std::size_t count = 0;
  for (int status : status_)
    count += status == 202 ? 1 : 0;
  return count;
}

} // namespace evstream::bench
