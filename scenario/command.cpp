#include "scenario/command.hpp"

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

struct command_options : caf::actor_system_config {
  std::string live;
  double time_scale = 1.0;
  int server_pid = 0;
  bool server_options = false;

  command_options() {
    opt_group{custom_options_, "global"}
        .add(live, "live,l", "play against the server at this URL (http://HOST:PORT) instead of simulating")
        .add(time_scale, "time-scale",
             "live: real seconds per scenario second, e.g. 0.01 (the server's timeouts scaled alike)")
        .add(server_pid, "server-pid", "live: the server's process id, for the shutdown step (SIGTERM)")
        .add(server_options, "server-options",
             "print the options a live server needs for these scenarios at --time-scale, and exit");
  }
};

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
    where = std::make_unique<live_stage>(live_target{options.live, options.time_scale, options.server_pid});
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
  std::istringstream no_ini_file;
  if (auto err = options.parse(caf::actor_system_config::string_list(argv + 1, argv + argc), no_ini_file)) {
    std::cerr << "evstream scenario: " << options.render(err) << "\n";
    return 2;
  }
  if (options.cli_helptext_printed) return 0;
  const auto& paths = options.remainder;
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
