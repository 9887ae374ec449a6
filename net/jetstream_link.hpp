// A node of a JetStream-backed cluster (--jetstream): the blocks this node
// accepts are published to a NATS JetStream stream, and every node streams
// what that stream holds, in its order. A block's height is its stream
// sequence, the same on every node.
//
// The NATS C client runs behind one actor that owns the connection, on a
// thread of its own (a publish waits for JetStream's acknowledgement). The
// library's callbacks (messages of the ordered consumer, disconnects,
// reconnects) reach it only as messages, as Beast's do every other actor.
//
//   accepts: publish_block -> ingest_result (after JetStream's acknowledgement)
//            consumed_block (its consumer), jetstream_connection_changed
//            (get_atom, jetstream_atom) -> jetstream_status
//   sends:   followed_block (numbered with its stream sequence) -> block_source
//            upstream_gap -> block_source, when the stream no longer holds the
//            blocks after this node's last (its retention moved past them)
#pragma once

#include "actors/messages.hpp"
#include "ops/metrics.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace evstream::net {

using jetstream_atom = caf::atom_constant<caf::atom("jetstream")>;

struct jetstream_settings {
  // nats://HOST:PORT, one per server of the cluster.
  std::vector<std::string> servers;
  std::string stream = "EVSTREAM_BLOCKS";
  std::string subject_prefix = "evstream.blocks";
  // A NATS credentials file, a CA to verify a tls:// server with, and the
  // certificate and key this node presents (a server that verifies clients).
  std::string creds_file;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // The stream's settings when evstream creates it (and checks otherwise).
  std::int64_t replicas = 1;
  // -1: no limit.
  std::int64_t max_blocks = -1;
  std::int64_t max_bytes = -1;
  std::chrono::seconds max_age{0}; // 0: no limit
};

// The connection and the stream, ready: connect() refuses what cannot work,
// before the service starts, in words.
class jetstream_connection;
using jetstream_connection_ptr = std::shared_ptr<jetstream_connection>;

// `url` without a user and password, for logs and errors.
std::string without_userinfo(const std::string& url);
// The servers of `settings`, comma-separated, each without_userinfo.
std::string servers_shown(const jetstream_settings& settings);

// Connects to the servers, creates the stream if it is missing, and checks
// it against `settings` if it exists; throws std::runtime_error naming the
// server or the setting that differs.
jetstream_connection_ptr connect_jetstream(const jetstream_settings& settings);

// The last sequence the stream holds (0: none), for where a node begins.
std::uint64_t last_sequence(const jetstream_connection& connection);

// What the ordered consumer delivered.
struct consumed_block {
  std::uint64_t sequence = 0;
  std::string json;
  // Blocks the stream holds after this one that the consumer has yet to deliver.
  std::uint64_t pending = 0;
};

struct jetstream_connection_changed {
  bool connected = false;
};

struct jetstream_status {
  bool connected = false;
  std::uint64_t last_sequence = 0;
};

struct jetstream_link_state {
  jetstream_connection_ptr connection;
  ops::metrics_ptr metrics;
  caf::actor block_source;
  bool connected = true;
  std::uint64_t last_sequence = 0;
  // The last block's id, for the gap message when retention moved past it.
  std::string last_blockid;
  static inline const char* name = "jetstream_link";
};

// Consumes the stream from `first_sequence` on, in order, into block_source;
// `last_blockid` is the block before it that this node has (a journal's), if any.
caf::behavior jetstream_link(caf::stateful_actor<jetstream_link_state>* self, caf::actor block_source,
                             jetstream_connection_ptr connection, std::uint64_t first_sequence,
                             std::string last_blockid, ops::metrics_ptr metrics);

} // namespace evstream::net

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::net::consumed_block)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::net::jetstream_connection_changed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::net::jetstream_status)
