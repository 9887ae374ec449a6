// evstream's Prometheus metrics (GET /metrics): one registry, and a handle to
// every series in it. The service makes one and hands it to the actors and
// connections that count. prometheus-cpp's metrics are atomic (a histogram
// takes its own lock), so counting from any actor or strand needs no messages
// and holds no actor state. Every labelled series exists from the start, so a
// scrape shows 0 rather than nothing.
//
// A leaf: prometheus-cpp stays behind this header, and the label values of
// what other layers define (streams, close causes) come in as plain strings.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
} // namespace prometheus

namespace evstream::ops {

// Handles to one series, cheap to copy. A default-made one counts nothing.
class counter {
public:
  counter() = default;
  explicit counter(prometheus::Counter& series) : series_(&series) {}
  void increment(double by = 1) const;
  double value() const;

private:
  prometheus::Counter* series_ = nullptr;
};

class gauge {
public:
  gauge() = default;
  explicit gauge(prometheus::Gauge& series) : series_(&series) {}
  void increment() const;
  void decrement() const;
  void set(double value) const;
  double value() const;

private:
  prometheus::Gauge* series_ = nullptr;
};

class histogram {
public:
  histogram() = default;
  explicit histogram(prometheus::Histogram& series) : series_(&series) {}
  void observe(double value) const;
  std::uint64_t observations() const;

private:
  prometheus::Histogram* series_ = nullptr;
};

enum class connection_kind { http, websocket };

// Why a block offered for ingest was not streamed.
enum class ingest_refusal {
  invalid,      // not a valid block (400)
  duplicate,    // published recently (409)
  unavailable,  // the journal could not make it durable (503)
  unauthorized, // no or a wrong ingest token (401, 403)
  too_large,    // a body over --max-body-bytes (413)
  not_answered, // the block source did not answer in time (503)
  cross_site,   // sent by a web page whose origin is not allowed (403)
  foreign_host, // tokenless, with a Host that is not this node's: DNS rebinding (403)
  not_json,     // a Content-Type other than application/json (415)
};

// One connection in evstream_connections while this lives.
class open_connection {
public:
  open_connection() = default;
  explicit open_connection(gauge open) : open_(open), counted_(true) { open_.increment(); }
  open_connection(open_connection&& other) noexcept : open_(other.open_), counted_(other.counted_) {
    other.counted_ = false;
  }
  open_connection& operator=(open_connection&& other) noexcept {
    std::swap(open_, other.open_);
    std::swap(counted_, other.counted_);
    return *this;
  }
  ~open_connection() {
    if (counted_) open_.decrement();
  }

private:
  gauge open_;
  bool counted_ = false;
};

// The label values of the series labelled by what other layers define.
struct metric_labels {
  std::vector<std::string> streams;      // evstream_subscribers{stream}
  std::vector<std::string> close_causes; // evstream_websocket_closes_total{reason}
};

class metrics {
public:
  explicit metrics(const metric_labels& labels);
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;
  ~metrics();

  // Every metric in the Prometheus text format (version 0.0.4).
  std::string text() const;

  // Counts a connection opened; it is open (evstream_connections) until the
  // result is destroyed.
  [[nodiscard]] open_connection connection_opened(connection_kind kind);
  // A label value not given at construction adds its series on first use.
  gauge subscribers(std::string_view stream);
  counter websocket_closes(std::string_view cause);
  counter ingest_errors(ingest_refusal reason);
  // HTTP answers by the endpoint that gave them ("unrouted" for a request no
  // endpoint took) and their status code; 101 for an accepted upgrade.
  counter http_requests(std::string_view route, unsigned status);

  // Queued on a connection; what reached the socket is sent_bytes.
  counter events_queued;
  counter sent_bytes;
  counter blocks_ingested;
  // Seconds from the block source taking a block to the dispatcher having
  // sent it to every subscribed session.
  histogram dispatch_latency;
  // A relay's link to its upstream node: 1 while connected, else 0; and how
  // often it dialled again after losing the link or failing to get it. On a
  // relay only (count_relay_link), so that an "== 0" alert cannot fire on an
  // origin; until then they count nothing.
  gauge relay_upstream_connected;
  counter relay_reconnects;
  // Adds the relay series. Once, before the relay link counts.
  void count_relay_link();
  // A JetStream cluster node's NATS connection: 1 while up, else 0; the last
  // stream sequence consumed; how many the stream holds beyond it (lag);
  // reconnects. On such nodes only (count_jetstream).
  gauge jetstream_connected;
  gauge jetstream_last_sequence;
  gauge jetstream_lag;
  counter jetstream_reconnects;
  void count_jetstream();
  // Accepts that failed, most for want of descriptors or memory.
  counter accept_failures;
  // The newest block dispatched: its height here and its own timestamp (Unix
  // seconds), so that an alert can tell a stream gone stale.
  gauge last_block_height;
  gauge last_block_timestamp;
  // What the retention window holds.
  gauge retained_blocks;
  gauge retained_bytes;

private:
  struct families;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<families> families_;
};

using metrics_ptr = std::shared_ptr<metrics>;

// The label value of each enumerator ("too_large", "http", ...).
const char* label_of(ingest_refusal reason);
const char* label_of(connection_kind kind);

} // namespace evstream::ops
