// Where blocks enter the service: parses and validates block JSON (or takes an
// already typed block), refuses blocks it has seen recently, numbers the rest
// in arrival order, encodes their events once and hands them to the dispatcher.
//
//   accepts: (ingest_atom, std::string json) -> ingest_result
//            block (typed by a host node; refusals are logged and counted)
//            (get_atom, counters_atom) -> source_counters
//   sends:   encoded_block_ptr (to the dispatcher)
#pragma once

#include "actors/messages.hpp"

#include <caf/all.hpp>

#include <deque>
#include <unordered_set>

namespace evstream {

// How many recent block ids the source remembers to refuse duplicates.
inline constexpr std::size_t default_remembered_block_ids = 10000;

struct block_source_state {
  caf::actor dispatcher;
  std::uint64_t next_sequence = 1;
  std::size_t remembered_capacity = default_remembered_block_ids;
  // Recent block ids, oldest first; the set mirrors the deque for lookups.
  std::deque<std::string> remembered_order;
  std::unordered_set<std::string> remembered;
  source_counters counters;
  static inline const char* name = "block_source";
};

caf::behavior block_source(caf::stateful_actor<block_source_state>* self, caf::actor dispatcher,
                           std::size_t remembered_block_ids = default_remembered_block_ids);

} // namespace evstream
