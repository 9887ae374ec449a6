#include "net/listener.hpp"

#include "net/http_session.hpp"

#include "ops/log.hpp"

#include <algorithm>
#include <stdexcept>

namespace evstream::net {

namespace {

constexpr std::chrono::milliseconds first_retry_delay{5};
constexpr std::chrono::milliseconds max_retry_delay{1000};

// A connection that went away while queued is that client's trouble: accept
// the next at once. Anything else (out of descriptors, buffers or memory, most
// often) would fail again at once, so it waits.
bool needs_back_off(const error_code& ec) { return ec != asio::error::connection_aborted; }

} // namespace

listener::listener(asio::io_context& io, const tcp::endpoint& endpoint, server_context_ptr context)
    : io_(io), acceptor_(asio::make_strand(io)), context_(std::move(context)),
      retry_(acceptor_.get_executor()) {
  // Asio's own exception names its source file; an operator wants the address.
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec == asio::error::address_in_use)
    throw std::runtime_error(endpoint_text(endpoint)
                             + " is already in use (another evstream, or another server)");
  if (ec) throw std::runtime_error("cannot listen on " + endpoint_text(endpoint) + ": " + ec.message());
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
    self->retry_.cancel();
  });
}

void listener::do_accept() {
  acceptor_.async_accept(asio::make_strand(io_),
                         beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) return on_accept_failed(ec);
  retry_delay_ = std::chrono::milliseconds{0};
  // Events leave as soon as they are queued: Nagle would hold a small block
  // back until the client acknowledges the previous write.
  socket.set_option(tcp::no_delay(true), ec);
  std::make_shared<http_session>(std::move(socket), context_)->start();
  do_accept();
}

void listener::on_accept_failed(const error_code& ec) {
  context_->metrics->accept_failures.increment();
  bool backing_off = needs_back_off(ec);
  if (backing_off) retry_delay_ = std::clamp(retry_delay_ * 2, first_retry_delay, max_retry_delay);
  ops::log_repeatable(ops::log_level::error, "accept_failed", ec.message(),
                      {{"error", ec.message()}, {"retry_in_ms", backing_off ? retry_delay_.count() : 0}});
  if (!backing_off) return do_accept();
  retry_.expires_after(retry_delay_);
  retry_.async_wait([self = shared_from_this()](error_code waited) {
    if (!waited && self->acceptor_.is_open()) self->do_accept();
  });
}

} // namespace evstream::net
