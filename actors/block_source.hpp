// Where blocks enter the service: parses and validates block JSON (or takes an
// already typed block), refuses blocks it has seen recently, numbers the rest
// in arrival order, writes them to the journal (when there is one), encodes
// their messages for the streams that have subscribers and hands them to the
// dispatcher. The service spawns it
// detached: parsing, encoding and a journal's fsync take milliseconds that
// must not hold up the dispatcher and sessions on the CAF workers.
//
//   accepts: (ingest_atom, std::string json) -> ingest_result
//            block (typed by a host node; refusals are logged and counted)
//            followed_block -> ingest_result (numbered with its own height)
//            publish_through (an engine's publisher: ingest answers once it has the block)
//            upstream_gap (from a relay's upstream_link; passed on in order)
//            wanted_streams (from the dispatcher)
//            (get_atom, counters_atom) -> source_counters
//   sends:   encoded_block_ptr, upstream_gap, wanted_atom (once, at start) (to the dispatcher)
#pragma once

#include "actors/messages.hpp"
#include "actors/recent_block_ids.hpp"
#include "ops/metrics.hpp"
#include "store/journal.hpp"

#include <caf/all.hpp>

#include <utility>
#include <vector>

namespace evstream {

// How many recent block ids the source remembers to refuse duplicates.
inline constexpr std::size_t default_remembered_block_ids = 10000;

struct block_source_settings {
  std::size_t remembered_block_ids = default_remembered_block_ids;
  // Set: every block is durable before it is acknowledged or streamed.
  std::shared_ptr<store::journal> journal;
  // A restarted node numbers on from its journal and still knows its ids
  // (with their heights, oldest first; past the capacity the oldest are forgotten).
  std::uint64_t last_sequence = 0;
  std::vector<std::pair<std::string, std::uint64_t>> remembered;
  // The valid_transactions stream's messages.
  schema::bigchaindb_api api = schema::bigchaindb_api::v1;
};

struct block_source_state {
  caf::actor dispatcher;
  std::uint64_t next_sequence = 1;
  // What a repeat is refused by.
  recent_block_ids remembered;
  source_counters counters;
  std::shared_ptr<store::journal> journal;
  schema::bigchaindb_api api = schema::bigchaindb_api::v1;
  // The streams encoded as a block is accepted: those with subscribers, as
  // the dispatcher tells (all of them until it has).
  stream_set eager_streams = all_streams;
  // Set (publish_through): accepted blocks go there, and stream when they come back.
  caf::actor publisher;
  // Blocks ingested and refused, by why.
  ops::metrics_ptr metrics;
  static inline const char* name = "block_source";
};

caf::behavior block_source(caf::stateful_actor<block_source_state>* self, caf::actor dispatcher,
                           block_source_settings settings, ops::metrics_ptr metrics);

} // namespace evstream
