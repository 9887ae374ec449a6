// evstream wired together: block source, dispatcher and demo source actors in
// the given actor system, plus the HTTP/WebSocket server on its own Asio
// threads. The executable and the tests use it; so can a host node.
#pragma once

#include "actors/demo_source.hpp"
#include "actors/dispatcher.hpp"
#include "actors/upstream_link.hpp"
#include "evstream/evstream.hpp"
#include "net/jetstream_history.hpp"
#include "net/jetstream_link.hpp"
#include "net/server_context.hpp"
#include "ops/log.hpp"

#include <caf/all.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace evstream::net {
class listener;
}

namespace evstream {

// Where blocks come from; `embedded`: only what a host node publishes;
// `upstream`: another evstream node (this one is a relay).
// `none`: no source of its own (with --jetstream, the node serves the stream).
enum class block_source_kind { demo, ingest, stdin_lines, embedded, upstream, bigchaindb, none };

// For block_source_kind::bigchaindb: the node to follow and its Tendermint RPC.
struct bigchaindb_follow_options {
  std::string node_url = "http://127.0.0.1:9984";
  std::string tendermint_url = "http://127.0.0.1:26657";
  std::chrono::milliseconds poll_interval{500};
  // Where to begin without a journal; none: the node's latest height.
  std::optional<std::uint64_t> from_height;
};

struct service_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9984; // 0 picks a free port
  block_source_kind source = block_source_kind::demo;
  demo_settings demo;
  std::size_t io_threads = 1;
  retention_limits retention;
  // Set: blocks are written to this SQLite journal before they are
  // acknowledged, and a restart restores the window from it.
  std::string journal_path;
  net::server_settings server;
  // Set: other nodes may follow this one's blocks on this port (0: any free
  // one), on `publish_host` (empty: `host`), over CAF's network layer.
  std::optional<std::uint16_t> publish_port;
  std::string publish_host;
  // The relay link's mutual TLS, for enable_relays(); none: plain BASP
  // (--relay-insecure).
  std::optional<relay_tls_files> relay_tls;
  // For block_source_kind::upstream: the node to follow.
  upstream_address upstream;
  bigchaindb_follow_options bigchaindb;
  // Set: this node is one of a JetStream-backed cluster (docs/jetstream.md).
  std::optional<net::jetstream_settings> jetstream;
  // Process-wide (the log is stderr's): set when the service starts.
  ops::log_level log_level = ops::log_level::info;
};

// What a reload (SIGHUP) may change; the TLS files are read again, so a
// renewed certificate at the same paths is taken up.
struct reloadable_settings {
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string ingest_token;
  ops::log_level log_level = ops::log_level::info;
};

class service {
public:
  // Opens the journal if any, spawns the actors, loads the TLS certificate if
  // any and binds the port (throws std::exception naming what failed), then serves.
  service(caf::actor_system& system, service_options options);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  std::uint16_t port() const;
  bool tls() const { return context_->tls; }
  caf::actor block_source() const { return context_->block_source; }
  caf::actor dispatcher() const { return context_->dispatcher; }
  // Where other nodes follow this one, when it publishes.
  std::optional<std::uint16_t> published_port() const { return published_port_; }
  std::uint64_t slow_consumers_closed() const { return context_->slow_consumers_closed; }
  // What GET /metrics serves; whatever else counts (a relay link) counts here.
  ops::metrics& metrics() const { return *context_->metrics; }

  // Swaps in what may change without a restart: new connections and ingests
  // use it, open ones keep going. Returns the names of what changed ("tls",
  // "ingest-token", "log-level"); throws, changing nothing, when the TLS
  // files do not load or TLS would be turned on or off.
  std::vector<std::string> reload(const reloadable_settings& next);

  // Every subscriber gets close 1001 and up to `grace` to finish; then the
  // rest is cut, the actors end and the I/O threads stop. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2500));

private:
  void stop_actors();

  net::server_context_ptr context_;
  caf::actor demo_;
  caf::actor feed_;
  std::optional<std::uint16_t> published_port_;
  ops::log_level log_level_ = ops::log_level::info;
  std::string tls_files_; // the PEM files' contents, as last loaded
  boost::asio::io_context io_;
  // Keeps the I/O threads running while nothing is pending on a socket, such
  // as at shutdown with only an ingest waiting for the block source's answer.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> io_work_{io_.get_executor()};
  std::shared_ptr<net::listener> listener_;
  std::vector<std::thread> io_threads_;
  bool stopped_ = false;
};

} // namespace evstream
