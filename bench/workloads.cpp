#include "bench/workloads.hpp"

#include "bench/block_poster.hpp"
#include "bench/block_set.hpp"
#include "bench/churn_client.hpp"
#include "bench/client_fleet.hpp"
#include "bench/nats_process.hpp"
#include "bench/proc_stats.hpp"
#include "bench/reference_server.hpp"
#include "bench/server_process.hpp"
#include "bench/tls_material.hpp"
#include "schema/block.hpp"
#include "schema/block_dom.hpp"
#include "schema/stream_events.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace evstream::bench {

namespace {

using namespace std::chrono_literals;
using figures = std::map<std::string, double>;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

template <class Duration>
std::int64_t ns(Duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

double value_of(const figures& values, const std::string& name) {
  auto found = values.find(name);
  return found == values.end() ? nan : found->second;
}

std::string count_of(std::size_t part, std::size_t whole) {
  return std::to_string(part) + " of " + std::to_string(whole);
}

// Descriptors kept free for everything but the subscribers: /proc reads, logs,
// the poster, epoll.
constexpr std::size_t spare_descriptors = 1024;

// How many connections this machine lets one process hold: the load generator
// and the server each need one descriptor per connection, and without
// CAP_SYS_RESOURCE neither can go past the hard RLIMIT_NOFILE.
std::size_t connections_possible(std::size_t wanted, std::string& why) {
  const auto limit = raise_open_files(wanted + spare_descriptors);
  if (limit >= wanted + spare_descriptors) return wanted;
  const std::size_t possible = limit > spare_descriptors ? limit - spare_descriptors : 0;
  why = "RLIMIT_NOFILE cannot be raised past " + std::to_string(limit)
        + " here (raising the hard limit needs CAP_SYS_RESOURCE), so " + std::to_string(possible)
        + " connections ran, not " + std::to_string(wanted);
  return possible;
}

// ---------------------------------------------------------------------------
// Bounding every repetition in time

// Past a repetition's deadline by this much, something hangs that the
// deadline checks cannot reach: the watchdog kills the servers and exits.
constexpr auto watchdog_slack = 30s;

class watchdog {
public:
  static watchdog& instance() {
    static auto* dog = new watchdog; // never destroyed: its thread runs until exit
    return *dog;
  }

  void arm(std::int64_t at_ns, std::string what) {
    std::lock_guard lock{mutex_};
    at_ns_ = at_ns;
    what_ = std::move(what);
  }

  void disarm() {
    std::lock_guard lock{mutex_};
    at_ns_ = 0;
  }

private:
  watchdog() {
    std::thread{[this] {
      for (;;) {
        std::this_thread::sleep_for(200ms);
        std::lock_guard lock{mutex_};
        if (at_ns_ != 0 && now_ns() > at_ns_) {
          std::cerr << "evstream_bench: " << what_ << " hangs " << watchdog_slack.count()
                    << " s past its deadline; killing the servers and giving up\n";
          kill_all_servers();
          std::_Exit(3);
        }
      }
    }}.detach();
  }

  std::mutex mutex_;
  std::int64_t at_ns_ = 0;
  std::string what_;
};

struct watchdog_scope {
  watchdog_scope(std::int64_t deadline_ns, std::string what) {
    watchdog::instance().arm(deadline_ns + ns(watchdog_slack), std::move(what));
  }
  ~watchdog_scope() { watchdog::instance().disarm(); }
  watchdog_scope(const watchdog_scope&) = delete;
  watchdog_scope& operator=(const watchdog_scope&) = delete;
};

enum class waited { done, deadline, server_ended };

// Polls `done` until it holds, the deadline passes or the server exits.
waited wait_until(server_process& server, std::int64_t deadline_ns, const std::function<bool()>& done) {
  for (;;) {
    if (done()) return waited::done;
    if (!server.running()) return waited::server_ended;
    if (now_ns() >= deadline_ns) return waited::deadline;
    std::this_thread::sleep_for(2ms);
  }
}

// Waits `duration`, or less when the deadline or the server's end comes first.
waited pause(server_process& server, std::chrono::nanoseconds duration, std::int64_t deadline_ns) {
  const auto until = now_ns() + duration.count();
  auto result = wait_until(server, std::min(until, deadline_ns), [] { return false; });
  return result == waited::deadline && until <= deadline_ns ? waited::done : result;
}

std::string describe(waited what, server_process& server, const std::string& doing) {
  if (what == waited::deadline) return "the repetition's deadline passed while " + doing;
  return "the server ended (" + server.exit_description() + ") while " + doing
         + "; its log ends: " + server.log_tail();
}

// ---------------------------------------------------------------------------
// Servers

std::unique_ptr<server_process> start_server(const bench_settings& settings, bool reference,
                                             const std::vector<std::string>& extra_args,
                                             const reference_options& blocks, std::size_t connections,
                                             const std::string& name, unsigned long starved_open_files = 0) {
  static int runs = 0;
  std::vector<std::string> argv;
  if (reference) {
    argv = {settings.self_path, "reference-server", "--seed=" + std::to_string(blocks.seed),
            "--blocks=" + std::to_string(blocks.blocks),
            "--transactions=" + std::to_string(blocks.transactions)};
  } else {
    argv = {settings.server_path, "--host=127.0.0.1", "--port=0", "--source=ingest"};
    argv.insert(argv.end(), settings.server_args.begin(), settings.server_args.end());
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  }
  std::string file = name;
  std::replace(file.begin(), file.end(), ' ', '-');
  file = settings.log_dir + "/" + std::to_string(++runs) + "-" + file
         + (reference ? "-reference" : "-evstream") + ".log";
  const auto open_files = static_cast<unsigned long>(connections + spare_descriptors);
  raise_open_files(open_files);
  // Starved: its limit lowered below the connections, not raised to fit them.
  return std::make_unique<server_process>(
      std::move(argv), starved_open_files > 0 ? starved_open_files : std::max(open_files, 4096ul), file);
}

// Starts a server; on failure, says why through `problem` and returns null.
std::unique_ptr<server_process> try_start_server(const bench_settings& settings, bool reference,
                                                 const std::vector<std::string>& extra_args,
                                                 const reference_options& blocks, std::size_t connections,
                                                 const std::string& name,
                                                 const std::function<void(const std::string&)>& problem,
                                                 unsigned long starved_open_files = 0) {
  try {
    return start_server(settings, reference, extra_args, blocks, connections, name, starved_open_files);
  } catch (const std::exception& error) {
    problem(error.what());
    return nullptr;
  }
}

// SIGTERM must end the server with exit 0 (docs/operations.md); a server that already
// died was reported where it was noticed.
void stop_server(server_process& server, waited last_wait,
                 const std::function<void(const std::string&)>& problem,
                 std::chrono::milliseconds grace = 10s) {
  const auto exit = server.stop(grace);
  if (exit != "exit 0" && last_wait != waited::server_ended)
    problem("the server ended with " + exit
            + " when stopped with SIGTERM; its log ends: " + server.log_tail());
}

// `count` subscribers of the server at `endpoint`, from spread source
// addresses; `customise` may change each one's options.
std::unique_ptr<client_fleet>
make_fleet(const bench_settings& settings, const tcp::endpoint& endpoint, const std::string& upgrade,
           std::size_t count, const std::function<void(std::size_t, subscriber_options&)>& customise = {}) {
  auto fleet = std::make_unique<client_fleet>(settings.client_threads);
  for (std::size_t i = 0; i < count; ++i) {
    subscriber_options options;
    options.server = endpoint;
    options.source = spread_source_address(i);
    options.upgrade_request = &upgrade;
    if (customise) customise(i, options);
    fleet->add(options);
  }
  return fleet;
}

// Which server runs first in a repetition: alternating, so that drift on a
// shared machine favours neither.
std::vector<bool> reference_first_order(std::size_t rep, bool with_reference) {
  if (!with_reference) return {false};
  return rep % 2 == 0 ? std::vector<bool>{false, true} : std::vector<bool>{true, false};
}

struct cpu_snapshot {
  std::int64_t at_ns = now_ns();
  double own = own_cpu_seconds();
  std::vector<double> threads;
};

cpu_snapshot snapshot(const client_fleet& fleet) {
  cpu_snapshot s;
  s.threads = fleet.thread_cpu_seconds();
  return s;
}

// The load generator's CPU between two snapshots: cores used by the whole
// process, and the share of a core its busiest io thread used.
void add_load_generator(figures& out, const cpu_snapshot& before, const cpu_snapshot& after,
                        const std::string& prefix = "bench") {
  const double wall = ns_to_s(after.at_ns - before.at_ns);
  if (wall <= 0) return;
  out[prefix + "_cores"] = (after.own - before.own) / wall;
  double busiest = 0;
  for (std::size_t i = 0; i < after.threads.size() && i < before.threads.size(); ++i)
    busiest = std::max(busiest, (after.threads[i] - before.threads[i]) / wall);
  out[prefix + "_busiest_thread"] = busiest;
}

// A client thread at 90 % of a core is a bottleneck: the figures measure it too.
constexpr double saturated_share = 0.9;

std::string load_generator_cell(const repetitions& reps, const std::string& side,
                                const std::string& prefix = "bench") {
  return fixed(reps.median(side + "." + prefix + "_cores"), 2) + " ("
         + fixed(reps.median(side + "." + prefix + "_busiest_thread"), 2) + ")";
}

std::string saturation_note(const repetitions& reps, const std::vector<std::string>& sides,
                            const std::string& prefix = "bench") {
  for (const auto& side : sides)
    if (reps.median(side + "." + prefix + "_busiest_thread") >= saturated_share)
      return "SATURATED: a client thread used ≥ 90 % of a core (" + side
             + " run); figures are partly the client's";
  return {};
}

// ---------------------------------------------------------------------------
// Streaming blocks to subscribers (W1, W4)

// Subscribers with a URL of their own (a filter, a cursor) and what they must receive.
struct subscriber_group {
  std::size_t count = 0;
  std::string target;
  const expected_stream* expected = nullptr;
};

struct stream_plan {
  std::string name;
  bool reference = false;
  std::size_t subscribers = 0;
  // What the measured subscribers must receive; null: every event of the blocks.
  const expected_stream* expected = nullptr;
  std::size_t slow = 0;
  int slow_receive_buffer = 4096;
  // After the slow ones; checked, but not measured.
  std::vector<subscriber_group> neighbours;
  // Posted before anyone subscribes (a resume cursor needs a block to name).
  std::vector<block_request>* warmup = nullptr;
  std::chrono::microseconds interval{0};
  std::vector<std::string> server_args;
  // W8: two evstream nodes on one nats-server; blocks are posted to the
  // first and the subscribers read the second.
  bool jetstream = false;
};

struct run_outcome {
  figures values;
  std::vector<std::string> problems;
};

std::string describe_incomplete(const subscriber_result& r, const expected_stream& expected) {
  std::string text = "received " + count_of(r.in_order, expected.total()) + " events in order";
  if (r.lost + r.duplicates + r.unknown + r.extra > 0)
    text += ", " + std::to_string(r.lost) + " skipped, " + std::to_string(r.duplicates)
            + " duplicated or reordered, " + std::to_string(r.unknown) + " unknown, "
            + std::to_string(r.extra) + " extra";
  if (!r.first_problem.empty()) text += "; first: " + r.first_problem;
  if (r.ended) text += "; ended: " + r.end;
  return text;
}

run_outcome stream_blocks(const bench_settings& settings, const stream_plan& plan, const block_set& blocks,
                          std::vector<block_request>& requests) {
  run_outcome out;
  auto problem = [&out](const std::string& text) { out.problems.push_back(text); };
  const auto deadline = now_ns() + ns(settings.deadline);
  watchdog_scope guard{deadline, plan.name};
  const std::size_t measured_and_slow = plan.subscribers + plan.slow;
  std::size_t total = measured_and_slow;
  for (const auto& group : plan.neighbours)
    total += group.count;
  const expected_stream& expected = plan.expected ? *plan.expected : blocks.expected;

  std::unique_ptr<nats_process> nats;
  std::unique_ptr<server_process> ingest_node;
  auto server_args = plan.server_args;
  if (plan.jetstream) {
    try {
      nats = std::make_unique<nats_process>(settings.log_dir + "/" + plan.name + "-nats-server.log");
    } catch (const std::exception& error) {
      problem(error.what());
      return out;
    }
    server_args.push_back("--jetstream=" + nats->url());
    ingest_node = try_start_server(settings, false, server_args, {}, 16, plan.name + " ingest node", problem);
    if (!ingest_node) return out;
  }
  auto server = try_start_server(settings, plan.reference, server_args,
                                 {settings.seed, blocks.json.size(), blocks.events.front().size()}, total,
                                 plan.name, problem);
  if (!server) return out;
  const std::uint16_t ingest_port = ingest_node ? ingest_node->port() : server->port();
  if (plan.warmup) {
    block_poster warmup{*plan.warmup, server->port()};
    warmup.start(0us);
    if (wait_until(*server, deadline, [&] { return warmup.finished(); }) != waited::done
        || warmup.accepted() != plan.warmup->size())
      problem("the warm-up blocks were not all accepted: " + warmup.problem());
  }
  const tcp::endpoint endpoint{asio::ip::make_address_v4("127.0.0.1"), server->port()};
  const std::string upgrade = upgrade_request_for(endpoint);
  std::vector<std::string> neighbour_upgrades;
  for (const auto& group : plan.neighbours)
    neighbour_upgrades.push_back(upgrade_request_for(endpoint, group.target));
  auto fleet =
      make_fleet(settings, endpoint, upgrade, total, [&](std::size_t i, subscriber_options& options) {
        options.expected = &expected;
        if (i >= plan.subscribers && i < measured_and_slow) {
          options.reads_while_streaming = false;
          options.receive_buffer_bytes = plan.slow_receive_buffer;
        }
        std::size_t first = measured_and_slow;
        for (std::size_t g = 0; g < plan.neighbours.size(); first += plan.neighbours[g++].count)
          if (i >= first && i < first + plan.neighbours[g].count) {
            options.upgrade_request = &neighbour_upgrades[g];
            options.expected = plan.neighbours[g].expected;
          }
      });
  auto& progress = fleet->progress();
  const auto connect_started = now_ns();
  fleet->connect_all(settings.connect_window);
  auto result = wait_until(*server, deadline, [&] { return progress.subscribed + progress.failed == total; });
  if (result != waited::done) problem(describe(result, *server, "subscribing"));
  out.values["subscribe_s"] = ns_to_s(now_ns() - connect_started);

  const std::size_t normal_subscribed = progress.subscribed - progress.slow_subscribed;
  const double server_cpu_before = server->cpu_seconds();
  const auto before = snapshot(*fleet);
  block_poster poster{requests, ingest_port};
  if (result == waited::done) {
    poster.start(plan.interval);
    std::int64_t short_since = 0;
    result = wait_until(*server, deadline, [&] {
      if (!poster.finished()) return false;
      if (progress.completed + progress.ended_incomplete >= normal_subscribed) return true;
      // A refused block never arrives: give the rest a moment, then stop waiting.
      if (poster.accepted() == requests.size()) return false;
      if (short_since == 0) short_since = now_ns();
      return now_ns() - short_since > ns(2s);
    });
    if (result != waited::done)
      problem(describe(result, *server, "streaming " + std::to_string(requests.size()) + " blocks"));
  }
  const double server_cpu = server->running() ? server->cpu_seconds() - server_cpu_before : nan;
  const auto after = snapshot(*fleet);
  poster.stop();
  if (!poster.problem().empty()) problem("posting: " + poster.problem());
  // Anything after the last event is a duplicate: give it time to show up.
  if (result == waited::done) pause(*server, 300ms, deadline);

  if (plan.slow > 0 && server->running()) {
    // A consumer that never reads cannot see its close frame; now it reads.
    const std::size_t slow_subscribed = progress.slow_subscribed;
    for (std::size_t i = plan.subscribers; i < total; ++i)
      fleet->post_to(i, [](subscriber& s) { s.resume_reading(); });
    wait_until(*server, std::min(deadline, now_ns() + ns(10s)),
               [&] { return progress.slow_ended >= slow_subscribed; });
  }
  const double peak_rss_kib = server->running() ? static_cast<double>(server->peak_rss_kib()) : nan;
  fleet->stop();

  std::vector<double> latencies_ms;
  std::size_t delivered = 0, complete = 0, failed = 0, incomplete = 0;
  std::string first_failure, first_incomplete;
  std::int64_t last_event = 0;
  const auto& sent = poster.sent_ns();
  for (std::size_t i = 0; i < plan.subscribers; ++i) {
    const auto& sub = fleet->at(i);
    const auto& r = sub.result();
    if (!r.subscribed) {
      if (failed++ == 0) first_failure = "subscriber " + std::to_string(i) + ": " + r.failure;
      continue;
    }
    delivered += r.in_order;
    if (sub.complete())
      ++complete;
    else if (incomplete++ == 0)
      first_incomplete = "subscriber " + std::to_string(i) + " " + describe_incomplete(r, expected);
    for (std::size_t b = 0; b < r.block_done_ns.size() && b < sent.size(); ++b)
      if (r.block_done_ns[b] > 0 && sent[b] > 0) {
        latencies_ms.push_back(ns_to_ms(r.block_done_ns[b] - sent[b]));
        last_event = std::max(last_event, r.block_done_ns[b]);
      }
  }
  if (failed > 0)
    problem(count_of(failed, plan.subscribers) + " subscribers could not subscribe (first, " + first_failure
            + ")");
  if (incomplete > 0)
    problem(count_of(incomplete, plan.subscribers - failed)
            + " subscribers did not receive every event exactly once and in order (first, " + first_incomplete
            + ")");

  std::size_t first = measured_and_slow;
  for (const auto& group : plan.neighbours) {
    std::size_t incomplete_neighbours = 0;
    std::string first_problem;
    for (std::size_t i = first; i < first + group.count; ++i)
      if (!fleet->at(i).complete() && incomplete_neighbours++ == 0)
        first_problem = "subscriber " + std::to_string(i) + " "
                        + describe_incomplete(fleet->at(i).result(), *group.expected);
    if (incomplete_neighbours > 0)
      problem(count_of(incomplete_neighbours, group.count) + " subscribers of " + group.target
              + " did not receive what they should, once and in order (first, " + first_problem + ")");
    first += group.count;
  }

  std::size_t slow_closed_right = 0, slow_events = 0;
  for (std::size_t i = plan.subscribers; i < measured_and_slow; ++i) {
    const auto& r = fleet->at(i).result();
    slow_events += r.in_order;
    if (r.problems())
      problem("slow subscriber " + std::to_string(i)
              + " read a wrong prefix of the stream: " + r.first_problem);
    const bool closed_right =
        r.close_frame && r.close_code == 1008 && r.close_reason.rfind("slow consumer", 0) == 0;
    if (closed_right)
      ++slow_closed_right;
    else
      problem("slow subscriber " + std::to_string(i) + " was not closed with 1008 \"slow consumer…\": "
              + (!r.subscribed ? "never subscribed: " + r.failure
                 : r.ended     ? r.end
                               : "still open 10 s after it began to read, " + std::to_string(r.in_order)
                                 + " events read"));
  }
  fleet.reset(); // clients gone first, so that the server's shutdown has no one to wait for
  stop_server(*server, result, problem);
  if (ingest_node) stop_server(*ingest_node, result, problem);

  const double window_s =
      last_event > 0 && !sent.empty() && sent[0] > 0 ? ns_to_s(last_event - sent[0]) : nan;
  auto& v = out.values;
  v["events_per_s"] = static_cast<double>(delivered) / window_s;
  v["latency_p50_ms"] = percentile(latencies_ms, 50);
  v["latency_p99_ms"] = percentile(latencies_ms, 99);
  v["latency_max_ms"] = percentile(latencies_ms, 100);
  v["peak_rss_mib"] = peak_rss_kib / 1024.0;
  v["server_cpu_s_per_m_events"] = delivered > 0 ? server_cpu / (static_cast<double>(delivered) / 1e6) : nan;
  v["complete"] = static_cast<double>(complete);
  v["subscribers"] = static_cast<double>(plan.subscribers);
  v["delivered_events"] = static_cast<double>(delivered);
  if (!requests.empty() && poster.answered_ns().back() > 0)
    v["ingest_blocks_per_s"] =
        static_cast<double>(requests.size()) / ns_to_s(poster.answered_ns().back() - sent[0]);
  if (plan.slow > 0) {
    v["slow_closed_right"] = static_cast<double>(slow_closed_right);
    v["slow_events_read"] = static_cast<double>(slow_events) / static_cast<double>(plan.slow);
  }
  add_load_generator(v, before, after);
  return out;
}

std::string latency_cell(const repetitions& reps, const std::string& side) {
  return fixed(reps.median(side + ".latency_p50_ms"), 1) + " / "
         + fixed(reps.median(side + ".latency_p99_ms"), 1) + " / "
         + fixed(reps.median(side + ".latency_max_ms"), 1);
}

std::string complete_cell(const repetitions& reps, const std::string& side) {
  // The worst repetition counts: one lost event anywhere is a failure.
  const auto complete = reps.median(side + ".complete");
  const auto total = reps.median(side + ".subscribers");
  if (!std::isfinite(complete)) return "–";
  return fixed(complete, 0) + "/" + fixed(total, 0);
}

void progress_line(const std::string& name, const run_outcome& outcome) {
  auto get = [&outcome](const char* key) { return value_of(outcome.values, key); };
  std::cerr << "  " << name << ": " << si(get("events_per_s")) << " events/s, p99 "
            << fixed(get("latency_p99_ms"), 1) << " ms, " << fixed(get("complete"), 0) << "/"
            << fixed(get("subscribers"), 0) << " complete"
            << (outcome.problems.empty() ? ""
                                         : ", " + std::to_string(outcome.problems.size()) + " problem(s)")
            << "\n";
  for (const auto& p : outcome.problems)
    std::cerr << "    problem: " << p << "\n";
}

// ---------------------------------------------------------------------------
// Idle subscribers (W2)

run_outcome hold_idle(const bench_settings& settings, bool reference, const idle_params& params,
                      const std::string& name) {
  run_outcome out;
  auto problem = [&out](const std::string& text) { out.problems.push_back(text); };
  const auto deadline = now_ns() + ns(settings.deadline);
  watchdog_scope guard{deadline, name};
  const std::size_t total = params.connections;
  auto server = try_start_server(settings, reference, {}, {settings.seed, 0, 0}, total, name, problem);
  if (!server) return out;
  pause(*server, 300ms, deadline);
  const long rss_before = server->rss_kib();

  const tcp::endpoint endpoint{asio::ip::make_address_v4("127.0.0.1"), server->port()};
  const std::string upgrade = upgrade_request_for(endpoint);
  auto fleet = make_fleet(settings, endpoint, upgrade, total);
  auto& progress = fleet->progress();
  const auto connect_before = snapshot(*fleet);
  const double server_cpu_connect = server->cpu_seconds();
  fleet->connect_all(settings.connect_window);
  auto result = wait_until(*server, deadline, [&] { return progress.subscribed + progress.failed == total; });
  if (result != waited::done)
    problem(describe(result, *server, "connecting " + std::to_string(total) + " subscribers"));
  const auto connect_after = snapshot(*fleet);
  const double server_cpu_connected = server->running() ? server->cpu_seconds() : nan;

  // Let the allocator settle before reading the resident size.
  pause(*server, 1s, deadline);
  const long rss_connected = server->running() ? server->rss_kib() : 0;

  const auto hold_before = snapshot(*fleet);
  const double server_cpu_hold = server->running() ? server->cpu_seconds() : nan;
  const auto hold_end = now_ns() + ns(params.hold);
  std::mt19937_64 random{settings.seed};
  const auto interval = std::chrono::duration_cast<clock::duration>(params.ping_interval);
  for (std::size_t i = 0; i < total; ++i) {
    // Spread the pings over the interval, as independent clients would.
    const clock::duration first{
        static_cast<clock::duration::rep>(random() % static_cast<std::uint64_t>(interval.count()))};
    fleet->post_to(
        i, [first, interval, hold_end](subscriber& s) { s.ping_periodically(first, interval, hold_end); });
  }
  if (result == waited::done) {
    result = wait_until(*server, deadline, [&] { return now_ns() >= hold_end; });
    if (result != waited::done) problem(describe(result, *server, "holding the connections"));
  }
  // The last pings' answers.
  wait_until(*server, std::min(deadline, now_ns() + ns(2s)), [&] { return progress.pings_in_flight <= 0; });
  const auto hold_after = snapshot(*fleet);
  const double server_cpu_held = server->running() ? server->cpu_seconds() : nan;
  const double peak_rss_kib = server->running() ? static_cast<double>(server->peak_rss_kib()) : nan;
  fleet->stop();

  std::size_t subscribed = 0, failed = 0, closed = 0, pings = 0, within = 0;
  std::string first_failure, first_closed;
  std::int64_t last_subscribed = 0;
  std::vector<double> rtt_ms;
  for (std::size_t i = 0; i < total; ++i) {
    const auto& r = fleet->at(i).result();
    if (!r.subscribed) {
      if (failed++ == 0) first_failure = "subscriber " + std::to_string(i) + ": " + r.failure;
      continue;
    }
    ++subscribed;
    last_subscribed = std::max(last_subscribed, r.subscribed_ns);
    if (r.ended && closed++ == 0) first_closed = "subscriber " + std::to_string(i) + ": " + r.end;
    pings += r.pings_sent - 1; // the first one subscribed
    for (auto rtt : r.pong_rtt_ns) {
      rtt_ms.push_back(ns_to_ms(rtt));
      within += rtt <= ns(1s) ? 1 : 0;
    }
  }
  if (failed > 0)
    problem(count_of(failed, total) + " subscribers could not subscribe (first, " + first_failure + ")");
  if (closed > 0)
    problem(count_of(closed, subscribed) + " idle subscribers were closed while pinging (first, "
            + first_closed + ")");
  fleet.reset();
  stop_server(*server, result, problem, 20s);

  auto& v = out.values;
  v["subscribed"] = static_cast<double>(subscribed);
  v["accepted_per_s"] = static_cast<double>(subscribed) / ns_to_s(last_subscribed - connect_before.at_ns);
  v["rss_per_connection_kib"] =
      subscribed > 0 ? static_cast<double>(rss_connected - rss_before) / static_cast<double>(subscribed)
                     : nan;
  v["rss_before_mib"] = static_cast<double>(rss_before) / 1024.0;
  v["peak_rss_mib"] = peak_rss_kib / 1024.0;
  v["pings"] = static_cast<double>(pings);
  v["pongs_within_1s"] = pings > 0 ? static_cast<double>(within) / static_cast<double>(pings) : nan;
  v["pong_p50_ms"] = percentile(rtt_ms, 50);
  v["pong_p99_ms"] = percentile(rtt_ms, 99);
  v["pong_max_ms"] = percentile(rtt_ms, 100);
  v["server_cpu_connect_ms_per_1k"] =
      subscribed > 0 ? (server_cpu_connected - server_cpu_connect) * 1e6 / static_cast<double>(subscribed)
                     : nan;
  v["server_cpu_hold_cores"] =
      (server_cpu_held - server_cpu_hold) / ns_to_s(hold_after.at_ns - hold_before.at_ns);
  add_load_generator(v, connect_before, connect_after, "bench_connect");
  add_load_generator(v, hold_before, hold_after, "bench_hold");
  return out;
}

// ---------------------------------------------------------------------------
// Keep-alive (W3)

run_outcome expire_silent(const bench_settings& settings, const keepalive_params& params,
                          const std::string& name) {
  run_outcome out;
  auto problem = [&out](const std::string& text) { out.problems.push_back(text); };
  const auto deadline = now_ns() + ns(settings.deadline);
  watchdog_scope guard{deadline, name};
  const std::size_t total = params.silent + params.pinging;
  auto server = try_start_server(settings, false,
                                 {"--keepalive-timeout=" + std::to_string(params.timeout.count()) + "ms"}, {},
                                 total, name, problem);
  if (!server) return out;
  const tcp::endpoint endpoint{asio::ip::make_address_v4("127.0.0.1"), server->port()};
  const std::string upgrade = upgrade_request_for(endpoint);
  auto fleet = make_fleet(settings, endpoint, upgrade, total);
  auto& progress = fleet->progress();
  fleet->connect_all(settings.connect_window);
  auto result = wait_until(*server, deadline, [&] { return progress.subscribed + progress.failed == total; });
  if (result != waited::done) problem(describe(result, *server, "subscribing"));

  // Silent subscribers ping a few times, each stopping at its own moment (the
  // first group after its subscribing ping), so closes are spread out.
  constexpr int stop_groups = 8;
  constexpr auto stop_step = 250ms;
  const auto started = now_ns();
  for (std::size_t i = 0; i < params.silent; ++i) {
    const auto until = started + ns(stop_step * static_cast<int>(i % stop_groups));
    const auto first = 100ms + 20ms * static_cast<int>(i % 5);
    fleet->post_to(i, [first, until](subscriber& s) { s.ping_periodically(first, 300ms, until); });
  }
  for (std::size_t i = params.silent; i < total; ++i)
    fleet->post_to(i, [](subscriber& s) {
      s.ping_periodically(100ms, 500ms, std::numeric_limits<std::int64_t>::max());
    });
  if (result == waited::done) {
    const auto give_up = std::min(deadline, started + ns(params.timeout + stop_step * stop_groups + 5s));
    result = wait_until(*server, give_up, [&] { return progress.ended >= params.silent; });
    // Pinging subscribers must outlive them all.
    pause(*server, 500ms, deadline);
  }
  fleet->stop();

  std::vector<double> after_ping_s;
  std::size_t early = 0, wrong_code = 0, open = 0, pinging_closed = 0;
  std::string first_wrong, first_pinging_closed;
  const double timeout_s = static_cast<double>(params.timeout.count()) / 1000.0;
  for (std::size_t i = 0; i < params.silent; ++i) {
    const auto& r = fleet->at(i).result();
    if (!r.subscribed) {
      problem("subscriber " + std::to_string(i) + " could not subscribe: " + r.failure);
      continue;
    }
    if (!r.ended) {
      ++open;
      continue;
    }
    const double gap = ns_to_s(r.ended_ns - r.last_ping_ns);
    after_ping_s.push_back(gap);
    early += gap < timeout_s ? 1 : 0;
    if (!(r.close_frame && r.close_code == 1008 && r.close_reason.rfind("no ping for", 0) == 0)
        && wrong_code++ == 0)
      first_wrong = "subscriber " + std::to_string(i) + ": " + r.end;
  }
  for (std::size_t i = params.silent; i < total; ++i) {
    const auto& r = fleet->at(i).result();
    if (r.ended && pinging_closed++ == 0)
      first_pinging_closed = "subscriber " + std::to_string(i) + ": " + r.end;
  }
  if (open > 0) problem(count_of(open, params.silent) + " silent subscribers were still open at the end");
  if (early > 0)
    problem(count_of(early, params.silent) + " silent subscribers were closed before the keep-alive timeout");
  if (wrong_code > 0)
    problem(count_of(wrong_code, params.silent)
            + " silent subscribers ended without 1008 \"no ping for …\" (first, " + first_wrong + ")");
  if (pinging_closed > 0)
    problem(count_of(pinging_closed, params.pinging) + " subscribers that kept pinging were closed (first, "
            + first_pinging_closed + ")");
  fleet.reset();
  stop_server(*server, result, problem);

  auto& v = out.values;
  v["after_last_ping_min_s"] = percentile(after_ping_s, 0);
  v["after_last_ping_max_s"] = percentile(after_ping_s, 100);
  v["early"] = static_cast<double>(early);
  v["closed_right"] = static_cast<double>(after_ping_s.size() - wrong_code);
  v["pinging_open"] = static_cast<double>(params.pinging - pinging_closed);
  return out;
}

// ---------------------------------------------------------------------------
// Ingest (W5)

// One subscriber of valid_tx reads along: the server encodes that stream (it
// encodes only streams with subscribers), as the reference does, and the
// subscriber checks that every event came, once and in order.
run_outcome ingest_blocks(const bench_settings& settings, std::vector<block_request>& requests,
                          const block_set& blocks, const std::string& name) {
  run_outcome out;
  auto problem = [&out](const std::string& text) { out.problems.push_back(text); };
  const auto deadline = now_ns() + ns(settings.deadline);
  watchdog_scope guard{deadline, name};
  auto server = try_start_server(settings, false, {}, {}, 1, name, problem);
  if (!server) return out;
  const tcp::endpoint endpoint{asio::ip::make_address_v4("127.0.0.1"), server->port()};
  const std::string upgrade = upgrade_request_for(endpoint);
  auto fleet = make_fleet(settings, endpoint, upgrade, 1, [&](std::size_t, subscriber_options& options) {
    options.expected = &blocks.expected;
  });
  auto& progress = fleet->progress();
  fleet->connect_all(1);
  auto result = wait_until(*server, deadline, [&] { return progress.subscribed + progress.failed == 1; });
  if (result != waited::done || progress.subscribed != 1)
    problem("the subscriber could not subscribe: " + fleet->at(0).result().failure);
  const double cpu_before = server->cpu_seconds();
  const auto own_before = own_cpu_seconds();
  block_poster poster{requests, server->port()};
  poster.start(std::chrono::microseconds{0});
  result = wait_until(*server, deadline, [&] { return poster.finished(); });
  if (result != waited::done) problem(describe(result, *server, "posting blocks"));
  const double cpu = server->running() ? server->cpu_seconds() - cpu_before : nan;
  const auto own = own_cpu_seconds() - own_before;
  poster.stop();
  if (!poster.problem().empty()) problem("posting: " + poster.problem());
  if (result == waited::done)
    wait_until(*server, std::min(deadline, now_ns() + ns(10s)),
               [&] { return progress.completed + progress.ended >= 1; });
  fleet->stop();
  const auto& reader = fleet->at(0);
  if (progress.subscribed == 1 && !reader.complete())
    problem("the subscriber " + describe_incomplete(reader.result(), blocks.expected));
  stop_server(*server, result, problem);

  const auto& sent = poster.sent_ns();
  const auto& answered = poster.answered_ns();
  const double seconds = answered.back() > 0 ? ns_to_s(answered.back() - sent.front()) : nan;
  auto& v = out.values;
  v["blocks_per_s"] = static_cast<double>(poster.accepted()) / seconds;
  v["mb_per_s"] = static_cast<double>(blocks.json_bytes()) / 1e6 / seconds;
  v["cpu_ms_per_block"] = cpu * 1e3 / static_cast<double>(requests.size());
  v["bench_cores"] = own / seconds;
  v["accepted"] = static_cast<double>(poster.accepted());
  v["complete"] = reader.complete() ? 1.0 : 0.0;
  v["subscribers"] = 1;
  return out;
}

// The in-process reference: the same blocks read by the DOM (parse_block_dom,
// the reading ingest used before parse_block went without a DOM), checked and
// encoded on one thread, with no HTTP and no actors. Ingest over HTTP beating
// it is what reading without a DOM buys.
run_outcome parse_in_process(const block_set& blocks) {
  run_outcome out;
  const auto own_before = own_cpu_seconds();
  const auto start = now_ns();
  std::size_t events = 0;
  for (const auto& text : blocks.json) {
    auto parsed = schema::parse_block_dom(text);
    events += schema::encode_valid_tx_events(parsed.value()).size();
  }
  const double seconds = ns_to_s(now_ns() - start);
  const double cpu = own_cpu_seconds() - own_before;
  auto& v = out.values;
  v["blocks_per_s"] = static_cast<double>(blocks.json.size()) / seconds;
  v["mb_per_s"] = static_cast<double>(blocks.json_bytes()) / 1e6 / seconds;
  v["cpu_ms_per_block"] = cpu * 1e3 / static_cast<double>(blocks.json.size());
  v["accepted"] = events > 0 ? static_cast<double>(blocks.json.size()) : 0.0;
  return out;
}

// ---------------------------------------------------------------------------
// Connection churn (W7)

// The round whose RSS the growth is measured from: the first rounds fill the
// allocator's arenas and the server's pools, which is not a leak.
constexpr std::size_t churn_baseline_round = 2;
// The product's target is under about 100 bytes per ended connection; 4 MB
// over the 30 000 connections between rounds 2 and 12 is about 130.
constexpr double churn_growth_bound_mb = 4.0;
// How long the connection gauges may take to read zero once a round's
// clients are done: every end the round uses is prompt, so seconds mean a leak.
constexpr auto churn_drain_bound = 10s;
// Descriptor exhaustion: a server that cannot accept must back off, not spin
// on the listening socket nor log every failed accept.
constexpr double starved_cpu_bound_cores = 0.25;
constexpr double starved_log_bound_mb_per_min = 1.0;
// evstream retries a failed accept at most 1 s apart: a few tries' worth.
constexpr auto starved_answer_bound = 10s;

std::string request_timeout_arg(std::chrono::milliseconds timeout) {
  return "--request-timeout=" + std::to_string(timeout.count()) + "ms";
}

// 36000 → "36 000"
std::string thousands(std::size_t n) {
  auto text = std::to_string(n);
  for (auto at = static_cast<std::ptrdiff_t>(text.size()) - 3; at > 0; at -= 3)
    text.insert(static_cast<std::size_t>(at), " ");
  return text;
}

struct connection_gauges {
  double http = nan;
  double websocket = nan;
  std::string error;
};

connection_gauges read_gauges(std::uint16_t port) {
  connection_gauges g;
  const auto text = http_get(port, "/metrics", 2s, g.error);
  if (!g.error.empty()) return g;
  g.http = metric_sample(text, R"(evstream_connections{kind="http"})");
  g.websocket = metric_sample(text, R"(evstream_connections{kind="websocket"})");
  if (std::isnan(g.websocket) || std::isnan(g.http))
    g.error = "/metrics has no evstream_connections{kind=\"http\"} and {kind=\"websocket\"}";
  return g;
}

run_outcome churn(const bench_settings& settings, bool reference, const churn_params& params,
                  const std::string& name) {
  run_outcome out;
  auto problem = [&out](const std::string& text) { out.problems.push_back(text); };
  const auto deadline = now_ns() + ns(settings.deadline);
  watchdog_scope guard{deadline, name};
  // A short request timeout, so the connections that wait it out keep the rounds short.
  std::vector<std::string> args;
  if (!reference) args.push_back(request_timeout_arg(params.request_timeout));
  auto server =
      try_start_server(settings, reference, args, {settings.seed, 0, 0}, params.in_flight, name, problem);
  if (!server) return out;
  pause(*server, 300ms, deadline);
  auto& v = out.values;
  v["rss_start_mb"] = static_cast<double>(server->rss_kib()) * 1024 / 1e6;

  churn_settings cs;
  cs.server = tcp::endpoint{asio::ip::make_address_v4("127.0.0.1"), server->port()};
  cs.in_flight = params.in_flight;
  cs.request_timeout_wait = params.request_timeout + 2s;
  churn_client client{cs};
  std::vector<double> rss_mb(params.rounds, nan);
  std::array<std::size_t, churn_ends> ended{}, failed{};
  std::size_t half_closed_by_server = 0, timed_out_by_server = 0;
  double timeout_close_min_ms = nan, timeout_close_max_ms = nan;
  std::string first_failure;
  std::int64_t churning_ns = 0;
  std::size_t churned = 0;
  double drain_max_ms = 0;
  waited result = waited::done;
  for (std::size_t r = 0; r < params.rounds; ++r) {
    const std::string round = "round " + std::to_string(r + 1);
    client.start_round(r * params.per_round, params.per_round);
    result = wait_until(*server, deadline, [&] { return client.finished(); });
    client.stop();
    const auto& got = client.result();
    for (std::size_t w = 0; w < churn_ends; ++w) {
      ended[w] += got.ended[w];
      failed[w] += got.failed[w];
    }
    half_closed_by_server += got.half_closed_by_server;
    if (got.timed_out_by_server > 0) {
      timeout_close_min_ms = std::isnan(timeout_close_min_ms)
                                 ? got.timeout_close_min_ms
                                 : std::min(timeout_close_min_ms, got.timeout_close_min_ms);
      timeout_close_max_ms = std::isnan(timeout_close_max_ms)
                                 ? got.timeout_close_max_ms
                                 : std::max(timeout_close_max_ms, got.timeout_close_max_ms);
    }
    timed_out_by_server += got.timed_out_by_server;
    if (first_failure.empty() && !got.first_failure.empty()) first_failure = round + ", " + got.first_failure;
    if (result != waited::done) {
      problem(describe(result, *server, "churning " + round));
      break;
    }
    churning_ns += got.others_finished_ns - got.started_ns;
    churned += got.others;

    // The round is over for the server too once it counts no connection but
    // the scrape's own.
    const auto drain_started = now_ns();
    const auto drain_until = std::min(deadline, drain_started + ns(churn_drain_bound));
    connection_gauges gauges;
    std::int64_t next_scrape = 0;
    result = wait_until(*server, drain_until, [&] {
      if (now_ns() < next_scrape) return false;
      next_scrape = now_ns() + ns(20ms);
      gauges = read_gauges(server->port());
      return gauges.error.empty() && gauges.websocket == 0 && gauges.http <= 1;
    });
    if (result == waited::server_ended) {
      problem(describe(result, *server, "waiting for the connections of " + round + " to end"));
      break;
    }
    if (result == waited::done) {
      drain_max_ms = std::max(drain_max_ms, ns_to_ms(now_ns() - drain_started));
    } else {
      problem(gauges.error.empty()
                  ? "after " + round + " the server still counted " + fixed(gauges.websocket, 0)
                        + " WebSocket and " + fixed(gauges.http, 0)
                        + " HTTP connections (its scrape included) after "
                        + fixed(ns_to_s(now_ns() - drain_started), 1) + " s"
                  : "after " + round + ", GET /metrics: " + gauges.error);
      result = waited::done;
      if (now_ns() >= deadline) {
        problem(describe(waited::deadline, *server, "waiting for the connections of " + round + " to end"));
        break;
      }
    }
    // A moment for the frees of the last ends to land, as W2 gives its allocator.
    pause(*server, 200ms, deadline);
    rss_mb[r] = static_cast<double>(server->rss_kib()) * 1024 / 1e6;
    std::cerr << "    " << name << ", " << round << ": " << got.total_ended() << " ended as meant, "
              << got.total_failed() << " not, RSS " << fixed(rss_mb[r], 2) << " MB\n";
  }
  client.stop();
  stop_server(*server, result, problem);

  std::size_t total_ended = 0, total_failed = 0;
  std::string by_way;
  for (std::size_t w = 0; w < churn_ends; ++w) {
    total_ended += ended[w];
    total_failed += failed[w];
    if (ended[w] + failed[w] > 0)
      by_way += std::string{by_way.empty() ? "" : ", "} + churn_end_name(static_cast<churn_end>(w)) + " "
                + std::to_string(failed[w]);
  }
  if (total_failed > 0)
    problem(count_of(total_failed, total_ended + total_failed) + " connections did not end as meant ("
            + by_way + "; first, " + first_failure + ")");

  const std::size_t baseline = std::min(churn_baseline_round, params.rounds);
  for (std::size_t r = 0; r < params.rounds; ++r)
    v["rss_mb_round_" + std::to_string(r + 1)] = rss_mb[r];
  const double growth_mb = rss_mb.back() - rss_mb[baseline - 1];
  const double between = static_cast<double>((params.rounds - baseline) * params.per_round);
  v["rss_baseline_mb"] = rss_mb[baseline - 1];
  v["rss_last_mb"] = rss_mb.back();
  v["growth_mb"] = growth_mb;
  // KB per 1 000 connections and bytes per connection are the same number.
  v["growth_bytes_per_connection"] = between > 0 ? growth_mb * 1e6 / between : nan;
  v["connections_per_s"] = churning_ns > 0 ? static_cast<double>(churned) / ns_to_s(churning_ns) : nan;
  v["ended_as_meant"] = static_cast<double>(total_ended);
  v["failed"] = static_cast<double>(total_failed);
  v["half_closed"] = static_cast<double>(ended[static_cast<std::size_t>(churn_end::half_close)]
                                         + failed[static_cast<std::size_t>(churn_end::half_close)]);
  v["half_closed_by_server"] = static_cast<double>(half_closed_by_server);
  const auto held = static_cast<std::size_t>(churn_end::request_timeout);
  v["timeouts"] = static_cast<double>(ended[held] + failed[held]);
  v["timed_out_by_server"] = static_cast<double>(timed_out_by_server);
  v["timeout_close_min_ms"] = timeout_close_min_ms;
  v["timeout_close_max_ms"] = timeout_close_max_ms;
  v["drain_max_ms"] = drain_max_ms;
  return out;
}

// W7's TLS phase, evstream only (the reference serves no TLS): rounds of
// handshakes aborted against a TLS port, each connection ended by churn_way's
// TLS ways. A round is over for the server once it holds no more descriptors
// than when idle; then its RSS, grown from round 2's (the baseline, as in the
// churn: round 1 fills each thread's arena) in the last.
run_outcome tls_aborts(const bench_settings& settings, const churn_params& params, const std::string& name) {
  run_outcome out;
  auto problem = [&out](const std::string& text) { out.problems.push_back(text); };
  const auto deadline = now_ns() + ns(settings.deadline);
  watchdog_scope guard{deadline, name};
  tls_files files;
  std::string hello;
  try {
    const auto dir = settings.log_dir + "/" + name + "-certificate";
    std::filesystem::create_directories(dir);
    files = write_self_signed_certificate(dir);
    hello = tls_client_hello();
  } catch (const std::exception& error) {
    problem(std::string{"making the certificate or the ClientHello: "} + error.what());
    return out;
  }
  auto server = try_start_server(settings, false,
                                 {"--tls-cert=" + files.cert_file, "--tls-key=" + files.key_file,
                                  request_timeout_arg(params.request_timeout)},
                                 {settings.seed, 0, 0}, params.in_flight, name, problem);
  if (!server) return out;
  pause(*server, 300ms, deadline);
  const auto idle_descriptors = server->open_descriptors();

  churn_settings cs;
  cs.server = tcp::endpoint{asio::ip::make_address_v4("127.0.0.1"), server->port()};
  cs.in_flight = params.in_flight;
  cs.request_timeout_wait = params.request_timeout + 2s;
  cs.tls_client_hello = hello;
  churn_client client{cs};
  std::vector<double> rss_mb(params.tls_rounds, nan);
  std::size_t total_ended = 0, total_failed = 0, timeouts = 0, timed_out_by_server = 0;
  std::string first_failure;
  double drain_max_ms = 0;
  waited result = waited::done;
  for (std::size_t r = 0; r < params.tls_rounds; ++r) {
    const std::string round = "TLS round " + std::to_string(r + 1);
    client.start_round(r * params.tls_per_round, params.tls_per_round);
    result = wait_until(*server, deadline, [&] { return client.finished(); });
    client.stop();
    const auto& got = client.result();
    total_ended += got.total_ended();
    total_failed += got.total_failed();
    const auto held = static_cast<std::size_t>(churn_end::request_timeout);
    timeouts += got.ended[held] + got.failed[held];
    timed_out_by_server += got.timed_out_by_server;
    if (first_failure.empty() && !got.first_failure.empty()) first_failure = round + ", " + got.first_failure;
    if (result != waited::done) {
      problem(describe(result, *server, "running " + round));
      break;
    }
    // No https scrape: the descriptors it holds say as much about the connections.
    const auto drain_started = now_ns();
    result = wait_until(*server, std::min(deadline, drain_started + ns(params.request_timeout + 2s)),
                        [&] { return server->open_descriptors() <= idle_descriptors; });
    if (result == waited::server_ended) {
      problem(describe(result, *server, "waiting for the connections of " + round + " to end"));
      break;
    }
    if (result == waited::done) {
      drain_max_ms = std::max(drain_max_ms, ns_to_ms(now_ns() - drain_started));
    } else {
      problem("after " + round + " the server still held " + std::to_string(server->open_descriptors())
              + " descriptors, " + std::to_string(idle_descriptors) + " when idle, after "
              + fixed(ns_to_s(now_ns() - drain_started), 1) + " s");
      result = waited::done;
      if (now_ns() >= deadline) break;
    }
    pause(*server, 200ms, deadline);
    rss_mb[r] = static_cast<double>(server->rss_kib()) * 1024 / 1e6;
    std::cerr << "    " << name << ", " << round << ": " << got.total_ended() << " ended as meant, "
              << got.total_failed() << " not, RSS " << fixed(rss_mb[r], 2) << " MB\n";
  }
  client.stop();
  stop_server(*server, result, problem);
  if (total_failed > 0)
    problem(count_of(total_failed, total_ended + total_failed)
            + " TLS connections did not end as meant (first, " + first_failure + ")");
  auto& v = out.values;
  v["tls_timeouts"] = static_cast<double>(timeouts);
  v["tls_connections"] = static_cast<double>(total_ended + total_failed);
  v["tls_ended_as_meant"] = static_cast<double>(total_ended);
  v["tls_timed_out_by_server"] = static_cast<double>(timed_out_by_server);
  const std::size_t baseline = std::min(churn_baseline_round, params.tls_rounds);
  for (std::size_t r = 0; r < params.tls_rounds; ++r)
    v["tls_rss_mb_round_" + std::to_string(r + 1)] = rss_mb[r];
  v["tls_rss_baseline_mb"] = rss_mb[baseline - 1];
  v["tls_rss_last_mb"] = rss_mb.back();
  const double between = static_cast<double>((params.tls_rounds - baseline) * params.tls_per_round);
  v["tls_growth_mb"] = rss_mb.back() - rss_mb[baseline - 1];
  v["tls_growth_bytes_per_connection"] = between > 0 ? v["tls_growth_mb"] * 1e6 / between : nan;
  v["tls_drain_max_ms"] = drain_max_ms;
  return out;
}

// W7's descriptor-exhaustion phase: a server started with RLIMIT_NOFILE
// starved_open_files while starved_connections are held at it, so that its
// accepts fail for the whole window. Its CPU and log growth over the window,
// then the time from releasing them to the first 200 of `probe`.
run_outcome starve(const bench_settings& settings, bool reference, const churn_params& params,
                   const std::string& name) {
  run_outcome out;
  auto problem = [&out](const std::string& text) { out.problems.push_back(text); };
  const auto deadline = now_ns() + ns(settings.deadline);
  watchdog_scope guard{deadline, name};
  std::vector<std::string> args;
  if (!reference) args.push_back(request_timeout_arg(params.request_timeout));
  auto server = try_start_server(settings, reference, args, {settings.seed, 0, 0}, params.starved_connections,
                                 name, problem, params.starved_open_files);
  if (!server) return out;
  pause(*server, 300ms, deadline);
  auto& v = out.values;
  const tcp::endpoint endpoint{asio::ip::make_address_v4("127.0.0.1"), server->port()};
  // Whole upgrades: what it accepts becomes a WebSocket that stays (no
  // request timeout); the rest wait in its listen backlog.
  held_connections held;
  const auto sent = held.open(endpoint, params.starved_connections, upgrade_request_for(endpoint), 5s);
  if (sent < params.starved_connections)
    problem("only " + count_of(sent, params.starved_connections) + " held connections connected and sent");
  // What it can accept it accepts within moments; from then on, every accept fails.
  auto result = pause(*server, 500ms, deadline);
  const auto descriptors = server->open_descriptors();
  v["starved_descriptors"] = static_cast<double>(descriptors);
  if (descriptors + 2 < params.starved_open_files)
    problem("the server held " + std::to_string(descriptors) + " descriptors of its "
            + std::to_string(params.starved_open_files) + ": not starved, so the window measures nothing");
  const double cpu_before = server->cpu_seconds();
  std::error_code ignored;
  const auto log_before = std::filesystem::file_size(server->log_path(), ignored);
  const auto window_started = now_ns();
  if (result == waited::done) result = pause(*server, params.starved_window, deadline);
  const double seconds = ns_to_s(now_ns() - window_started);
  const double cpu = server->cpu_seconds() - cpu_before;
  const auto log_after = std::filesystem::file_size(server->log_path(), ignored);
  if (result != waited::done) {
    problem(describe(result, *server, "holding more connections than it has descriptors"));
  } else {
    v["starved_cpu_cores"] = cpu / seconds;
    v["starved_log_bytes_per_min"] = static_cast<double>(log_after - log_before) / seconds * 60;
    // The reference has no /healthz; its /metrics is as cheap.
    const std::string probe = reference ? "/metrics" : "/healthz";
    held.release();
    const auto released = now_ns();
    std::string error;
    result = wait_until(*server, std::min(deadline, released + ns(starved_answer_bound)), [&] {
      http_get(server->port(), probe, 1s, error);
      return error.empty();
    });
    if (result == waited::done)
      v["starved_answer_ms"] = ns_to_ms(now_ns() - released);
    else if (result == waited::server_ended)
      problem(describe(result, *server, "waiting for GET " + probe + " after the release"));
    else
      problem("no 200 to GET " + probe + " within " + std::to_string(starved_answer_bound.count())
              + " s of releasing the held connections; last: " + error);
    if (result == waited::deadline) result = waited::done;
  }
  held.release();
  std::cerr << "    " << name << ": " << descriptors << " descriptors held, CPU "
            << fixed(value_of(v, "starved_cpu_cores"), 3) << " cores, log "
            << fixed(value_of(v, "starved_log_bytes_per_min"), 0) << " bytes/min, answered "
            << fixed(value_of(v, "starved_answer_ms"), 0) << " ms after the release\n";
  stop_server(*server, result, problem);
  return out;
}

void collect(repetitions& reps, record& rec, const std::string& side, std::size_t rep,
             const run_outcome& outcome) {
  for (const auto& [name, value] : outcome.values)
    reps.add(side + "." + name, value);
  for (const auto& p : outcome.problems)
    rec.problem(side + ", repetition " + std::to_string(rep + 1) + ": " + p);
}

boost::json::object settings_json(const bench_settings& settings) {
  boost::json::array args;
  for (const auto& a : settings.server_args)
    args.push_back(boost::json::string(a));
  return {{"server", settings.server_path},
          {"server_args", args},
          {"client_threads", settings.client_threads},
          {"connect_window", settings.connect_window},
          {"deadline_s", settings.deadline.count()},
          {"repetitions", settings.repetitions},
          {"seed", settings.seed},
          {"logs", settings.log_dir}};
}

} // namespace

// ---------------------------------------------------------------------------

// Each repetition streams the blocks with the plan of each side in turn
// (which goes first alternates); `plan_for(reference, rep)` makes the plan.
repetitions stream_both_sides(const bench_settings& settings, record& rec, const std::string& label,
                              const block_set& blocks, std::vector<block_request>& requests,
                              bool with_reference,
                              const std::function<stream_plan(bool, std::size_t)>& plan_for) {
  repetitions reps;
  for (std::size_t rep = 0; rep < settings.repetitions; ++rep)
    for (bool reference : reference_first_order(rep, with_reference)) {
      const std::string side = reference ? "reference" : "evstream";
      auto outcome = stream_blocks(settings, plan_for(reference, rep), blocks, requests);
      progress_line(label + ", repetition " + std::to_string(rep + 1) + ", " + side, outcome);
      collect(reps, rec, side, rep, outcome);
    }
  return reps;
}

// The raw record of a streaming workload: its size, the settings and every repetition.
boost::json::object streaming_raw(const bench_settings& settings, std::size_t subscribers,
                                  const block_set& blocks, const repetitions& reps) {
  return {{"params",
           {{"subscribers", subscribers},
            {"blocks", blocks.json.size()},
            {"transactions", blocks.events.front().size()},
            {"block_json_bytes", blocks.json_bytes()}}},
          {"settings", settings_json(settings)},
          {"repetitions", reps.to_json()}};
}

void events_per_s_row(record& rec, const repetitions& reps) {
  auto m = [&reps](const std::string& name) { return reps.median(name); };
  rec.row("delivered events/s (all subscribers)", si(m("evstream.events_per_s")),
          si(m("reference.events_per_s")), ratio(m("evstream.events_per_s"), m("reference.events_per_s")));
}

record run_fanout(const bench_settings& settings, fanout_params params) {
  std::string too_many;
  params.subscribers = connections_possible(params.subscribers, too_many);
  const std::string label = "W1 fan-out N=" + std::to_string(params.subscribers)
                            + " K=" + std::to_string(params.blocks) + "×"
                            + std::to_string(params.transactions) + " tx";
  record rec{
      "W1", label,
      "minimal fan-out inside the bench: the same events pre-encoded as frames, one asio::async_write per "
      "socket per block, one thread, no parsing (bench reference-server)"};
  if (!too_many.empty()) rec.problem(too_many);
  std::cerr << label << ": generating " << params.blocks << " blocks\n";
  const auto blocks = block_set::generate(settings.seed, params.blocks, params.transactions);
  auto requests = block_requests(blocks.json, 0);
  auto reps = stream_both_sides(
      settings, rec, label, blocks, requests, settings.reference, [&](bool reference, std::size_t rep) {
        stream_plan plan;
        plan.reference = reference;
        plan.subscribers = params.subscribers;
        plan.name = "w1-n" + std::to_string(params.subscribers) + "-rep" + std::to_string(rep + 1);
        return plan;
      });
  auto m = [&reps](const std::string& name) { return reps.median(name); };
  events_per_s_row(rec, reps);
  rec.row("latency POST → block's last event, p50 / p99 / max (ms)", latency_cell(reps, "evstream"),
          latency_cell(reps, "reference"),
          "p99 " + ratio(m("evstream.latency_p99_ms"), m("reference.latency_p99_ms")));
  rec.row("server peak RSS (MiB)", fixed(m("evstream.peak_rss_mib"), 0),
          fixed(m("reference.peak_rss_mib"), 0),
          ratio(m("evstream.peak_rss_mib"), m("reference.peak_rss_mib")));
  rec.row("server CPU s per million delivered events", fixed(m("evstream.server_cpu_s_per_m_events"), 3),
          fixed(m("reference.server_cpu_s_per_m_events"), 3),
          ratio(m("evstream.server_cpu_s_per_m_events"), m("reference.server_cpu_s_per_m_events")));
  rec.row("ingest while streaming (blocks/s)", fixed(m("evstream.ingest_blocks_per_s"), 1),
          fixed(m("reference.ingest_blocks_per_s"), 1));
  rec.row("load generator CPU, cores (busiest thread)", load_generator_cell(reps, "evstream"),
          load_generator_cell(reps, "reference"), "", saturation_note(reps, {"evstream", "reference"}));
  rec.row("subscribers complete, once, in order", complete_cell(reps, "evstream"),
          complete_cell(reps, "reference"));
  rec.raw() = streaming_raw(settings, params.subscribers, blocks, reps);
  return rec;
}

record run_jetstream(const bench_settings& settings, const jetstream_params& params) {
  const std::string label = "W8 JetStream N=" + std::to_string(params.subscribers)
                            + " K=" + std::to_string(params.blocks) + "×"
                            + std::to_string(params.transactions) + " tx";
  record rec{"W8", label,
             "one evstream node taking the blocks and serving the subscribers itself, started alike; the "
             "measured side posts to one node and reads another, both on one nats-server (--jetstream)"};
  std::cerr << label << ": generating " << params.blocks << " blocks\n";
  const auto blocks = block_set::generate(settings.seed, params.blocks, params.transactions);
  auto requests = block_requests(blocks.json, 0);
  // The reference side is one evstream node: the same plan without --jetstream.
  auto reps =
      stream_both_sides(settings, rec, label, blocks, requests, true, [&](bool single, std::size_t rep) {
        stream_plan plan;
        plan.jetstream = !single;
        plan.subscribers = params.subscribers;
        plan.name = "w8-n" + std::to_string(params.subscribers) + "-rep" + std::to_string(rep + 1)
                    + (single ? "-single" : "-jetstream");
        return plan;
      });
  auto m = [&reps](const std::string& name) { return reps.median(name); };
  events_per_s_row(rec, reps);
  rec.row("latency POST → block's last event, p50 / p99 / max (ms)", latency_cell(reps, "evstream"),
          latency_cell(reps, "reference"),
          "p50 " + ratio(m("evstream.latency_p50_ms"), m("reference.latency_p50_ms")) + ", p99 "
              + ratio(m("evstream.latency_p99_ms"), m("reference.latency_p99_ms")));
  rec.row("ingest while streaming (blocks/s)", fixed(m("evstream.ingest_blocks_per_s"), 1),
          fixed(m("reference.ingest_blocks_per_s"), 1),
          ratio(m("evstream.ingest_blocks_per_s"), m("reference.ingest_blocks_per_s")),
          "202 only after JetStream's acknowledgement");
  rec.row("subscribers complete, once, in order", complete_cell(reps, "evstream"),
          complete_cell(reps, "reference"));
  rec.raw() = streaming_raw(settings, params.subscribers, blocks, reps);
  return rec;
}

record run_idle(const bench_settings& settings, idle_params params) {
  std::string too_many;
  params.connections = connections_possible(params.connections, too_many);
  const std::string label = "W2 idle C=" + std::to_string(params.connections);
  record rec{"W2", label,
             "the same minimal Beast server holding the same idle connections and answering their pings"};
  if (!too_many.empty()) {
    std::cerr << label << ": " << too_many << "\n";
    rec.problem(too_many);
  }
  repetitions reps;
  for (std::size_t rep = 0; rep < settings.repetitions; ++rep) {
    for (bool reference : reference_first_order(rep, settings.reference)) {
      const std::string side = reference ? "reference" : "evstream";
      auto outcome =
          hold_idle(settings, reference, params,
                    "w2-c" + std::to_string(params.connections) + "-rep" + std::to_string(rep + 1));
      const auto& v = outcome.values;
      std::cerr << "  " << label << ", repetition " << rep + 1 << ", " << side << ": "
                << fixed(value_of(v, "subscribed"), 0) << " subscribed, " << si(value_of(v, "accepted_per_s"))
                << " accepted/s, " << fixed(value_of(v, "rss_per_connection_kib"), 1) << " KiB/connection, "
                << outcome.problems.size() << " problem(s)\n";
      for (const auto& p : outcome.problems)
        std::cerr << "    problem: " << p << "\n";
      collect(reps, rec, side, rep, outcome);
    }
  }
  auto m = [&reps](const std::string& name) { return reps.median(name); };
  rec.row("connections accepted/s (upgrade + first pong)", si(m("evstream.accepted_per_s")),
          si(m("reference.accepted_per_s")),
          ratio(m("evstream.accepted_per_s"), m("reference.accepted_per_s")));
  rec.row("server RSS per connection (KiB)", fixed(m("evstream.rss_per_connection_kib"), 1),
          fixed(m("reference.rss_per_connection_kib"), 1),
          ratio(m("evstream.rss_per_connection_kib"), m("reference.rss_per_connection_kib")),
          "RSS before connecting: " + fixed(m("evstream.rss_before_mib"), 0) + " MiB");
  rec.row("pongs answered within 1 s", fixed(100 * m("evstream.pongs_within_1s"), 2) + " %",
          fixed(100 * m("reference.pongs_within_1s"), 2) + " %", "",
          fixed(m("evstream.pings"), 0) + " pings, one per "
              + std::to_string(params.ping_interval.count() / 1000) + " s per connection");
  rec.row("pong round trip p50 / p99 / max (ms)",
          fixed(m("evstream.pong_p50_ms"), 2) + " / " + fixed(m("evstream.pong_p99_ms"), 2) + " / "
              + fixed(m("evstream.pong_max_ms"), 1),
          fixed(m("reference.pong_p50_ms"), 2) + " / " + fixed(m("reference.pong_p99_ms"), 2) + " / "
              + fixed(m("reference.pong_max_ms"), 1),
          "p99 " + ratio(m("evstream.pong_p99_ms"), m("reference.pong_p99_ms")));
  rec.row("server CPU while held and pinged (cores)", fixed(m("evstream.server_cpu_hold_cores"), 3),
          fixed(m("reference.server_cpu_hold_cores"), 3));
  rec.row("server peak RSS (MiB)", fixed(m("evstream.peak_rss_mib"), 0),
          fixed(m("reference.peak_rss_mib"), 0),
          ratio(m("evstream.peak_rss_mib"), m("reference.peak_rss_mib")));
  rec.row("load generator CPU while connecting, cores (busiest thread)",
          load_generator_cell(reps, "evstream", "bench_connect"),
          load_generator_cell(reps, "reference", "bench_connect"), "",
          saturation_note(reps, {"evstream", "reference"}, "bench_connect"));
  rec.row("subscribed", fixed(m("evstream.subscribed"), 0) + "/" + std::to_string(params.connections),
          fixed(m("reference.subscribed"), 0) + "/" + std::to_string(params.connections));
  rec.raw() = {{"params",
                {{"connections", params.connections},
                 {"ping_interval_ms", params.ping_interval.count()},
                 {"hold_ms", params.hold.count()}}},
               {"settings", settings_json(settings)},
               {"repetitions", reps.to_json()}};
  return rec;
}

record run_keepalive(const bench_settings& settings, const keepalive_params& params) {
  const double timeout_s = static_cast<double>(params.timeout.count()) / 1000.0;
  const std::string label = "W3 keep-alive " + fixed(timeout_s, 1) + " s";
  record rec{"W3", label, "the configured --keepalive-timeout"};
  repetitions reps;
  for (std::size_t rep = 0; rep < settings.repetitions; ++rep) {
    auto outcome = expire_silent(settings, params, "w3-rep" + std::to_string(rep + 1));
    const auto& v = outcome.values;
    std::cerr << "  " << label << ", repetition " << rep + 1 << ": close − last ping "
              << fixed(value_of(v, "after_last_ping_min_s"), 3) << " … "
              << fixed(value_of(v, "after_last_ping_max_s"), 3) << " s, " << outcome.problems.size()
              << " problem(s)\n";
    for (const auto& p : outcome.problems)
      std::cerr << "    problem: " << p << "\n";
    collect(reps, rec, "evstream", rep, outcome);
  }
  // The extremes over every repetition are the figure: one early close is a bug.
  const auto all = reps.to_json();
  auto extreme = [&all](const char* name, bool lowest) {
    double value = nan;
    if (auto* values = all.if_contains(std::string{"evstream."} + name))
      for (const auto& x : values->as_array())
        if (x.is_double() && (std::isnan(value) || (lowest ? x.as_double() < value : x.as_double() > value)))
          value = x.as_double();
    return value;
  };
  const double low = extreme("after_last_ping_min_s", true);
  const double high = extreme("after_last_ping_max_s", false);
  rec.row("close − last ping, min / max over all repetitions (s)", fixed(low, 4) + " / " + fixed(high, 4),
          fixed(timeout_s, 4), "max " + ratio(high, timeout_s),
          "overshoot ≤ " + fixed((high - timeout_s) * 1e3, 0) + " ms");
  rec.row("silent subscribers closed early",
          fixed(extreme("early", false), 0) + " of " + std::to_string(params.silent), "0");
  rec.row("closed with 1008 \"no ping for …\" (worst repetition)",
          fixed(extreme("closed_right", true), 0) + " of " + std::to_string(params.silent),
          std::to_string(params.silent));
  rec.row("subscribers still pinging left open (worst repetition)",
          fixed(extreme("pinging_open", true), 0) + " of " + std::to_string(params.pinging),
          std::to_string(params.pinging));
  rec.raw() = {
      {"params",
       {{"silent", params.silent}, {"pinging", params.pinging}, {"timeout_ms", params.timeout.count()}}},
      {"settings", settings_json(settings)},
      {"repetitions", reps.to_json()}};
  return rec;
}

record run_slow_consumers(const bench_settings& settings, slow_consumer_params params) {
  std::string too_many;
  params.subscribers = connections_possible(params.subscribers + params.slow, too_many) - params.slow;
  const std::string label = "W4 slow consumers N=" + std::to_string(params.subscribers)
                            + " S=" + std::to_string(params.slow) + " K=" + std::to_string(params.blocks);
  record rec{"W4", label, "the same run without the slow subscribers"};
  if (!too_many.empty()) rec.problem(too_many);
  std::cerr << label << ": generating " << params.blocks << " blocks\n";
  const auto blocks = block_set::generate(settings.seed, params.blocks, params.transactions);
  auto requests = block_requests(blocks.json, 0);
  const double budget_mib = static_cast<double>(params.send_budget_bytes) / (1u << 20);
  repetitions reps;
  for (std::size_t rep = 0; rep < settings.repetitions; ++rep) {
    for (bool reference : reference_first_order(rep, true)) {
      const bool with_slow = !reference; // the reference is the same run without them
      stream_plan plan;
      plan.subscribers = params.subscribers;
      plan.slow = with_slow ? params.slow : 0;
      plan.slow_receive_buffer = params.slow_receive_buffer;
      plan.interval = params.interval;
      plan.server_args = {"--send-budget-bytes=" + std::to_string(params.send_budget_bytes)};
      plan.name = std::string{"w4-"} + (with_slow ? "slow" : "none") + "-rep" + std::to_string(rep + 1);
      const std::string side = with_slow ? "evstream" : "reference";
      auto outcome = stream_blocks(settings, plan, blocks, requests);
      progress_line(label + ", repetition " + std::to_string(rep + 1) + (with_slow ? ", with" : ", without")
                        + " slow subscribers",
                    outcome);
      for (const auto& p : outcome.problems)
        rec.problem(std::string{with_slow ? "with" : "without"} + " slow subscribers, repetition "
                    + std::to_string(rep + 1) + ": " + p);
      for (const auto& [name, value] : outcome.values)
        reps.add(side + "." + name, value);
    }
  }
  auto m = [&reps](const std::string& name) { return reps.median(name); };
  rec.row("normal subscribers' latency p50 / p99 / max (ms)", latency_cell(reps, "evstream"),
          latency_cell(reps, "reference"),
          "p99 " + ratio(m("evstream.latency_p99_ms"), m("reference.latency_p99_ms")),
          "a block every " + std::to_string(params.interval.count()) + " ms");
  const double growth = m("evstream.peak_rss_mib") - m("reference.peak_rss_mib");
  const double bound = budget_mib * static_cast<double>(params.slow);
  rec.row("server peak RSS (MiB)", fixed(m("evstream.peak_rss_mib"), 0),
          fixed(m("reference.peak_rss_mib"), 0),
          ratio(m("evstream.peak_rss_mib"), m("reference.peak_rss_mib")),
          "+" + fixed(growth, 0) + " MiB with the slow ones; budget " + fixed(budget_mib, 2) + " MiB × "
              + std::to_string(params.slow) + " = " + fixed(bound, 0) + " MiB"
              + (growth > bound ? " — OVER THE BUDGETS" : ""));
  rec.row("slow subscribers closed 1008 \"slow consumer…\"",
          fixed(m("evstream.slow_closed_right"), 0) + " of " + std::to_string(params.slow), "", "",
          "each had read " + si(m("evstream.slow_events_read")) + " events (mean) when it looked");
  rec.row("normal subscribers complete, once, in order", complete_cell(reps, "evstream"),
          complete_cell(reps, "reference"));
  rec.row("load generator CPU, cores (busiest thread)", load_generator_cell(reps, "evstream"),
          load_generator_cell(reps, "reference"), "", saturation_note(reps, {"evstream", "reference"}));
  rec.raw() = {{"params",
                {{"subscribers", params.subscribers},
                 {"slow", params.slow},
                 {"blocks", params.blocks},
                 {"transactions", params.transactions},
                 {"interval_ms", params.interval.count()},
                 {"send_budget_bytes", params.send_budget_bytes},
                 {"slow_receive_buffer", params.slow_receive_buffer}}},
               {"settings", settings_json(settings)},
               {"note", "evstream.* = with the slow subscribers, reference.* = without them"},
               {"repetitions", reps.to_json()}};
  return rec;
}

record run_ingest(const bench_settings& settings, const ingest_params& params) {
  const std::string label =
      "W5 ingest K=" + std::to_string(params.blocks) + "×" + std::to_string(params.transactions) + " tx";
  record rec{"W5", label,
             "schema::parse_block_dom (the DOM reading) + encode_valid_tx_events on the same blocks in the "
             "bench, one thread, no HTTP"};
  std::cerr << label << ": generating " << params.blocks << " blocks\n";
  const auto blocks = block_set::generate(settings.seed, params.blocks, params.transactions);
  auto requests = block_requests(blocks.json, 0);
  repetitions reps;
  for (std::size_t rep = 0; rep < settings.repetitions; ++rep) {
    auto outcome = ingest_blocks(settings, requests, blocks, "w5-rep" + std::to_string(rep + 1));
    std::cerr << "  " << label << ", repetition " << rep + 1 << ": "
              << fixed(value_of(outcome.values, "blocks_per_s"), 1) << " blocks/s, "
              << outcome.problems.size() << " problem(s)\n";
    for (const auto& p : outcome.problems)
      std::cerr << "    problem: " << p << "\n";
    collect(reps, rec, "evstream", rep, outcome);
    collect(reps, rec, "reference", rep, parse_in_process(blocks));
  }
  auto m = [&reps](const std::string& name) { return reps.median(name); };
  rec.row("blocks/s", fixed(m("evstream.blocks_per_s"), 1), fixed(m("reference.blocks_per_s"), 1),
          ratio(m("evstream.blocks_per_s"), m("reference.blocks_per_s")),
          "back to back on one keep-alive connection, one valid_tx subscriber");
  rec.row("MB/s of block JSON", fixed(m("evstream.mb_per_s"), 1), fixed(m("reference.mb_per_s"), 1),
          ratio(m("evstream.mb_per_s"), m("reference.mb_per_s")),
          fixed(static_cast<double>(blocks.json_bytes()) / 1e6 / static_cast<double>(params.blocks), 2)
              + " MB per block");
  rec.row("CPU ms per block (server / in-process)", fixed(m("evstream.cpu_ms_per_block"), 2),
          fixed(m("reference.cpu_ms_per_block"), 2),
          ratio(m("evstream.cpu_ms_per_block"), m("reference.cpu_ms_per_block")));
  rec.row("blocks accepted (202)", fixed(m("evstream.accepted"), 0) + "/" + std::to_string(params.blocks),
          "");
  rec.row("subscriber complete, once, in order", complete_cell(reps, "evstream"), "");
  rec.raw() = {{"params",
                {{"blocks", params.blocks},
                 {"transactions", params.transactions},
                 {"block_json_bytes", blocks.json_bytes()}}},
               {"settings", settings_json(settings)},
               {"repetitions", reps.to_json()}};
  return rec;
}

record run_neighbours(const bench_settings& settings, neighbours_params params) {
  std::string too_many;
  const std::size_t neighbours = params.filtered + params.resumed;
  params.subscribers = connections_possible(params.subscribers + neighbours, too_many) - neighbours;
  const std::string label =
      "W6 neighbours N=" + std::to_string(params.subscribers) + " filtered=" + std::to_string(params.filtered)
      + " resumed=" + std::to_string(params.resumed) + " K=" + std::to_string(params.blocks);
  record rec{
      "W6", label,
      "the same run with the neighbours plain: as many unfiltered subscribers, subscribed without a cursor"};
  if (!too_many.empty()) rec.problem(too_many);
  const std::size_t warmup = std::max<std::size_t>(1, params.warmup_blocks);
  std::cerr << label << ": generating " << warmup + params.blocks << " blocks\n";
  const auto blocks = block_set::generate(settings.seed, warmup + params.blocks, params.transactions);
  auto everything = [](const schema::transaction_ref&) { return true; };
  const auto live = blocks.expect(warmup, everything);
  const auto creates =
      blocks.expect(warmup, [](const schema::transaction_ref& tx) { return tx.operation == "CREATE"; });
  const auto after_first = blocks.expect(1, everything);
  const std::vector<std::string> warmup_json(blocks.json.begin(), blocks.json.begin() + warmup);
  const std::vector<std::string> live_json(blocks.json.begin() + warmup, blocks.json.end());
  auto warmup_requests = block_requests(warmup_json, 0);
  auto requests = block_requests(live_json, 0);
  const std::string streams = "/api/v1/streams/valid_tx";
  repetitions reps;
  for (std::size_t rep = 0; rep < settings.repetitions; ++rep) {
    for (bool reference : reference_first_order(rep, true)) {
      const bool featured = !reference; // the reference has the same neighbours, plain
      stream_plan plan;
      plan.subscribers = params.subscribers;
      plan.expected = &live;
      plan.warmup = &warmup_requests;
      if (featured)
        plan.neighbours = {{params.filtered, streams + "?operation=CREATE", &creates},
                           {params.resumed, streams + "?since=" + blocks.ids.front(), &after_first}};
      else
        plan.neighbours = {{neighbours, streams, &live}};
      plan.name = std::string{"w6-"} + (featured ? "featured" : "plain") + "-rep" + std::to_string(rep + 1);
      const std::string side = featured ? "evstream" : "reference";
      auto outcome = stream_blocks(settings, plan, blocks, requests);
      progress_line(label + ", repetition " + std::to_string(rep + 1)
                        + (featured ? ", filtered and resumed" : ", plain") + " neighbours",
                    outcome);
      for (const auto& p : outcome.problems)
        rec.problem(std::string{featured ? "filtered and resumed" : "plain"} + " neighbours, repetition "
                    + std::to_string(rep + 1) + ": " + p);
      for (const auto& [name, value] : outcome.values)
        reps.add(side + "." + name, value);
    }
  }
  auto m = [&reps](const std::string& name) { return reps.median(name); };
  rec.row("unfiltered subscribers' events/s", si(m("evstream.events_per_s")), si(m("reference.events_per_s")),
          ratio(m("evstream.events_per_s"), m("reference.events_per_s")));
  rec.row("unfiltered subscribers' latency p50 / p99 / max (ms)", latency_cell(reps, "evstream"),
          latency_cell(reps, "reference"),
          "p99 " + ratio(m("evstream.latency_p99_ms"), m("reference.latency_p99_ms")));
  rec.row("server CPU s per million events to the unfiltered",
          fixed(m("evstream.server_cpu_s_per_m_events"), 3),
          fixed(m("reference.server_cpu_s_per_m_events"), 3),
          ratio(m("evstream.server_cpu_s_per_m_events"), m("reference.server_cpu_s_per_m_events")),
          "all server CPU, neighbours' share included");
  rec.row("unfiltered subscribers complete, once, in order", complete_cell(reps, "evstream"),
          complete_cell(reps, "reference"), "",
          "neighbours are checked too: a problem below if any got a wrong stream");
  rec.row("load generator CPU, cores (busiest thread)", load_generator_cell(reps, "evstream"),
          load_generator_cell(reps, "reference"), "", saturation_note(reps, {"evstream", "reference"}));
  rec.raw() = {
      {"params",
       {{"subscribers", params.subscribers},
        {"filtered", params.filtered},
        {"resumed", params.resumed},
        {"warmup_blocks", warmup},
        {"blocks", params.blocks},
        {"transactions", params.transactions}}},
      {"settings", settings_json(settings)},
      {"note",
       "evstream.* = with filtered and resumed neighbours, reference.* = the same number of plain ones"},
      {"repetitions", reps.to_json()}};
  return rec;
}

record run_churn(const bench_settings& settings, const churn_params& params) {
  const std::size_t baseline = std::min(churn_baseline_round, params.rounds);
  const std::string at_baseline = thousands(baseline * params.per_round);
  const std::string at_last = thousands(params.rounds * params.per_round);
  const std::string label = "W7 churn " + std::to_string(params.rounds) + "×" + thousands(params.per_round);
  record rec{"W7", label,
             "the same minimal Beast server, churned alike; its GET /metrics counts its connections as "
             "evstream's does"};
  repetitions reps;
  for (std::size_t rep = 0; rep < settings.repetitions; ++rep) {
    for (bool reference : reference_first_order(rep, settings.reference)) {
      const std::string side = reference ? "reference" : "evstream";
      auto outcome = churn(settings, reference, params, "w7-" + side + "-rep" + std::to_string(rep + 1));
      const auto& v = outcome.values;
      const double growth = value_of(v, "growth_mb");
      std::cerr << "  " << label << ", repetition " << rep + 1 << ", " << side << ": RSS "
                << fixed(value_of(v, "rss_baseline_mb"), 2) << " MB after " << at_baseline << ", "
                << fixed(value_of(v, "rss_last_mb"), 2) << " MB after " << at_last << " connections, "
                << fixed(value_of(v, "growth_bytes_per_connection"), 1) << " bytes per connection, "
                << outcome.problems.size() << " problem(s)\n";
      for (const auto& p : outcome.problems)
        std::cerr << "    problem: " << p << "\n";
      // Every repetition must hold: a leak that one run shows is a leak.
      if (!reference && growth > churn_growth_bound_mb)
        outcome.problems.push_back(
            "RSS grew " + fixed(growth, 2) + " MB from " + at_baseline + " to " + at_last + " connections ("
            + fixed(value_of(v, "growth_bytes_per_connection"), 0) + " bytes per connection), over the "
            + fixed(churn_growth_bound_mb, 0) + " MB bound");
      if (!reference && value_of(v, "timed_out_by_server") < value_of(v, "timeouts"))
        outcome.problems.push_back("the server closed " + fixed(value_of(v, "timed_out_by_server"), 0)
                                   + " of " + fixed(value_of(v, "timeouts"), 0)
                                   + " half-sent upgrades within its request timeout + 2 s");
      collect(reps, rec, side, rep, outcome);

      if (!reference && params.tls_rounds > 0) {
        auto tls = tls_aborts(settings, params, "w7-tls-rep" + std::to_string(rep + 1));
        if (value_of(tls.values, "tls_timed_out_by_server") < value_of(tls.values, "tls_timeouts"))
          tls.problems.push_back("the server closed "
                                 + fixed(value_of(tls.values, "tls_timed_out_by_server"), 0) + " of "
                                 + fixed(value_of(tls.values, "tls_timeouts"), 0)
                                 + " half-sent ClientHellos within its request timeout + 2 s");
        for (auto& p : tls.problems)
          p = "TLS phase: " + p;
        collect(reps, rec, side, rep, tls);
      }

      auto starved =
          starve(settings, reference, params, "w7-" + side + "-starved-rep" + std::to_string(rep + 1));
      const double cores = value_of(starved.values, "starved_cpu_cores");
      const double log_mb = value_of(starved.values, "starved_log_bytes_per_min") / 1e6;
      if (!reference && cores >= starved_cpu_bound_cores)
        starved.problems.push_back("the server used " + fixed(cores, 2) + " cores while out of descriptors, "
                                   + fixed(starved_cpu_bound_cores, 2) + " or more");
      if (!reference && log_mb >= starved_log_bound_mb_per_min)
        starved.problems.push_back("the server logged " + fixed(log_mb, 2)
                                   + " MB per minute while out of "
                                     "descriptors, "
                                   + fixed(starved_log_bound_mb_per_min, 0) + " or more");
      for (auto& p : starved.problems)
        p = "descriptor exhaustion: " + p;
      collect(reps, rec, side, rep, starved);
    }
  }
  auto m = [&reps](const std::string& name) { return reps.median(name); };
  rec.row("server RSS after " + at_baseline + " connections (MB)", fixed(m("evstream.rss_baseline_mb"), 2),
          fixed(m("reference.rss_baseline_mb"), 2),
          ratio(m("evstream.rss_baseline_mb"), m("reference.rss_baseline_mb")),
          "after round " + std::to_string(baseline) + "; at start " + fixed(m("evstream.rss_start_mb"), 2)
              + " / " + fixed(m("reference.rss_start_mb"), 2) + " MB");
  rec.row("server RSS after " + at_last + " connections (MB)", fixed(m("evstream.rss_last_mb"), 2),
          fixed(m("reference.rss_last_mb"), 2), ratio(m("evstream.rss_last_mb"), m("reference.rss_last_mb")),
          "each after the server counted 0 WebSocket connections");
  rec.row("RSS growth, " + at_baseline + " → " + at_last + " (MB)", fixed(m("evstream.growth_mb"), 2),
          fixed(m("reference.growth_mb"), 2), "",
          "check: evstream ≤ " + fixed(churn_growth_bound_mb, 0) + " MB in every repetition");
  rec.row("RSS growth per 1 000 connections (KB) = per connection (bytes)",
          fixed(m("evstream.growth_bytes_per_connection"), 1),
          fixed(m("reference.growth_bytes_per_connection"), 1), "", "target: under about 100");
  rec.row("connections opened and ended/s", si(m("evstream.connections_per_s")),
          si(m("reference.connections_per_s")),
          ratio(m("evstream.connections_per_s"), m("reference.connections_per_s")),
          std::to_string(params.in_flight) + " at once; the held 1 in " + std::to_string(churn_timeout_every)
              + " (sharing those) not counted; gauges at 0 within " + fixed(m("evstream.drain_max_ms"), 0)
              + " / " + fixed(m("reference.drain_max_ms"), 0) + " ms of a round's end");
  auto whole = [&m](const std::string& name) {
    const double n = m(name);
    return std::isfinite(n) ? thousands(static_cast<std::size_t>(n)) : std::string{"–"};
  };
  auto of_all = [&](const std::string& side) { return whole(side + ".ended_as_meant") + "/" + at_last; };
  rec.row("connections ended as meant", of_all("evstream"), of_all("reference"), "",
          "1 in " + std::to_string(churn_timeout_every)
              + " request timeout; the rest close frame, RST, EOF, half-close, partial upgrade in turn");
  rec.row("half-closed connections the server closed within 1 s",
          whole("evstream.half_closed_by_server") + "/" + whole("evstream.half_closed"),
          whole("reference.half_closed_by_server") + "/" + whole("reference.half_closed"));
  const std::string timeout_s = fixed(static_cast<double>(params.request_timeout.count()) / 1e3, 0);
  rec.row("half-sent upgrades the server closed within "
              + fixed(static_cast<double>(params.request_timeout.count()) / 1e3 + 2, 0) + " s",
          whole("evstream.timed_out_by_server") + "/" + whole("evstream.timeouts"),
          whole("reference.timed_out_by_server") + "/" + whole("reference.timeouts"), "",
          "evstream with --request-timeout=" + timeout_s + "s (the reference has none); closed after "
              + fixed(m("evstream.timeout_close_min_ms"), 0) + "–"
              + fixed(m("evstream.timeout_close_max_ms"), 0) + " ms; check: evstream all");
  if (params.tls_rounds > 0) {
    const std::string tls_baseline =
        thousands(std::min(churn_baseline_round, params.tls_rounds) * params.tls_per_round);
    const std::string tls_last = thousands(params.tls_rounds * params.tls_per_round);
    rec.row("TLS handshakes aborted, ended as meant", whole("evstream.tls_ended_as_meant") + "/" + tls_last,
            "", "",
            std::to_string(params.tls_rounds) + " rounds of " + thousands(params.tls_per_round)
                + " (--request-timeout too): half a ClientHello then close, a whole one then RST at the "
                  "server's answer; 1 in "
                + std::to_string(churn_timeout_every) + " half a ClientHello held");
    rec.row("TLS: held ClientHellos the server closed within "
                + fixed(static_cast<double>(params.request_timeout.count()) / 1e3 + 2, 0) + " s",
            whole("evstream.tls_timed_out_by_server") + "/" + whole("evstream.tls_timeouts"), "", "",
            "check: all; descriptors back to idle within " + fixed(m("evstream.tls_drain_max_ms"), 0)
                + " ms of a round's end (checked)");
    rec.row("TLS: server RSS after " + tls_baseline + " / " + tls_last + " connections (MB)",
            fixed(m("evstream.tls_rss_baseline_mb"), 2) + " / " + fixed(m("evstream.tls_rss_last_mb"), 2), "",
            "",
            "growth " + fixed(m("evstream.tls_growth_bytes_per_connection"), 1)
                + " bytes per connection; reported, not checked");
  }
  const std::string starved_what = "RLIMIT_NOFILE " + std::to_string(params.starved_open_files) + ", "
                                   + std::to_string(params.starved_connections) + " connections held "
                                   + fixed(static_cast<double>(params.starved_window.count()) / 1e3, 0)
                                   + " s";
  rec.row("out of descriptors: server CPU (cores)", fixed(m("evstream.starved_cpu_cores"), 3),
          fixed(m("reference.starved_cpu_cores"), 3), "",
          starved_what + "; check: evstream < " + fixed(starved_cpu_bound_cores, 2));
  rec.row("out of descriptors: server log (bytes/min)", fixed(m("evstream.starved_log_bytes_per_min"), 0),
          fixed(m("reference.starved_log_bytes_per_min"), 0), "",
          "from the window; check: evstream < " + fixed(starved_log_bound_mb_per_min, 0) + " MB/min");
  rec.row("out of descriptors: 200 after the release (ms)", fixed(m("evstream.starved_answer_ms"), 0),
          fixed(m("reference.starved_answer_ms"), 0), "",
          "GET /healthz (the reference: /metrics), from closing the held connections");
  rec.raw() = {{"params",
                {{"rounds", params.rounds},
                 {"per_round", params.per_round},
                 {"in_flight", params.in_flight},
                 {"baseline_round", baseline},
                 {"growth_bound_mb", churn_growth_bound_mb},
                 {"request_timeout_ms", params.request_timeout.count()},
                 {"timeout_every", churn_timeout_every},
                 {"tls_rounds", params.tls_rounds},
                 {"tls_per_round", params.tls_per_round},
                 {"starved_open_files", params.starved_open_files},
                 {"starved_connections", params.starved_connections},
                 {"starved_window_ms", params.starved_window.count()},
                 {"starved_cpu_bound_cores", starved_cpu_bound_cores},
                 {"starved_log_bound_mb_per_min", starved_log_bound_mb_per_min}}},
               {"settings", settings_json(settings)},
               {"note", "MB = 10^6 bytes; rss_mb_round_N: the RSS once round N's connections had all ended"},
               {"repetitions", reps.to_json()}};
  return rec;
}

} // namespace evstream::bench
