#include "scenario/command.hpp"

#include "cli/options.hpp"
#include "scenario/duration.hpp"
#include "scenario/live_stage.hpp"
#include "scenario/runner.hpp"
#include "scenario/simulated_stage.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

namespace evstream::scenario {

namespace {

struct command_options {
  std::string live;
  double time_scale = 1.0;
  std::size_t server_pid = 0;
  bool server_options = false;
};

cli::option_table options_of(command_options& v) {
  cli::option_table table;
  table.group("Options")
      .add("live", v.live, "URL",
           "play against the server at this URL (http://HOST:PORT) instead of simulating")
      .add("time-scale", v.time_scale, "FACTOR",
           "live: real seconds per scenario second, e.g. 0.01 (the server's timeouts scaled alike)")
      .add("server-pid", v.server_pid, "PID",
           "live: the server's process id, for the shutdown step (SIGTERM)")
      .add("server-options", v.server_options,
           "print the options a live server needs for these scenarios at --time-scale, and exit");
  return table;
}

std::optional<scenario> load(const std::string& path) {
  std::ifstream file{path};
  if (!file) {
    std::cerr << "evstream scenario: cannot read " << path << "\n";
    return std::nullopt;
  }
  std::stringstream text;
  text << file.rdbuf();
  auto parsed = parse_scenario(text.str());
  if (!parsed) {
    std::cerr << path << ": " << parsed.error().message << " (at " << parsed.error().path << ")\n";
    return std::nullopt;
  }
  return *std::move(parsed);
}

// The server options that make a live server behave as the scenario assumes,
// its timeout scaled to the live clock. The closing handshake gets a minute:
// a client that stopped reading finds its close frame only when it reads
// again, after steps that take real time (posting blocks) but no scenario
// time, and the simulated server has no such deadline either.
std::string server_options_for(const server_settings& settings, double time_scale) {
  auto keepalive = std::chrono::duration_cast<caf::timespan>(
      std::chrono::duration<double, std::nano>(settings.keepalive_timeout.count() * time_scale));
  return "--source=ingest --handshake-timeout=1min --keepalive-timeout=" + to_caf_duration(keepalive)
         + " --send-budget-bytes=" + std::to_string(settings.send_budget_bytes)
         + " --max-message-bytes=" + std::to_string(settings.max_message_bytes);
}

bool play_file(const std::string& path, const scenario& scenario, const command_options& options) {
  auto started = std::chrono::steady_clock::now();
  std::cout << "scenario " << scenario.name << " (" << path << ")"
            << (options.live.empty() ? ", simulated" : ", live against " + options.live) << "\n";
  std::unique_ptr<stage> where;
  std::uint64_t seed = scenario.seed.value_or(1);
  if (options.live.empty()) {
    where = std::make_unique<simulated_stage>(scenario.settings);
  } else {
    where = std::make_unique<live_stage>(
        live_target{options.live, options.time_scale, static_cast<pid_t>(options.server_pid)});
    // A server keeps refusing blocks it has seen: a fresh chain per run.
    if (!scenario.seed) seed = std::random_device{}();
  }
  bool passed = play(scenario, *where, seed, std::cout);
  auto scenario_time = where->now();
  where.reset(); // live clients close before the summary
  auto real_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count();
  std::cout << (passed ? "PASSED " : "FAILED ") << scenario.name << ": " << scenario.steps.size()
            << " steps, " << describe_time(scenario_time) << " scenario time, " << real_ms << " ms real\n\n";
  return passed;
}

} // namespace

int scenario_command(int argc, char** argv) {
  command_options options;
  auto table = options_of(options);
  auto read = cli::read(table, {{argv + 1, argv + argc}, {}, {}, {}, {}});
  if (!read) {
    std::cerr << "evstream scenario: " << read.error().message << "\n";
    return 2;
  }
  if (read->help) {
    std::cout << "usage: evstream scenario [OPTIONS] FILE...\n\n" << cli::describe(table);
    return 0;
  }
  const auto& paths = read->words;
  if (paths.empty()) {
    std::cerr
        << "usage: evstream scenario [--live=http://HOST:PORT [--time-scale=F] [--server-pid=PID]] FILE...\n"
           "       evstream scenario --server-options [--time-scale=F] FILE\n";
    return 2;
  }
  if (!(options.time_scale > 0)) {
    std::cerr << "evstream scenario: --time-scale must be above 0\n";
    return 2;
  }
  std::vector<scenario> scenarios;
  for (const auto& path : paths) {
    auto loaded = load(path);
    if (!loaded) return 2;
    scenarios.push_back(std::move(*loaded));
  }
  if (options.server_options) {
    if (scenarios.size() != 1) {
      std::cerr << "evstream scenario: --server-options takes one scenario file\n";
      return 2;
    }
    std::cout << server_options_for(scenarios.front().settings, options.time_scale) << "\n";
    return 0;
  }
  bool all_passed = true;
  try {
    for (std::size_t i = 0; i < paths.size(); ++i)
      all_passed = play_file(paths[i], scenarios[i], options) && all_passed;
  } catch (const std::exception& error) {
    std::cerr << "evstream scenario: " << error.what() << "\n";
    return 2;
  }
  return all_passed ? 0 : 1;
}

} // namespace evstream::scenario
