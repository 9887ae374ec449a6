// Follows a BigchainDB 2.x node's chain, one height at a time: asks the node
// for the block at the next height and Tendermint for that block's hash,
// hands the block to the block source numbered with its height, and waits
// for the source's answer before it asks for the next. A height the node does
// not have yet (404) is asked again after the poll interval; an error or an
// unreachable node or Tendermint, after a backoff (100 ms, doubling to 5 s).
// The same height is asked until the source has it: none is skipped, none
// streamed twice.
//
// The HTTP requests run on the server's I/O threads; their answers reach the
// actor as messages (node_answer), as Beast's callbacks reach every actor.
//
//   accepts: follow_poll_atom (its own timer), node_answer (its requests)
//            (get_atom, follower_atom) -> follower_status
//   sends:   followed_block -> block_source, awaiting ingest_result
#pragma once

#include "actors/messages.hpp"
#include "net/http_get.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace evstream::net {

using follow_poll_atom = caf::atom_constant<caf::atom("followpoll")>;
using follower_atom = caf::atom_constant<caf::atom("follower")>;

struct node_follower_settings {
  // Host and port of the node's HTTP API and of its Tendermint RPC, and the
  // URLs as given, for logs.
  http_target node;
  http_target tendermint;
  std::string node_url;
  std::string tendermint_url;
  std::chrono::milliseconds poll_interval{500};
  std::chrono::milliseconds request_timeout{10'000};
  std::uint64_t first_height = 1;
  // Where the requests run.
  asio::io_context* io = nullptr;
};

// What /readyz reports: ready while the node and Tendermint answer.
struct follower_status {
  bool reachable = false;
  std::string node;
  std::uint64_t next_height = 0;
};

// One answer to the follower's requests, for the block at `height`.
struct node_answer {
  enum class from { node, tendermint } source = from::node;
  std::uint64_t height = 0;
  http_answer answer;
};

struct node_follower_state {
  node_follower_settings settings;
  caf::actor block_source;
  std::uint64_t next_height = 1;
  bool reachable = false;
  std::chrono::milliseconds backoff{0};
  // The node's answer for next_height while Tendermint is asked for its hash.
  std::string node_block;
  static inline const char* name = "node_follower";
};

caf::behavior node_follower(caf::stateful_actor<node_follower_state>* self, caf::actor block_source,
                            node_follower_settings settings);

} // namespace evstream::net

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::net::node_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(evstream::net::follower_status)
