// The benchmark's workloads, each against a freshly started server per
// repetition, each bounded by a deadline per repetition and by counts:
//   W1 fan-out, W2 idle scale, W3 keep-alive precision, W4 slow consumer
//   isolation, W5 ingest, W6 filtered and resumed neighbours, W7 connection
//   churn.
// Each returns one record: medians of the repetitions beside a reference
// measured in the same run, and every problem seen.
#pragma once

#include "bench/report.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace evstream::bench {

struct bench_settings {
  std::string server_path;              // the evstream executable
  std::string self_path;                // this executable, which also serves the reference
  std::vector<std::string> server_args; // added to every evstream command line
  std::string log_dir;                  // absolute; one log per server run
  // Two: one client thread saturates near 10 M events/s; a second keeps the
  // load generator from being what is measured.
  std::size_t client_threads = 2;
  std::size_t connect_window = 256;  // subscribers connecting at once
  std::chrono::seconds deadline{60}; // per repetition
  std::size_t repetitions = 3;
  std::uint64_t seed = 1;
  bool reference = true;
};

struct fanout_params { // W1
  std::size_t subscribers = 100;
  std::size_t blocks = 20;
  std::size_t transactions = 1000;
};

// W8 streams like W1: the same subscribers, blocks and transactions.
using jetstream_params = fanout_params;

struct idle_params { // W2
  std::size_t connections = 10000;
  std::chrono::milliseconds ping_interval{5000};
  std::chrono::milliseconds hold{10000};
};

struct keepalive_params {  // W3
  std::size_t silent = 20; // stop pinging
  std::size_t pinging = 5; // keep pinging; must stay open
  std::chrono::milliseconds timeout{2000};
};

struct slow_consumer_params { // W4
  std::size_t subscribers = 100;
  std::size_t slow = 10;
  std::size_t blocks = 40;
  std::size_t transactions = 1000;
  std::chrono::milliseconds interval{100};
  std::size_t send_budget_bytes = 1u << 20;
  int slow_receive_buffer = 4096;
};

struct ingest_params { // W5
  std::size_t blocks = 100;
  std::size_t transactions = 1000;
};

struct neighbours_params {       // W6
  std::size_t subscribers = 100; // unfiltered and live: the measured ones
  std::size_t filtered = 50;     // ?operation=CREATE
  std::size_t resumed = 50;      // ?since= the first warm-up block: they catch up, then stream live
  std::size_t warmup_blocks = 10;
  std::size_t blocks = 20;
  std::size_t transactions = 1000;
};

struct churn_params {      // W7
  std::size_t rounds = 12; // at least 3: round 2 is the baseline
  std::size_t per_round = 3000;
  std::size_t in_flight = 200;                     // connections open at once
  std::chrono::milliseconds request_timeout{1000}; // evstream's --request-timeout in every W7 run
  // After the churn, against a TLS evstream: handshakes aborted. 0 rounds skips it.
  std::size_t tls_rounds = 6; // at least 3: round 2 is the baseline, as in the churn
  std::size_t tls_per_round = 1000;
  // Then descriptor exhaustion: the server's RLIMIT_NOFILE, the connections
  // held at it (more than that), and how long they are held.
  unsigned long starved_open_files = 64;
  std::size_t starved_connections = 256;
  std::chrono::milliseconds starved_window{3000};
};

record run_fanout(const bench_settings& settings, fanout_params params);
record run_idle(const bench_settings& settings, idle_params params);
record run_keepalive(const bench_settings& settings, const keepalive_params& params);
record run_slow_consumers(const bench_settings& settings, slow_consumer_params params);
record run_ingest(const bench_settings& settings, const ingest_params& params);
record run_neighbours(const bench_settings& settings, neighbours_params params);
record run_churn(const bench_settings& settings, const churn_params& params);
record run_jetstream(const bench_settings& settings, const jetstream_params& params);

} // namespace evstream::bench
