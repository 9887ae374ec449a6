// The metrics object: every series is there from the start, counts show in
// the text format, and an open connection leaves the gauge when it ends.
#include "ops/metrics.hpp"

#include "ops/build_info.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace evstream::ops;

namespace {

// Whether `text` has the sample line of `series` ("name{labels}") with `value`.
bool has_sample(const std::string& text, const std::string& series, const std::string& value) {
  std::istringstream lines{text};
  for (std::string line; std::getline(lines, line);)
    if (line == series + " " + value) return true;
  return false;
}

// Label values as another layer would give them.
const metric_labels labels{{"valid_tx", "blocks"}, {"keepalive", "client"}};

} // namespace

TEST_CASE("a new registry shows every labelled series at zero") {
  metrics m{labels};
  auto text = m.text();
  for (auto stream : {"valid_tx", "blocks"})
    CHECK(has_sample(text, std::string{"evstream_subscribers{stream=\""} + stream + "\"}", "0"));
  for (auto reason : {"keepalive", "client"})
    CHECK(has_sample(text, std::string{"evstream_websocket_closes_total{reason=\""} + reason + "\"}", "0"));
  for (auto reason : {"invalid", "duplicate", "unavailable", "unauthorized", "too_large", "not_answered",
                      "cross_site", "foreign_host", "not_json"})
    CHECK(has_sample(text, std::string{"evstream_ingest_errors_total{reason=\""} + reason + "\"}", "0"));
  for (auto kind : {"http", "websocket"}) {
    CHECK(has_sample(text, std::string{"evstream_connections{kind=\""} + kind + "\"}", "0"));
    CHECK(has_sample(text, std::string{"evstream_connections_opened_total{kind=\""} + kind + "\"}", "0"));
  }
  for (auto name :
       {"evstream_events_queued_total", "evstream_sent_bytes_total", "evstream_blocks_ingested_total",
        "evstream_dispatch_latency_seconds_count", "evstream_accept_failures_total"})
    CHECK(has_sample(text, name, "0"));
  CHECK(text.find("# TYPE evstream_dispatch_latency_seconds histogram") != std::string::npos);
  CHECK(text.find("# TYPE evstream_subscribers gauge") != std::string::npos);
  CHECK(text.find("# TYPE evstream_events_queued_total counter") != std::string::npos);
}

TEST_CASE("counts show in the text under their labels") {
  metrics m{labels};
  m.count_relay_link();
  m.subscribers("blocks").increment();
  m.websocket_closes("keepalive").increment();
  m.ingest_errors(ingest_refusal::too_large).increment();
  m.events_queued.increment(3);
  m.dispatch_latency.observe(0.002);
  m.relay_upstream_connected.set(1);
  m.relay_reconnects.increment();
  auto text = m.text();
  CHECK(has_sample(text, "evstream_subscribers{stream=\"blocks\"}", "1"));
  CHECK(has_sample(text, "evstream_subscribers{stream=\"valid_tx\"}", "0"));
  CHECK(has_sample(text, "evstream_websocket_closes_total{reason=\"keepalive\"}", "1"));
  CHECK(has_sample(text, "evstream_ingest_errors_total{reason=\"too_large\"}", "1"));
  CHECK(has_sample(text, "evstream_events_queued_total", "3"));
  CHECK(has_sample(text, "evstream_dispatch_latency_seconds_count", "1"));
  CHECK(has_sample(text, "evstream_dispatch_latency_seconds_bucket{le=\"0.001\"}", "0"));
  CHECK(has_sample(text, "evstream_dispatch_latency_seconds_bucket{le=\"0.0025\"}", "1"));
  CHECK(has_sample(text, "evstream_relay_upstream_connected", "1"));
  CHECK(has_sample(text, "evstream_relay_reconnects_total", "1"));
}

TEST_CASE("evstream_build_info names the version and the commit, at 1") {
  metrics m{labels};
  CHECK(has_sample(m.text(),
                   "evstream_build_info{commit=\"" + std::string{commit()} + "\",version=\""
                       + std::string{version()} + "\"}",
                   "1"));
}

TEST_CASE("the relay series exist on a relay only") {
  metrics m{labels};
  auto text = m.text();
  CHECK(text.find("evstream_relay_upstream_connected") == std::string::npos);
  CHECK(text.find("evstream_relay_reconnects_total") == std::string::npos);
  m.relay_reconnects.increment(); // before: counts nothing
  m.count_relay_link();
  text = m.text();
  CHECK(has_sample(text, "evstream_relay_upstream_connected", "0"));
  CHECK(has_sample(text, "evstream_relay_reconnects_total", "0"));
}

TEST_CASE("a label value not given at construction gets its series on first use") {
  metrics m{labels};
  CHECK_FALSE(has_sample(m.text(), "evstream_subscribers{stream=\"valid_transactions\"}", "0"));
  auto late = m.subscribers("valid_transactions");
  late.increment();
  CHECK(has_sample(m.text(), "evstream_subscribers{stream=\"valid_transactions\"}", "1"));
  CHECK(m.subscribers("valid_transactions").value() == 1);
}

TEST_CASE("a default-made handle counts nothing and reads zero") {
  counter nowhere;
  nowhere.increment(5);
  CHECK(nowhere.value() == 0);
  gauge idle;
  idle.set(3);
  CHECK(idle.value() == 0);
  CHECK(histogram{}.observations() == 0);
}

TEST_CASE("an open connection is counted until it is destroyed, once however it is moved") {
  metrics m{labels};
  {
    auto first = m.connection_opened(connection_kind::websocket);
    open_connection moved{std::move(first)};
    open_connection assigned;
    assigned = std::move(moved);
    CHECK(has_sample(m.text(), "evstream_connections{kind=\"websocket\"}", "1"));
  }
  auto text = m.text();
  CHECK(has_sample(text, "evstream_connections{kind=\"websocket\"}", "0"));
  CHECK(has_sample(text, "evstream_connections_opened_total{kind=\"websocket\"}", "1"));
  CHECK(has_sample(text, "evstream_connections{kind=\"http\"}", "0"));
}

TEST_CASE("the process's own figures come from /proc at each scrape") {
  metrics m{labels};
  auto text = m.text();
  CHECK(text.find("# TYPE process_cpu_seconds_total counter") != std::string::npos);
  for (auto name : {"process_open_fds", "process_max_fds", "process_resident_memory_bytes",
                    "process_virtual_memory_bytes", "process_start_time_seconds"})
    CHECK(text.find(std::string{"# TYPE "} + name + " gauge") != std::string::npos);
  auto value_of = [&](const std::string& name) {
    auto at = text.find("\n" + name + " ");
    REQUIRE(at != std::string::npos);
    return std::stod(text.substr(at + name.size() + 2));
  };
  CHECK(value_of("process_open_fds") >= 3); // stdin, stdout, stderr at least
  CHECK(value_of("process_resident_memory_bytes") > 1e6);
  auto started = value_of("process_start_time_seconds");
  auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(started <= now + 1);
  CHECK(started > now - 3600); // a test process started within the hour
  // A new descriptor shows at the next scrape.
  auto before = value_of("process_open_fds");
  std::FILE* extra = std::fopen("/proc/self/stat", "r");
  text = m.text();
  CHECK(value_of("process_open_fds") == before + 1);
  std::fclose(extra);
}
