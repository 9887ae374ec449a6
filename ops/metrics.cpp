#include "ops/metrics.hpp"

#include "ops/build_info.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace evstream::ops {

namespace {

prometheus::MetricFamily process_family(const char* name, const char* help, prometheus::MetricType type,
                                        double value) {
  prometheus::ClientMetric sample;
  if (type == prometheus::MetricType::Counter)
    sample.counter.value = value;
  else
    sample.gauge.value = value;
  return {name, help, type, {sample}};
}

// The process's own figures, read from /proc at each scrape, under the names
// Prometheus's client libraries give them; prometheus-cpp has no process
// collector.
std::vector<prometheus::MetricFamily> process_families() {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  families.push_back(process_family("process_cpu_seconds_total", "User and system CPU time spent, in seconds",
                                    MetricType::Counter, seconds(usage.ru_utime) + seconds(usage.ru_stime)));
  std::error_code ec;
  std::size_t open = 0;
  for (std::filesystem::directory_iterator fd{"/proc/self/fd", ec}, end; !ec && fd != end; fd.increment(ec))
    ++open;
  families.push_back(process_family("process_open_fds", "Open file descriptors", MetricType::Gauge,
                                    static_cast<double>(open)));
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  families.push_back(process_family("process_max_fds", "Most file descriptors the process may open",
                                    MetricType::Gauge, static_cast<double>(files.rlim_cur)));
  double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  double virtual_pages = 0, resident_pages = 0;
  std::ifstream{"/proc/self/statm"} >> virtual_pages >> resident_pages;
  families.push_back(process_family("process_resident_memory_bytes", "Resident memory size, in bytes",
                                    MetricType::Gauge, resident_pages * page));
  families.push_back(process_family("process_virtual_memory_bytes", "Virtual memory size, in bytes",
                                    MetricType::Gauge, virtual_pages * page));
  // Field 22 of /proc/self/stat is the start in clock ticks after boot;
  // /proc/stat's btime is the boot in Unix seconds. The fields after the
  // command name (in parentheses, which may hold spaces) start at field 3.
  std::ifstream stat_file{"/proc/self/stat"};
  std::string stat{std::istreambuf_iterator<char>{stat_file}, std::istreambuf_iterator<char>{}};
  std::istringstream fields{stat.substr(stat.rfind(')') + 1)};
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  std::ifstream boot{"/proc/stat"};
  std::string line;
  double boot_time = 0;
  while (std::getline(boot, line))
    if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
  families.push_back(process_family(
      "process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds",
      MetricType::Gauge,
      boot_time + std::stod(field.empty() ? "0" : field) / static_cast<double>(sysconf(_SC_CLK_TCK))));
  return families;
}

} // namespace

void counter::increment(double by) const {
  if (series_) series_->Increment(by);
}
double counter::value() const { return series_ ? series_->Value() : 0; }

void gauge::increment() const {
  if (series_) series_->Increment();
}
void gauge::decrement() const {
  if (series_) series_->Decrement();
}
void gauge::set(double value) const {
  if (series_) series_->Set(value);
}
double gauge::value() const { return series_ ? series_->Value() : 0; }

void histogram::observe(double value) const {
  if (series_) series_->Observe(value);
}
std::uint64_t histogram::observations() const {
  return series_ ? series_->Collect().histogram.sample_count : 0;
}

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// From 100 µs (a block with no subscriber) to 10 s (a journal on a stalled disk).
const prometheus::Histogram::BucketBoundaries dispatch_buckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// The series of `family` labelled `label` with each of `values`, made now.
template <class Metric>
prometheus::Family<Metric>& with_series(prometheus::Family<Metric>& family, const std::string& label,
                                        const std::vector<std::string>& values) {
  for (const auto& value : values)
    family.Add({{label, value}});
  return family;
}

template <class Enum>
std::vector<std::string> labels_of(std::initializer_list<Enum> values) {
  std::vector<std::string> labels;
  for (auto value : values)
    labels.emplace_back(label_of(value));
  return labels;
}

} // namespace

// The labelled families; Family::Add returns the series already made for a
// label set, so a handle is a lookup away.
struct metrics::families {
  prometheus::Family<prometheus::Gauge>& connections_open;
  prometheus::Family<prometheus::Counter>& connections_opened;
  prometheus::Family<prometheus::Gauge>& subscribers;
  prometheus::Family<prometheus::Counter>& closes;
  prometheus::Family<prometheus::Counter>& ingest_errors;
  prometheus::Family<prometheus::Counter>& http_requests;
};

metrics::metrics(const metric_labels& labels) : registry_(std::make_shared<prometheus::Registry>()) {
  auto& registry = *registry_;
  const auto kinds = labels_of({connection_kind::http, connection_kind::websocket});
  const auto refusals =
      labels_of({ingest_refusal::invalid, ingest_refusal::duplicate, ingest_refusal::unavailable,
                 ingest_refusal::unauthorized, ingest_refusal::too_large, ingest_refusal::not_answered,
                 ingest_refusal::cross_site, ingest_refusal::foreign_host, ingest_refusal::not_json});
  families_.reset(new families{
      with_series(
          BuildGauge()
              .Name("evstream_connections")
              .Help("Open client connections: HTTP (requests, until upgraded) and WebSocket (subscribers)")
              .Register(registry),
          "kind", kinds),
      with_series(BuildCounter()
                      .Name("evstream_connections_opened_total")
                      .Help("Client connections accepted (HTTP) and WebSocket handshakes completed")
                      .Register(registry),
                  "kind", kinds),
      with_series(BuildGauge()
                      .Name("evstream_subscribers")
                      .Help("Sessions subscribed to the dispatcher, by stream")
                      .Register(registry),
                  "stream", labels.streams),
      with_series(BuildCounter()
                      .Name("evstream_websocket_closes_total")
                      .Help("WebSocket connections ended, by why")
                      .Register(registry),
                  "reason", labels.close_causes),
      with_series(BuildCounter()
                      .Name("evstream_ingest_errors_total")
                      .Help("Blocks offered for ingest and not streamed, by why")
                      .Register(registry),
                  "reason", refusals),
      BuildCounter()
          .Name("evstream_http_requests_total")
          .Help("HTTP answers, by the endpoint that gave them and status code (101: an accepted upgrade)")
          .Register(registry)});
  events_queued = counter{BuildCounter()
                              .Name("evstream_events_queued_total")
                              .Help("Stream messages queued on WebSocket subscribers' connections")
                              .Register(registry)
                              .Add({})};
  sent_bytes = counter{BuildCounter()
                           .Name("evstream_sent_bytes_total")
                           .Help("Bytes written to WebSocket subscribers, frame headers included")
                           .Register(registry)
                           .Add({})};
  blocks_ingested = counter{BuildCounter()
                                .Name("evstream_blocks_ingested_total")
                                .Help("Blocks the block source accepted and streamed")
                                .Register(registry)
                                .Add({})};
  dispatch_latency = histogram{BuildHistogram()
                                   .Name("evstream_dispatch_latency_seconds")
                                   .Help("Seconds from the block source taking a block to the dispatcher "
                                         "having sent it to every subscribed session")
                                   .Register(registry)
                                   .Add({}, dispatch_buckets)};
  auto plain_gauge = [&](const char* name, const char* help) {
    return gauge{BuildGauge().Name(name).Help(help).Register(registry).Add({})};
  };
  last_block_height =
      plain_gauge("evstream_last_block_height", "Height in this node of the newest block dispatched");
  last_block_timestamp = plain_gauge("evstream_last_block_timestamp_seconds",
                                     "The newest dispatched block's own timestamp, in Unix seconds");
  retained_blocks = plain_gauge("evstream_retained_blocks", "Blocks in the retention window (resumable)");
  retained_bytes =
      plain_gauge("evstream_retained_bytes", "Bytes the retention window holds, encodings included");
  BuildGauge()
      .Name("evstream_build_info")
      .Help("Always 1: the labels say which evstream this is")
      .Register(registry)
      .Add({{"version", std::string{version()}}, {"commit", std::string{commit()}}})
      .Set(1);
  accept_failures =
      counter{BuildCounter()
                  .Name("evstream_accept_failures_total")
                  .Help("Connections the listener failed to accept, e.g. out of file descriptors")
                  .Register(registry)
                  .Add({})};
}

metrics::~metrics() = default;

void metrics::count_relay_link() {
  relay_upstream_connected = gauge{BuildGauge()
                                       .Name("evstream_relay_upstream_connected")
                                       .Help("1 while this relay is connected to its upstream node, else 0")
                                       .Register(*registry_)
                                       .Add({})};
  relay_reconnects = counter{BuildCounter()
                                 .Name("evstream_relay_reconnects_total")
                                 .Help("Times this relay dialled its upstream node again")
                                 .Register(*registry_)
                                 .Add({})};
}

void metrics::count_jetstream() {
  jetstream_connected = gauge{BuildGauge()
                                  .Name("evstream_jetstream_connected")
                                  .Help("1 while this node is connected to NATS JetStream, else 0")
                                  .Register(*registry_)
                                  .Add({})};
  jetstream_last_sequence =
      gauge{BuildGauge()
                .Name("evstream_jetstream_last_sequence")
                .Help("The last stream sequence this node consumed (its newest block's height)")
                .Register(*registry_)
                .Add({})};
  jetstream_lag =
      gauge{BuildGauge()
                .Name("evstream_jetstream_lag_blocks")
                .Help("Blocks the stream held beyond the last one this node consumed, when it consumed it")
                .Register(*registry_)
                .Add({})};
  jetstream_reconnects = counter{BuildCounter()
                                     .Name("evstream_jetstream_reconnects_total")
                                     .Help("Times the NATS connection came back after it was lost")
                                     .Register(*registry_)
                                     .Add({})};
}

std::string metrics::text() const {
  auto collected = registry_->Collect();
  for (auto& family : process_families())
    collected.push_back(std::move(family));
  return prometheus::TextSerializer{}.Serialize(collected);
}

open_connection metrics::connection_opened(connection_kind kind) {
  families_->connections_opened.Add({{"kind", label_of(kind)}}).Increment();
  return open_connection{gauge{families_->connections_open.Add({{"kind", label_of(kind)}})}};
}

gauge metrics::subscribers(std::string_view stream) {
  return gauge{families_->subscribers.Add({{"stream", std::string{stream}}})};
}

counter metrics::websocket_closes(std::string_view cause) {
  return counter{families_->closes.Add({{"reason", std::string{cause}}})};
}

counter metrics::http_requests(std::string_view route, unsigned status) {
  return counter{
      families_->http_requests.Add({{"route", std::string{route}}, {"code", std::to_string(status)}})};
}

counter metrics::ingest_errors(ingest_refusal reason) {
  return counter{families_->ingest_errors.Add({{"reason", label_of(reason)}})};
}

const char* label_of(ingest_refusal reason) {
  switch (reason) {
  case ingest_refusal::invalid:
    return "invalid";
  case ingest_refusal::duplicate:
    return "duplicate";
  case ingest_refusal::unavailable:
    return "unavailable";
  case ingest_refusal::unauthorized:
    return "unauthorized";
  case ingest_refusal::too_large:
    return "too_large";
  case ingest_refusal::not_answered:
    return "not_answered";
  case ingest_refusal::cross_site:
    return "cross_site";
  case ingest_refusal::foreign_host:
    return "foreign_host";
  case ingest_refusal::not_json:
    return "not_json";
  }
  return "unknown";
}

const char* label_of(connection_kind kind) { return kind == connection_kind::http ? "http" : "websocket"; }

} // namespace evstream::ops
