// evstream inside a host node: the whole public API.
//
//   caf::actor_system system{host_config};          // the host's own system
//   evstream::event_stream stream{system, evstream::event_stream_options{}}; // port 9984
//   stream.publish(block);                          // or send a block to stream.block_source()
//   auto counts = stream.counters();
//   stream.stop();                                  // also done by the destructor
//
// Link with `find_package(evstream)` and `target_link_libraries(app evstream::evstream)`.
#pragma once

#include "evstream/block.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace evstream {

class service;

struct event_stream_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9984; // 0 picks a free port; see event_stream::port()
  // What discovery tells clients to dial, e.g. "wss://node.example.org" behind
  // a proxy; empty derives it from the request.
  std::string advertised_url;
  std::chrono::milliseconds keepalive_timeout = std::chrono::minutes(3);
  // PEM files; both set serves https:// and wss:// instead of http:// and ws://.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::size_t io_threads = 1;
  // The newest blocks kept for subscribers that resume (?since=BLOCKID), by
  // count and by bytes.
  std::size_t retain_blocks = 1000;
  std::size_t retain_bytes = 256u << 20;
  // An SQLite file: each published block is written there first, and a restart
  // restores the window, the heights and the remembered ids. Empty: memory only.
  std::string journal_path;
  // Set: standalone evstream relays may follow this node (--upstream=HOST:PORT)
  // on this port (0 picks a free one; see event_stream::published_port()), on
  // `host`. Needs enable_relays() on the host's config.
  std::optional<std::uint16_t> publish_port;
};

// PEM files of a relay link's mutual TLS: each side presents `cert_file` (with
// `key_file`) and accepts only a peer whose certificate chains to `ca_file`.
struct relay_tls_files {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// Loads CAF's network layer (caf::io::middleman and, for TLS, its OpenSSL
// module) and announces the types relays exchange. Call one of them on the
// host's config before its actor system starts when
// event_stream_options::publish_port is set. Without `tls` the link is plain
// BASP, with neither authentication nor encryption: for a trusted network only.
void enable_relays(caf::actor_system_config& config);
void enable_relays(caf::actor_system_config& config, const relay_tls_files& tls);

struct event_stream_counters {
  std::size_t subscribers = 0;
  std::uint64_t blocks_published = 0;
  std::uint64_t blocks_refused = 0;        // invalid (logged with the reason) or already published
  std::uint64_t slow_consumers_closed = 0; // subscribers closed with 1008 for leaving too much unsent
};

// The WebSocket event stream, serving from the host's actor system. Every
// other limit keeps the standalone server's default (docs/operations.md, "Limits").
class event_stream {
public:
  // Binds the port and starts the actors; throws std::exception (with the
  // reason) when the port or the TLS files cannot be used.
  event_stream(caf::actor_system& system, event_stream_options options);
  ~event_stream();
  event_stream(const event_stream&) = delete;
  event_stream& operator=(const event_stream&) = delete;

  std::uint16_t port() const;
  // Where relays follow this node, when it publishes.
  std::optional<std::uint16_t> published_port() const;

  // Blocks are streamed in the order they arrive here; ids must be 64-digit
  // hex, at most 1000 transactions, each block once. A host actor can instead
  // send an evstream::block to block_source() itself.
  void publish(block b);
  caf::actor block_source() const;

  // Asks the actors; waits up to a second for their answer. Throws
  // std::runtime_error when one does not answer (after stop(), or stuck).
  event_stream_counters counters() const;

  // Clients get close 1001 and up to 2.5 s to finish; then the actors end
  // and the port is released. Idempotent.
  void stop();

private:
  caf::actor_system& system_;
  std::unique_ptr<service> service_;
};

} // namespace evstream
