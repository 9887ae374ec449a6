#include "net/listener.hpp"

#include "net/http_session.hpp"

#include "ops/log.hpp"

namespace evstream::net {

listener::listener(asio::io_context& io, const tcp::endpoint& endpoint, server_context_ptr context)
    : io_(io), acceptor_(asio::make_strand(io)), context_(std::move(context)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void listener::start() {
  asio::dispatch(acceptor_.get_executor(),
                 beast::bind_front_handler(&listener::do_accept, shared_from_this()));
}

void listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void listener::do_accept() {
  acceptor_.async_accept(asio::make_strand(io_),
                         beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // E.g. out of descriptors; keep going.
    ops::log(ops::log_level::error, "accept_failed", {{"error", ec.message()}});
  } else {
    // Events leave as soon as they are queued: Nagle would hold a small block
    // back until the client acknowledges the previous write.
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<http_session>(std::move(socket), context_)->start();
  }
  do_accept();
}

} // namespace evstream::net
