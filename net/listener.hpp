// Accepts TCP connections on the configured address and gives each its own
// strand and http_session.
#pragma once

#include "net/beast.hpp"
#include "net/server_context.hpp"

#include <chrono>
#include <optional>

namespace evstream::net {

class listener : public std::enable_shared_from_this<listener> {
public:
  // Binds and listens at once, so a taken port fails here, not later.
  listener(asio::io_context& io, const tcp::endpoint& endpoint, server_context_ptr context);

  void start();
  void stop();
  std::uint16_t port() const { return port_; }

private:
  void do_accept();
  void on_accept(error_code ec, tcp::socket socket);
  void on_accept_failed(const error_code& ec);

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  server_context_ptr context_;
  std::uint16_t port_ = 0;
  // Out of descriptors or memory, accepting again at once fails again at
  // once: wait this long first, doubling while it lasts (as Go's net/http).
  asio::steady_timer retry_;
  std::chrono::milliseconds retry_delay_{0};
};

} // namespace evstream::net
