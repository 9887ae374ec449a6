#include "client/tail_command.hpp"

#include "client/tail_config.hpp"

#include <algorithm>
#include <csignal>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace evstream::client {

int run_tail(int argc, char** argv) {
  tail_config cfg;
  // CAF's parser stops at the first argument that is not an option and
  // leaves the rest in `remainder`: the URL goes last, wherever it was given.
  std::vector<std::string> args(argv + 1, argv + argc);
  std::stable_partition(args.begin(), args.end(),
                        [](const std::string& arg) { return arg.rfind('-', 0) == 0; });
  std::istringstream no_ini_file;
  if (auto err = cfg.parse(std::move(args), no_ini_file)) {
    std::cerr << "evstream tail: " << cfg.render(err) << "\n";
    return 2;
  }
  if (cfg.cli_helptext_printed) {
    std::cout << "usage: evstream tail [OPTIONS] URL\n"
                 "  URL: a node's base URL (http://host:port, https://...), whose discovery names the\n"
                 "  stream, or the stream's URL (ws://host:port/api/v1/streams/valid_tx, wss://...)\n";
    return 0;
  }
  auto options = cfg.to_tail_options();
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
