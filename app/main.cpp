// evstream: reads the configuration, starts the service, serves until SIGINT
// or SIGTERM, then closes every client with 1001 and exits 0. SIGHUP reloads
// what can change without a restart (app/reload.hpp).
// `evstream tail URL` is the command-line subscriber instead, and
// `evstream scenario …` plays scenario files (scenario/command.hpp).
#include "app/config.hpp"
#include "app/reload.hpp"
#include "app/stdin_feeder.hpp"
#include "client/tail_command.hpp"
#include "ops/build_info.hpp"
#include "ops/log.hpp"
#include "scenario/command.hpp"

#include <boost/json/object.hpp>
#include <caf/io/middleman.hpp>

#include <atomic>
#include <csignal>
#include <iostream>
#include <optional>
#include <pthread.h>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace {

constexpr const char* usage = R"(evstream: streams every newly validated transaction to WebSocket subscribers.

usage: evstream [OPTIONS]                 serve (on the demo source unless --source says otherwise)
       evstream tail [OPTIONS] URL        print a node's events, one JSON line each (tail --help)
       evstream scenario [OPTIONS] FILE   play scenario files (scenario --help)

Each option can be given on the command line (--port=9984 or --port 9984),
as an environment variable (EVSTREAM_PORT=9984, EVSTREAM_CAF_SCHEDULER_MAX_THREADS=2)
or in an INI file (port = 9984); the command line wins over the environment,
and the environment over the files. --dump-config shows where each value came from.

)";

// `evstream tial …`: a word where none belongs, likely a misspelt command.
std::string stray_word(const std::string& word) {
  if (auto command = evstream::cli::closest(word, {"tail", "scenario"}))
    return "unexpected word \"" + word + "\" (did you mean evstream " + *command + "?)";
  return "unexpected word \"" + word + "\": evstream takes options only; its commands are tail and scenario";
}

// A configuration that cannot start: a sentence for a person at a terminal,
// a JSON log line like every other for journald or a pipe. Exit code 2.
int refuse_configuration(const std::string& why) {
  if (isatty(STDERR_FILENO))
    std::cerr << "evstream: " << why << "\n";
  else
    evstream::ops::log(evstream::ops::log_level::error, "invalid_configuration", {{"error", why}});
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view{argv[1]} == "tail") return evstream::client::run_tail(argc - 1, argv + 1);
  if (argc > 1 && std::string_view{argv[1]} == "scenario")
    return evstream::scenario::scenario_command(argc - 1, argv + 1);
  evstream::settings values;
  auto table = evstream::options_of(values);
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto read = evstream::cli::read(table, evstream::sources_of(args));
  if (!read) {
    return refuse_configuration(read.error().message);
  }
  if (read->help) {
    std::cout << usage << evstream::cli::describe(table);
    return 0;
  }
  if (values.version) {
    std::cout << "evstream " << evstream::ops::version() << " (commit " << evstream::ops::commit() << ")\n";
    return 0;
  }
  if (!read->words.empty()) {
    return refuse_configuration(stray_word(read->words.front()));
  }
  auto options = evstream::to_service_options(values);
  if (!options) {
    return refuse_configuration(options.error());
  }
  if (values.dump_config) {
    std::cout << evstream::cli::dump(table, *read);
    return 0;
  }
  // Block the shutdown and reload signals before any thread starts, so every thread
  // inherits the mask and only sigwait below receives them.
  sigset_t handled_signals;
  sigemptyset(&handled_signals);
  sigaddset(&handled_signals, SIGINT);
  sigaddset(&handled_signals, SIGTERM);
  sigaddset(&handled_signals, SIGHUP); // a reload
  pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);

  // The network layer starts a thread of its own; only a node that relays needs it.
  caf::actor_system_config cfg;
  evstream::configure(cfg, values);
  if (evstream::relays(values)) {
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
  auto url = (service->tls() ? "https://" : "http://") + address;
  auto stream_url = (service->tls() ? "wss://" : "ws://") + address + "/api/v1/streams/valid_tx";
  auto source = values.upstream.empty() ? values.source : "upstream " + values.upstream;
  boost::json::object listening{{"address", address},
                                {"url", url},
                                {"stream_url", stream_url},
                                {"source", source},
                                {"tls", service->tls()},
                                {"version", evstream::ops::version()},
                                {"commit", evstream::ops::commit()}};
  auto feed = service->published_port();
  if (feed) listening["relay_feed"] = options->publish_host + ":" + std::to_string(*feed);
  boost::json::object effective;
  for (auto& [name, value] : evstream::cli::effective(table))
    effective[name] = value;
  listening["config"] = std::move(effective);
  evstream::ops::log_lifecycle("listening", std::move(listening));
  // For a person at a terminal; under systemd or a pipe, stderr's JSON says it all.
  if (isatty(STDOUT_FILENO)) {
    std::cout << "evstream listening on " << url << " (stream: " << stream_url << ", source: " << source;
    if (feed) std::cout << ", relay feed: " << options->publish_host << ":" << *feed;
    std::cout << ")\nevstream: watch it live at " << url << "/demo" << std::endl;
  }

  std::atomic<bool> stop_feeding{false};
  std::thread feeder;
  if (options->source == evstream::block_source_kind::stdin_lines)
    feeder = std::thread{[&] {
      evstream::feed_lines(system, service->block_source(), STDIN_FILENO, options->server.max_body_bytes,
                           stop_feeding);
    }};

  int received = 0;
  while (sigwait(&handled_signals, &received) == 0 && received == SIGHUP)
    evstream::reload(*service, args, values);
  evstream::ops::log_lifecycle("shutting_down", {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  stop_feeding = true;
  if (feeder.joinable()) feeder.join();
  service->stop();
  service.reset();
  evstream::ops::log_lifecycle("stopped");
  return 0;
}
