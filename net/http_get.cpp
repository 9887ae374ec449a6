#include "net/http_get.hpp"

#include <boost/url/parse.hpp>

#include <memory>

namespace evstream::net {
namespace {

class get_operation : public std::enable_shared_from_this<get_operation> {
public:
  get_operation(asio::io_context& io, http_target where, std::chrono::milliseconds timeout,
                std::function<void(http_answer)> done)
      : resolver_(io), stream_(io), where_(std::move(where)), timeout_(timeout), done_(std::move(done)) {}

  void start() {
    stream_.expires_after(timeout_);
    resolver_.async_resolve(where_.host, where_.port,
                            beast::bind_front_handler(&get_operation::on_resolve, shared_from_this()));
  }

private:
  void on_resolve(error_code ec, tcp::resolver::results_type found) {
    if (ec) return fail("cannot resolve " + where_.host + ": " + ec.message());
    stream_.async_connect(found, beast::bind_front_handler(&get_operation::on_connect, shared_from_this()));
  }

  void on_connect(error_code ec, const tcp::endpoint&) {
    if (ec) return fail("cannot connect to " + where_.host + ":" + where_.port + ": " + ec.message());
    request_ = {http::verb::get, where_.target, 11};
    request_.set(http::field::host, where_.host + ":" + where_.port);
    request_.set(http::field::user_agent, "evstream");
    http::async_write(stream_, request_,
                      beast::bind_front_handler(&get_operation::on_write, shared_from_this()));
  }

  void on_write(error_code ec, std::size_t) {
    if (ec) return fail("cannot send the request: " + ec.message());
    parser_.body_limit(max_answer_bytes);
    http::async_read(stream_, buffer_, parser_,
                     beast::bind_front_handler(&get_operation::on_read, shared_from_this()));
  }

  void on_read(error_code ec, std::size_t) {
    if (ec) return fail("no whole answer: " + ec.message());
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    http_answer answer;
    answer.status = parser_.get().result_int();
    answer.body = std::move(parser_.get().body());
    done_(std::move(answer));
  }

  void fail(std::string why) {
    http_answer answer;
    answer.failure = std::move(why);
    done_(std::move(answer));
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  http_target where_;
  std::chrono::milliseconds timeout_;
  std::function<void(http_answer)> done_;
  http::request<http::empty_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

} // namespace

result<http_target, std::string> http_target_of(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return "\"" + std::string(url) + "\" is not a URL";
  if (parsed->scheme() != "http") return "\"" + std::string(url) + "\" is not an http:// URL";
  if (parsed->host().empty()) return "\"" + std::string(url) + "\" names no host";
  http_target target;
  target.host = parsed->host_address(); // [::1] without its brackets
  target.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  return target;
}

void http_get(asio::io_context& io, http_target where, std::chrono::milliseconds timeout,
              std::function<void(http_answer)> done) {
  std::make_shared<get_operation>(io, std::move(where), timeout, std::move(done))->start();
}

} // namespace evstream::net
