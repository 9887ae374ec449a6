// evstream's Prometheus metrics (GET /metrics): one registry, and a typed
// reference to every metric in it. The service makes one and hands it to the
// actors and connections that count. prometheus-cpp's metrics are atomic (a
// histogram takes its own lock), so counting from any actor or strand needs no
// messages and holds no actor state. Every labelled series exists from the
// start, so a scrape shows 0 rather than nothing.
#pragma once

#include "actors/subscription.hpp"
#include "actors/transport.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace evstream::ops {

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
  explicit open_connection(prometheus::Gauge& open) : open_(&open) { open_->Increment(); }
  open_connection(open_connection&& other) noexcept : open_(std::exchange(other.open_, nullptr)) {}
  open_connection& operator=(open_connection&& other) noexcept {
    std::swap(open_, other.open_);
    return *this;
  }
  ~open_connection() {
    if (open_) open_->Decrement();
  }

private:
  prometheus::Gauge* open_ = nullptr;
};

template <class Enum>
constexpr std::size_t slot_of(Enum value) {
  return static_cast<std::size_t>(value);
}

class metrics {
  // First: every reference below points into it.
  std::shared_ptr<prometheus::Registry> registry_;

public:
  metrics();
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  // Every metric in the Prometheus text format (version 0.0.4).
  std::string text() const;

  // Counts a connection opened; it is open (evstream_connections) until the
  // result is destroyed.
  [[nodiscard]] open_connection connection_opened(connection_kind kind);
  prometheus::Gauge& subscribers(stream_kind stream) { return *subscribers_[slot_of(stream)]; }
  prometheus::Counter& websocket_closes(close_cause cause) { return *closes_[slot_of(cause)]; }
  prometheus::Counter& ingest_errors(ingest_refusal reason) { return *ingest_errors_[slot_of(reason)]; }

  prometheus::Counter& events_sent;
  prometheus::Counter& sent_bytes;
  prometheus::Counter& blocks_ingested;
  // Seconds from the block source taking a block to the dispatcher having
  // sent it to every subscribed session.
  prometheus::Histogram& dispatch_latency;
  // A relay's link to its upstream node: 1 while connected, else 0; and how
  // often it dialled again after losing the link or failing to get it.
  prometheus::Gauge& relay_upstream_connected;
  prometheus::Counter& relay_reconnects;
  // Accepts that failed, most for want of descriptors or memory.
  prometheus::Counter& accept_failures;

private:
  // Indexed by enumerator, whose last one sizes the array.
  std::array<prometheus::Gauge*, slot_of(connection_kind::websocket) + 1> connections_open_{};
  std::array<prometheus::Counter*, slot_of(connection_kind::websocket) + 1> connections_opened_{};
  std::array<prometheus::Gauge*, slot_of(stream_kind::blocks) + 1> subscribers_{};
  std::array<prometheus::Counter*, slot_of(close_cause::connection_lost) + 1> closes_{};
  std::array<prometheus::Counter*, slot_of(ingest_refusal::not_json) + 1> ingest_errors_{};
};

using metrics_ptr = std::shared_ptr<metrics>;

// The refusal an outcome of the block source stands for; none for accepted.
std::optional<ingest_refusal> refusal_of(ingest_result::outcome outcome);

// The label value of each enumerator ("keepalive", "too_large", ...).
const char* label_of(close_cause cause);
const char* label_of(ingest_refusal reason);
const char* label_of(connection_kind kind);
const char* label_of(stream_kind stream);

} // namespace evstream::ops
