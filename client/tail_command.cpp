#include "client/tail_command.hpp"

#include "client/tail_config.hpp"

#include <csignal>
#include <iostream>
#include <string>

namespace evstream::client {

int run_tail(int argc, char** argv) {
  tail_settings values;
  auto table = options_of(values);
  auto read = cli::read(table, {{argv + 1, argv + argc}, {}, {}, {}, {}});
  if (!read) {
    std::cerr << "evstream tail: " << read.error().message << "\n";
    return 2;
  }
  if (read->help) {
    std::cout
        << "usage: evstream tail [OPTIONS] URL\n"
           "  URL: a node's base URL (http://host:port, https://..., or host:port), whose discovery\n"
           "  names the stream, or the stream's URL (ws://host:port/api/v1/streams/valid_tx, wss://...)\n\n"
        << cli::describe(table);
    return 0;
  }
  auto options = to_tail_options(values, read->words);
  if (!options) {
    std::cerr << "evstream tail: " << options.error() << "\n";
    return 2;
  }
  net::asio::io_context io{1};
  std::optional<tail> client;
  try {
    client.emplace(io, std::move(*options), std::cout, std::cerr);
  } catch (const std::exception& error) {
    std::cerr << "evstream tail: cannot read --ca-file: " << error.what() << "\n";
    return 2;
  }
  net::asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&](net::error_code ec, int) {
    if (!ec) client->stop();
  });
  client->start();
  // Until a signal stops the client or the client gives up; then the signal
  // wait, the one thing left, is cancelled.
  while (client->exit_code() == 0 && io.run_one()) {
  }
  signals.cancel();
  io.run();
  return client->exit_code();
}

} // namespace evstream::client
