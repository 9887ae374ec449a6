// One client's HTTP/1.1 connection: reads requests within the size and time
// limits, routes them (discovery, ingest, stream upgrade, errors) and hands the
// socket to a websocket_connection when a client subscribes.
#pragma once

#include "actors/messages.hpp"
#include "actors/subscription.hpp"
#include "net/beast.hpp"
#include "net/server_context.hpp"
#include "net/tcp_or_tls_stream.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace evstream::net {

class http_session : public registered_connection, public std::enable_shared_from_this<http_session> {
public:
  http_session(tcp::socket&& socket, server_context_ptr context);
  ~http_session() override;

  void start();
  void force_close() override;

private:
  using request = http::request<http::string_body>;
  using response = http::response<http::string_body>;

  beast::tcp_stream& socket_stream() { return stream_.next_layer(); }
  void on_handshake(error_code ec);
  void do_read();
  void on_header(error_code ec, std::size_t bytes);
  void on_read(error_code ec, std::size_t bytes);
  void route(request&& req);
  // Asks an actor; `answered(caf::expected<Reply>)` then runs on this
  // connection's executor, and until then an answer is pending.
  template <class Reply, class Answered, class... Message>
  void ask_actor(const caf::actor& whom, caf::timespan timeout, Answered answered, Message&&... message);
  void discover(request&& req, std::string_view path);
  response probe_response(const request& req, response res);
  void check_readiness(request&& req);
  void serve_metrics(const request& req);
  void refuse_ingest(ops::ingest_refusal reason, std::string_view error);
  void subscribe(request&& req, stream_kind stream);
  void resume(request&& req, subscription wanted, const std::string& since,
              const caf::expected<cursor_status>& status);
  void resume_from_stream(request&& req, subscription wanted, const std::string& since,
                          const cursor_status& in_window);
  void resume_at(request&& req, subscription wanted, const std::string& since, const cursor_status& status);
  void upgrade(request&& req, subscription wanted);
  void ingest(request&& req);
  void send(response&& res);
  void log_request(const response& res) const;
  void on_write(bool close, error_code ec, std::size_t bytes);
  void drain();

  // Declared first: destroyed after the socket (see registration).
  server_context_ptr context_;
  // Those in force when it was accepted: its TLS context lives as long as its stream.
  credentials_ptr credentials_;
  registration registration_;
  ops::open_connection open_;
  tcp_or_tls_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // Keeps the response alive while it is written.
  std::shared_ptr<response> pending_response_;
  // An actor's answer (to an ingest or a resume cursor) is awaited.
  bool answer_pending_ = false;
  bool shutting_down_ = false;
  // For the log: who, how many requests, and why the connection ended.
  std::string remote_;
  std::size_t requests_ = 0;
  std::string_view end_reason_ = "closed";
  // The request being answered, for evstream_http_requests_total and its
  // log line: its endpoint, method, path (never the query) and start.
  std::string_view route_name_ = "unrouted";
  std::string method_;
  std::string path_;
  std::chrono::steady_clock::time_point started_;
};

} // namespace evstream::net
