#include "ops/metrics.hpp"

#include "net/stream_request.hpp"

#include <prometheus/text_serializer.h>

namespace evstream::ops {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// From 100 µs (a block with no subscriber) to 10 s (a journal on a stalled disk).
const prometheus::Histogram::BucketBoundaries dispatch_buckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// One series per enumerator, from the first to `last`, labelled `label`.
template <class Metric, class Enum, std::size_t N>
void add_each(prometheus::Family<Metric>& family, const char* label, Enum last,
              std::array<Metric*, N>& slots) {
  static_assert(N > 0);
  for (std::size_t i = 0; i <= slot_of(last); ++i)
    slots[i] = &family.Add({{label, label_of(static_cast<Enum>(i))}});
}

} // namespace

metrics::metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      events_sent(BuildCounter()
                      .Name("evstream_events_sent_total")
                      .Help("Stream messages queued for WebSocket subscribers")
                      .Register(*registry_)
                      .Add({})),
      sent_bytes(BuildCounter()
                     .Name("evstream_sent_bytes_total")
                     .Help("Bytes written to WebSocket subscribers, frame headers included")
                     .Register(*registry_)
                     .Add({})),
      blocks_ingested(BuildCounter()
                          .Name("evstream_blocks_ingested_total")
                          .Help("Blocks the block source accepted and streamed")
                          .Register(*registry_)
                          .Add({})),
      dispatch_latency(
          BuildHistogram()
              .Name("evstream_dispatch_latency_seconds")
              .Help("Seconds from the block source taking a block to the dispatcher having sent it "
                    "to every subscribed session")
              .Register(*registry_)
              .Add({}, dispatch_buckets)),
      relay_upstream_connected(BuildGauge()
                                   .Name("evstream_relay_upstream_connected")
                                   .Help("1 while this relay is connected to its upstream node, else 0")
                                   .Register(*registry_)
                                   .Add({})),
      relay_reconnects(BuildCounter()
                           .Name("evstream_relay_reconnects_total")
                           .Help("Times this relay dialled its upstream node again")
                           .Register(*registry_)
                           .Add({})),
      accept_failures(BuildCounter()
                          .Name("evstream_accept_failures_total")
                          .Help("Connections the listener failed to accept, e.g. out of file descriptors")
                          .Register(*registry_)
                          .Add({})) {
  add_each(BuildGauge()
               .Name("evstream_connections")
               .Help("Open client connections: HTTP (requests, until upgraded) and WebSocket (subscribers)")
               .Register(*registry_),
           "kind", connection_kind::websocket, connections_open_);
  add_each(BuildCounter()
               .Name("evstream_connections_opened_total")
               .Help("Client connections accepted (HTTP) and WebSocket handshakes completed")
               .Register(*registry_),
           "kind", connection_kind::websocket, connections_opened_);
  add_each(BuildGauge()
               .Name("evstream_subscribers")
               .Help("Sessions subscribed to the dispatcher, by stream")
               .Register(*registry_),
           "stream", stream_kind::blocks, subscribers_);
  add_each(BuildCounter()
               .Name("evstream_websocket_closes_total")
               .Help("WebSocket connections ended, by why")
               .Register(*registry_),
           "reason", close_cause::connection_lost, closes_);
  add_each(BuildCounter()
               .Name("evstream_ingest_errors_total")
               .Help("Blocks offered for ingest and not streamed, by why")
               .Register(*registry_),
           "reason", ingest_refusal::not_json, ingest_errors_);
}

std::string metrics::text() const { return prometheus::TextSerializer{}.Serialize(registry_->Collect()); }

open_connection metrics::connection_opened(connection_kind kind) {
  connections_opened_[slot_of(kind)]->Increment();
  return open_connection{*connections_open_[slot_of(kind)]};
}

std::optional<ingest_refusal> refusal_of(ingest_result::outcome outcome) {
  switch (outcome) {
  case ingest_result::outcome::accepted:
    return std::nullopt;
  case ingest_result::outcome::invalid:
    return ingest_refusal::invalid;
  case ingest_result::outcome::duplicate:
    return ingest_refusal::duplicate;
  case ingest_result::outcome::unavailable:
    return ingest_refusal::unavailable;
  }
  return std::nullopt;
}

const char* label_of(close_cause cause) {
  switch (cause) {
  case close_cause::keepalive:
    return "keepalive";
  case close_cause::slow_consumer:
    return "slow_consumer";
  case close_cause::limits:
    return "limits";
  case close_cause::shutdown:
    return "shutdown";
  case close_cause::internal_error:
    return "internal_error";
  case close_cause::upstream_gap:
    return "upstream_gap";
  case close_cause::client:
    return "client";
  case close_cause::connection_lost:
    return "connection_lost";
  }
  return "unknown";
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

const char* label_of(stream_kind stream) {
  // The names are string literals, so their data() ends with a NUL.
  for (const auto& served : net::served_streams())
    if (served.stream == stream) return served.name.data();
  return "unknown";
}

} // namespace evstream::ops
