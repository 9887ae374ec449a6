// evstream_bench: the benchmark's load generator, verifier and reference
// server. bench/run.sh builds it and runs the whole suite; one workload at a
// time it runs as, for example:
//
//   evstream_bench w1 --server=build-bench/evstream --subscribers=100 --blocks=20
//   evstream_bench w2 --server=build-bench/evstream --connections=10000
//   evstream_bench w3 --server=build-bench/evstream
//   evstream_bench w4 --server=build-bench/evstream --subscribers=100 --slow=10
//   evstream_bench w5 --server=build-bench/evstream --blocks=100
//   evstream_bench w7 --server=build-bench/evstream --rounds=12 --per-round=3000
//   evstream_bench table --results=results.jsonl [--json=bench.json] [--command=TEXT]
//                        [--page=docs/performance.md --notes=bench/performance_notes.md]
//
// Exit status: 0 when every check passed, 1 when one failed, 2 on bad usage,
// 3 when the watchdog gave up on a hung run.
#include "bench/reference_server.hpp"
#include "bench/report.hpp"
#include "bench/server_process.hpp"
#include "bench/workloads.hpp"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace {

using namespace evstream::bench;

constexpr const char* usage = R"(usage: evstream_bench COMMAND [--option=value …]

commands:
  w1  fan-out: --subscribers=100 --blocks=20 --transactions=1000
  w2  idle scale: --connections=10000 --ping-interval-ms=5000 --hold-ms=10000
  w3  keep-alive: --silent=20 --pinging=5 --timeout-ms=2000
  w4  slow consumers: --subscribers=100 --slow=10 --blocks=40 --interval-ms=100
      --send-budget-bytes=1048576 --slow-receive-buffer=4096
  w5  ingest: --blocks=100 --transactions=1000
  w6  neighbours: --subscribers=100 --filtered=50 --resumed=50 --warmup-blocks=10 --blocks=20
  w7  connection churn: --rounds=12 --per-round=3000 --in-flight=200 --request-timeout-ms=1000
      then TLS handshakes aborted: --tls-rounds=6 (0 skips) --tls-per-round=1000
      then out of descriptors: --starved-open-files=64 --starved-connections=256
      --starved-window-ms=3000
  w8  two nodes on one nats-server (--jetstream) against one node: --subscribers=100 --blocks=20 --transactions=1000
  table  --results=FILE (repeatable) [--json=FILE] [--command=TEXT]
         [--page=FILE --notes=FILE]   also write the docs page: header, table, notes
  reference-server  --seed=1 --blocks=N --transactions=1000 (started by w1/w2)

options of w1…w7:
  --server=PATH          the evstream executable (required)
  --server-arg=ARG       added to evstream's command line (repeatable)
  --reps=3               repetitions; the table shows medians
  --deadline=60          seconds a repetition may take
  --client-threads=2     io threads of the load generator
  --connect-window=256   subscribers connecting at once
  --seed=1               seed of the generated blocks
  --no-reference         skip the reference runs of w1, w2 and w7
  --log-dir=DIR          server logs (default /tmp/evstream-bench-PID)
  --out=FILE             append the result as one JSON line
)";

class options {
public:
  options(int argc, char** argv) {
    for (int i = 2; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument " + arg);
      const auto eq = arg.find('=');
      values_[arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2)].push_back(
          eq == std::string::npos ? std::string{} : arg.substr(eq + 1));
    }
  }

  std::string text(const std::string& key, const std::string& fallback = {}) {
    used_.insert(key);
    auto found = values_.find(key);
    return found == values_.end() ? fallback : found->second.back();
  }
  std::vector<std::string> all(const std::string& key) {
    used_.insert(key);
    auto found = values_.find(key);
    return found == values_.end() ? std::vector<std::string>{} : found->second;
  }
  std::size_t count(const std::string& key, std::size_t fallback) {
    auto value = text(key);
    if (value.empty()) return fallback;
    std::size_t end = 0;
    const auto number = std::stoull(value, &end);
    if (end != value.size()) throw std::invalid_argument("--" + key + " wants a whole number, not " + value);
    return static_cast<std::size_t>(number);
  }
  bool flag(const std::string& key) {
    used_.insert(key);
    return values_.count(key) > 0;
  }
  // Options given but never asked for: most likely typos.
  void check_all_used() const {
    for (const auto& [key, value] : values_)
      if (used_.count(key) == 0) throw std::invalid_argument("unknown option --" + key);
  }

private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> used_;
};

std::string absolute(const std::string& path) {
  char resolved[PATH_MAX];
  if (!::realpath(path.c_str(), resolved)) throw std::invalid_argument("no such file or directory: " + path);
  return resolved;
}

bench_settings read_settings(options& opts) {
  bench_settings s;
  const auto server = opts.text("server");
  if (server.empty()) throw std::invalid_argument("--server=PATH (the evstream executable) is required");
  s.server_path = absolute(server);
  s.self_path = absolute("/proc/self/exe");
  s.server_args = opts.all("server-arg");
  s.repetitions = std::max<std::size_t>(1, opts.count("reps", s.repetitions));
  s.deadline = std::chrono::seconds(opts.count("deadline", static_cast<std::size_t>(s.deadline.count())));
  s.client_threads = std::max<std::size_t>(1, opts.count("client-threads", s.client_threads));
  s.connect_window = std::max<std::size_t>(1, opts.count("connect-window", s.connect_window));
  s.seed = opts.count("seed", static_cast<std::size_t>(s.seed));
  s.reference = !opts.flag("no-reference");
  auto log_dir = opts.text("log-dir", "/tmp/evstream-bench-" + std::to_string(::getpid()));
  ::mkdir(log_dir.c_str(), 0755);
  s.log_dir = absolute(log_dir);
  return s;
}

std::string command_line(int argc, char** argv) {
  std::string text;
  for (int i = 0; i < argc; ++i)
    text += (i ? " " : "") + std::string{argv[i]};
  return text;
}

// W1's options, which W8 takes too.
fanout_params fanout_params_of(options& opts) {
  fanout_params p;
  p.subscribers = opts.count("subscribers", p.subscribers);
  p.blocks = std::max<std::size_t>(1, opts.count("blocks", p.blocks));
  p.transactions = opts.count("transactions", p.transactions);
  opts.check_all_used();
  return p;
}

int run_workload(const std::string& command, options& opts, int argc, char** argv) {
  auto settings = read_settings(opts);
  const auto out = opts.text("out");
  record rec;
  if (command == "w1") {
    rec = run_fanout(settings, fanout_params_of(opts));
  } else if (command == "w2") {
    idle_params p;
    p.connections = opts.count("connections", p.connections);
    p.ping_interval =
        std::chrono::milliseconds(std::max<std::size_t>(1, opts.count("ping-interval-ms", 5000)));
    p.hold = std::chrono::milliseconds(opts.count("hold-ms", static_cast<std::size_t>(p.hold.count())));
    opts.check_all_used();
    rec = run_idle(settings, p);
  } else if (command == "w3") {
    keepalive_params p;
    p.silent = opts.count("silent", p.silent);
    p.pinging = opts.count("pinging", p.pinging);
    p.timeout =
        std::chrono::milliseconds(opts.count("timeout-ms", static_cast<std::size_t>(p.timeout.count())));
    opts.check_all_used();
    rec = run_keepalive(settings, p);
  } else if (command == "w4") {
    slow_consumer_params p;
    p.subscribers = opts.count("subscribers", p.subscribers);
    p.slow = opts.count("slow", p.slow);
    p.blocks = std::max<std::size_t>(1, opts.count("blocks", p.blocks));
    p.transactions = opts.count("transactions", p.transactions);
    p.interval =
        std::chrono::milliseconds(opts.count("interval-ms", static_cast<std::size_t>(p.interval.count())));
    p.send_budget_bytes = opts.count("send-budget-bytes", p.send_budget_bytes);
    p.slow_receive_buffer =
        static_cast<int>(opts.count("slow-receive-buffer", static_cast<std::size_t>(p.slow_receive_buffer)));
    opts.check_all_used();
    rec = run_slow_consumers(settings, p);
  } else if (command == "w8") {
    rec = run_jetstream(settings, fanout_params_of(opts));
  } else if (command == "w5") {
    ingest_params p;
    p.blocks = std::max<std::size_t>(1, opts.count("blocks", p.blocks));
    p.transactions = opts.count("transactions", p.transactions);
    opts.check_all_used();
    rec = run_ingest(settings, p);
  } else if (command == "w6") {
    neighbours_params p;
    p.subscribers = opts.count("subscribers", p.subscribers);
    p.filtered = opts.count("filtered", p.filtered);
    p.resumed = opts.count("resumed", p.resumed);
    p.warmup_blocks = opts.count("warmup-blocks", p.warmup_blocks);
    p.blocks = std::max<std::size_t>(1, opts.count("blocks", p.blocks));
    p.transactions = opts.count("transactions", p.transactions);
    opts.check_all_used();
    rec = run_neighbours(settings, p);
  } else if (command == "w7") {
    churn_params p;
    p.rounds = opts.count("rounds", p.rounds);
    if (p.rounds < 3)
      throw std::invalid_argument("--rounds wants at least 3: the growth is measured from round 2");
    p.per_round = std::max<std::size_t>(1, opts.count("per-round", p.per_round));
    p.in_flight = std::max<std::size_t>(1, opts.count("in-flight", p.in_flight));
    p.request_timeout = std::chrono::milliseconds(std::max<std::size_t>(
        1, opts.count("request-timeout-ms", static_cast<std::size_t>(p.request_timeout.count()))));
    p.tls_rounds = opts.count("tls-rounds", p.tls_rounds);
    if (p.tls_rounds == 1 || p.tls_rounds == 2)
      throw std::invalid_argument("--tls-rounds wants 0 or at least 3: the growth is measured from round 2");
    p.tls_per_round = std::max<std::size_t>(1, opts.count("tls-per-round", p.tls_per_round));
    p.starved_open_files = opts.count("starved-open-files", p.starved_open_files);
    if (p.starved_open_files < 16)
      throw std::invalid_argument("--starved-open-files wants at least 16: the server must start");
    p.starved_connections = opts.count("starved-connections", p.starved_connections);
    if (p.starved_connections <= p.starved_open_files)
      throw std::invalid_argument("--starved-connections wants more than --starved-open-files");
    p.starved_window = std::chrono::milliseconds(std::max<std::size_t>(
        100, opts.count("starved-window-ms", static_cast<std::size_t>(p.starved_window.count()))));
    opts.check_all_used();
    rec = run_churn(settings, p);
  }
  std::cout << render_table({rec}, command_line(argc, argv)) << std::flush;
  if (!out.empty()) {
    std::ofstream file{out, std::ios::app};
    file << boost::json::serialize(rec.to_json()) << "\n";
  }
  return rec.ok() ? 0 : 1;
}

int run_table(options& opts) {
  const auto files = opts.all("results");
  const auto json_path = opts.text("json");
  const auto command = opts.text("command", "evstream_bench table");
  const auto page_path = opts.text("page");
  const auto notes_path = opts.text("notes");
  opts.check_all_used();
  std::vector<record> records;
  for (const auto& path : files) {
    std::ifstream file{path};
    if (!file) throw std::invalid_argument("cannot read " + path);
    std::string line;
    while (std::getline(file, line))
      if (!line.empty()) records.push_back(record::from_json(boost::json::parse(line).as_object()));
  }
  std::cout << render_table(records, command);
  if (!json_path.empty()) {
    std::ofstream file{json_path};
    file << boost::json::serialize(render_json(records, command)) << "\n";
  }
  if (!page_path.empty()) {
    std::ifstream notes_file{notes_path};
    if (!notes_file) throw std::invalid_argument("--page needs --notes=FILE, a readable Markdown file");
    std::ostringstream notes;
    notes << notes_file.rdbuf();
    std::ofstream page{page_path};
    page << render_page(records, command, notes.str());
  }
  for (const auto& rec : records)
    if (!rec.ok()) return 1;
  return 0;
}

int run_reference(options& opts) {
  reference_options r;
  r.seed = opts.count("seed", r.seed);
  r.blocks = opts.count("blocks", r.blocks);
  r.transactions = opts.count("transactions", r.transactions);
  opts.check_all_used();
  return run_reference_server(r);
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string{argv[1]} == "--help" || std::string{argv[1]} == "-h") {
    std::cout << usage;
    return argc < 2 ? 2 : 0;
  }
  // A server that goes away mid-write must show up as an error, not kill us.
  ::signal(SIGPIPE, SIG_IGN);
  const std::string command = argv[1];
  try {
    options opts{argc, argv};
    if (command == "w1" || command == "w2" || command == "w3" || command == "w4" || command == "w5"
        || command == "w6" || command == "w7" || command == "w8")
      return run_workload(command, opts, argc, argv);
    if (command == "table") return run_table(opts);
    if (command == "reference-server") return run_reference(opts);
    std::cerr << "evstream_bench: unknown command " << command << "\n\n" << usage;
    return 2;
  } catch (const std::invalid_argument& error) {
    std::cerr << "evstream_bench: " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "evstream_bench: " << error.what() << "\n";
    return 1;
  }
}
