// evstream: reads the configuration, starts the service, serves until SIGINT
// or SIGTERM, then closes every client with 1001 and exits 0.
// `evstream tail URL` is the command-line subscriber instead, and
// `evstream scenario …` plays scenario files (scenario/command.hpp).
#include "app/config.hpp"
#include "app/stdin_feeder.hpp"
#include "client/tail_command.hpp"
#include "ops/build_info.hpp"
#include "ops/log.hpp"
#include "scenario/command.hpp"

#include <caf/io/middleman.hpp>

#include <atomic>
#include <csignal>
#include <iostream>
#include <optional>
#include <pthread.h>
#include <string_view>
#include <thread>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view{argv[1]} == "--version") {
    std::cout << "evstream " << evstream::ops::version() << " (commit " << evstream::ops::commit() << ")\n";
    return 0;
  }
  if (argc > 1 && std::string_view{argv[1]} == "tail") return evstream::client::run_tail(argc - 1, argv + 1);
  if (argc > 1 && std::string_view{argv[1]} == "scenario")
    return evstream::scenario::scenario_command(argc - 1, argv + 1);
  evstream::config cfg;
  if (auto err = cfg.parse(argc, argv, "evstream.ini")) {
    std::cerr << "evstream: " << cfg.render(err) << "\n";
    return 2;
  }
  if (cfg.cli_helptext_printed) return 0;
  auto options = cfg.to_service_options();
  if (!options) {
    std::cerr << "evstream: " << options.error() << "\n";
    return 2;
  }
  // Block the shutdown signals before any thread starts, so every thread
  // inherits the mask and only sigwait below receives them.
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGINT);
  sigaddset(&shutdown_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);

  // The network layer starts a thread of its own; only a node that relays needs it.
  if (cfg.relays()) {
    if (options->relay_tls)
      evstream::enable_relays(cfg, *options->relay_tls);
    else
      evstream::enable_relays(cfg);
  }
  caf::actor_system system{cfg};
  std::optional<evstream::service> service;
  try {
    service.emplace(system, *options);
  } catch (const std::exception& error) {
    evstream::ops::log(
        evstream::ops::log_level::error, "start_failed",
        {{"address", options->host + ":" + std::to_string(options->port)}, {"error", error.what()}});
    return 1;
  }
  auto address = options->host + ":" + std::to_string(service->port());
  evstream::ops::log(evstream::ops::log_level::info, "listening",
                     {{"address", address},
                      {"tls", service->tls()},
                      {"version", evstream::ops::version()},
                      {"commit", evstream::ops::commit()}});
  std::cout << "evstream listening on " << (service->tls() ? "https://" : "http://") << address
            << " (stream: " << (service->tls() ? "wss://" : "ws://") << address
            << "/api/v1/streams/valid_tx, source: "
            << (options->source == evstream::block_source_kind::upstream ? "upstream " + cfg.upstream
                                                                         : cfg.source);
  if (auto port = service->published_port())
    std::cout << ", relay feed: " << options->publish_host << ":" << *port;
  std::cout << ")\n"
            << "evstream: watch it live at " << (service->tls() ? "https://" : "http://") << address
            << "/demo" << std::endl;

  std::atomic<bool> stop_feeding{false};
  std::thread feeder;
  if (options->source == evstream::block_source_kind::stdin_lines)
    feeder = std::thread{[&] {
      evstream::feed_lines(system, service->block_source(), STDIN_FILENO, options->server.max_body_bytes,
                           stop_feeding);
    }};

  int received = 0;
  sigwait(&shutdown_signals, &received);
  std::cout << "evstream: shutting down (" << (received == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
  stop_feeding = true;
  if (feeder.joinable()) feeder.join();
  service->stop();
  service.reset();
  return 0;
}
