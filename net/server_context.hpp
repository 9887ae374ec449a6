// What every connection of one server shares: its settings, the actors it
// talks to, and the registry of open connections.
#pragma once

#include "net/connection_registry.hpp"
#include "ops/metrics.hpp"
#include "schema/stream_events.hpp"

#include <boost/asio/ssl/context.hpp>
#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace evstream::net {

struct server_settings {
  // Base URL clients should dial (e.g. "wss://node.example.com"); empty means
  // derive it from each request's Host header.
  std::string advertised_url;
  caf::timespan keepalive_timeout = std::chrono::minutes(3);
  // Client messages are pings; anything larger is refused with 1009.
  std::size_t max_inbound_message_bytes = 4096;
  // Queued-but-unsent bytes per subscriber before it counts as slow (1008).
  std::size_t send_budget_bytes = 8u << 20;
  // How long queued output may wait for the socket to take a byte before the
  // subscriber counts as slow (1008): a reader that pings but never reads.
  std::chrono::milliseconds send_timeout = std::chrono::seconds(30);
  // Blocks a resuming subscriber may fall behind while it catches up (1008).
  std::size_t max_blocks_behind = 1000;
  std::size_t max_body_bytes = 16u << 20;
  std::size_t max_header_bytes = 8u << 10;
  // A client must send a whole request within this, so a silent or slow
  // (slowloris) connection cannot hold a slot for long.
  std::chrono::milliseconds request_timeout = std::chrono::seconds(5);
  // Bounds the WebSocket opening and closing handshakes.
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(5);
  // Open WebSocket subscribers, overall and from one client address; past
  // either an upgrade gets 503.
  std::size_t max_connections = 150000;
  std::size_t max_connections_per_ip = 1000;
  bool ingest_enabled = false;
  // The token at start; a reload replaces it (server_context::credentials).
  std::string ingest_token;
  // Origins (as normalized_origin writes them) whose pages may ingest; any
  // other request a browser marks as cross-site gets 403.
  std::vector<std::string> ingest_allowed_origins;
  // PEM files; both set means https:// and wss:// on the port.
  std::string tls_cert_file;
  std::string tls_key_file;
  // What discovery advertises and valid_transactions speaks: BigchainDB 1.x or 2.x.
  schema::bigchaindb_api api = schema::bigchaindb_api::v1;
};

// What a reload (SIGHUP) replaces while every connection stays open. A
// connection takes the current one as it starts (TLS) or as it needs it
// (ingest); one it already took stays valid as long as it holds it.
struct credentials {
  // Set when the server speaks TLS; a reload swaps in a new certificate and key.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // Empty: no token (loopback ingest only).
  std::string ingest_token;
};

using credentials_ptr = std::shared_ptr<const credentials>;

struct server_context {
  server_settings settings;
  caf::actor_system* system = nullptr;
  caf::actor dispatcher;
  caf::actor block_source;
  // Set on a relay (--upstream): readiness is its link being up.
  caf::actor upstream_link;
  // Set with --source=bigchaindb: readiness is the node answering.
  caf::actor node_follower;
  // Set with --jetstream: readiness is the NATS connection being up.
  caf::actor jetstream;
  // Set with --jetstream: resolves and replays cursors older than the window.
  caf::actor stream_history;
  connection_registry connections;
  // Whether the port speaks TLS: fixed at start, whatever a reload brings.
  bool tls = false;
  // Subscribers closed for leaving too much unsent. Written from every
  // connection's strand and read by whoever asks (event_stream::counters).
  std::atomic<std::uint64_t> slow_consumers_closed{0};
  // What GET /metrics shows; connections count into it from their strands.
  ops::metrics_ptr metrics;

  credentials_ptr current_credentials() const {
    std::lock_guard lock{credentials_mutex_};
    return credentials_;
  }
  void replace_credentials(credentials_ptr next) {
    std::lock_guard lock{credentials_mutex_};
    credentials_ = std::move(next);
  }

private:
  // Read by every new connection and every ingest, written by a reload.
  mutable std::mutex credentials_mutex_;
  credentials_ptr credentials_ = std::make_shared<const credentials>();
};

using server_context_ptr = std::shared_ptr<server_context>;

} // namespace evstream::net
